// The family page's email choice: the weekly digest on or off (`/v1/me/preferences`). Shown
// as the server has it; a change is said saved only once the server answered.
import { get, put } from './api.js';
import { $, announce, h, showStatus } from './dom.js';
import { t } from './strings.js';

export async function familyEmail() {
  const status = h('p', { id: 'digest-status', role: 'status' });
  const box = h('input', { id: 'email-digest', type: 'checkbox', disabled: true });
  box.addEventListener('change', async () => {
    box.disabled = true;
    try {
      const saved = await put('/v1/me/preferences', { email_digest: box.checked });
      box.checked = saved.email_digest;
      const text = t(saved.email_digest ? 'email.digest_on' : 'email.digest_off');
      showStatus(status, text, 'success');
      announce(text);
    } catch {
      box.checked = !box.checked;
      showStatus(status, t('error.generic'), 'error');
    } finally {
      box.disabled = false;
    }
  });
  $('#main').append(h('section', { id: 'email', class: 'card', 'aria-labelledby': 'email-title' },
    h('h2', { id: 'email-title' }, t('email.title')),
    h('label', { class: 'choice', for: 'email-digest' }, box, h('span', {}, t('email.digest'))),
    h('p', { class: 'hint' }, t('email.digest_hint')),
    status));
  try {
    box.checked = (await get('/v1/me/preferences')).email_digest;
    box.disabled = false;
  } catch {
    showStatus(status, t('error.network'), 'error');
  }
}
