// The activity editor on the teacher page: the activity's fields, its questions (add, remove,
// reorder), a live preview as a pupil sees it, and errors next to their fields, both the
// obvious ones found here and the server's 422 `details.fields`.
import { post, put } from './api.js';
import { $, $$, announce, errorText, fill, h } from './dom.js';
import { VISIBILITIES, check, newQuestion, toBody } from './activity-model.js';
import { questionFieldset } from './activity-question.js';
import { ActivityPreview } from './activity-preview.js';
import { t } from './strings.js';

const CATEGORIES = ['math', 'science', 'music'];

// `questions[0].audio.notes` → `questions[0].audio` → `questions[0]` → `questions` → ''.
function parentField(path) {
  const up = path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
  return up === path ? '' : up;
}

export class ActivityEditor {
  // `model` from activity-model.js (`id` null for a new one); `onDone(saved|null)`.
  constructor(model, { onDone, canPublish = false }) {
    this.m = model;
    this.onDone = onDone;
    this.canPublish = canPublish;
    this.questionsBox = h('div', { class: 'questions-edit' });
    this.preview = new ActivityPreview();
    this.form = h('form', { id: 'activity-form', novalidate: true, onsubmit: (e) => this.save(e) });
    this.el = h('div', { class: 'editor' }, this.form, this.preview.el);
    this.draw();
  }

  field(key, label, attrs = {}, tag = 'input') {
    const id = `ed-${key}`;
    const input = h(tag, {
      id, name: key, 'data-field': key, value: this.m[key], ...attrs,
      oninput: (e) => { this.m[key] = e.target.value; this.changed(); },
    });
    if (tag === 'textarea') input.value = this.m[key];
    return h('div', { class: 'field' }, h('label', { for: id }, label), input);
  }

  draw() {
    const m = this.m;
    const on = {
      change: () => this.changed(),
      redraw: () => this.drawQuestions(),
      move: (i, by) => {
        const [q] = m.questions.splice(i, 1);
        m.questions.splice(i + by, 0, q);
        this.drawQuestions();
        $(`[data-question="${i + by}"] legend`, this.form)?.scrollIntoView({ block: 'nearest' });
        announce(t('editor.moved', { n: i + by + 1 }));
      },
      remove: (i) => {
        m.questions.splice(i, 1);
        this.drawQuestions();
        announce(t('editor.removed'));
      },
      preview: (i) => this.preview.show(m, i),
    };
    this.on = on;
    fill(this.form,
      h('h3', { id: 'editor-title', tabindex: '-1' }, m.id ? t('editor.edit_title', { title: m.title }) : t('editor.new_title')),
      h('p', { class: 'hint' }, t('editor.hint')),
      h('fieldset', {},
        h('legend', {}, t('editor.about')),
        this.field('title', t('editor.title'), { maxlength: '200', required: true, autocomplete: 'off' }),
        this.field('description', t('editor.description'), { rows: '2', maxlength: '2000' }, 'textarea'),
        this.field('category', t('editor.category'), { list: 'ed-categories', maxlength: '50', required: true, autocomplete: 'off' }),
        h('datalist', { id: 'ed-categories' }, CATEGORIES.map((c) => h('option', { value: c }, t(`category.${c}`)))),
        this.field('sub_category', t('editor.sub_category'), { maxlength: '50', autocomplete: 'off' }),
        h('div', { class: 'field-row' },
          this.field('difficulty', t('editor.difficulty'), { type: 'number', min: '1', max: '5', required: true }),
          this.field('age_min', t('editor.age_min'), { type: 'number', min: '2', max: '18', required: true }),
          this.field('age_max', t('editor.age_max'), { type: 'number', min: '2', max: '18', required: true })),
        this.field('introduction', t('editor.introduction'), { rows: '2', maxlength: '2000' }, 'textarea'),
        h('label', { class: 'choice', for: 'ed-offline' },
          h('input', { type: 'checkbox', id: 'ed-offline', name: 'offline', checked: m.offline, onchange: (e) => { m.offline = e.target.checked; } }),
          t('editor.offline')),
        h('label', { class: 'choice', for: 'ed-one-try' },
          h('input', { type: 'checkbox', id: 'ed-one-try', name: 'one_try', checked: m.one_try, onchange: (e) => { m.one_try = e.target.checked; } }),
          t('editor.one_try'))),
      h('fieldset', { 'data-field': 'visibility', 'aria-describedby': 'ed-visibility-hint' },
        h('legend', {}, t('editor.visibility')),
        h('p', { class: 'hint', id: 'ed-visibility-hint' }, t('editor.visibility_hint')),
        VISIBILITIES.filter((v) => v !== 'public' || this.canPublish || m.visibility === 'public').map((v) => h('label', { class: 'choice' },
          h('input', { type: 'radio', name: 'visibility', value: v, checked: m.visibility === v, onchange: () => { m.visibility = v; } }),
          t(`editor.visibility.${v}`)))),
      h('h4', { id: 'ed-questions-title', 'data-field': 'questions', tabindex: '-1' }, t('editor.questions')),
      this.questionsBox,
      h('button', {
        type: 'button', id: 'ed-add-question',
        onclick: () => {
          m.questions.push(newQuestion(m.questions));
          this.drawQuestions();
          const last = $$('.question-edit textarea', this.form).at(-1);
          last?.focus();
        },
      }, t('editor.add_question')),
      h('p', { class: 'form-error', role: 'alert', id: 'ed-form-error' }),
      h('div', { class: 'actions start' },
        h('button', { type: 'submit', class: 'primary', id: 'ed-save' }, t('editor.save')),
        h('button', { type: 'button', onclick: () => this.onDone(null) }, t('cancel'))));
    this.drawQuestions();
  }

