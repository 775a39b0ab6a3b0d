// A websocket that opens itself again after a drop, each time with a fresh ticket, until it
// is closed for good. Its state is mirrored on <body data-sock-NAME> (open, connecting,
// offline, closed); the page shows a quiet "reconnecting" hint only when a drop lasts, so a
// blip shows nothing.
import { ApiError, refresh, socketUrl, ticket } from './api.js';

// Close codes after which trying again cannot help (the page says why instead).
const FINAL = new Set([4001, 4002, 4009]);
const SIGNED_OUT = 4003;

export class LiveSocket {
  // name: for data-sock-NAME; path: '/v1/play'; params: query besides the ticket;
  // learnerId: the ticket's learner; onMessage(msg); onOpen(); onClosed(code) for a final
  // close; onSignedOut().
  constructor({ name, path, params = {}, learnerId = null, onMessage, onOpen, onClosed, onSignedOut }) {
    Object.assign(this, { name, path, params, learnerId, onMessage, onOpen, onClosed, onSignedOut });
    this.ws = null;
    this.failures = 0;
    this.stopped = false;
    this.timer = null;
    this.attempt = 0; // each connect's number: a slower, older one gives way
    this.online = () => this.reconnectNow();
  }

  start() {
    this.detach();
    clearTimeout(this.timer);
    this.stopped = false;
    window.addEventListener('online', this.online);
    this.connect();
    return this;
  }

  get open() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  // Sends a frame if the socket is open; false otherwise (the caller keeps it for later).
  send(frame) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  stop() {
    this.stopped = true;
    this.attempt += 1;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.online);
    this.detach();
    this.state('closed');
  }

  // Forgets the current websocket: whatever it still says (a late close of one that was
  // closing) can no longer touch the new one.
  detach() {
    const old = this.ws;
    this.ws = null;
    if (!old) return;
    old.onopen = null;
    old.onmessage = null;
    old.onclose = null;
    if (old.readyState === WebSocket.CONNECTING || old.readyState === WebSocket.OPEN) old.close(1000);
  }

  reconnectNow() {
    if (this.stopped || this.open || this.ws?.readyState === WebSocket.CONNECTING) return;
    clearTimeout(this.timer);
    this.connect();
  }

  async connect() {
    this.attempt += 1;
    const attempt = this.attempt;
    this.state(this.failures === 0 ? 'connecting' : 'offline');
    let pass;
    try {
      pass = await ticket(this.learnerId);
    } catch (e) {
      if (attempt !== this.attempt) return undefined;
      if (e instanceof ApiError && e.status === 401) return this.onSignedOut?.();
      return this.retry();
    }
    if (this.stopped || attempt !== this.attempt) return undefined;
    const ws = new WebSocket(socketUrl(this.path, { ...this.params, ticket: pass }));
    this.ws = ws;
    ws.onopen = () => {
      this.failures = 0;
      this.state('open');
      this.onOpen?.();
    };
    ws.onmessage = (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onMessage(msg);
    };
    ws.onclose = (event) => {
      if (this.ws === ws) this.closed(event.code);
    };
  }

  async closed(code) {
    this.ws = null;
    if (this.stopped) return;
    if (FINAL.has(code)) {
      this.stopped = true;
      this.state('closed');
      this.onClosed?.(code);
      return;
    }
    if (code === SIGNED_OUT && !(await refresh())) {
      this.stopped = true;
      this.onSignedOut?.();
      return;
    }
    this.retry();
  }

  state(value) {
    const key = `sock${this.name[0].toUpperCase()}${this.name.slice(1)}`;
    document.body.dataset[key] = value;
    updateHint();
  }

  retry() {
    if (this.stopped) return;
    this.failures += 1;
    this.state('offline');
    const delay = Math.min(5000, 250 * 2 ** Math.min(this.failures - 1, 5));
    this.timer = setTimeout(() => this.connect(), delay + Math.random() * 250);
  }
}

let hintTimer = null;

// Shows #connection-hint once some socket has been offline for 2 s; hides it when none is.
function updateHint() {
  const hint = document.getElementById('connection-hint');
  if (!hint) return;
  const offline = Object.entries(document.body.dataset)
    .some(([key, value]) => key.startsWith('sock') && value === 'offline');
  if (!offline) {
    clearTimeout(hintTimer);
    hintTimer = null;
    hint.hidden = true;
  } else if (hintTimer === null && hint.hidden) {
    hintTimer = setTimeout(() => {
      hintTimer = null;
      hint.hidden = false;
    }, 2000);
  }
}
