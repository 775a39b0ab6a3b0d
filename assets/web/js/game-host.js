// The teacher's screen for a class game on the class page: the PIN to join, a link to the
// projector view (/teacher/games/{id}), who joined, each question with its countdown and how
// many answered, the reveal with the counts and the leaders, then the podium, the report and
// a way to make the next game.
import { $, announce, fill, h } from './dom.js';
import { showReport } from './game-report.js';
import { podium } from './podium.js';
import { pinText } from './projector-view.js';
import { toSignIn } from './shell.js';
import { LiveSocket } from './socket.js';
import { t } from './strings.js';

const PAST = 'studyhub.games.';

// The games made on this device for a class, newest first: [{game_id, title, at}].
export function pastGames(classId) {
  try {
    return JSON.parse(localStorage.getItem(PAST + classId) ?? '[]');
  } catch {
    return [];
  }
}

function remember(game, title) {
  try {
    const list = pastGames(game.class_id).filter((g) => g.game_id !== game.game_id);
    list.unshift({ game_id: game.game_id, title, at: new Date().toISOString() });
    localStorage.setItem(PAST + game.class_id, JSON.stringify(list.slice(0, 10)));
  } catch { /* private mode */ }
}

export class GameHost {
  // game: the new game (POST …/games); title: its activity's; onAgain(): back to the form.
  constructor(game, box, { title, onAgain } = {}) {
    Object.assign(this, { game, box, title, onAgain });
    this.timer = null;
    this.over = false;
    remember(game, title);
    const projector = `/teacher/games/${encodeURIComponent(game.game_id)}`;
    this.heading = h('h3', { tabindex: '-1' }, t('host.title'));
    this.stage = h('div', { class: 'stage' });
    this.status = h('p', { class: 'lead', role: 'status' });
    this.controls = h('div', { class: 'row' });
    // How to join, while the game is on.
    this.joinInfo = h('div', { class: 'join-info' },
      h('p', { class: 'pin-line small' }, h('span', { class: 'pin-label' }, t('host.pin')), ' ',
        h('span', { id: 'game-pin', class: 'pin' }, pinText(game.pin))),
      h('p', { class: 'hint' }, t('host.how_to_join')),
      h('p', {}, h('a', { href: projector, id: 'projector-link', class: 'button primary', target: '_blank', rel: 'noopener' }, t('host.projector'))));
    fill(box, this.heading, this.joinInfo, this.status, this.stage, this.controls);
    this.buttons(t('host.start'));
    // The game is what the room looks at now (often on a projector).
    this.heading.focus();
    box.scrollIntoView({ block: 'start' });
    this.socket = new LiveSocket({
      name: 'host',
      path: `/v1/games/${game.game_id}/host`,
      onMessage: (msg) => this.onMessage(msg),
      onSignedOut: toSignIn,
    }).start();
  }

  stop() {
    clearInterval(this.timer);
    this.socket.stop();
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
        this.showOver(msg);
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
      podium(msg.top ?? [], { label: t('host.top') }));
    this.buttons(last ? t('host.finish') : t('host.next'));
    announce(t('host.answer', { answer: right }));
  }

  // The end: the podium, the report, and the form for another game (no reload needed).
  showOver(msg) {
    clearInterval(this.timer);
    this.over = true;
    this.socket.stop();
    this.heading.textContent = t('host.over');
    this.status.textContent = '';
    this.joinInfo.hidden = true;
    const report = h('div', { id: 'game-report' });
    fill(this.stage,
      podium(msg.podium ?? []),
      h('h4', {}, t('report.title')),
      report);
    fill(this.controls,
      h('button', { type: 'button', id: 'game-again', class: 'primary', onclick: () => this.onAgain?.() }, t('host.again')));
    showReport(this.game.game_id, report, { title: this.title });
    announce(t('host.over'));
  }
}
