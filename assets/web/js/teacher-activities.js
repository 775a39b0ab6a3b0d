// The teacher's own activities: a list to edit or archive (DELETE keeps every pupil's
// sessions), and the editor for a new or existing one. Who sees an activity is its
// visibility: the teacher's classes by default.
import { del, get } from './api.js';
import { $, announce, errorText, fill, h } from './dom.js';
import { ActivityEditor } from './activity-editor.js';
import { fromSource, newActivity } from './activity-model.js';
import { t } from './strings.js';

export class ActivitiesSection {
  // `root`: the section's body; `onChange()`: the catalog changed (the game picker reloads).
  constructor(root, { onChange = () => {}, canPublish = false } = {}) {
    this.root = root;
    this.onChange = onChange;
    this.canPublish = canPublish;
  }

  async showList(focus = false) {
    let mine = [];
    try {
      mine = await get('/v1/activities?mine=true&limit=200');
    } catch (e) {
      fill(this.root, h('p', { class: 'form-error' }, errorText(e)));
      return;
    }
    fill(this.root,
      h('button', { type: 'button', class: 'primary', id: 'new-activity', onclick: () => this.edit(null) }, t('activities.new')),
      mine.length ? h('ul', { class: 'my-activities', id: 'my-activities' }, mine.map((a) => h('li', { dataset: { activity: a.id } },
        h('span', { class: 'activity-name' }, a.title),
        h('span', { class: 'activity-meta' }, ` · ${t('teacher.questions', { n: a.question_count })} · ${t(`editor.visibility.${a.visibility}`)}`),
        h('span', { class: 'row-tools' },
          h('button', { type: 'button', class: 'small', onclick: () => this.edit(a.id), 'aria-label': t('activities.edit_named', { title: a.title }) }, t('activities.edit')),
          h('button', { type: 'button', class: 'small', onclick: () => this.archive(a), 'aria-label': t('activities.archive_named', { title: a.title }) }, t('activities.archive'))))))
        : h('p', { class: 'hint' }, t('activities.none')));
    if (focus) $('#new-activity', this.root)?.focus();
  }

  async edit(id) {
    let model = newActivity();
    if (id) {
      try {
        model = fromSource(await get(`/v1/activities/${encodeURIComponent(id)}/source`));
      } catch (e) {
        announce(errorText(e), true);
        return;
      }
    }
    const editor = new ActivityEditor(model, {
      canPublish: this.canPublish,
      onDone: async (saved) => {
        if (saved) this.onChange();
        await this.showList(true);
      },
    });
    fill(this.root, editor.el);
    $('#editor-title', this.root)?.focus();
  }

  async archive(a) {
    if (!window.confirm(t('activities.archive_confirm', { title: a.title }))) return;
    try {
      await del(`/v1/activities/${encodeURIComponent(a.id)}`);
      announce(t('activities.archived', { title: a.title }));
      this.onChange();
      await this.showList(true);
    } catch (e) {
      announce(errorText(e), true);
    }
  }
}
