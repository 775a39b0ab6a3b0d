// A class game from the student's side: join with the code the teacher shows, answer each
// question as it comes, see the reveal and the podium.
import { $, announce, fill, h, showScreen } from './dom.js';
import { questionMedia, quiet } from './media/question.js';
import { answerControls, answerText } from './play-view.js';
import { t } from './strings.js';

export class GamePlayer {
  // session: the PlaySession; send(frame) → bool; onLeave(): back to the catalog.
  constructor({ session, send, onLeave }) {
    Object.assign(this, { session, send, onLeave });
    this.countdown = null;
    this.question = null;
  }

  // Asks to join; the join is sent again on every reconnect until the game is over.
  join(gameId) {
    this.session.game = gameId;
    this.session.persist();
    this.render(h('p', { class: 'lead' }, t('game.joining')));
    this.send({ type: 'join_game', game_id: gameId });
  }

  render(...body) {
    const screen = $('[data-screen=game]');
    fill(screen, h('h1', {}, t('game.title')), ...body,
      h('p', { class: 'leave' }, h('button', { type: 'button', class: 'link', onclick: () => this.leave() }, t('game.leave'))));
    if (document.body.dataset.view !== 'game') showScreen('game');
  }

  leave() {
    clearInterval(this.countdown);
    this.session.clear();
    this.onLeave();
  }

  // Handles a game frame (or a game error); false if it is not one.
  handle(msg) {
    switch (msg.type) {
      case 'game_joined':
        this.session.joinedGame(msg);
        this.render(h('p', { class: 'lead', 'data-focus': '' }, t('game.waiting')));
        announce(t('game.waiting'));
        return true;
      case 'game_question':
        this.showQuestion(msg);
        return true;
      case 'game_reveal':
        this.showReveal(msg);
        return true;
      case 'game_over':
        this.showOver(msg);
        return true;
      case 'error':
        if (['no_game', 'not_in_class', 'game_over'].includes(msg.code) && !this.session.id) {
          this.session.game = null;
          this.session.persist();
          this.onLeave(t(`game.error.${msg.code}`));
          return true;
        }
        if (msg.code === 'question_closed') {
          this.session.drop(msg.seq);
          return true;
        }
        return false;
      default:
        return false;
    }
  }

  showQuestion(msg) {
    quiet();
    this.question = msg.question;
    const deadline = Date.now() + (msg.remaining_ms ?? msg.seconds * 1000);
    const clock = h('p', { class: 'countdown', role: 'timer', 'aria-live': 'off' });
    const tick = () => {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      clock.textContent = t('game.seconds_left', { n: left });
      if (left === 0) clearInterval(this.countdown);
    };
    clearInterval(this.countdown);
    this.countdown = setInterval(tick, 250);
    tick();
    const answered = this.session.feedback.has(msg.question.id) || this.session.waitingOn(msg.question.id);
    this.render(
      h('p', { class: 'progress-text' }, t('play.progress', { n: msg.index + 1, total: msg.question_count })),
      clock,
      h('h2', { id: 'prompt', class: 'prompt', 'data-focus': '' }, msg.question.prompt),
      questionMedia(msg.question),
      answered ? h('p', { class: 'checking' }, t('game.answer_sent')) : answerControls(msg.question, (value) => {
        this.session.answer(msg.question.id, value);
        const status = $('[data-screen=game] .feedback');
        for (const el of document.querySelectorAll('[data-screen=game] .answers button, [data-screen=game] form *')) el.disabled = true;
        status.textContent = t('game.answer_sent');
      }),
      h('div', { class: 'feedback', role: 'status', 'aria-live': 'polite' }),
    );
    $('[data-screen=game] h2').focus();
  }

  // The student's own feedback (right or wrong) comes at once; the reveal says the rest.
  feedback(msg) {
    const status = $('[data-screen=game] .feedback');
    if (!status || this.question?.id !== msg.question_id) return;
    status.className = `feedback ${msg.correct ? 'right' : 'wrong'}`;
    status.textContent = msg.correct ? t('game.right') : t('game.wrong');
  }

  showReveal(msg) {
    clearInterval(this.countdown);
    quiet();
    const you = msg.you ?? {};
    this.render(
      h('h2', { 'data-focus': '' }, t('game.reveal', { answer: answerText(msg.correct_answer) })),
      msg.explanation ? h('p', { class: 'explanation' }, msg.explanation) : null,
      h('p', { class: 'score' }, t('game.you', { score: you.score ?? 0, rank: you.rank ?? '–' })),
      h('p', { class: 'lead' }, t('game.next_soon')),
    );
    announce(t('game.you', { score: you.score ?? 0, rank: you.rank ?? '–' }));
  }

  showOver(msg) {
    clearInterval(this.countdown);
    const you = msg.you ?? {};
    this.session.clear();
    this.render(
      h('h2', { 'data-focus': '' }, t('game.over')),
      h('p', { class: 'score' }, t('game.final', { score: you.score ?? 0, rank: you.rank ?? '–' })),
      podium(msg.podium ?? []),
      h('button', { type: 'button', class: 'primary big', onclick: () => this.onLeave() }, t('play.done.catalog')),
    );
    announce(t('game.final', { score: you.score ?? 0, rank: you.rank ?? '–' }));
  }
}

export function podium(places) {
  return h('ol', { class: 'podium', 'aria-label': t('game.podium') },
    places.map((p) => h('li', {}, h('span', { class: 'rank' }, `${p.rank}.`), ` ${p.name} `, h('span', { class: 'points' }, t('game.points', { n: p.score })))));
}
