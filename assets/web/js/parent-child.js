// One child on the family page: playing now or not, today's screen time and more of it, this
// week's learning (parent-week.js) and the printable report, settings, the profile (rename,
// remove) and classes (parent-profile.js), drawings.
import { download, get, imageUrl, post } from './api.js';
import { announce, errorText, fill, formValues, h, minutesText, showFormError, showStatus } from './dom.js';
import { listClasses, profileForm, removeButton } from './parent-profile.js';
import { settingsForm } from './parent-settings.js';
import { loadWeek } from './parent-week.js';
import { t } from './strings.js';

const GRANTS = [15, 30];

export class ChildPanel {
  // hooks: onTime(childId, time) when its time changes; onRenamed(child); onRemoved(childId).
  constructor(child, titles, hooks = {}) {
    this.child = child;
    this.titles = titles;
    this.hooks = { onTime: () => {}, onRenamed: () => {}, onRemoved: () => {}, ...hooks };
    this.el = this.render();
  }

  render() {
    const id = this.child.id;
    const heading = `child-${id}-name`;
    this.status = h('span', { class: 'pill' }, t('parent.offline'));
    this.nameEl = h('span', { class: 'child-name' }, this.child.name);
    this.today = h('p', { class: 'time-today' }, t('loading'));
    this.week = h('div', { class: 'week' }, t('loading'));
    this.classes = h('ul', { class: 'child-classes' }, h('li', {}, t('loading')));
    return h('section', { class: 'card child-panel', 'aria-labelledby': heading, dataset: { child: id } },
      h('h2', { id: heading }, this.nameEl, ' ', this.status),
      this.today,
      h('div', { class: 'row grant' },
        h('span', {}, t('parent.grant')),
        GRANTS.map((m) => h('button', { type: 'button', class: 'small', onclick: () => this.grant(m * 60) }, t('parent.grant_minutes', { n: m })))),
      h('h3', {}, t('parent.week')),
      this.week,
      h('p', {}, h('button', { type: 'button', class: 'link', onclick: () => this.report() }, t('parent.report'))),
      h('details', { class: 'settings-box', ontoggle: (e) => e.target.open && this.openSettings(e.target) },
        h('summary', {}, t('parent.settings')), h('div', { class: 'settings' })),
      h('details', { class: 'profile-box', ontoggle: (e) => e.target.open && this.openProfile(e.target) },
        h('summary', {}, t('parent.profile')), h('div', { class: 'profile' })),
      h('details', { class: 'classes-box' },
        h('summary', {}, t('parent.classes')),
        this.classes,
        this.joinForm()),
      h('details', { ontoggle: (e) => e.target.open && this.openDrawings(e.target) },
        h('summary', {}, t('parent.drawings')), h('div', { class: 'drawings-box' })));
  }

  async load() {
    await Promise.all([this.loadToday(), this.loadWeek(), listClasses(this.classes, this.child.id)]);
  }

  presence(msg) {
    const playing = msg.online && msg.activity_id;
    this.status.className = msg.online ? 'pill on' : 'pill';
    this.status.textContent = !msg.online ? t('parent.offline')
      : playing ? t('parent.playing', { title: this.titles.get(msg.activity_id) ?? msg.activity_id })
        : t('parent.online');
  }

  // Today's screen time, as the feed's `time` has it: `limit_seconds` with today's grants,
  // null without a limit. One measure, one name: "screen time".
  time(time) {
    this.lastTime = time;
    // Used rounds down and left up, so the two add up to the limit ("1 minute used, 45 left"
    // of 45 would not), and "left" is never more than nothing when the server has none.
    const used = minutesText(Math.floor(time.used_seconds / 60) * 60);
    if (time.limit_seconds == null) {
      this.today.textContent = t('parent.today_no_limit', { used });
    } else if (time.left_seconds <= 0) {
      this.today.textContent = t('parent.today_up', { used, limit: minutesText(time.limit_seconds) });
    } else {
      this.today.textContent = t('parent.today', {
        used, limit: minutesText(time.limit_seconds), left: minutesText(time.left_seconds),
      });
    }
    this.today.classList.toggle('up', time.limit_seconds != null && time.left_seconds <= 0);
    this.hooks.onTime(this.child.id, time);
  }

  // REST's today counts grants apart (`bonus_seconds`); the card shows them in the limit.
  showToday(today) {
    this.time({
      used_seconds: today.used_seconds,
      limit_seconds: today.limit_seconds == null ? null : today.limit_seconds + (today.bonus_seconds ?? 0),
      left_seconds: today.left_seconds,
    });
  }

