// A class's pupils without an email, on the teacher's class view: the list with each pupil's
// two pictures, "add a pupil", "import a CSV", "print sign-in cards" and "renew card".
import { download, get, post, postCsv } from './api.js';
import { announce, errorText, fill, formValues, h, showFormError } from './dom.js';
import { t } from './strings.js';

const iconUrl = (name) => new URL(`../icons/${name}.svg`, import.meta.url).href;

function picture(name) {
  return h('img', { src: iconUrl(name), alt: t(`picture.${name}`), class: 'pupil-picture', width: '32', height: '32' });
}

export class PupilsPanel {
  constructor(klass, onChange) {
    this.klass = klass;
    this.onChange = onChange;
    this.list = h('div', { class: 'table-wrap', id: 'pupils-list' });
    this.report = h('ul', { id: 'pupils-import-report', class: 'hint' });
    this.el = h('section', { class: 'card', 'aria-labelledby': 'pupils-title' },
      h('h3', { id: 'pupils-title' }, t('pupils.title')),
      h('p', { class: 'hint' }, t('pupils.hint')),
      this.list,
      h('p', {}, h('button', { type: 'button', class: 'small', id: 'pupils-cards', onclick: () => this.cards() }, t('pupils.cards'))),
      this.addForm(),
      this.importForm(),
      this.report);
  }

  async load() {
    try {
      const pupils = await get(`/v1/classes/${this.klass.id}/students`);
      fill(this.list, pupils.length ? h('table', { id: 'pupils-table' },
        h('caption', { class: 'sr-only' }, t('pupils.title')),
        h('thead', {}, h('tr', {}, ['name', 'pictures', 'card'].map((c) => h('th', { scope: 'col' }, t(`pupils.col.${c}`))))),
        h('tbody', {}, pupils.map((p) => h('tr', {},
          h('th', { scope: 'row' }, p.name),
          h('td', {}, picture(p.picture[0]), ' ', picture(p.picture[1])),
          h('td', {}, h('button', {
            type: 'button', class: 'small', 'aria-label': t('pupils.renew_label', { name: p.name }),
            onclick: () => this.renew(p),
          }, t('pupils.renew')))))))
        : h('p', { class: 'hint', id: 'pupils-none' }, t('pupils.none')));
    } catch (e) {
      this.list.textContent = errorText(e);
    }
  }

  addForm() {
    const form = h('form', {
      id: 'pupil-add', novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        showFormError(form, null);
        try {
          const made = await post(`/v1/classes/${this.klass.id}/students`, { name: formValues(form).name });
          form.reset();
          announce(t('pupils.added', { name: made.name }));
          await this.changed();
        } catch (e) {
          showFormError(form, e);
        }
      },
    },
    h('label', { for: 'pupil-name' }, t('pupils.name')),
    h('input', { id: 'pupil-name', name: 'name', required: true, maxlength: '100', autocomplete: 'off' }),
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit', class: 'primary' }, t('pupils.add')));
    return form;
  }

  importForm() {
    const form = h('form', {
      id: 'pupil-import', novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        showFormError(form, null);
        const file = form.querySelector('input[type=file]').files[0];
        if (!file) return;
        try {
          const done = await postCsv(`/v1/classes/${this.klass.id}/students/import`, await file.text());
          form.reset();
          const summary = t('pupils.imported', { created: done.created.length, skipped: done.skipped.length });
          fill(this.report, h('li', {}, summary),
            done.skipped.map((s) => h('li', {}, t('pupils.skipped_line', { line: s.line, reason: s.reason }))));
          announce(summary);
          await this.changed();
        } catch (e) {
          showFormError(form, e);
        }
      },
    },
    h('label', { for: 'pupil-csv' }, t('pupils.import')),
    h('input', { id: 'pupil-csv', name: 'body', type: 'file', accept: '.csv,text/csv', 'aria-describedby': 'pupil-csv-hint' }),
    h('span', { id: 'pupil-csv-hint', class: 'hint' }, t('pupils.import_hint')),
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit', class: 'primary', id: 'pupil-import-submit' }, t('pupils.import_submit')));
    return form;
  }

  async cards() {
    try {
      await download(`/v1/classes/${this.klass.id}/sign-in-cards.pdf`, 'sign-in-cards.pdf');
    } catch (e) {
      announce(errorText(e), true);
    }
  }

  async renew(pupil) {
    try {
      await post(`/v1/classes/${this.klass.id}/students/${pupil.learner_id}/renew`);
      announce(t('pupils.renewed', { name: pupil.name }));
      await this.load();
    } catch (e) {
      announce(errorText(e), true);
    }
  }

  async changed() {
    await this.load();
    await this.onChange?.();
  }
}
