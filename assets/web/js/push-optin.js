// "Get notifications on this device" on the family and teacher pages: Web Push. Asks the
// browser's permission, subscribes with the server's key (GET /v1/push/key) and hands the
// subscription to the API; off again, the browser unsubscribes and the server forgets it.
// The root service worker (/sw.js, with js/sw-push.js) shows what arrives.

import { del, get, post } from './api.js';
import { fill, h } from './dom.js';
import { t } from './strings.js';

// The server's id of this browser's subscription, to turn it off.
const ID_KEY = 'studyhub.push.subscription';

const supported = () =>
  'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

function keyBytes(b64url) {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function turnOn(registration) {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(t('push.not_allowed'));
  const { public_key: key } = await get('/v1/push/key');
  let sub = await registration.pushManager.getSubscription();
  sub ??= await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: keyBytes(key),
  });
  const { endpoint, keys } = sub.toJSON();
  const { id } = await post('/v1/push/subscriptions', { endpoint, keys });
  localStorage.setItem(ID_KEY, id);
}

async function turnOff(registration) {
  const id = localStorage.getItem(ID_KEY);
  if (id) {
    try {
      await del(`/v1/push/subscriptions/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e.status !== 404) throw e;
    }
    localStorage.removeItem(ID_KEY);
  }
  const sub = await registration.pushManager.getSubscription();
  if (sub) await sub.unsubscribe();
}

// Fills `box` (a hidden section of the page) with the switch and its state.
export function pushOptIn(box) {
  const status = h('p', { id: 'push-status', class: 'hint', role: 'status' });
  const button = h('button', { type: 'button', id: 'push-toggle', class: 'small' });
  fill(box, h('h2', { id: 'push-title' }, t('push.title')), status, button);
  box.hidden = false;
  if (!supported()) {
    status.textContent = t('push.unsupported');
    button.hidden = true;
    return;
  }
  let registration = null;
  const show = async () => {
    const sub = registration ? await registration.pushManager.getSubscription() : null;
    const on = Boolean(sub) && Boolean(localStorage.getItem(ID_KEY));
    button.dataset.state = on ? 'on' : 'off';
    button.textContent = t(on ? 'push.turn_off' : 'push.turn_on');
    status.textContent = Notification.permission === 'denied'
      ? t('push.blocked')
      : t(on ? 'push.on' : 'push.off');
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      registration ??= await navigator.serviceWorker.ready;
      if (button.dataset.state === 'on') await turnOff(registration);
      else await turnOn(registration);
      await show();
    } catch (e) {
      status.textContent = t('push.failed', { reason: e.message || String(e) });
    } finally {
      button.disabled = false;
    }
  });
  show();
  navigator.serviceWorker.register('/sw.js', { scope: '/' })
    .then(() => navigator.serviceWorker.ready)
    .then((r) => {
      registration = r;
      return show();
    })
    .catch((e) => {
      status.textContent = t('push.failed', { reason: e.message || String(e) });
    });
}
