// /play: a student plays, or a parent picks which child plays on this device. Everything
// live goes over one play socket; a dropped one comes back by itself and the session picks
// up where it was, sending again the answers the server had not saved. A student also has
// their own study here (/play#study, see play-study.js).
import { get, post } from './api.js';
import { $, announce, errorText, h, showScreen, showStatus } from './dom.js';
import { defaultSettings, narrationSettings } from './media/speech.js';
import { OpenGames } from './game-open.js';
import { GamePlayer } from './play-game.js';
import { PlaySession } from './play-session.js';
import { BadgesView } from './play-badges.js';
import { StudyView } from './play-study.js';
import { PlayTime } from './play-time.js';
import { childDevicePlay, TimeUpAsk } from './child-device.js';
import { Attempts, allowsRetry } from './play-answer.js';
import { activityCard, bestStars, catalogSections } from './play-catalog.js';
import { celebrate, showDone, showIntro, showQuestion } from './play-view.js';
import { OfflinePlay, refreshOffline, syncedText } from './play-offline.js';
import { signedIn, toSignIn } from './shell.js';
import { LiveSocket } from './socket.js';
import { t } from './strings.js';

const CHILD_KEY = 'studyhub.play.child';
let learner = null;
let socket = null;
let session = null;
let time = null;
let game = null;
let openGames = null; // the cards of games open in the pupil's classes
let catalog = [];
let recommended = null;
let best = new Map(); // activity id → the learner's best stars on it
let openSession = null;
let pendingStart = null; // an activity to start once the socket is back
let wantPlay = false; // the child asked to start or continue: show the question on `started`
let showing = null; // the id of the question on screen
const attempts = new Attempts(); // the answers given to it, and one more try
let finished = null; // `completed` of the session on screen, shown when the child moves on
const later = []; // achievements unlocked during a question, celebrated with the stars
let resting = null; // 'timeup' or 'downtime' since the last hello
// The learner's read-aloud settings ({narration, volume}), and `ready` once they are known.
let voice = { ...defaultSettings(null), ready: Promise.resolve() };
const introduced = new Set(); // sessions whose introduction was shown on this page
let study = null; // a student's own study view
let timeUpAsk = null; // asking for more time once time is up (over REST)
const badges = new BadgesView(null); // the learner's badges and points
const STUDY = '#study';
// The views the address opens (`/play#study`, `/play#badges`), each with its header link.
const VIEWS = ['study', 'badges'];

const send = (frame) => socket?.send(frame) ?? false;

async function main() {
  // The service worker keeps this page, its files and the learner's pack for offline play.
  navigator.serviceWorker?.register('/sw.js', { scope: '/' }).catch(() => {});
  const who = await signedIn(['parent', 'student', 'child'], { onOffline: () => new OfflinePlay().start() });
  $('#ask-dialog-close')?.addEventListener('click', () => $('#ask-dialog').close());
  $('#celebration-close').addEventListener('click', () => $('#celebration').close());
  $('#join-game').addEventListener('submit', joinGame);
  $('#replaced-resume').addEventListener('click', () => { socket.start(); showScreen('catalog'); });
  time = new PlayTime({ send, recheck: () => socket?.start(), askOver: (s, r) => timeUpAsk.ask(s, r) });
  timeUpAsk = new TimeUpAsk({ openAsk: () => time.openAsk(), onApproved: () => socket?.start() });
  window.addEventListener('hashchange', route);
  // A child's device plays as its one child: no switching, no signing out.
  if (who.user.role === 'child') {
    childDevicePlay();
    return play(who.learner);
  }
  if (who.user.role === 'student') {
    $('#join-class').hidden = false;
    $('#join-class form').addEventListener('submit', joinClass);
    forStudent(who.learner);
    return play(who.learner);
  }
  const children = who.children ?? [];
  const wanted = new URLSearchParams(location.search).get('child') ?? localStorage.getItem(CHILD_KEY);
  const chosen = children.find((c) => c.id === wanted);
  $('#switch-child').addEventListener('click', () => pick(children));
  $('#switch-child').hidden = false;
  if (chosen) return play(chosen);
  return pick(children);
}

