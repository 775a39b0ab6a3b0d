// /teacher/games/{id}: a class game on the projector. Full screen and readable from the back
// of the room: the PIN while pupils join, each question with its countdown and the answers
// counted, the reveal, the podium; Next and End for the teacher (space or → for Next).
// At /teacher/games/{id}#report: the game's report instead (see game-report.js).
import { get } from './api.js';
import { $, announce, errorText, fill, h } from './dom.js';
import { showReport } from './game-report.js';
import { countdown, lobby, over, question, reveal } from './projector-view.js';
import { signedIn, toSignIn } from './shell.js';
import { LiveSocket } from './socket.js';
import { t } from './strings.js';

const gameId = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
const stage = $('#stage');
const controls = $('#proj-controls');
const status = $('#proj-status');
const clock = countdown();
let game = null;
let socket = null;
let players = [];
let phase = 'lobby'; // lobby, question, reveal, over
let current = null; // the open (or last) question frame

function setPhase(name, label) {
  phase = name;
  document.body.dataset.phase = name;
  status.textContent = label;
  // The question and the podium say where the game is themselves.
  status.classList.toggle('sr-only', ['question', 'over'].includes(name));
  const last = current && current.index + 1 >= current.question_count;
  const next = { lobby: 'host.start', question: 'host.reveal_now', reveal: last ? 'host.finish' : 'host.next' }[name];
  fill(controls,
    next ? h('button', { type: 'button', id: 'proj-next', class: 'primary big', onclick: sendNext }, t(next)) : null,
    name === 'over'
      ? [h('a', { href: '#report', id: 'proj-report', class: 'button big' }, t('report.open')),
        h('a', { href: '/teacher', class: 'button big' }, t('projector.back'))]
      : h('button', { type: 'button', id: 'proj-end', class: 'big', onclick: () => socket?.send({ type: 'end' }) }, t('host.end')));
  $('#proj-keys').hidden = !next;
}

function sendNext() {
  if (phase !== 'over') socket?.send({ type: 'next' });
}

function onMessage(msg) {
  switch (msg.type) {
    case 'lobby':
      players = msg.players ?? [];
      if (phase === 'lobby') {
        fill(stage, lobby(game, players));
        setPhase('lobby', t('projector.lobby'));
      } else {
        $('#proj-answered')?.replaceChildren(t('projector.answers', { n: current?.answered ?? 0, total: players.length }));
      }
      break;
    case 'question':
      current = { ...msg, answered: 0, total: players.length };
      fill(stage, question({ ...msg, total: players.length }, clock.el));
      clock.start(msg.remaining_ms ?? msg.seconds * 1000, msg.seconds);
      setPhase('question', t('play.progress', { n: msg.index + 1, total: msg.question_count }));
      announce(msg.question.prompt);
      break;
    case 'answers':
      if (current) Object.assign(current, { answered: msg.answered, total: msg.total });
      $('#proj-answered')?.replaceChildren(t('projector.answers', { n: msg.answered, total: msg.total }));
      break;
    case 'reveal':
      clock.stop();
      {
        const same = current && current.index === msg.index;
        fill(stage, reveal(msg, same ? current.question : null,
          same ? { n: current.answered ?? 0, total: current.total ?? players.length } : null));
      }
      setPhase('reveal', t('projector.revealed'));
      announce($('#proj-answer').textContent);
      break;
    case 'game_over':
      clock.stop();
      fill(stage, over(msg));
      setPhase('over', t('host.over'));
      socket?.stop();
      announce(t('host.over'));
      break;
    case 'error':
      if (msg.code === 'game_over' && phase !== 'over') socket?.start();
      break;
    default:
      break;
  }
}

// Space or → moves on (space on a focused button or link is that button's own).
function onKey(event) {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.target.closest?.('input, textarea, select, [contenteditable]')) return;
  const onControl = event.target.closest?.('button, a');
  if (event.key === 'ArrowRight' || (event.key === ' ' && !onControl)) {
    if (!$('#report').hidden) return;
    event.preventDefault();
    sendNext();
  }
}

// The report at #report, the game otherwise.
function route() {
  const wanted = location.hash === '#report';
  $('#report').hidden = !wanted;
  for (const el of [stage, controls, status]) el.hidden = wanted;
  $('#proj-keys').hidden = wanted || phase === 'over';
  document.body.classList.toggle('showing-report', wanted);
  if (wanted) showReport(gameId, $('#report-box'), { title: game?.activity_title });
}

async function main() {
  await signedIn(['teacher']);
  document.title = t('title.projector');
  $('#full-screen').addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen?.();
    else document.documentElement.requestFullscreen?.().catch(() => {});
  });
  window.addEventListener('hashchange', route);
  document.addEventListener('keydown', onKey);
  try {
    game = await get(`/v1/games/${encodeURIComponent(gameId)}`);
  } catch (e) {
    fill(stage, h('p', { class: 'notice', role: 'alert' }, e.status === 404 ? t('projector.gone') : errorText(e)));
    fill(controls, h('a', { href: '/teacher', class: 'button big' }, t('projector.back')));
    route();
    return;
  }
  $('#proj-title').textContent = [game.class_name, game.activity_title].filter(Boolean).join(' · ');
  if (game.state === 'over') {
    // Over (and perhaps gone from its node): what is left is the report.
    fill(stage, h('h2', { id: 'proj-over', class: 'proj-answer' }, t('host.over')));
    setPhase('over', t('host.over'));
    route();
    return;
  }
  fill(stage, lobby(game, []));
  setPhase('lobby', t('projector.lobby'));
  route();
  socket = new LiveSocket({
    name: 'host',
    path: `/v1/games/${encodeURIComponent(gameId)}/host`,
    onMessage,
    onSignedOut: toSignIn,
  }).start();
}

main();
