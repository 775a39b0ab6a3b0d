// Offline play on /play: the learner's pack (fetched whenever the device is online) lets a
// child play with no connection at all. Answers are graded here with the server's rules
// (grade.js), kept in IndexedDB (offline-store.js) with the time played, and sent to the
// server on reconnect (`POST /v1/learners/{id}/sync`), which grades them again: its answer
// is what the child sees next.
import { get, post } from './api.js';
import { $, announce, fill, h, showScreen } from './dom.js';
import { grade } from './grade.js';
import * as store from './offline-store.js';
import { answerText, showDone, showQuestion } from './play-view.js';
import { t } from './strings.js';

const STARS = (accuracy) => (accuracy >= 90 ? 3 : accuracy >= 70 ? 2 : 1);
const TICK_MS = 5000;

// Online: sends what was played offline, then keeps a fresh pack. Resolves with the server's
// answer to the sync (null when there was nothing to send).
export async function refreshOffline(learner) {
  let synced = null;
  try {
    synced = await syncPending(learner.id);
    const pack = await get(`/v1/learners/${learner.id}/offline-pack`);
    await store.savePack(learner, pack);
    document.body.dataset.offlinePack = pack.issued_at; // kept: this device can play offline
  } catch {
    /* offline again, or the server is away: tried again next time */
  }
  return synced;
}

// Sends every session and span this device keeps for the learner; forgets what the server
// stored. The same sync sent twice (a reply lost on the way) stores nothing twice.
export async function syncPending(learnerId) {
  const [sessions, spans] = await Promise.all([store.sessionsOf(learnerId), store.spansOf(learnerId)]);
  if (!sessions.length && !spans.length) return null;
  const body = {
    device_id: await store.deviceId(),
    sessions: sessions.map((s) => ({
      session_id: s.session_id,
      activity_id: s.activity_id,
      started_at: s.started_at,
      finished: s.finished,
      answers: s.answers,
    })),
    time: spans.filter((s) => s.to > s.from).map((s) => ({ from: s.from, to: s.to })),
  };
  const reply = await post(`/v1/learners/${learnerId}/sync`, body);
  const stored = reply.sessions
    .filter((r) => {
      const sent = sessions.find((s) => s.session_id === r.session_id);
      const last = sent?.answers.at(-1)?.seq ?? 0;
      // Taken whole, or refused for good (sending it again would change nothing).
      return r.error || (r.stored_up_to_seq >= last && (r.completed || !sent?.finished));
    })
    .map((r) => r.session_id);
  await store.forgetSessions(stored);
  // Spans still being written (an activity on screen) are sent again with their new end.
  const still = Date.now() - 2 * TICK_MS;
  await store.forgetSpans(spans.filter((s) => s.closed || Date.parse(s.to) < still).map((s) => s.id));
  return reply;
}

// What the sync decided, in a sentence for the child (stars as the server counted them).
export function syncedText(reply) {
  const done = (reply?.sessions ?? []).filter((s) => s.completed);
  if (!done.length) return '';
  const stars = done.reduce((n, s) => n + s.completed.stars, 0);
  return t('offline.synced', { n: done.length, stars });
}

