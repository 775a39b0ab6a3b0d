// What the projector shows, one function per moment of a game: the lobby (the PIN, how to
// join, who joined), a question (big, its options told apart by colour and shape, the
// countdown, answers counted), the reveal (counts as bars, the right one marked, the top
// five) and the podium. Each returns the stage's new content.
import { h } from './dom.js';
import { questionMedia } from './media/question.js';
import { answerText } from './play-view.js';
import { ordinal, podium } from './podium.js';
import { markLabel, markOf, shape } from './shapes.js';
import { t } from './strings.js';

// "123456" → "123 456" on screen; read digit by digit.
export const pinText = (pin) => String(pin ?? '').replace(/^(\d{3})(\d{3})$/, '$1 $2');
const spoken = (pin) => String(pin ?? '').split('').join(' ');

export function lobby(game, players) {
  return h('div', { class: 'proj-lobby' },
    h('p', { class: 'join-how' }, t('projector.join_at'), ' ', h('strong', {}, `${location.host}/play`)),
    h('p', { class: 'pin-line' }, h('span', { class: 'pin-label' }, t('projector.pin')),
      h('span', { id: 'proj-pin', class: 'pin', 'aria-label': spoken(game.pin) }, pinText(game.pin))),
    h('p', { class: 'join-or hint' }, t('projector.join_banner')),
    h('p', { id: 'proj-players-count', class: 'players-count', role: 'status' }, t('projector.players', { n: players.length })),
    h('ul', { class: 'players big', 'aria-label': t('projector.players_list') }, players.map((p) => h('li', {}, p.name))));
}

// The options a question's answers are counted by, in order, as [key, text].
function optionsOf(q) {
  if (q.answer_type === 'true_false') return [['true', t('play.true')], ['false', t('play.false')]];
  return (q.options ?? []).map((o) => [String(o), String(o)]);
}

function optionList(q, extra = () => null) {
  const options = optionsOf(q);
  if (!options.length) return h('p', { class: 'proj-typed' }, t('projector.type_on_device'));
  return h('ul', { class: 'proj-options', 'aria-label': t('projector.options') },
    options.map(([key, text], i) => h('li', { class: `opt opt-${markOf(i).colour}`, dataset: { option: key } },
      shape(i),
      h('span', { class: 'sr-only' }, `${markLabel(i)}: `),
      h('span', { class: 'opt-text' }, text),
      extra(key, i))));
}

export function question(msg, clock) {
  const q = msg.question;
  return h('div', { class: 'proj-question' },
    h('div', { class: 'proj-top' },
      h('p', { class: 'proj-progress' }, t('play.progress', { n: msg.index + 1, total: msg.question_count })),
      clock),
    h('h2', { id: 'proj-prompt', class: 'proj-prompt' }, q.prompt),
    questionMedia(q, { volume: () => 0 }),
    optionList(q),
    h('p', { id: 'proj-answered', class: 'proj-answered', role: 'status', 'aria-atomic': 'true' },
      t('projector.answers', { n: 0, total: msg.total ?? 0 })));
}

// The big countdown: a number and a shrinking bar (the bar slides only without reduced motion).
export function countdown() {
  const number = h('span', { class: 'clock-n' });
  const fillBar = h('span', { class: 'clock-fill' });
  const el = h('div', { class: 'proj-clock', role: 'timer', 'aria-label': t('projector.time_left') },
    number, h('span', { class: 'clock-bar', 'aria-hidden': 'true' }, fillBar));
  let timer = null;
  return {
    el,
    start(ms, seconds) {
      const deadline = Date.now() + ms;
      const total = Math.max(1, seconds * 1000);
      const tick = () => {
        const left = Math.max(0, deadline - Date.now());
        number.textContent = String(Math.ceil(left / 1000));
        fillBar.style.width = `${(left / total) * 100}%`;
        el.classList.toggle('low', left <= 5000);
        if (left === 0) clearInterval(timer);
      };
      clearInterval(timer);
      timer = setInterval(tick, 250);
      tick();
    },
    stop() { clearInterval(timer); },
  };
}

const same = (a, b) => String(a).toLowerCase() === String(b).toLowerCase();
function isRight(correct, key) {
  return Array.isArray(correct) ? correct.some((c) => same(c, key)) : same(correct, key);
}

// answered: {n, total} of the question's last count.
export function reveal(msg, q, answered) {
  const counts = msg.counts_by_option ?? {};
  const most = Math.max(1, ...Object.values(counts));
  const bar = (key) => {
    const n = counts[key] ?? 0;
    const meter = h('span', { class: 'meter' });
    meter.style.width = `${(n / most) * 100}%`;
    return h('span', { class: 'opt-count' }, h('span', { class: 'meter-track', 'aria-hidden': 'true' }, meter),
      h('span', { class: 'n' }, t('projector.count', { n })),
      isRight(msg.correct_answer, key) ? h('span', { class: 'tick' }, `✓ ${t('projector.right')}`) : null);
  };
  let list = q && optionsOf(q).length ? optionList(q, bar) : null;
  if (list) {
    for (const li of list.children) li.classList.toggle('correct', isRight(msg.correct_answer, li.dataset.option));
  } else {
    // Typed answers: the most given ones, as the server counted them.
    list = h('ul', { class: 'proj-options typed' }, Object.keys(counts).map((key) => h('li', {
      class: `opt opt-plain${isRight(msg.correct_answer, key) ? ' correct' : ''}`, dataset: { option: key },
    }, h('span', { class: 'opt-text' }, key), bar(key))));
  }
  return h('div', { class: 'proj-reveal' },
    q ? h('p', { class: 'proj-prompt small' }, q.prompt) : null,
    h('h2', { id: 'proj-answer', class: 'proj-answer' }, t('host.answer', { answer: answerText(msg.correct_answer) })),
    msg.explanation ? h('p', { class: 'explanation' }, msg.explanation) : null,
    h('div', { class: 'counts-box', role: 'group', 'aria-label': t('host.counts') }, list),
    answered ? h('p', { id: 'proj-answered', class: 'proj-answered small' }, t('projector.answers', answered)) : null,
    h('h3', {}, t('host.top')),
    h('ol', { class: 'proj-top5' }, (msg.top ?? []).map((p) => h('li', {},
      h('span', { class: 'rank' }, ordinal(p.rank)), h('span', { class: 'name' }, p.name),
      h('span', { class: 'points' }, t('game.points', { n: p.score }))))));
}

export function over(msg) {
  return h('div', { class: 'proj-over' },
    h('h2', { id: 'proj-over', class: 'proj-answer' }, t('host.over')),
    podium(msg.podium ?? [], { big: true }));
}
