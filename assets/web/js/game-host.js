// The teacher's screen for a class game: the code to join, who joined, each question with
// its countdown and how many answered, the reveal with the counts and the leaders, the podium.
import { $, announce, fill, h } from './dom.js';
import { podium } from './play-game.js';
import { toSignIn } from './shell.js';
import { LiveSocket } from './socket.js';
import { t } from './strings.js';

export class GameHost {
  constructor(game, box) {
    this.game = game;
    this.box = box;
    this.timer = null;
    this.over = false;
    const link = `${location.origin}/play?game=${encodeURIComponent(game.game_id)}`;
    this.stage = h('div', { class: 'stage' });
    this.status = h('p', { class: 'lead', role: 'status' });
    this.controls = h('div', { class: 'row' });
    fill(box,
      h('h3', {}, t('host.title')),
      h('p', {}, t('host.code'), ' ', h('code', { id: 'game-code', class: 'game-code' }, game.game_id)),
      h('p', { class: 'hint' }, t('host.link'), ' ', h('a', { href: link }, link)),
      this.status, this.stage, this.controls);
    this.buttons(t('host.start'));
    // The game is what the room looks at now (often on a projector).
    const heading = box.querySelector('h3');
    heading.setAttribute('tabindex', '-1');
    heading.focus();
    box.scrollIntoView({ block: 'start' });
    this.socket = new LiveSocket({
      name: 'host',
      path: `/v1/games/${game.game_id}/host`,
      onMessage: (msg) => this.onMessage(msg),
      onSignedOut: toSignIn,
    }).start();
  }

  buttons(nextLabel) {
    fill(this.controls,
      nextLabel ? h('button', { type: 'button', class: 'primary big', id: 'host-next', onclick: () => this.socket.send({ type: 'next' }) }, nextLabel) : null,
      this.over ? null : h('button', { type: 'button', id: 'host-end', onclick: () => this.socket.send({ type: 'end' }) }, t('host.end')));
  }

  onMessage(msg) {
    switch (msg.type) {
      case 'lobby':
        this.players = msg.players;
        this.status.textContent = t('host.players', { n: msg.players.length });
        if (!this.question) {
          fill(this.stage, h('ul', { class: 'players' }, msg.players.map((p) => h('li', {}, p.name))));
        }
        break;
      case 'question':
        this.question = msg;
        this.showQuestion(msg);
        break;
      case 'answers':
        $('.answered-count', this.stage)?.replaceChildren(t('host.answered', { n: msg.answered, total: msg.total }));
        break;
      case 'reveal':
        clearInterval(this.timer);
        this.showReveal(msg);
        break;
      case 'game_over':
        clearInterval(this.timer);
        this.over = true;
        this.socket.stop();
        this.status.textContent = t('host.over');
        fill(this.stage, podium(msg.podium ?? []));
        this.buttons(null);
        announce(t('host.over'));
        break;
      default:
        break;
    }
  }

  showQuestion(msg) {
    const deadline = Date.now() + (msg.remaining_ms ?? msg.seconds * 1000);
    const clock = h('p', { class: 'countdown', role: 'timer' });
    const tick = () => {
      clock.textContent = t('game.seconds_left', { n: Math.max(0, Math.ceil((deadline - Date.now()) / 1000)) });
    };
    clearInterval(this.timer);
    this.timer = setInterval(tick, 250);
    tick();
    const q = msg.question;
    this.status.textContent = t('play.progress', { n: msg.index + 1, total: msg.question_count });
    fill(this.stage,
      h('p', { class: 'host-question' }, q.prompt),
      q.options ? h('ol', { class: 'options' }, q.options.map((o) => h('li', {}, o))) : null,
      clock,
      h('p', { class: 'answered-count', role: 'status' }, t('host.answered', { n: 0, total: this.players?.length ?? 0 })));
    this.buttons(t('host.reveal_now'));
  }

  showReveal(msg) {
    const counts = Object.entries(msg.counts_by_option ?? {});
    const most = Math.max(1, ...counts.map(([, n]) => n));
    const right = String(msg.correct_answer);
    const meters = counts.map(([option, n]) => {
      const meter = h('span', { class: 'meter' });
      meter.style.width = `${(n / most) * 100}%`;
      return h('li', { class: option.toLowerCase() === right.toLowerCase() ? 'correct' : '' },
        h('span', {}, option), h('span', {}, meter), h('span', {}, String(n)));
    });
    const last = this.question && msg.index + 1 >= this.question.question_count;
    fill(this.stage,
      h('p', { class: 'host-question' }, t('host.answer', { answer: right })),
      msg.explanation ? h('p', { class: 'explanation' }, msg.explanation) : null,
      h('ul', { class: 'counts', 'aria-label': t('host.counts') }, meters),
      h('h4', {}, t('host.top')),
      h('ol', { class: 'top' }, (msg.top ?? []).map((p) => h('li', {}, `${p.name} — ${t('game.points', { n: p.score })}`))));
    this.buttons(last ? t('host.finish') : t('host.next'));
    announce(t('host.answer', { answer: right }));
  }
}
