// "Needs you now", at the top of the family page: the children's requests for more time still
// waiting for an answer, and the children whose time is up today. The tab title counts them,
// so a parent sees it from another tab. Kept live from the parent feed.
import { ApiError, get, post } from './api.js';
import { $, announce, errorText, fill, h, minutesText } from './dom.js';
import { t } from './strings.js';

const GRANTS = [15, 30];

export class Attention {
  // names: child id → name (kept up to date by the page); grant(childId, seconds): more time
  // for today; onAnswered(requestId, approved, seconds): the page's other places follow.
  constructor({ names, grant, onAnswered }) {
    this.names = names;
    this.grant = grant;
    this.onAnswered = onAnswered;
    this.requests = new Map();
    this.timeUp = new Set();
    this.box = $('#attention');
    this.list = $('#attention-list');
    this.baseTitle = document.title;
  }

  // The pending requests as the server has them (after a reload, or the feed coming back);
  // false when they could not be read.
  async load() {
    let read = false;
    // A request heard live while the list was on its way stays, even if the list was read
    // before it was stored.
    this.fresh = new Map();
    try {
      const pending = await get('/v1/time-requests');
      this.requests = new Map([...pending.map((r) => [r.id, r]), ...this.fresh]);
      read = true;
    } catch {
      // The notifications still carry each request's buttons.
    }
    this.render();
    return read;
  }

  // A `time_request` notification: a new request.
  requested(note) {
    const d = note.data ?? {};
    if (!d.request_id || this.requests.has(d.request_id)) return;
    const r = { id: d.request_id, child_id: note.child_id, seconds: d.seconds, reason: d.reason ?? null, created_at: note.created_at };
    this.requests.set(r.id, r);
    this.fresh?.set(r.id, r);
    this.render();
  }

  answered(requestId) {
    this.fresh?.delete(requestId);
    if (this.requests.delete(requestId)) this.render();
  }

  // A child's time now (left_seconds null: no limit).
  time(childId, time) {
    const up = time.left_seconds != null && time.left_seconds <= 0;
    if (up === this.timeUp.has(childId)) return;
    if (up) this.timeUp.add(childId); else this.timeUp.delete(childId);
    this.render();
  }

  // A child removed from the family, or renamed.
  forget(childId) {
    this.timeUp.delete(childId);
    for (const [id, r] of this.requests) if (r.child_id === childId) this.requests.delete(id);
    this.render();
  }

  get count() {
    return this.requests.size + this.timeUp.size;
  }

  render() {
    const items = [
      ...[...this.requests.values()].map((r) => this.requestItem(r)),
      ...[...this.timeUp].filter((id) => this.names.has(id)).map((id) => this.timeUpItem(id)),
    ];
    fill(this.list, items);
    this.box.hidden = items.length === 0;
    document.title = items.length ? `(${items.length}) ${this.baseTitle}` : this.baseTitle;
  }

  requestItem(r) {
    const child = this.names.get(r.child_id) ?? '';
    const buttons = h('div', { class: 'row' });
    const answer = async (approve) => {
      for (const b of buttons.querySelectorAll('button')) b.disabled = true;
      try {
        await post(`/v1/time-requests/${r.id}`, approve ? { approve, seconds: r.seconds } : { approve });
        this.answered(r.id);
        this.onAnswered(r.id, approve, approve ? r.seconds : 0);
      } catch (e) {
        if (e instanceof ApiError && e.code === 'already_answered') {
          this.answered(r.id);
          announce(t('error.already_answered'));
          return;
        }
        for (const b of buttons.querySelectorAll('button')) b.disabled = false;
        announce(errorText(e), true);
      }
    };
    buttons.append(
      h('button', { type: 'button', class: 'primary', onclick: () => answer(true) }, t('parent.approve', { time: minutesText(r.seconds) })),
      h('button', { type: 'button', onclick: () => answer(false) }, t('parent.deny')));
    return h('li', { class: 'attention-item request', dataset: { request: r.id, child: r.child_id } },
      h('p', { class: 'attention-text' }, t('note.time_request', { child, time: minutesText(r.seconds) })),
      r.reason ? h('p', { class: 'attention-reason' }, `“${r.reason}”`) : null,
      buttons);
  }

  timeUpItem(childId) {
    const child = this.names.get(childId) ?? '';
    return h('li', { class: 'attention-item time-up', dataset: { child: childId } },
      h('p', { class: 'attention-text' }, t('parent.time_up_now', { child })),
      h('div', { class: 'row' },
        GRANTS.map((m) => h('button', {
          type: 'button', 'aria-label': t('parent.grant_named', { n: m, child }), onclick: () => this.grant(childId, m * 60),
        }, t('parent.grant_minutes', { n: m })))));
  }
}