// A student's own page: the header's "My study" link, their study view, and the resting
// screens in their words (their time is a goal they chose, not a grown-up's limit).
function forStudent(own) {
  study = new StudyView(own, { onGoal: goalSaved });
  $('#study-link').hidden = false;
  $('[data-screen=timeup] h1').textContent = t('study.timeup.title');
  $('[data-screen=timeup] p').textContent = t('study.timeup.body');
  $('[data-screen=timeup] p').after(h('p', {}, h('a', { href: STUDY, id: 'change-goal' }, t('study.timeup.change'))));
  $('#check-time').textContent = t('study.timeup.check');
}

// The view the address asks for: the study at #study (students), the badges at #badges,
// play otherwise.
function route() {
  const views = { study, badges };
  const name = location.hash.slice(1);
  const view = VIEWS.includes(name) ? views[name] : null;
  for (const v of VIEWS) {
    if (v === name && view) $(`#${v}-link`).setAttribute('aria-current', 'page');
    else $(`#${v}-link`).removeAttribute('aria-current');
  }
  if (view && document.body.dataset.view !== name) {
    showing = null; // a question left on screen is picked up again with Continue
    document.title = t(`title.${name}`);
    showScreen(name);
    view.open();
  } else if (!view && VIEWS.includes(document.body.dataset.view)) {
    document.title = t('title.play');
    if (resting) showScreen(resting);
    else backToCatalog();
  }
}

// A new goal counts at once on an open socket (a `time` frame); after time was up, look
// again: the new goal may leave time to study.
function goalSaved() {
  if (resting || !socket?.open) socket?.start();
}

function pick(children) {
  stop();
  const list = $('#children');
  list.replaceChildren(...children.map((child) => h('li', {},
    h('button', { type: 'button', class: 'child big', onclick: () => play(child) },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, child.name.slice(0, 1).toUpperCase()),
      child.name))));
  $('#no-children').hidden = children.length > 0;
  $('#badges-link').hidden = true;
  showScreen('picker');
}

function stop() {
  socket?.stop();
  socket = null;
  time?.cancelRecheck();
  timeUpAsk?.stop();
}

async function play(who) {
  stop();
  learner = who;
  if (learner.parent_id) localStorage.setItem(CHILD_KEY, learner.id);
  badges.learner = learner;
  $('#badges-link').hidden = false;
  // A parent's device says who plays; a student's own name is already in the header.
  $('#learner-name').textContent = learner.parent_id ? learner.name : '';
  $('#hello-name').textContent = t('play.hello', { name: learner.name });
  time.canAsk = Boolean(learner.parent_id);
  timeUpAsk.learner = learner;
  time.timeZone = learner.timezone; // times said to the child are on the child's clock
  voice = { ...defaultSettings(learner), ready: null };
  const settingsFor = voice;
  voice.ready = narrationSettings(learner).then((s) => Object.assign(settingsFor, s));
  session = new PlaySession(learner.id, send);
  session.restore();
  openGames = new OpenGames($('#open-games'), (g) => {
    $('#catalog-message').textContent = '';
    game.join({ gameId: g.game_id });
  });
  game = new GamePlayer({
    session,
    send,
    onLeave: backToCatalog,
    onChange: () => openGames.hide(Boolean(game.current || game.joining)),
    onGone: (id) => openGames.closed(id),
  });
  showScreen('loading', { focus: false });
  socket = new LiveSocket({
    name: 'play',
    path: '/v1/play',
    params: { learner_id: learner.id },
    learnerId: learner.id,
    onMessage,
    onClosed,
    onSignedOut: toSignIn,
  }).start();
  route(); // straight to #study or #badges when the address says so
  await loadCatalog();
  // What was played offline goes to the server (which grades it again), and a fresh pack
  // comes back for the next time there is no connection.
  refreshOffline(learner).then((reply) => {
    const text = syncedText(reply);
    if (text) $('#catalog-message').textContent = text;
  });
  const code = new URLSearchParams(location.search).get('game');
  if (code && game.current !== code) game.join({ gameId: code });
  // The game is this tab's now: a reload joins it again without the link (and, once it is
  // over, does not ask for it again).
  if (code) history.replaceState(null, '', location.pathname + location.hash);
}

