// A class game from the pupil's side: join by the game's PIN (or one tap on the "game is
// open" card, see game-open.js), answer each question as it comes, see the reveal and the
// podium, then back to the catalog. A reload or a reconnect joins the same game again by
// itself, and the answers go on from the server's `last_seq`. The page says "saved" only
// once the server saved that very answer, and says so plainly when it was not taken.
import { $, announce, fill, h, showScreen } from './dom.js';
import { answerStatus } from './game-answer.js';
import { questionMedia, quiet } from './media/question.js';
import { answerControls, answerText } from './play-view.js';
import { ordinal, podium } from './podium.js';
import { shape } from './shapes.js';
import { t } from './strings.js';

const JOIN_ERRORS = ['unknown_game', 'no_game', 'not_in_class', 'game_over', 'time_up'];

export class GamePlayer {
  // session: the PlaySession; send(frame) → bool; onLeave(message?): back to the catalog;
  // onChange(): joined or left (the open-game cards show only outside a game).
  // onGone(gameId): a game that cannot be joined (over, gone).
  constructor({ session, send, onLeave, onChange = () => {}, onGone = () => {} }) {
    Object.assign(this, { session, send, onLeave, onChange, onGone });
    this.key = `${session.key}.game`;
    this.countdown = null;
    this.question = null; // the open question's frame
    this.joining = null; // the join_game frame sent, until game_joined or an error
    this.answer = answerStatus({ session, send, resync: () => this.resync() });
  }

  get current() {
    return this.session.game ?? this.stored();
  }

  // The game of this tab, kept across a reload (sessionStorage: this tab only).
  stored() {
    try {
      return sessionStorage.getItem(this.key);
    } catch {
      return null;
    }
  }

  store(gameId) {
    try {
      if (gameId) sessionStorage.setItem(this.key, gameId);
      else sessionStorage.removeItem(this.key);
    } catch { /* private mode */ }
  }

  // Asks to join by id or PIN; sent again on every reconnect until the game is over.
  join({ gameId = null, pin = null }) {
    this.joining = gameId ? { type: 'join_game', game_id: gameId } : { type: 'join_game', pin };
    this.render(h('p', { class: 'lead', 'data-focus': '' }, t('game.joining')));
    this.send(this.joining);
    this.onChange();
  }

  // After a hello: join again the game this page was in (or was joining). True if it did.
  rejoin() {
    const frame = this.joining ?? (this.current ? { type: 'join_game', game_id: this.current } : null);
    if (!frame) return false;
    this.joining = frame;
    if (document.body.dataset.view !== 'game') this.render(h('p', { class: 'lead', 'data-focus': '' }, t('game.joining')));
    this.send(frame);
    this.onChange();
    return true;
  }

  // The server's answer was out of step: join again to learn `last_seq`, then go on.
  resync() {
    if (this.current) this.send({ type: 'join_game', game_id: this.current });
  }

  render(...body) {
    const screen = $('[data-screen=game]');
    fill(screen, h('h1', {}, t('game.title')), ...body,
      h('p', { class: 'leave' }, h('button', { type: 'button', class: 'link', onclick: () => this.leave() }, t('game.leave'))));
    if (document.body.dataset.view !== 'game') showScreen('game');
  }

  // Out of the game: nothing of it is joined again.
  forget() {
    clearInterval(this.countdown);
    this.question = null;
    this.joining = null;
    this.answer.reset();
    this.store(null);
    if (this.session.game) this.session.clear();
    this.onChange();
  }

  leave() {
    this.forget();
    this.onLeave();
  }

