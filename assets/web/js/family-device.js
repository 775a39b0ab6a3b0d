// On the family page: "Play on this device" for each child, which hands this device over to
// the child (`POST /v1/children/{id}/device-session`: the server replaces the parent's
// cookies with the child's, so a reload stays the child's), and the grown-ups' PIN that gets
// the device back (`PUT /v1/me/pin`).
import { post, put } from './api.js';
import { $, announce, formValues, h, passwordToggles, showFormError } from './dom.js';
import { deviceChannel } from './shell.js';
import { t } from './strings.js';

async function handOver(child, button) {
  button.disabled = true;
  try {
    await post(`/v1/children/${child.id}/device-session`);
    // Other tabs of this browser reload (their pages keep the parent's access token in
    // memory for its last minutes otherwise).
    deviceChannel?.postMessage('handed-over');
    // Replace, not assign: Back from /play does not come here (and if it did, this page
    // would ask for the PIN: the session is the child's now).
    location.replace('/play');
  } catch (e) {
    button.disabled = false;
    const box = $('#device-error');
    box.textContent = e.message;
    announce(e.message, true);
  }
}

async function savePin(event) {
  event.preventDefault();
  const form = event.target;
  showFormError(form, null);
  $('#pin-saved').textContent = '';
  const v = formValues(form);
  const pin = (v.pin ?? '').trim();
  if (!/^\d{4,8}$/.test(pin)) {
    showFormError(form, { code: 'validation_failed', details: { fields: { pin: t('device.pin_digits') } } });
    return;
  }
  try {
    await put('/v1/me/pin', { pin, password: v.password ?? '' });
    form.reset();
    $('#pin-saved').textContent = t('device.pin_saved');
    announce(t('device.pin_saved'));
  } catch (e) {
    showFormError(form, e.status === 401 ? { code: 'wrong_password', message: t('device.wrong_password') } : e);
  }
}

// The children's buttons (or "no children yet").
function childList(children) {
  if (!children.length) return h('p', { id: 'device-children', class: 'hint' }, t('device.no_children'));
  return h('ul', { id: 'device-children', class: 'device-children' },
    children.map((child) => h('li', {},
      h('button', {
        type: 'button', class: 'play-here', dataset: { child: child.id },
        onclick: (event) => handOver(child, event.currentTarget),
      }, t('device.play_here', { name: child.name })))));
}

// The section, after the page's own content. `children` as `/v1/auth/me` lists them. Called
// again when a child is added, renamed or removed: only the list is drawn again (a PIN
// being typed stays).
export function familyDevice(children) {
  const shown = $('#device-children');
  if (shown) {
    shown.replaceWith(childList(children));
    return $('#device');
  }
  const section = h('section', { id: 'device', class: 'card', 'aria-labelledby': 'device-title' },
    h('h2', { id: 'device-title' }, t('device.title')),
    h('p', { class: 'hint' }, t('device.lead')),
    childList(children),
    h('p', { id: 'device-error', class: 'form-error', role: 'alert' }),
    h('form', { id: 'pin-set', novalidate: true, onsubmit: savePin },
      h('h3', {}, t('device.pin_form_title')),
      h('label', { for: 'new-pin' }, t('device.new_pin')),
      h('input', {
        id: 'new-pin', name: 'pin', type: 'password', inputmode: 'numeric', autocomplete: 'off',
        required: true, maxlength: '8', 'aria-describedby': 'new-pin-hint',
      }),
      h('span', { id: 'new-pin-hint', class: 'hint' }, t('device.pin_digits')),
      h('label', { for: 'pin-password' }, t('device.your_password')),
      h('input', {
        id: 'pin-password', name: 'password', type: 'password', autocomplete: 'current-password',
        required: true, maxlength: '128',
      }),
      h('p', { class: 'form-error', role: 'alert' }),
      h('p', { id: 'pin-saved', class: 'success', role: 'status' }),
      h('button', { type: 'submit', class: 'primary' }, t('device.save_pin'))));
  $('#main').append(section);
  passwordToggles(section);
  return section;
}