async function loadCatalog() {
  const age = learner.age ? `&age=${learner.age}` : '';
  try {
    const [list, next, progress] = await Promise.all([
      get(`/v1/activities?limit=200${age}&learner_id=${encodeURIComponent(learner.id)}`),
      get(`/v1/learners/${learner.id}/next`).catch(() => null),
      get(`/v1/learners/${learner.id}/progress`).catch(() => null),
    ]);
    catalog = list;
    recommended = next;
    best = bestStars(progress);
  } catch (e) {
    $('#catalog').replaceChildren(h('p', { class: 'notice' }, errorText(e)));
    return;
  }
  renderCatalog();
}

const titleOf = (id) => catalog.find((a) => a.id === id)?.title ?? id;

function renderCatalog() {
  const rec = recommended && catalog.find((a) => a.id === recommended.activity_id);
  $('#recommended').hidden = !rec;
  if (rec) {
    $('#recommended-reason').textContent = t(`next.${recommended.reason}`);
    $('#recommended-card').replaceChildren(activityCard(rec, { big: true, stars: best.get(rec.id) ?? 0, onStart: start }));
  }
  const cont = $('#continue');
  cont.replaceChildren();
  const mine = session.id && !session.game && !session.done;
  const open = mine ? (session.activity?.id ?? openSession?.activity_id) : openSession?.activity_id;
  if (open) {
    cont.append(h('button', { type: 'button', class: 'primary big', onclick: continueSession },
      t('play.continue', { title: titleOf(open) })));
  }
  $('#catalog').replaceChildren(...catalogSections(catalog, { best, onStart: start }));
}

function backToCatalog(message) {
  renderCatalog();
  showScreen('catalog');
  while (later.length) celebrate(later.shift());
  if (message) {
    $('#catalog-message').textContent = message;
    announce(message);
  }
}

function start(activityId) {
  $('#catalog-message').textContent = '';
  wantPlay = true;
  finished = null;
  if (!send({ type: 'start', activity_id: activityId })) {
    $('#catalog-message').textContent = t('play.starting_soon');
    pendingStart = activityId; // sent by the hello handler
  }
}

function continueSession() {
  wantPlay = true;
  if (!session.id || session.done || session.game) {
    session.clear();
    session.id = openSession.session_id;
  }
  send(session.rejoinFrame());
}

// The next question of the session (or the one whose second try is due); after the last
// one, the stars.
function nextQuestion() {
  const due = session.activity ? session.retryDue() : null;
  const again = due && session.activity.questions.find((q) => q.id === due.question_id);
  if (again && allowsRetry(again, session.activity)) {
    ask(again);
    attempts.reopen(due.seq);
    return;
  }
  const question = session.activity && !session.done ? session.current() : null;
  if (!question) {
    showing = null;
    if (finished) done(finished);
    return;
  }
  // The introduction first, when the activity has one and nothing is answered yet.
  const { introduction } = session.activity;
  if (introduction && !introduced.has(session.id) && session.progress().answered === 0) {
    introduced.add(session.id);
    showing = null;
    showIntro({
      title: session.activity.title,
      introduction,
      voice,
      onStart: nextQuestion,
      onLeave: () => backToCatalog(),
    });
    return;
  }
  ask(question);
}

// `question` on screen, to be answered.
function ask(question) {
  const { questions } = session.activity;
  showing = question.id;
  attempts.reset(question, session.activity);
  showQuestion({
    title: session.activity.title,
    question,
    index: questions.indexOf(question),
    total: questions.length,
    onAnswer: (value) => attempts.sent(value, session.answer(question.id, value)),
    onLeave: () => { showing = null; backToCatalog(); },
    voice,
  });
}

