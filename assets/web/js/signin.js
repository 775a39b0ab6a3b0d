// The front page: sign in, or create an account, then on to the page for the role.
import { ApiError, me, post, register, signIn } from './api.js';
import { $, announce, formValues, passwordToggles, showFormError } from './dom.js';
import { homeOf } from './shell.js';
import { applyStrings, t } from './strings.js';

// Only our own pages as a place to go back to (never another site).
function nextPage(role) {
  const next = new URLSearchParams(location.search).get('next') ?? '';
  // A page of ours: its path (a game's projector view too) and a plain query.
  const ok = /^\/(play|parent|teacher|teacher\/games\/[\w-]+)(\?[\w=&%-]*)?$/.test(next);
  return ok ? next : homeOf(role);
}

function show(which) {
  $('#signin').hidden = which !== 'signin';
  $('#register').hidden = which !== 'register';
  $('#forgot').hidden = which !== 'forgot';
  const heading = $(`#${which} h2`);
  heading.setAttribute('tabindex', '-1');
  heading.focus();
}

async function submit(form, action) {
  const button = form.querySelector('button[type=submit]');
  showFormError(form, null);
  button.disabled = true;
  try {
    const body = await action(formValues(form));
    announce(t('signin.welcome', { name: body.user.name }));
    location.assign(nextPage(body.user.role));
  } catch (e) {
    const error = e instanceof ApiError ? e : new ApiError(0, 'network', e.message);
    showFormError(form, error);
    button.disabled = false;
    form.querySelector('[aria-invalid=true]')?.focus();
  }
}

async function main() {
  applyStrings();
  passwordToggles();
  $('#to-register').addEventListener('click', () => show('register'));
  $('#to-signin').addEventListener('click', () => show('signin'));
  $('#to-forgot').addEventListener('click', () => show('forgot'));
  $('#forgot-to-signin').addEventListener('click', () => show('signin'));
  $('#forgot form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const button = form.querySelector('button[type=submit]');
    showFormError(form, null);
    button.disabled = true;
    try {
      // The same answer whether or not an account has the address.
      await post('/v1/auth/password-reset', { email: formValues(form).email });
      $('#forgot-sent').hidden = false;
      announce(t('forgot.sent'));
    } catch (e) {
      showFormError(form, e instanceof ApiError ? e : new ApiError(0, 'network', e.message));
    } finally {
      button.disabled = false;
    }
  });
  $('#signin form').addEventListener('submit', (event) => {
    event.preventDefault();
    submit(event.target, ({ email, password }) => signIn(email, password));
  });
  $('#register form').addEventListener('submit', (event) => {
    event.preventDefault();
    submit(event.target, (fields) => register(fields));
  });
  // Already signed in (the refresh cookie is still good): straight on.
  try {
    const who = await me();
    if (who) {
      location.replace(nextPage(who.user.role));
      return;
    }
  } catch { /* offline: the forms are there */ }
  document.body.dataset.ready = 'true';
}

main();
