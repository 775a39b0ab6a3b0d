// The answers to the question on screen in practice play: after a wrong answer the child's
// choice and the right answer are both marked (in words and signs, not colour alone), and
// where the question allows it the child gets one more try first.
//
// One more try (see docs/protocol.md, "One more try"): the contract lets a question be
// answered again with a new seq, and accuracy counts only the first answer. A try is offered
// after a wrong first answer when
// - the question is `multiple_choice` or `multi_select` with at least 3 options, or `number`
//   or `text` (with 2 options, or true/false, a second try gives the answer away);
// - the activity does not say `one_try: true`;
// - the answer did not complete the session (the server completes it once every question has
//   an answer, so the last question's first answer is final).
// Class games never come here: a game's question closes for everyone at once.
// After the second answer, right or wrong, the right answer is shown and the child moves on.
import { $, announce, fill, h } from './dom.js';
import { answerText } from './play-view.js';
import { t } from './strings.js';

const RETRY_TYPES = new Set(['number', 'text']);
const CHOICE_TYPES = new Set(['multiple_choice', 'multi_select']);

export function allowsRetry(question, activity) {
  if (activity?.one_try) return false;
  if (RETRY_TYPES.has(question.answer_type)) return true;
  return CHOICE_TYPES.has(question.answer_type) && (question.options?.length ?? 0) >= 3;
}

// An answer value as the buttons and boxes carry it (`data-value`).
const key = (value) => (typeof value === 'boolean' ? String(value) : String(value ?? '').trim());

const tag = (text, sign) => h('span', { class: 'answer-tag' }, h('span', { 'aria-hidden': 'true' }, `${sign} `), text);

function controls(screen) {
  return [...screen.querySelectorAll('button.answer, .multi-answer input, .multi-answer button, .typed-answer input, .typed-answer button')];
}

export class Attempts {
  constructor() {
    this.reset(null, null);
  }

  // A new question on screen (`activity` as `started` gave it).
  reset(question, activity) {
    this.question = question;
    this.activity = activity;
    this.tries = []; // {seq, value}, in the order sent
  }

  // The child answered `value`, sent with `seq`.
  sent(value, seq) {
    this.tries.push({ seq, value });
  }

  // `feedback` for the question on screen. Only the latest answer's counts: the feedback of
  // an earlier one (a duplicate after a reconnect) is already on screen.
  feedback(msg, { onNext, last }) {
    const latest = this.tries[this.tries.length - 1];
    if (!this.question || msg.question_id !== this.question.id) return;
    if (latest && msg.seq !== latest.seq) return;
    const screen = $('[data-screen=question]');
    const box = screen.querySelector('.feedback');
    if (!box) return;
    const chosen = latest?.value;
    const again = !msg.correct && this.tries.length === 1 && allowsRetry(this.question, this.activity)
      && msg.progress && msg.progress.answered < msg.progress.total;
    clearMarks(screen);
    if (again) this.retry(screen, box, chosen);
    else this.result(screen, box, msg, chosen, { onNext, last });
  }

  // After a reload: the question on screen has a wrong first answer (`seq`) the server
  // keeps, and its one more try is due. What the child chose is not known here any more.
  reopen(seq) {
    this.tries = [{ seq, value: undefined }];
    const screen = $('[data-screen=question]');
    const box = screen.querySelector('.feedback');
    if (box) this.retry(screen, box, undefined);
  }

  // A wrong first answer: the choice is marked as the child's and wrong, the rest opens again.
  retry(screen, box, chosen) {
    const type = this.question.answer_type;
    for (const el of controls(screen)) el.disabled = false;
    box.className = 'feedback retry';
    let said = null;
    if (type === 'multiple_choice') {
      const mine = screen.querySelector(`button.answer[data-value="${CSS.escape(key(chosen))}"]`);
      if (mine) {
        mine.disabled = true;
        mine.classList.add('mine', 'is-wrong');
        mine.append(tag(t('play.mark.yours_wrong'), '✗'));
      }
    } else if (type !== 'multi_select' && chosen !== undefined) {
      // A typed answer: what was said, and the field empty again. (A multi_select's boxes stay
      // ticked for the child to change; nothing says which one was wrong.)
      said = h('p', { class: 'said' }, t('play.said', { answer: answerText(chosen) }));
      const input = screen.querySelector('.typed-answer input');
      if (input) input.value = '';
    }
    const text = t(type === 'multi_select' ? 'play.retry_picks' : 'play.retry');
    fill(box, h('p', { class: 'verdict' }, h('span', { 'aria-hidden': 'true' }, '↻ '), text), said);
    announce(text);
    screen.querySelector('button.answer:not(:disabled), .typed-answer input, .multi-answer input')?.focus();
  }

  // The last word on the question: right, or the child's answer and the right one.
  result(screen, box, msg, chosen, { onNext, last }) {
    const type = this.question.answer_type;
    for (const el of controls(screen)) el.disabled = true;
    if (type === 'multiple_choice' || type === 'true_false') {
      const button = (v) => screen.querySelector(`button.answer[data-value="${CSS.escape(key(v))}"]`);
      const right = button(msg.correct_answer);
      const mine = button(chosen);
      if (mine && mine !== right) {
        mine.classList.add('mine', 'is-wrong');
        mine.append(tag(t('play.mark.yours_wrong'), '✗'));
      }
      if (right) {
        right.classList.add('is-right', ...(mine === right ? ['mine'] : []));
        right.append(tag(t(mine === right ? 'play.mark.yours_right' : 'play.mark.right'), '✓'));
      }
    } else if (type === 'multi_select') {
      markPicks(screen, chosen, msg.correct_answer);
    }
    const typed = !CHOICE_TYPES.has(type) && type !== 'true_false';
    const next = h('button', { type: 'button', class: 'primary big', id: 'next', onclick: onNext }, t(last ? 'play.see_stars' : 'play.next'));
    box.className = `feedback ${msg.correct ? 'right' : 'wrong'}`;
    fill(box,
      h('p', { class: 'verdict' },
        h('span', { 'aria-hidden': 'true' }, msg.correct ? '✓ ' : '✗ '),
        msg.correct ? t('play.right') : t('play.wrong', { answer: answerText(msg.correct_answer) })),
      typed && !msg.correct ? h('p', { class: 'said' }, t('play.said', { answer: answerText(chosen) })) : null,
      msg.explanation ? h('p', { class: 'explanation' }, msg.explanation) : null,
      next,
    );
    next.focus();
  }
}

// Ticks and crosses on the boxes of a multi_select: the child's choices, right or not, and
// the right ones the child missed.
function markPicks(screen, chosen, correct) {
  const mine = new Set((chosen ?? []).map(key));
  const right = new Set((correct ?? []).map(key));
  for (const label of screen.querySelectorAll('.multi-answer label.pick')) {
    const value = key(label.querySelector('input')?.value);
    const picked = mine.has(value);
    if (picked && right.has(value)) {
      label.classList.add('mine', 'is-right');
      label.append(tag(t('play.mark.yours_right'), '✓'));
    } else if (picked) {
      label.classList.add('mine', 'is-wrong');
      label.append(tag(t('play.mark.yours_wrong'), '✗'));
    } else if (right.has(value)) {
      label.classList.add('is-right');
      label.append(tag(t('play.mark.right'), '✓'));
    }
  }
}

function clearMarks(screen) {
  for (const el of screen.querySelectorAll('.answer-tag')) el.remove();
  for (const el of screen.querySelectorAll('.mine, .is-right, .is-wrong')) el.classList.remove('mine', 'is-right', 'is-wrong');
}