  // Handles a game frame (or an error about the game or its answers); false if not one.
  handle(msg) {
    switch (msg.type) {
      case 'game_joined':
        this.joining = null;
        this.store(msg.game_id);
        this.session.joinedGame(msg);
        this.onChange();
        this.answer.rejoined();
        if (!this.question) {
          this.render(h('p', { class: 'lead', 'data-focus': '' }, t('game.waiting')));
          announce(t('game.waiting'));
        }
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
        if (JOIN_ERRORS.includes(msg.code) && this.joining && !msg.seq) {
          const { code } = msg;
          if (this.joining.game_id) this.onGone(this.joining.game_id);
          this.forget();
          this.onLeave(t(`game.error.${code}`) === `game.error.${code}` ? msg.message : t(`game.error.${code}`));
          return true;
        }
        return this.session.game ? this.answer.error(msg) : false;
      default:
        return false;
    }
  }

  showQuestion(msg) {
    const again = this.question?.question.id === msg.question.id && document.body.dataset.view === 'game'
      && $('[data-screen=game] .prompt');
    this.question = msg;
    const deadline = Date.now() + (msg.remaining_ms ?? msg.seconds * 1000);
    clearInterval(this.countdown);
    const tick = () => {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      const clock = $('[data-screen=game] .countdown');
      if (clock) clock.textContent = t('game.seconds_left', { n: left });
      if (left === 0) clearInterval(this.countdown);
    };
    this.countdown = setInterval(tick, 250);
    // The same question again (after a rejoin): the screen and the answer's state stay.
    if (again) return tick();
    quiet();
    this.answer.question(msg.question.id);
    const controls = answerControls(msg.question, (value) => {
      for (const el of document.querySelectorAll('[data-screen=game] .answers button, [data-screen=game] form *')) el.disabled = true;
      this.answer.send(msg.question.id, value);
    });
    // The same colour and shape as on the projector ("tap the red triangle").
    controls.querySelectorAll?.('.answer').forEach((button, i) => button.prepend(shape(i)));
    this.render(
      h('p', { class: 'progress-text' }, t('play.progress', { n: msg.index + 1, total: msg.question_count })),
      h('p', { class: 'countdown', role: 'timer', 'aria-live': 'off' }),
      h('h2', { id: 'prompt', class: 'prompt', 'data-focus': '' }, msg.question.prompt),
      questionMedia(msg.question),
      controls,
      this.answer.box(),
    );
    tick();
    $('[data-screen=game] h2').focus();
  }

  // The pupil's own feedback (right or wrong) for the answer just given.
  feedback(msg) {
    this.answer.feedback(msg);
  }

  saved(msg) {
    this.answer.saved(msg);
  }

  showReveal(msg) {
    clearInterval(this.countdown);
    quiet();
    this.question = null;
    const you = msg.you ?? {};
    const unsent = this.answer.unsettled(); // an answer the server never took
    this.render(
      h('h2', { 'data-focus': '' }, t('game.reveal', { answer: answerText(msg.correct_answer) })),
      msg.explanation ? h('p', { class: 'explanation' }, msg.explanation) : null,
      unsent ? h('p', { class: 'notice answer-lost' }, t('game.answer_lost')) : null,
      h('p', { class: 'score' }, t('game.you', { score: you.score ?? 0, rank: you.rank ? ordinal(you.rank) : '–' })),
      h('p', { class: 'lead' }, t('game.next_soon')),
    );
    this.answer.reset();
    announce(t('game.you', { score: you.score ?? 0, rank: you.rank ? ordinal(you.rank) : '–' }));
  }

  // The end: the pupil's place and the podium, then back to the catalog (a new game can be
  // joined from there at once).
  showOver(msg) {
    const you = msg.you ?? {};
    this.forget();
    this.render(
      h('h2', { 'data-focus': '' }, t('game.over')),
      h('p', { class: 'score' }, t('game.final', { score: you.score ?? 0, rank: you.rank ? ordinal(you.rank) : '–' })),
      podium(msg.podium ?? []),
      h('button', { type: 'button', id: 'game-done', class: 'primary big', onclick: () => this.onLeave() }, t('play.done.catalog')),
    );
    $('[data-screen=game] .leave')?.remove();
    announce(t('game.final', { score: you.score ?? 0, rank: you.rank ? ordinal(you.rank) : '–' }));
  }
}
