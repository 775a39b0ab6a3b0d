// What every signed-in page shares: the strings, who is signed in, the header, signing out.
import { me, signOut } from './api.js';
import { $, h } from './dom.js';
import { applyStrings, t } from './strings.js';

// Tells the other tabs of this browser that the device was handed over to a child (one
// channel per page: a page does not hear its own message).
export const deviceChannel = 'BroadcastChannel' in window ? new BroadcastChannel('studyhub-device') : null;

export function homeOf(role) {
  return { parent: '/parent', teacher: '/teacher', student: '/play', child: '/play', admin: '/admin' }[role] ?? '/';
}

export function toSignIn() {
  const next = encodeURIComponent(location.pathname + location.search);
  location.replace(`/?next=${next}`);
}

// Resolves with `{user, learner?, children?}` when someone of `roles` is signed in; otherwise
// goes to the sign-in page (or says whose page this is) and never resolves. With no
// connection, `onOffline` (a page that works offline) takes over instead.
export async function signedIn(roles, { onOffline } = {}) {
  applyStrings();
  let who = null;
  try {
    who = await me();
  } catch (e) {
    if (onOffline && (e.status === 0 || e.status >= 500 || !navigator.onLine)) {
      onOffline();
      return new Promise(() => {});
    }
    $('#main').replaceChildren(h('p', { class: 'notice', role: 'alert' }, t('error.network')));
    return new Promise(() => {});
  }
  if (!who) {
    toSignIn();
    return new Promise(() => {});
  }
  // A child's device: no sign-out, and only /play without the grown-ups' PIN.
  if (who.user.role === 'child') {
    const device = await import('./child-device.js');
    if (roles.includes('child')) return who;
    device.childDeviceGate(who);
    return new Promise(() => {});
  }
  // Another tab handed this device over to a child: this page is not the grown-up's any more.
  if (deviceChannel) deviceChannel.onmessage = () => location.reload();
  $('#who').textContent = who.user.name;
  $('#sign-out').hidden = false;
  $('#sign-out').addEventListener('click', async () => {
    try {
      await signOut();
    } finally {
      location.assign('/');
    }
  });
  if (!roles.includes(who.user.role)) {
    $('#main').replaceChildren(
      h('h1', {}, t('shell.wrong_page')),
      h('p', {}, h('a', { href: homeOf(who.user.role) }, t('shell.go_home'))),
    );
    return new Promise(() => {});
  }
  return who;
}