  async loadToday() {
    try {
      this.showToday(await get(`/v1/children/${this.child.id}/screen-time/today`));
    } catch (e) {
      this.today.textContent = errorText(e);
    }
  }

  async grant(seconds) {
    try {
      const today = await post(`/v1/children/${this.child.id}/screen-time/grant`, { seconds });
      this.showToday(today);
      announce(t('parent.granted', { name: this.child.name, time: minutesText(seconds) }));
    } catch (e) {
      announce(errorText(e), true);
    }
  }

  loadWeek() {
    return loadWeek(this.week, this.child.id);
  }

  rename(child) {
    this.child = child;
    this.nameEl.textContent = child.name;
    this.hooks.onRenamed(child);
  }

  openProfile(details) {
    const box = details.querySelector('.profile');
    if (box.dataset.loaded) return;
    box.dataset.loaded = 'true';
    fill(box,
      profileForm(this.child, (child) => this.rename(child)),
      h('h4', {}, t('parent.remove_heading')),
      h('p', { class: 'hint' }, t('parent.remove_hint')),
      removeButton(this.child, () => {
        this.el.remove();
        this.hooks.onRemoved(this.child.id);
      }));
  }

  async report() {
    try {
      await download(`/v1/learners/${this.child.id}/report.pdf`, `${this.child.name}-week.pdf`);
    } catch (e) {
      announce(errorText(e), true);
    }
  }

  async openSettings(details) {
    const box = details.querySelector('.settings');
    if (box.dataset.loaded) return;
    box.dataset.loaded = 'true';
    try {
      const settings = await get(`/v1/children/${this.child.id}/settings`);
      fill(box, settingsForm(this.child, settings, () => this.loadToday()));
    } catch (e) {
      box.textContent = errorText(e);
    }
  }

  async openDrawings(details) {
    const box = details.querySelector('.drawings-box');
    if (box.dataset.loaded) return;
    box.dataset.loaded = 'true';
    const list = h('ul', { class: 'drawings' });
    const id = this.child.id;
    const form = h('form', {
      onsubmit: async (event) => {
        event.preventDefault();
        showFormError(form, null);
        try {
          await post(`/v1/learners/${id}/drawings`, new FormData(form));
          form.reset();
          await this.listDrawings(list);
          announce(t('parent.drawing_added'));
        } catch (e) {
          showFormError(form, e);
        }
      },
    },
    h('label', { for: `drawing-title-${id}` }, t('parent.drawing_title')),
    h('input', { id: `drawing-title-${id}`, name: 'title', required: true, maxlength: '200' }),
    h('input', { type: 'hidden', name: 'category', value: 'art' }),
    h('label', { for: `drawing-image-${id}` }, t('parent.drawing_image')),
    h('input', { id: `drawing-image-${id}`, name: 'image', type: 'file', accept: 'image/png,image/jpeg,image/webp', required: true }),
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit' }, t('parent.drawing_upload')));
    fill(box, list, form);
    await this.listDrawings(list);
  }

  async listDrawings(list) {
    try {
      const drawings = await get(`/v1/learners/${this.child.id}/drawings`);
      if (!drawings.length) {
        fill(list, h('li', { class: 'hint' }, t('parent.no_drawings')));
        return;
      }
      const items = await Promise.all(drawings.map(async (d) => {
        const src = await imageUrl(d.url).catch(() => '');
        return h('li', {}, h('figure', {}, h('img', { src, alt: d.title }), h('figcaption', {}, d.title)));
      }));
      fill(list, items);
    } catch (e) {
      fill(list, h('li', {}, errorText(e)));
    }
  }

  joinForm() {
    const id = `join-${this.child.id}`;
    const status = h('p', { class: 'form-status', role: 'status' });
    const form = h('form', {
      class: 'inline-form',
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const joined = await post(`/v1/children/${this.child.id}/classes`, { join_code: formValues(form).join_code });
          showStatus(status, t('parent.joined', { name: this.child.name, class: joined.name }), 'success');
          form.reset();
          await listClasses(this.classes, this.child.id);
        } catch (e) {
          showStatus(status, errorText(e), 'error');
        }
      },
    },
    h('label', { for: id }, t('play.class_code')),
    h('input', { id, name: 'join_code', required: true, maxlength: '6', autocomplete: 'off' }),
    h('button', { type: 'submit' }, t('play.join_class')),
    status);
    return form;
  }
}
