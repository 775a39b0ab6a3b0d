// One learner's session on this device: its questions, the answers given, and the answers
// not yet `saved` by the server. Those are kept (in localStorage too, so a reload keeps
// them) and sent again after every reconnect: the server counts a repeated seq once and
// answers it with its original feedback, so sending again is always safe.

const RETRY_MS = 1000;

export class PlaySession {
  constructor(learnerId, send) {
    this.key = `studyhub.play.${learnerId}`;
    this.send = send;
    this.clear();
  }

  clear() {
    this.id = null;
    this.done = false; // completed; kept until every answer is saved
    this.game = null;
    this.activity = null;
    this.nextSeq = 1;
    this.pending = new Map(); // seq → answer frame, until `saved`
    this.feedback = new Map(); // question id → latest feedback
    this.awaiting = new Set(); // seqs sent whose feedback has not come yet
    // {question_id, seq}: the latest answer the server has, wrong and its question's only one
    // (`started`): its one more try may still be due after a reload.
    this.retryOf = null;
    this.persist();
  }

  restore() {
    try {
      const kept = JSON.parse(localStorage.getItem(this.key) ?? 'null');
      if (!kept?.id) return false;
      this.id = kept.id;
      this.done = kept.done ?? false;
      this.game = kept.game ?? null;
      this.nextSeq = kept.nextSeq ?? 1;
      this.pending = new Map(kept.pending.map((frame) => [frame.seq, frame]));
      this.awaiting = new Set(kept.pending.map((frame) => frame.seq));
      return true;
    } catch {
      return false;
    }
  }

  persist() {
    try {
      if (!this.id) {
        localStorage.removeItem(this.key);
        return;
      }
      localStorage.setItem(this.key, JSON.stringify({
        id: this.id, done: this.done, game: this.game, nextSeq: this.nextSeq, pending: [...this.pending.values()],
      }));
    } catch { /* private mode: memory only */ }
  }

  // What to send on a (re)connect to pick the session up again.
  rejoinFrame() {
    if (this.game) return { type: 'join_game', game_id: this.game };
    if (this.id && (!this.done || this.pending.size > 0)) return { type: 'resume', session_id: this.id };
    return null;
  }

  // `completed`: nothing more to answer; the session is forgotten once all is saved.
  finish() {
    this.done = true;
    this.game = null;
    if (this.pending.size === 0) this.clear();
  }

  // `started` (a new session, or the answer to `resume`).
  started(msg) {
    if (msg.session_id !== this.id) {
      this.clear();
      this.id = msg.session_id;
    }
    this.activity = msg.activity;
    for (const a of msg.answers ?? []) {
      this.nextSeq = Math.max(this.nextSeq, a.seq + 1);
      if (!this.feedback.has(a.question_id)) {
        this.feedback.set(a.question_id, { question_id: a.question_id, correct: a.correct, seq: a.seq });
      }
    }
    const answers = msg.answers ?? [];
    const latest = answers.reduce((a, b) => (b.seq > (a?.seq ?? 0) ? b : a), null);
    this.retryOf = latest && !latest.correct
      && answers.filter((a) => a.question_id === latest.question_id).length === 1
      ? { question_id: latest.question_id, seq: latest.seq } : null;
    this.resend(msg.last_saved_seq ?? 0);
  }

  // The one more try still due when the page picks a session up (a reload forgets what the
  // screen showed): none once the question has a later answer here.
  retryDue() {
    const r = this.retryOf;
    if (!r || this.done || this.game) return null;
    const later = [...this.pending.values()].some((f) => f.question_id === r.question_id && f.seq > r.seq);
    return later ? null : r;
  }

  // `game_joined`: the game's session is an ordinary session, picked up again by `join_game`.
  joinedGame(msg) {
    if (msg.session_id !== this.id) {
      this.clear();
      this.id = msg.session_id;
    }
    this.game = msg.game_id;
    // The server's last seq comes first (a page that lost its storage starts at 1 again,
    // and each of its answers would be a duplicate of an old one); answers of this page
    // the server has not seen yet keep their seqs.
    if (Number.isInteger(msg.last_seq)) {
      const ours = [...this.pending.keys()].filter((seq) => seq > msg.last_seq);
      this.nextSeq = Math.max(msg.last_seq, ...ours) + 1;
    }
    this.persist();
    this.resend(0);
  }

  // Sends again, in order, every answer not known saved (and any whose feedback is missing).
  resend(lastSaved) {
    for (const [seq, frame] of [...this.pending].sort((a, b) => a[0] - b[0])) {
      if (seq > lastSaved || this.awaiting.has(seq)) {
        this.send(frame);
      } else {
        this.pending.delete(seq);
      }
    }
    this.persist();
  }

  // Answers `question` now (or as soon as the socket is back); returns the seq.
  answer(questionId, value) {
    this.retryOf = null;
    const seq = this.nextSeq;
    this.nextSeq += 1;
    const frame = { type: 'answer', session_id: this.id, seq, question_id: questionId, answer: value };
    this.pending.set(seq, frame);
    this.awaiting.add(seq);
    this.persist();
    this.send(frame);
    return seq;
  }

  gotFeedback(msg) {
    if (msg.session_id !== this.id) return false;
    if (this.retryOf?.question_id === msg.question_id && msg.seq > this.retryOf.seq) this.retryOf = null;
    this.awaiting.delete(msg.seq);
    this.feedback.set(msg.question_id, msg);
    return true;
  }

  saved(msg) {
    if (msg.session_id !== this.id) return;
    for (const seq of [...this.pending.keys()]) {
      if (seq <= msg.up_to_seq && !this.awaiting.has(seq)) this.pending.delete(seq);
    }
    if (this.done && this.pending.size === 0) this.clear();
    this.persist();
  }

  // An answer the server will never store (`not_saved`), or that came too late in a game
  // (`question_closed`): never sent again.
  drop(seq) {
    this.pending.delete(seq);
    this.awaiting.delete(seq);
    this.persist();
  }

  // `busy`, `storage_unavailable`, `rate_limited`: nothing was kept, the same seq goes again.
  retryLater(seq, ms) {
    setTimeout(() => {
      const frame = this.pending.get(seq);
      if (frame) this.send(frame);
    }, ms || RETRY_MS);
  }

  // Waiting for the feedback of an answer to `questionId`?
  waitingOn(questionId) {
    return [...this.awaiting].some((seq) => this.pending.get(seq)?.question_id === questionId);
  }

  // The first question without an answer, or null when all have one.
  current() {
    const questions = this.activity?.questions ?? [];
    return questions.find((q) => !this.feedback.has(q.id) && !this.waitingOn(q.id)) ?? null;
  }

  progress() {
    const total = this.activity?.questions?.length ?? 0;
    const answered = (this.activity?.questions ?? [])
      .filter((q) => this.feedback.has(q.id) || this.waitingOn(q.id)).length;
    return { answered, total };
  }
}
