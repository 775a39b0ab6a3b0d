// A child's settings: the daily limit, reading aloud and its volume, notifications, and quiet
// times (downtime windows).
import { put } from './api.js';
import { announce, errorText, h, showFormError } from './dom.js';
import { t } from './strings.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MAX_WINDOWS = 14;

let counter = 0;

function windowRow(win, list) {
  counter += 1;
  const n = counter;
  const row = h('fieldset', { class: 'window' },
    h('legend', {}, t('settings.window')),
    h('div', { class: 'days' }, DAYS.map((d) => h('label', {},
      h('input', { type: 'checkbox', value: d, checked: win.days.includes(d) }),
      t(`day.${d}`)))),
    h('div', {},
      h('label', { for: `win-start-${n}` }, t('settings.from')),
      h('input', { id: `win-start-${n}`, type: 'time', value: win.start, required: true, class: 'start' })),
    h('div', {},
      h('label', { for: `win-end-${n}` }, t('settings.until')),
      h('input', { id: `win-end-${n}`, type: 'time', value: win.end === '24:00' ? '00:00' : win.end, required: true, class: 'end' })),
    h('button', { type: 'button', class: 'small', onclick: () => { row.remove(); list.dispatchEvent(new Event('change')); } }, t('settings.remove')));
  return row;
}

function readWindows(list) {
  return [...list.querySelectorAll('.window')].map((row) => {
    const start = row.querySelector('.start').value;
    const end = row.querySelector('.end').value;
    return {
      days: [...row.querySelectorAll('.days input:checked')].map((i) => i.value),
      start,
      // A time field cannot say 24:00: midnight to midnight is the whole day.
      end: start === '00:00' && end === '00:00' ? '24:00' : end,
    };
  });
}

// The volume of reading aloud, 0–100 % in steps of 10, its value said beside it.
function volumeField(id, volume) {
  const percent = Math.round((volume ?? 1) * 10) * 10;
  const said = h('output', { for: `volume-${id}`, class: 'volume-value' }, `${percent} %`);
  const input = h('input', {
    id: `volume-${id}`, name: 'volume', type: 'range', min: '0', max: '100', step: '10', value: String(percent),
    'aria-valuetext': `${percent} %`,
    oninput: () => {
      said.textContent = `${input.value} %`;
      input.setAttribute('aria-valuetext', `${input.value} %`);
    },
  });
  return h('div', { class: 'volume' }, h('label', { for: `volume-${id}` }, t('settings.volume')), h('div', { class: 'row' }, input, said));
}

// onSaved(settings): the server's copy, once saved (the page shows the new limit at once).
export function settingsForm(child, settings, onSaved = () => {}) {
  const id = child.id;
  const list = h('div', { class: 'windows' });
  for (const win of settings.downtime ?? []) list.append(windowRow(win, list));
  const add = h('button', {
    type: 'button', class: 'small',
    onclick: () => {
      if (list.children.length >= MAX_WINDOWS) return;
      list.append(windowRow({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '20:00', end: '07:00' }, list));
      list.lastElementChild.querySelector('input').focus();
    },
  }, t('settings.add_window'));
  const form = h('form', {
    class: 'settings-form',
    onsubmit: async (event) => {
      event.preventDefault();
      showFormError(form, null);
      // "Saved." speaks of this save only.
      form.querySelector('.saved').textContent = '';
      const minutes = Number(form.querySelector('[name=limit]').value);
      try {
        const saved = await put(`/v1/children/${id}/settings`, {
          daily_time_limit_seconds: Math.round(minutes * 60),
          narration_enabled: form.querySelector('[name=narration]').checked,
          volume: Number(form.querySelector('[name=volume]').value) / 100,
          notifications_enabled: form.querySelector('[name=notifications]').checked,
          downtime: readWindows(list),
        });
        form.querySelector('.saved').textContent = t('settings.saved');
        announce(t('settings.saved'));
        onSaved(saved);
      } catch (e) {
        // Field names from the server (`downtime[1].start`) are shown as the message.
        const fields = Object.entries(e.details?.fields ?? {}).map(([k, v]) => `${k}: ${v}`).join('; ');
        form.querySelector('.form-error').textContent = fields || errorText(e);
        form.querySelector('.saved').textContent = '';
      }
    },
  },
  h('label', { for: `limit-${id}` }, t('settings.limit')),
  h('input', {
    id: `limit-${id}`, name: 'limit', type: 'number', min: '0', max: '1440', step: '5', required: true,
    value: String(Math.round(settings.daily_time_limit_seconds / 60)),
  }),
  h('label', { class: 'choice' },
    h('input', { type: 'checkbox', name: 'narration', checked: settings.narration_enabled }),
    t('settings.narration')),
  volumeField(id, settings.volume),
  h('label', { class: 'choice' },
    h('input', { type: 'checkbox', name: 'notifications', checked: settings.notifications_enabled }),
    t('settings.notifications')),
  h('h4', {}, t('settings.downtime')),
  h('p', { class: 'hint' }, t('settings.downtime_hint')),
  list,
  add,
  h('p', { class: 'form-error', role: 'alert' }),
  h('p', { class: 'saved success', role: 'status' }),
  h('button', { type: 'submit', class: 'primary' }, t('save')));
  return form;
}
