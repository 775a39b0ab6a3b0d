// The parent's notifications: the stored ones, then live ones as they arrive, with the
// children's requests for more time to answer right there.
import { ApiError, get, post } from './api.js';
import { $, announce, dateText, errorText, fill, h, minutesText } from './dom.js';
import { t } from './strings.js';

export class Notifications {
  // names: child id → name; titles: activity/achievement id → title; onAnswered(requestId):
  // a request answered here (or found answered already).
  constructor({ names, titles, onAnswered = () => {} }) {
    this.names = names;
    this.titles = titles;
    this.onAnswered = onAnswered;
    this.list = $('#notifications');
    this.unread = 0;
    $('#read-all').addEventListener('click', () => this.readAll());
  }

  async load() {
    try {
      const page = await get('/v1/notifications?limit=30');
      this.list.replaceChildren(...page.notifications.map((n) => this.item(n)));
      this.setUnread(page.unread_count);
    } catch (e) {
      fill(this.list, h('li', {}, errorText(e)));
    }
    this.empty();
  }

  empty() {
    $('#no-notifications').hidden = this.list.children.length > 0;
  }

  setUnread(n) {
    this.unread = Math.max(0, n);
    $('#unread').textContent = this.unread ? t('parent.unread', { n: this.unread }) : '';
  }

  // A live one: on top, and said out loud (the list is a polite live region).
  arrived(n) {
    if (this.list.querySelector(`[data-id="${CSS.escape(n.id)}"]`)) return;
    this.list.prepend(this.item(n));
    this.setUnread(this.unread + 1);
    this.empty();
  }

  text(n) {
    const child = this.names.get(n.child_id) ?? '';
    const d = n.data ?? {};
    switch (n.kind) {
      case 'achievement_unlocked':
        return [t('note.achievement', { child, title: this.titles.get(d.achievement_id) ?? d.achievement_id }), ''];
      case 'activity_completed':
        return [t('note.completed', { child, title: this.titles.get(d.activity_id) ?? d.activity_id }),
          t('note.completed_body', { stars: d.stars, accuracy: Math.round(d.accuracy ?? 0) })];
      case 'time_warning':
        return [t('note.time_warning', { child, time: minutesText(d.left_seconds ?? 0) }), ''];
      case 'time_limit_reached':
        return [t('note.time_up', { child }), ''];
      case 'time_request':
        return [t('note.time_request', { child, time: minutesText(d.seconds ?? 0) }), d.reason ?? ''];
      default:
        return [n.title, n.body];
    }
  }

  item(n) {
    const [title, body] = this.text(n);
    const li = h('li', { class: n.read ? '' : 'unread', dataset: { id: n.id, kind: n.kind } },
      n.kind === 'achievement_unlocked' ? badge(n.data?.badge_icon_url) : null,
      h('span', { class: 'title' }, title),
      body ? h('span', { class: 'body' }, ` — ${body}`) : null,
      h('time', { datetime: n.created_at }, dateText(n.created_at)));
    if (n.kind === 'time_request' && n.data?.request_id) li.append(this.requestButtons(n));
    return li;
  }

  requestButtons(n) {
    const { request_id: id, seconds } = n.data;
    const box = h('div', { class: 'row', dataset: { request: id } });
    const answer = async (approve) => {
      for (const b of box.querySelectorAll('button')) b.disabled = true;
      try {
        await post(`/v1/time-requests/${id}`, approve ? { approve, seconds } : { approve });
        this.answered(id, approve, approve ? seconds : 0);
        this.onAnswered(id);
      } catch (e) {
        const known = e instanceof ApiError && e.code === 'already_answered';
        if (known) this.onAnswered(id);
        fill(box, h('span', { class: 'hint' }, known ? t('error.already_answered') : errorText(e)));
      }
    };
    box.append(
      h('button', { type: 'button', class: 'primary small', onclick: () => answer(true) }, t('parent.approve', { time: minutesText(seconds) })),
      h('button', { type: 'button', class: 'small', onclick: () => answer(false) }, t('parent.deny')));
    return box;
  }

  // Requests no longer pending (`pending`: id → request, as the server listed them) show that
  // they were answered instead of buttons that could only say so after a tap.
  settle(pending) {
    for (const box of this.list.querySelectorAll('[data-request]')) {
      if (!pending.has(box.dataset.request) && box.querySelector('button')) {
        fill(box, h('span', { class: 'hint' }, t('parent.answered_before')));
      }
    }
  }

  // A request answered here or on another device.
  answered(requestId, approved, seconds) {
    const box = this.list.querySelector(`[data-request="${CSS.escape(requestId)}"]`);
    const text = approved ? t('parent.approved', { time: minutesText(seconds) }) : t('parent.denied');
    if (box) fill(box, h('span', { class: 'hint' }, text));
    announce(text);
  }

  async readAll() {
    try {
      await post('/v1/notifications/read-all');
      for (const li of this.list.querySelectorAll('li.unread')) li.classList.remove('unread');
      this.setUnread(0);
    } catch (e) {
      announce(errorText(e));
    }
  }
}

// An achievement's badge beside its notification (gone if it does not load: an old address).
function badge(url) {
  if (!url) return null;
  const img = h('img', { class: 'note-badge', src: url, alt: '', width: 40, height: 40 });
  img.addEventListener('error', () => img.remove(), { once: true });
  return img;
}
