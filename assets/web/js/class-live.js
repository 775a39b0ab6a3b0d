// The live class view: who is here, what they play, and their answers filling in as they
// come (right or wrong only, never the answer itself).
import { $, announce, fill, h } from './dom.js';
import { toSignIn } from './shell.js';
import { LiveSocket } from './socket.js';
import { t } from './strings.js';

export class ClassLive {
  // onRoster(): the class's members changed (a snapshot comes again then).
  constructor(classId, titles, table, onRoster) {
    this.titles = titles;
    this.onRoster = onRoster;
    this.body = table.querySelector('tbody');
    this.rows = new Map();
    this.socket = new LiveSocket({
      name: 'class',
      path: `/v1/classes/${classId}/live`,
      onMessage: (msg) => this.onMessage(msg),
      onSignedOut: toSignIn,
    }).start();
  }

  stop() {
    this.socket.stop();
  }

  title(id) {
    return id ? (this.titles.get(id) ?? id) : '';
  }

  onMessage(msg) {
    // Events gathered by the server (`batch`), each as if it came alone, in order.
    if (msg.type === 'batch') {
      for (const event of msg.events ?? []) this.onMessage(event);
      return;
    }
    if (msg.type === 'snapshot') {
      this.rows.clear();
      fill(this.body, msg.students.map((s) => this.row(s)));
      $('#live-empty').hidden = msg.students.length > 0;
      const members = msg.students.map((s) => s.learner_id).sort().join();
      if (this.members !== undefined && members !== this.members) this.onRoster?.();
      this.members = members;
      return;
    }
    const row = this.rows.get(msg.learner_id);
    if (!row) return;
    const s = row.student;
    switch (msg.type) {
      case 'presence':
        // A new session starts the counts again; none (after `completed`, as at a game's
        // end) keeps the last one's, as the server's snapshot does.
        if (msg.session_id && msg.session_id !== s.session_id) Object.assign(s, { answered: 0, correct: 0 });
        Object.assign(s, { online: msg.online, activity_id: msg.activity_id, session_id: msg.session_id, note: '' });
        break;
      case 'answer':
        if (msg.session_id !== s.session_id) Object.assign(s, { session_id: msg.session_id, answered: 0, correct: 0 });
        // The server's counts of first answers: a second try at a question moves neither.
        s.answered = msg.answered ?? s.answered + 1;
        s.correct = msg.right ?? s.correct + (msg.correct ? 1 : 0);
        break;
      case 'completed':
        Object.assign(s, { session_id: null, activity_id: null });
        s.note = t('teacher.finished', { stars: '★'.repeat(msg.stars ?? 0) || '–' });
        announce(t('teacher.said_finished', { name: s.name, title: this.title(msg.activity_id) }));
        break;
      case 'achievement':
        announce(t('teacher.said_achievement', { name: s.name, title: msg.achievement?.title ?? '' }));
        break;
      case 'time_up':
        s.note = t('teacher.time_up');
        break;
      default:
        return;
    }
    this.update(row);
  }

  row(student) {
    const s = { answered: 0, correct: 0, note: '', ...student };
    const cells = {
      status: h('td'), activity: h('td'), answered: h('td', { class: 'answered' }), correct: h('td', { class: 'correct' }),
    };
    const tr = h('tr', { dataset: { learner: s.learner_id } },
      h('th', { scope: 'row' }, s.name), cells.status, cells.activity, cells.answered, cells.correct);
    const row = { tr, cells, student: s };
    this.rows.set(s.learner_id, row);
    this.update(row);
    return tr;
  }

  update({ tr, cells, student: s }) {
    cells.status.textContent = s.note || (s.online ? t('teacher.online') : t('teacher.away'));
    cells.activity.textContent = this.title(s.activity_id);
    cells.answered.textContent = String(s.answered);
    cells.correct.textContent = String(s.correct);
    tr.classList.toggle('online', Boolean(s.online));
  }
}
