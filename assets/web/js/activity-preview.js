// The editor's live preview: one question drawn by the play page's own renderer (its media
// and answer controls, play-view.js and media/*), so what the teacher sees is what a pupil
// gets. Trying an answer says right or wrong here only: nothing is sent.
import { fill, h } from './dom.js';
import { answerControls, answerText } from './play-view.js';
import { questionMedia, quiet } from './media/question.js';
import { toQuestion } from './activity-model.js';
import { t } from './strings.js';

const same = (a, b) => String(a).trim().toLowerCase().replace(/\s+/g, ' ') === String(b).trim().toLowerCase().replace(/\s+/g, ' ');

// Roughly as the server grades (the server stays the judge in play).
function right(q, value) {
  if (q.correct_answer === null || q.correct_answer === undefined) return false;
  if (q.answer_type === 'number') return Math.abs(Number(value) - q.correct_answer) <= (q.tolerance ?? 1e-9);
  if (q.answer_type === 'multi_select') {
    const key = new Set(q.correct_answer.map((o) => o.trim()));
    return value.length === key.size && value.every((o) => key.has(o.trim()));
  }
  if (q.answer_type === 'true_false') return value === q.correct_answer;
  return same(value, q.correct_answer);
}

export class ActivityPreview {
  constructor() {
    this.index = 0;
    this.body = h('div', { class: 'question preview-body' });
    this.el = h('aside', { class: 'card preview', 'aria-labelledby': 'preview-title' },
      h('h3', { id: 'preview-title' }, t('editor.preview')),
      h('p', { class: 'hint' }, t('editor.preview_hint')),
      this.body);
    this.timer = null;
  }

  // Shows question `index` (or the current one) of the activity `m`, a moment after typing
  // stops so a stave or a picture is not redrawn on every key.
  show(m, index = this.index) {
    clearTimeout(this.timer);
    const delay = index === this.index ? 120 : 0;
    this.index = Math.min(Math.max(0, index), Math.max(0, m.questions.length - 1));
    this.timer = setTimeout(() => this.draw(m), delay);
  }

  draw(m) {
    quiet();
    const total = m.questions.length;
    if (!total) return fill(this.body, h('p', { class: 'hint' }, t('editor.err.no_questions')));
    const q = toQuestion(m.questions[this.index]);
    // An option not written yet still shows as a button with a name.
    if (q.options) q.options = q.options.map((o, k) => o || t('editor.option', { n: k + 1 }));
    const feedback = h('div', { class: 'feedback', role: 'status', 'aria-live': 'polite' });
    const nav = (by) => () => { this.index += by; this.draw(m); };
    fill(this.body,
      h('p', { class: 'activity-title' }, m.title || t('editor.untitled')),
      h('p', { class: 'progress-text' }, t('play.progress', { n: this.index + 1, total })),
      h('p', { id: 'prompt', class: 'prompt' }, q.prompt || t('editor.no_prompt')),
      questionMedia(q),
      answerControls(q, (value) => {
        const ok = right(q, value);
        feedback.className = `feedback ${ok ? 'right' : 'wrong'}`;
        fill(feedback,
          h('p', { class: 'verdict' }, ok ? t('play.right') : t('play.wrong', { answer: q.correct_answer === null ? '?' : answerText(q.correct_answer) })),
          q.explanation ? h('p', { class: 'explanation' }, q.explanation) : null);
      }),
      feedback,
      h('div', { class: 'actions start' },
        h('button', { type: 'button', class: 'small', disabled: this.index === 0, onclick: nav(-1) }, t('editor.preview_prev')),
        h('button', { type: 'button', class: 'small', disabled: this.index >= total - 1, onclick: nav(1) }, t('editor.preview_next'))));
  }
}
