// The pages a link in an email opens: `/reset?token=` (choose a new password) and
// `/verify?token=` (the address confirmed). The token leaves the address bar at once, so it
// is not kept in the history or sent on as a referrer.
import { ApiError, post } from './api.js';
import { $, announce, formValues, passwordToggles, showFormError, showStatus } from './dom.js';
import { applyStrings, t } from './strings.js';

const token = new URLSearchParams(location.search).get('token') ?? '';
history.replaceState(null, '', location.pathname);

function outcome(text, kind) {
  const el = $('#outcome');
  el.hidden = false;
  showStatus(el, text, kind);
  announce(text);
}

function reset() {
  const form = $('#reset form');
  if (!token) {
    form.hidden = true;
    outcome(t('reset.no_token'), 'error');
    return;
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    showFormError(form, null);
    button.disabled = true;
    try {
      await post('/v1/auth/password-reset/confirm', { token, password: formValues(form).password });
      form.hidden = true;
      outcome(t('reset.done'), 'success');
    } catch (e) {
      const error = e instanceof ApiError ? e : new ApiError(0, 'network', e.message);
      // A token refused is not the form's fault: say so instead of marking a field.
      if (error.details?.fields?.token) {
        form.hidden = true;
        outcome(t('verify.failed'), 'error');
      } else {
        showFormError(form, error);
        button.disabled = false;
      }
    }
  });
}

async function verify() {
  try {
    if (!token) throw new Error('no token');
    await post('/v1/auth/verify-email', { token });
    outcome(t('verify.done'), 'success');
  } catch {
    outcome(t('verify.failed'), 'error');
  }
}

async function main() {
  applyStrings();
  passwordToggles();
  if (location.pathname === '/reset') reset();
  else await verify();
  document.body.dataset.ready = 'true';
}

main();
