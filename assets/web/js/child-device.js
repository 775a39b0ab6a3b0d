// A child's device (the parent pressed "Play on this device"): the session is the child's
// (role `child`), so /play shows no "Switch child" and no "Sign out", and everything else
// waits behind the grown-ups' PIN (`POST /v1/auth/parent-unlock`). Also here: asking for more
// time over REST once time is up (the socket is closed then), and hearing the answer by
// reading the request again while it waits.
import { get, post } from './api.js';
import { $, announce, errorText, h, minutesText } from './dom.js';
import { t } from './strings.js';

// The PIN dialog: a PIN (4–8 digits) goes as `pin`, anything else as the password. On
// success the device is the parent's again (the server set the parent's cookies).
function pinDialog({ onUnlocked }) {
  const existing = $('#pin-dialog');
  if (existing) return existing;
  const input = h('input', {
    // A full keyboard: a grown-up without a PIN types their password here.
    id: 'pin-input', name: 'secret', type: 'password', autocomplete: 'off', required: true, maxlength: '128', 'aria-describedby': 'pin-hint pin-error',
  });
  const error = h('p', { id: 'pin-error', class: 'form-error', role: 'alert' });
  const form = h('form', { id: 'pin-form', novalidate: true },
    h('h2', { id: 'pin-title' }, t('device.pin_title')),
    h('p', { id: 'pin-hint', class: 'hint' }, t('device.pin_hint')),
    h('label', { for: 'pin-input' }, t('device.pin_label')),
    input,
    error,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t('device.unlock')),
      h('button', { type: 'button', id: 'pin-cancel', onclick: () => dialog.close() }, t('cancel'))));
  const dialog = h('dialog', { id: 'pin-dialog', 'aria-labelledby': 'pin-title' }, form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const secret = input.value.trim();
    if (!secret) {
      error.textContent = t('device.pin_wrong');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    const body = /^\d{4,8}$/.test(secret) ? { pin: secret } : { password: secret };
    try {
      await post('/v1/auth/parent-unlock', body);
      onUnlocked();
    } catch (e) {
      input.value = '';
      input.setAttribute('aria-invalid', 'true');
      error.textContent = e.status === 401 ? t('device.pin_wrong') : errorText(e);
      input.focus();
    }
  });
  document.body.append(dialog);
  return dialog;
}

function openPin(onUnlocked) {
  const dialog = pinDialog({ onUnlocked });
  $('#pin-error', dialog).textContent = '';
  $('#pin-input', dialog).removeAttribute('aria-invalid');
  $('#pin-input', dialog).value = '';
  dialog.showModal();
  $('#pin-input', dialog).focus();
}

const toFamily = () => location.replace('/parent');

// /play on a child's device: the header holds the child's name and a "Grown-ups" button.
export function childDevicePlay() {
  document.body.dataset.device = 'child';
  for (const id of ['#switch-child', '#sign-out']) {
    $(id).hidden = true;
    $(id).remove();
  }
  $('#who').textContent = '';
  const nav = $('header .account');
  nav.append(h('button', {
    type: 'button', id: 'grown-ups', class: 'small',
    onclick: () => openPin(toFamily),
  }, t('device.grown_ups')));
}

// Any other page opened with a child's session (the Back button from /play, a bookmark):
// nothing of it shows until a grown-up unlocks; the child may go back to playing.
export function childDeviceGate(who) {
  document.body.dataset.device = 'child';
  $('#sign-out')?.remove();
  $('#who').textContent = '';
  const name = who.learner?.name ?? '';
  $('#main').replaceChildren(h('section', { class: 'center rest device-gate' },
    h('h1', {}, t('device.gate_title', { name })),
    h('p', {}, t('device.gate_body')),
    h('p', { class: 'actions' },
      h('a', { class: 'button primary big', href: '/play' }, t('device.back_to_play')),
      h('button', { type: 'button', id: 'grown-ups', class: 'big', onclick: () => openPin(() => location.reload()) },
        t('device.grown_ups')))));
  document.title = t('device.gate_title', { name });
}

// The request that waits, per learner, kept across a reload of this tab (sessionStorage):
// after a reload the time-up screen says "We asked" again and goes on reading it.
const requestKey = (learnerId) => `studyhub.play.time-request.${learnerId}`;

