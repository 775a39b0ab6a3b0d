// One child on the family page: playing now or not, today's time and more of it, this
// week's progress with a chart and the printable report, drawings, and joining a class.
import { download, get, imageUrl, post } from './api.js';
import { barChart } from './chart.js';
import { $, announce, errorText, fill, formValues, h, minutesText, showFormError } from './dom.js';
import { settingsForm } from './parent-settings.js';
import { t } from './strings.js';

const GRANTS = [15, 30];

export class ChildPanel {
  constructor(child, titles) {
    this.child = child;
    this.titles = titles;
    this.el = this.render();
  }

  render() {
    const id = this.child.id;
    const heading = `child-${id}-name`;
    this.status = h('span', { class: 'pill' }, t('parent.offline'));
    this.today = h('p', { class: 'time-today' }, t('loading'));
    this.week = h('div', { class: 'week' }, t('loading'));
    return h('section', { class: 'card child-panel', 'aria-labelledby': heading, dataset: { child: id } },
      h('h2', { id: heading }, this.child.name, ' ', this.status),
      this.today,
      h('div', { class: 'row grant' },
        h('span', {}, t('parent.grant')),
        GRANTS.map((m) => h('button', { type: 'button', class: 'small', onclick: () => this.grant(m * 60) }, t('parent.grant_minutes', { n: m })))),
      h('h3', {}, t('parent.week')),
      this.week,
      h('p', {}, h('button', { type: 'button', class: 'link', onclick: () => this.report() }, t('parent.report'))),
      h('details', { ontoggle: (e) => e.target.open && this.openSettings(e.target) },
        h('summary', {}, t('parent.settings')), h('div', { class: 'settings' })),
      h('details', { ontoggle: (e) => e.target.open && this.openDrawings(e.target) },
        h('summary', {}, t('parent.drawings')), h('div', { class: 'drawings-box' })),
      h('details', {},
        h('summary', {}, t('parent.join_class')),
        this.joinForm()));
  }

  async load() {
    await Promise.all([this.loadToday(), this.loadWeek()]);
  }

  presence(msg) {
    const playing = msg.online && msg.activity_id;
    this.status.className = msg.online ? 'pill on' : 'pill';
    this.status.textContent = !msg.online ? t('parent.offline')
      : playing ? t('parent.playing', { title: this.titles.get(msg.activity_id) ?? msg.activity_id })
        : t('parent.online');
  }

  time(time) {
    this.today.textContent = t('parent.today', {
      used: minutesText(time.used_seconds), left: minutesText(time.left_seconds),
    });
  }

  async loadToday() {
    try {
      this.time(await get(`/v1/children/${this.child.id}/screen-time/today`));
    } catch (e) {
      this.today.textContent = errorText(e);
    }
  }

  async grant(seconds) {
    try {
      const today = await post(`/v1/children/${this.child.id}/screen-time/grant`, { seconds });
      this.time(today);
      announce(t('parent.granted', { name: this.child.name, time: minutesText(seconds) }));
    } catch (e) {
      announce(errorText(e), true);
    }
  }

  async loadWeek() {
    try {
      const week = await get(`/v1/learners/${this.child.id}/progress/weekly`);
      const locale = document.documentElement.lang;
      const bars = week.days.map((d) => {
        const minutes = Math.round(d.study_seconds / 60);
        const day = new Date(`${d.date}T12:00:00Z`).toLocaleDateString(locale, { weekday: 'short', timeZone: 'UTC' });
        return { label: day, value: minutes, text: t('parent.day_minutes', { day, n: minutes }) };
      });
      const total = week.totals ?? {};
      const summary = total.accuracy == null ? t('parent.week_summary_none') : t('parent.week_summary', {
        activities: total.activities_completed ?? 0,
        minutes: Math.round((total.study_seconds ?? 0) / 60),
        accuracy: Math.round(total.accuracy),
      });
      fill(this.week,
        h('p', {}, summary),
        barChart(bars, `${t('parent.chart_title')}: ${bars.map((b) => b.text).join(', ')}`));
    } catch (e) {
      this.week.textContent = errorText(e);
    }
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
      fill(box, settingsForm(this.child, settings));
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
    const form = h('form', {
      class: 'inline-form',
      onsubmit: async (event) => {
        event.preventDefault();
        const status = form.querySelector('.form-error');
        try {
          const joined = await post(`/v1/children/${this.child.id}/classes`, { join_code: formValues(form).join_code });
          status.textContent = t('parent.joined', { name: this.child.name, class: joined.name });
          form.reset();
        } catch (e) {
          status.textContent = errorText(e);
        }
      },
    },
    h('label', { for: id }, t('play.class_code')),
    h('input', { id, name: 'join_code', required: true, maxlength: '6', autocomplete: 'off' }),
    h('button', { type: 'submit' }, t('play.join_class')),
    h('p', { class: 'form-error', role: 'status' }));
    return form;
  }
}
