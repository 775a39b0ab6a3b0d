// Web Push in the root service worker (/sw.js imports this file; not a module). Each push is
// one stored notification (docs/protocol.md, "Web Push"): shown at once, and a child's
// request for more time answered from its buttons with the family page's own call,
// `POST /v1/time-requests/{id}`, signed in by the same cookies as the page.
'use strict';

self.addEventListener('push', (event) => {
  let msg;
  try {
    msg = event.data ? event.data.json() : {};
  } catch {
    msg = { body: event.data ? event.data.text() : '' };
  }
  const actions = Array.isArray(msg.actions) ? msg.actions : [];
  event.waitUntil(self.registration.showNotification(msg.title || 'studyhub', {
    body: msg.body || '',
    tag: msg.tag || msg.id,
    renotify: Boolean(msg.tag),
    // A child waiting for an answer stays on screen until the parent acts.
    requireInteraction: msg.kind === 'time_request',
    actions: actions.slice(0, 2),
    data: { id: msg.id, kind: msg.kind, url: msg.url || '/', answer_url: msg.answer_url },
  }));
});

self.addEventListener('notificationclick', (event) => {
  const note = event.notification;
  const data = note.data || {};
  note.close();
  if ((event.action === 'approve' || event.action === 'deny') && data.answer_url) {
    event.waitUntil(answer(data, event.action === 'approve'));
  } else {
    event.waitUntil(openPage(data.url || '/'));
  }
});

// Answers the request; when that cannot be done from here (signed out, offline), the page
// opens on it instead. 409: another device answered first, nothing left to do.
async function answer(data, approve) {
  const body = JSON.stringify({ approve });
  const call = (headers = {}) => fetch(data.answer_url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    body,
  });
  try {
    let res = await call();
    if (res.status === 401) {
      // The access cookie ran out: one refresh (the family page's lock, so two refreshes
      // never race with the same rotating token), then once more with the new token.
      const token = await refreshed();
      if (token) res = await call({ Authorization: `Bearer ${token}` });
    }
    if (res.ok || res.status === 409) return;
  } catch {
    // offline: the page will do
  }
  await openPage(data.url || '/');
}

async function refreshed() {
  const run = async () => {
    const res = await fetch('/v1/auth/refresh', { method: 'POST', credentials: 'same-origin' });
    return res.ok ? (await res.json()).access_token : null;
  };
  try {
    return self.navigator.locks ? await self.navigator.locks.request('studyhub-refresh', run) : await run();
  } catch {
    return null;
  }
}

async function openPage(url) {
  const target = new URL(url, self.location.origin);
  const open = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const same = open.find((c) => new URL(c.url).pathname === target.pathname);
  if (same) {
    if (same.url !== target.href && 'navigate' in same) await same.navigate(target.href);
    return same.focus();
  }
  return self.clients.openWindow(target.href);
}
