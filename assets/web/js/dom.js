// Small DOM helpers: build elements, announce to screen readers, switch screens.
import { t } from './strings.js';

// h('button', {class: 'big', onclick: fn, 'aria-label': '…'}, 'text', child, …)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'text') {
      el.textContent = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key in el && typeof value !== 'string') {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : value);
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// Says `text` to screen readers: politely (after what they are reading) or at once.
export function announce(text, urgent = false) {
  const region = document.getElementById(urgent ? 'assertive' : 'polite');
  if (!region) return;
  region.textContent = '';
  // A new text node after a tick is announced even when the text repeats.
  setTimeout(() => { region.textContent = text; }, 50);
}

// Shows the `[data-screen=name]` section, hides the others, and moves focus to its heading
// so keyboard and screen-reader users land on the new content.
export function showScreen(name, { focus = true } = {}) {
  let shown = null;
  for (const el of $$('main > [data-screen]')) {
    const on = el.dataset.screen === name;
    el.hidden = !on;
    if (on) shown = el;
  }
  document.body.dataset.view = name;
  if (focus && shown) {
    const target = shown.querySelector('h1, h2, [data-focus]');
    if (target) {
      target.setAttribute('tabindex', '-1');
      target.focus({ preventScroll: false });
    }
  }
  return shown;
}

// A "Show" button after each password field under `root` that has none yet (ASVS 2.1.12):
// a long password typed on a phone is easier to get right when it can be read. Its name
// says which field (a PIN form has two). Pressed, the field shows its text; sending the
// form hides it again.
export function passwordToggles(root = document) {
  for (const input of $$('input[type=password]', root)) {
    if (input.dataset.toggle) continue;
    input.dataset.toggle = 'on';
    const field = input.labels?.[0]?.textContent.trim() || t('field.password');
    const button = h('button', {
      type: 'button', class: 'link show-password', 'aria-controls': input.id, 'aria-pressed': 'false',
      'aria-label': t('field.show_named', { field }),
    }, t('field.show'));
    const show = (on) => {
      input.type = on ? 'text' : 'password';
      button.setAttribute('aria-pressed', String(on));
    };
    button.addEventListener('click', () => show(input.type === 'password'));
    input.form?.addEventListener('submit', () => show(false));
    input.after(button);
  }
}

export function minutesText(seconds) {
  const minutes = Math.max(0, Math.ceil(seconds / 60));
  return t(minutes === 1 ? 'time.minute' : 'time.minutes', { n: minutes });
}

export function dateText(iso) {
  try {
    return new Date(iso).toLocaleString(document.documentElement.lang || undefined, {
      dateStyle: 'medium', timeStyle: 'short',
    });
  } catch {
    return iso;
  }
}

// A form's fields as an object (only named inputs), trimmed.
export function formValues(form) {
  const out = {};
  for (const [key, value] of new FormData(form).entries()) {
    out[key] = typeof value === 'string' ? value.trim() : value;
  }
  return out;
}

// Shows an API error next to the form: the message, and each field's reason on its input.
export function showFormError(form, error) {
  const box = form.querySelector('.form-error');
  for (const el of $$('[aria-invalid]', form)) el.removeAttribute('aria-invalid');
  for (const el of $$('.field-error', form)) el.remove();
  if (!error) {
    if (box) box.textContent = '';
    return;
  }
  if (box) box.textContent = errorText(error);
  const fields = error.details?.fields ?? {};
  for (const [name, reason] of Object.entries(fields)) {
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!input) continue;
    input.setAttribute('aria-invalid', 'true');
    const id = `${input.id || name}-error`;
    input.after(h('span', { class: 'field-error', id }, reason));
    input.setAttribute('aria-describedby', id);
  }
}

// What a person should read for an API error: the known codes in plain words.
export function errorText(error) {
  const known = `error.${error.code}`;
  const text = t(known);
  return text === known ? (error.message || t('error.generic')) : text;
}

// Replaces the children of `el` (nulls and falses are left out, as in `h`).
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

// A form's outcome in `el`: `success` in the success style, `error` in the error style (the
// same words in two colours would say the opposite of each other).
export function showStatus(el, text, kind) {
  el.classList.toggle('success', kind === 'success');
  el.classList.toggle('form-error', kind === 'error');
  el.textContent = text;
}
