// The state of a pupil's answer in a class game, said plainly: "sending", right or wrong once
// the server took it, "saved" only once `saved` covers its seq. An answer the server did not
// take (its seq already used by another answer, `bad_seq`, a refusal, `busy`) is never shown
// as sent: the page says what happened and, when out of step, joins again to learn the
// server's `last_seq` and sends the answer again with the right seq.
import { h } from './dom.js';
import { t } from './strings.js';

const RETRY = ['busy', 'storage_unavailable', 'rate_limited'];

export function answerStatus({ session, send, resync }) {
  let mine = null; // {seq, questionId, value, state, correct, code, message}
  let open = null; // the open question's id
  let resendWanted = false;
  let savedUpTo = 0;
  let el = null;

  function show() {
    if (!el) return;
    const s = mine?.state;
    el.className = `feedback game-answer${s ? ` is-${s}` : ''}${s === 'taken' || s === 'saved' ? (mine.correct ? ' right' : ' wrong') : ''}`;
    el.dataset.state = s ?? '';
    if (!mine) return el.replaceChildren();
    const verdict = (key) => [h('strong', {}, t(mine.correct ? 'game.right' : 'game.wrong')), ' ', h('span', { class: 'answer-state' }, t(key))];
    const text = {
      sending: () => t('game.sending'),
      taken: () => verdict('game.saving'),
      saved: () => verdict('game.saved'),
      resending: () => t('game.resending'),
      busy: () => t('game.busy'),
      refused: () => {
        const key = `game.refused.${mine.code}`;
        return t(key) === key ? t('game.refused', { why: mine.message || mine.code }) : t(key);
      },
    }[s];
    el.replaceChildren(...[text()].flat());
  }

  function set(state, extra = {}) {
    Object.assign(mine, { state }, extra);
    show();
  }

  function answerNow(questionId, value) {
    const seq = session.answer(questionId, value);
    mine = { seq, questionId, value, state: 'sending' };
    show();
  }

  return {
    box() {
      el = h('div', { class: 'feedback game-answer', role: 'status', 'aria-live': 'polite' });
      show();
      return el;
    },
    question(id) {
      open = id;
      if (mine && mine.questionId !== id) mine = null;
      resendWanted = false;
    },
    send: answerNow,
    feedback(msg) {
      if (!mine || msg.seq !== mine.seq || mine.state === 'saved') return;
      if (msg.question_id !== mine.questionId) {
        // That seq is another answer's (a duplicate): ours was not taken.
        session.drop(mine.seq);
        resendWanted = true;
        set('resending');
        resync();
        return;
      }
      set(savedUpTo >= mine.seq ? 'saved' : 'taken', { correct: msg.correct });
    },
    saved(msg) {
      if (msg.session_id !== session.id) return;
      savedUpTo = Math.max(savedUpTo, msg.up_to_seq ?? 0);
      if (mine?.state === 'taken' && savedUpTo >= mine.seq) set('saved');
    },
    // An `error` frame; true when it was about this answer.
    error(msg) {
      if (!mine || msg.seq == null || msg.seq !== mine.seq) return false;
      if (RETRY.includes(msg.code)) {
        set('busy');
        session.retryLater(mine.seq, msg.retry_after_ms);
      } else if (msg.code === 'bad_seq') {
        session.drop(mine.seq);
        resendWanted = true;
        set('resending');
        resync();
      } else {
        // Refused (too late, the game closed, can never be stored…): not counted.
        session.drop(mine.seq);
        set('refused', { code: msg.code, message: msg.message });
        resync(); // learns which seq comes next
      }
      return true;
    },
    // After `game_joined` (the session's seq is the server's again): the answer that was
    // not taken goes again, while its question is still open.
    rejoined() {
      if (resendWanted && mine && mine.questionId === open) {
        resendWanted = false;
        answerNow(mine.questionId, mine.value);
      }
    },
    // An answer given that the server never took (or never answered).
    unsettled() {
      return Boolean(mine) && !['taken', 'saved'].includes(mine.state);
    },
    reset() {
      mine = null;
      resendWanted = false;
      el = null;
    },
  };
}