function storedRequest(learnerId) {
  try {
    return sessionStorage.getItem(requestKey(learnerId));
  } catch {
    return null;
  }
}

function storeRequest(learnerId, requestId) {
  try {
    if (requestId) sessionStorage.setItem(requestKey(learnerId), requestId);
    else sessionStorage.removeItem(requestKey(learnerId));
  } catch { /* private mode: forgotten on a reload */ }
}

// Asking for more time on the time-up screen, over REST: the button, what was asked, and
// the answer (read again every few seconds while it waits). `onApproved` opens play again.
export class TimeUpAsk {
  constructor({ openAsk, onApproved }) {
    this.onApproved = onApproved;
    this.learnerId = null;
    this.request = null;
    this.timer = null;
    const screen = $('[data-screen=timeup]');
    this.button = h('button', { type: 'button', id: 'ask-more', class: 'primary big', onclick: openAsk },
      t('play.ask_more'));
    this.status = h('p', { id: 'ask-more-status', class: 'notice', role: 'status' });
    screen.append(this.button, this.status);
  }

  // Which learner asks (a learner without a parent has nobody to ask). A request asked
  // before a reload still waits: its answer is read again.
  set learner(learner) {
    this.stop();
    this.learnerId = learner?.parent_id ? learner.id : null;
    this.status.textContent = '';
    this.button.hidden = !this.learnerId;
    const waiting = this.learnerId && storedRequest(this.learnerId);
    if (waiting) this.waitFor(this.learnerId, waiting, { quiet: true });
  }

  async ask(seconds, reason) {
    if (!this.learnerId) return;
    const id = this.learnerId;
    try {
      const asked = await post(`/v1/learners/${id}/time-requests`, { seconds, reason });
      this.waitFor(id, asked.request_id);
    } catch (e) {
      if (e.code === 'time_request_pending') {
        // One waits already (asked from another tab, or before this tab forgot it): follow
        // that one (the server names it); the socket's recheck brings play back once time
        // is given.
        const waiting = e.details?.request_id ?? storedRequest(id);
        if (waiting) this.waitFor(id, waiting);
        else this.say(t('play.ask.asked'));
        return;
      }
      const known = e.code === 'time_request_limit';
      this.say(known ? t(`play.ask.${e.code}`) : errorText(e));
    }
  }

  // `quiet`: after a reload, said on the screen but not announced (nothing new happened).
  waitFor(learnerId, requestId, { quiet = false } = {}) {
    this.request = requestId;
    storeRequest(learnerId, requestId);
    this.button.hidden = true;
    if (quiet) this.status.textContent = t('play.ask.asked');
    else this.say(t('play.ask.asked'));
    this.poll(learnerId, requestId);
  }

  answered(learnerId) {
    this.request = null;
    storeRequest(learnerId, null);
    this.button.hidden = false;
  }

  poll(learnerId, requestId) {
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      if (this.request !== requestId) return;
      let now = null;
      try {
        now = await get(`/v1/learners/${learnerId}/time-requests/${requestId}`);
      } catch (e) {
        // Gone (another learner's, or removed): nothing waits any more. Otherwise offline a
        // moment: read again.
        if (e.status === 404 && this.request === requestId) {
          this.answered(learnerId);
          this.status.textContent = '';
          return;
        }
      }
      if (this.request !== requestId) return;
      if (!now || now.status === 'pending') {
        this.poll(learnerId, requestId);
      } else if (now.status === 'approved') {
        this.answered(learnerId);
        this.say(t('play.ask.approved', { time: minutesText(now.seconds ?? 0) }));
        this.onApproved();
      } else {
        this.answered(learnerId);
        this.say(t('play.ask.denied'));
      }
    }, 4000);
  }

  // Time is back (a `hello` with time left): the next time-up starts afresh, unless a
  // request still waits.
  timeBack() {
    if (this.request || !this.learnerId) return;
    this.status.textContent = '';
    this.button.hidden = false;
  }

  say(text) {
    this.status.textContent = text;
    announce(text);
  }

  stop() {
    clearTimeout(this.timer);
    this.request = null;
  }
}