function onMessage(msg) {
  if (msg.type === 'game_over') openGames.closed(msg.game_id);
  if (time.handle(msg) || game.handle(msg)) return;
  switch (msg.type) {
    case 'hello':
      time.update(msg.time);
      if (msg.time.left_seconds === null || msg.time.left_seconds > 0) timeUpAsk.timeBack();
      openSession = msg.open_session;
      // Back from a resting screen, unless the server says at once that it still holds
      // (`time_up` or `downtime` follow the hello then).
      resting = null;
      setTimeout(() => {
        if (!resting && ['loading', 'timeup', 'downtime', 'replaced'].includes(document.body.dataset.view)) {
          backToCatalog();
        }
      }, msg.time.left_seconds === null || msg.time.left_seconds > 0 ? 300 : 3000);
      openGames.set(msg.open_games);
      // Back into the game of this tab (a reload, a reconnect), or the session.
      if (game.rejoin()) {
        pendingStart = null;
      } else if (session.rejoinFrame()) {
        send(session.rejoinFrame());
      } else if (pendingStart) {
        send({ type: 'start', activity_id: pendingStart });
        pendingStart = null;
      }
      break;
    case 'started':
      session.started(msg);
      // After a reconnect the question on screen stays: its feedback comes from the resend.
      if (wantPlay || (document.body.dataset.view === 'question' && !showing)) {
        wantPlay = false;
        nextQuestion();
      }
      break;
    case 'feedback':
      if (!session.gotFeedback(msg)) break;
      if (session.game) {
        game.feedback(msg);
      } else if (msg.question_id === showing) {
        attempts.feedback(msg, { onNext: nextQuestion, last: !session.current() });
      }
      break;
    case 'saved':
      session.saved(msg);
      game.saved(msg);
      break;
    case 'game_open':
      openGames.opened(msg);
      break;
    case 'completed':
      if (msg.session_id !== session.id || session.done) break;
      session.finish();
      openSession = null;
      best.set(msg.activity_id, Math.max(best.get(msg.activity_id) ?? 0, msg.stars ?? 0));
      // Shown when the child leaves the last feedback (or at once if none is on screen).
      finished = msg;
      if (!showing) done(msg);
      break;
    case 'achievement':
      // Not over a question or a class game: kept for the stars screen (or the catalog).
      if (['question', 'game'].includes(document.body.dataset.view)) later.push(msg.achievement);
      else celebrate(msg.achievement);
      break;
    case 'time_up':
      resting = 'timeup';
      time.timeUp();
      break;
    case 'downtime':
      resting = 'downtime';
      time.downtime(msg.until);
      break;
    case 'assessment':
      study?.arrived(msg.assessment);
      break;
    case 'error':
      onError(msg);
      break;
    default:
      break;
  }
}

async function done(msg) {
  finished = null;
  showing = null;
  const next = await get(`/v1/learners/${learner.id}/next`).catch(() => null);
  recommended = next;
  // A class game goes on, and a learner reading their study or badges stays there.
  if (['game', ...VIEWS].includes(document.body.dataset.view)) return;
  showDone(msg, {
    nextTitle: next ? titleOf(next.activity_id) : null,
    onNext: () => start(next.activity_id),
    onCatalog: () => backToCatalog(),
  });
  while (later.length) celebrate(later.shift());
}

function onError(msg) {
  switch (msg.code) {
    case 'time_up':
      time.timeUp();
      break;
    case 'downtime':
      time.downtime(msg.until);
      break;
    case 'bad_seq':
      // Out of step with the server: pick the session up again, which sends what is missing.
      setTimeout(() => send(session.rejoinFrame()), 300);
      break;
    case 'busy':
    case 'storage_unavailable':
    case 'rate_limited':
      if (msg.seq) session.retryLater(msg.seq, msg.retry_after_ms);
      break;
    case 'not_saved':
      if (msg.seq) session.drop(msg.seq);
      break;
    case 'no_session':
      session.clear();
      backToCatalog();
      break;
    case 'unknown_activity':
      backToCatalog(t('error.unknown_activity'));
      break;
    default:
      break;
  }
}

function onClosed(code) {
  if (code === 4001) {
    resting = 'timeup';
    time.timeUp();
  } else if (code === 4002) {
    resting = 'downtime';
    if (document.body.dataset.view !== 'downtime') time.downtime(null);
  } else if (code === 4009) {
    showScreen('replaced');
  }
}

// Joining by the 6 digits the projector shows (spaces and dashes are fine).
async function joinGame(event) {
  event.preventDefault();
  const input = $('#game-pin');
  const pin = input.value.replace(/\D/g, '');
  const error = $('#join-game-error');
  if (pin.length !== 6) {
    error.textContent = t('play.pin_digits');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  error.textContent = '';
  input.removeAttribute('aria-invalid');
  $('#catalog-message').textContent = '';
  input.value = '';
  game.join({ pin });
}

async function joinClass(event) {
  event.preventDefault();
  const form = event.target;
  const status = form.querySelector('.form-status');
  try {
    const joined = await post('/v1/classes/join', { join_code: new FormData(form).get('join_code').toString().trim() });
    showStatus(status, t('play.joined_class', { name: joined.name }), 'success');
    form.reset();
  } catch (e) {
    showStatus(status, errorText(e), 'error');
  }
}

main();