// Weekday and minutes of the day now in the learner's time zone.
function localNow(timeZone) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date());
  const part = (type) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: part('weekday').toLowerCase().slice(0, 3), minutes: Number(part('hour')) * 60 + Number(part('minute')) };
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const minutesOf = (hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

// Whether now is inside one of the pack's downtime windows (a window may cross midnight).
export function inDowntime(windows, timeZone) {
  const now = localNow(timeZone || 'UTC');
  const yesterday = DAYS[(DAYS.indexOf(now.day) + 6) % 7];
  return (windows ?? []).some((w) => {
    const start = minutesOf(w.start);
    const end = minutesOf(w.end);
    if (start < end) return w.days.includes(now.day) && now.minutes >= start && now.minutes < end;
    return (w.days.includes(now.day) && now.minutes >= start)
      || (w.days.includes(yesterday) && now.minutes < end);
  });
}

// Plays the pack of the learner this device played last, with no connection.
export class OfflinePlay {
  constructor() {
    this.record = null;
    this.span = null;
    this.timer = null;
  }

  async start() {
    document.title = t('title.play');
    this.record = await store.loadPack(localStorage.getItem('studyhub.play.child')) ?? await store.loadPack();
    window.addEventListener('online', () => this.backOnline());
    if (!this.record) return this.message(t('offline.no_pack'));
    const { learner, pack } = this.record;
    $('#learner-name').textContent = learner.name;
    if (new Date(pack.expires_at) < new Date()) return this.message(t('offline.expired'));
    return this.catalog();
  }

  message(text) {
    const screen = $('[data-screen=offline]');
    fill(screen, h('h1', {}, t('offline.title')), h('p', { class: 'notice', role: 'status' }, text));
    showScreen('offline');
  }

  // Seconds this device may still play: what the pack left (or today's limit on a later
  // day), less what was played offline since.
  async left() {
    const { pack, learner } = this.record;
    if (pack.time.limit_seconds == null) return Infinity;
    const spans = await store.spansOf(learner.id);
    const played = spans
      .filter((s) => s.from >= pack.issued_at)
      .reduce((n, s) => n + Math.max(0, (Date.parse(s.to) - Date.parse(s.from)) / 1000), 0);
    return Math.max(0, pack.time.left_seconds - played);
  }

  async catalog() {
    this.stopClock();
    const { pack, learner } = this.record;
    if (inDowntime(pack.downtime, learner.timezone)) {
      $('#downtime-until').textContent = t('offline.downtime');
      return showScreen('downtime');
    }
    if ((await this.left()) <= 0) return showScreen('timeup');
    const screen = $('[data-screen=offline]');
    fill(screen,
      h('h1', {}, t('offline.title')),
      h('p', { class: 'notice', role: 'status', id: 'offline-note' }, t('offline.lead')),
      h('ul', { class: 'offline-list cards' }, pack.activities.map((a) => h('li', {},
        h('button', { type: 'button', class: 'card big', dataset: { activity: a.id }, onclick: () => this.play(a) },
          h('span', { class: 'card-title' }, a.title),
          h('span', { class: 'hint' }, t('offline.questions', { n: a.question_count })))))),
    );
    showScreen('offline');
  }

  // The time span of this sitting: written as it grows, closed when the activity ends.
  async tickSpan() {
    if (!this.span) return;
    this.span.to = new Date().toISOString();
    await store.saveSpan(this.span);
    if ((await this.left()) <= 0) {
      this.stopClock();
      showScreen('timeup');
    }
  }

  stopClock() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.span) {
      this.span.to = new Date().toISOString();
      this.span.closed = true;
      store.saveSpan(this.span);
      this.span = null;
    }
  }

  async play(activity) {
    const now = new Date().toISOString();
    this.span = { id: store.newId(), learner_id: this.record.learner.id, from: now, to: now, closed: false };
    await store.saveSpan(this.span);
    this.timer = setInterval(() => this.tickSpan(), TICK_MS);
    const session = {
      session_id: store.newId(),
      learner_id: this.record.learner.id,
      activity_id: activity.id,
      started_at: now,
      finished: false,
      answers: [],
    };
    await store.saveSession(session);
    this.ask(activity, session, 0);
  }

  ask(activity, session, index) {
    const question = activity.questions[index];
    showQuestion({
      title: activity.title,
      question,
      index,
      total: activity.questions.length,
      voice: { narration: false, volume: 1, ready: Promise.resolve() },
      onLeave: () => this.finish(activity, session),
      onAnswer: async (value) => {
        const correct = grade(question, value);
        session.answers.push({
          seq: session.answers.length + 1,
          question_id: question.id,
          answer: value,
          answered_at: new Date().toISOString(),
        });
        session.correct = (session.correct ?? 0) + (correct ? 1 : 0);
        await store.saveSession(session); // kept before the child sees the feedback
        await this.tickSpan();
        const box = $('[data-screen=question] .feedback');
        box.className = `feedback ${correct ? 'right' : 'wrong'}`;
        const nextOne = index + 1 < activity.questions.length;
        const verdict = correct ? t('play.right') : t('play.wrong', { answer: answerText(question.correct_answer) });
        fill(box,
          h('p', { class: 'verdict' }, verdict),
          question.explanation ? h('p', { class: 'explanation' }, question.explanation) : null,
          h('button', {
            type: 'button', class: 'primary big', id: 'offline-next',
            onclick: () => (nextOne ? this.ask(activity, session, index + 1) : this.finish(activity, session)),
          }, t(nextOne ? 'play.next' : 'play.see_stars')));
        box.querySelector('#offline-next').focus();
        announce(verdict);
      },
    });
  }

  async finish(activity, session) {
    session.finished = true;
    await store.saveSession(session);
    this.stopClock();
    const total = activity.questions.length;
    const accuracy = total ? ((session.correct ?? 0) * 100) / total : 0;
    showDone(
      { stars: STARS(accuracy), questions_correct: session.correct ?? 0, questions_total: total, accuracy },
      { onCatalog: () => this.catalog() },
    );
    $('[data-screen=done]').append(h('p', { class: 'hint' }, t('offline.kept')));
  }

  // Back online: send what was played, say what the server decided, and offer live play.
  async backOnline() {
    if (!this.record) return;
    let reply = null;
    try {
      reply = await syncPending(this.record.learner.id);
    } catch {
      return; // not really back yet: the next `online` tries again
    }
    const note = $('#offline-note');
    const text = [t('offline.back'), syncedText(reply)].filter(Boolean).join(' ');
    if (note) note.textContent = text;
    announce(text);
    if (document.body.dataset.view === 'offline') {
      $('[data-screen=offline]').append(h('p', {},
        h('button', { type: 'button', class: 'primary big', onclick: () => location.reload() }, t('offline.play_online'))));
    }
  }
}