  drawQuestions() {
    // Redrawn on a new type or option: focus stays on the control that was used.
    const focused = document.activeElement?.id;
    const n = this.m.questions.length;
    fill(this.questionsBox, this.m.questions.map((q, i) => questionFieldset(q, i, n, this.on)));
    if (focused && !document.activeElement?.id) document.getElementById(focused)?.focus();
    this.changed();
  }

  changed() {
    this.preview.show(this.m);
  }

  // Clears the errors shown, then shows `fields` ({name: reason}) next to their inputs; those
  // with no input of their own go to the nearest one up their path (`questions[0].audio.notes`
  // → `questions[0].audio`), else to the form's message.
  showErrors(fields, message) {
    for (const el of $$('.field-error', this.form)) el.remove();
    for (const el of $$('[aria-invalid]', this.form)) el.removeAttribute('aria-invalid');
    for (const el of $$('[data-described]', this.form)) {
      el.setAttribute('aria-describedby', el.dataset.described);
      if (!el.dataset.described) el.removeAttribute('aria-describedby');
      delete el.dataset.described;
    }
    const loose = [];
    let first = null;
    for (const [name, reason] of Object.entries(fields)) {
      let target = null;
      for (let path = name; path && !target; path = parentField(path)) {
        target = $(`[data-field~="${CSS.escape(path)}"]`, this.form);
      }
      if (!target) {
        loose.push(reason);
        continue;
      }
      const id = `err-${name.replace(/[^a-z0-9_]+/gi, '-')}`;
      const note = h('span', { class: 'field-error', id }, reason);
      if (target.tagName === 'FIELDSET') target.append(note);
      else target.after(note);
      const described = target.tagName === 'FIELDSET' ? [target, ...$$('input', target)] : [target];
      for (const el of described) {
        if (!('described' in el.dataset)) el.dataset.described = el.getAttribute('aria-describedby') || '';
        el.setAttribute('aria-describedby', `${el.getAttribute('aria-describedby') || ''} ${id}`.trim());
        el.setAttribute('aria-invalid', 'true');
      }
      first ??= target.matches('fieldset, h4') ? target.querySelector('input, textarea, select') || target : target;
    }
    const count = Object.keys(fields).length;
    $('#ed-form-error', this.form).textContent = count
      ? [message || t('editor.err.summary', { n: count }), ...loose].join(' ') : (message || '');
    first?.focus();
  }

  async save(event) {
    event.preventDefault();
    const problems = check(this.m);
    if (Object.keys(problems).length) return this.showErrors(problems);
    this.showErrors({});
    const body = toBody(this.m);
    const button = $('#ed-save', this.form);
    button.disabled = true;
    try {
      const saved = this.m.id
        ? await put(`/v1/activities/${encodeURIComponent(this.m.id)}`, body)
        : await post('/v1/activities', body);
      announce(t('editor.saved', { title: saved.title }));
      this.onDone(saved);
    } catch (e) {
      const fields = e.details?.fields ?? {};
      this.showErrors(fields, errorText(e));
    } finally {
      button.disabled = false;
    }
  }
}
