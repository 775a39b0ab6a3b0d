// /signin: a pupil without an email signs in. The class code, then their name (big buttons),
// then their two pictures of sixteen, in order; or at once with a card's `?card=TOKEN` (the
// QR code on their printed card). Either lands on /play.
import { ApiError, cardSignIn, get, pupilSignIn } from './api.js';
import { $, announce, errorText, fill, h, showFormError, showScreen } from './dom.js';
import { applyStrings, t } from './strings.js';

const iconUrl = (name) => new URL(`../icons/${name}.svg`, import.meta.url).href;

let klass = null;
let pupil = null;
let picked = [];

const failure = (e) => (e instanceof ApiError ? e : new ApiError(0, 'network', e.message));

async function byCode(event) {
  event.preventDefault();
  const form = event.target;
  showFormError(form, null);
  const code = form.join_code.value.trim().toUpperCase();
  if (!code) return;
  try {
    klass = await get(`/v1/auth/class-login/${encodeURIComponent(code)}`);
    klass.code = code;
    names();
  } catch (e) {
    const error = failure(e);
    showFormError(form, error.status === 404 ? new ApiError(404, 'unknown_code', t('pupil.unknown_code')) : error);
    form.join_code.focus();
  }
}

function names() {
  $('#class-name').textContent = klass.class_name;
  fill($('#pupil-names'), klass.pupils.length
    ? klass.pupils.map((p) => h('li', {}, h('button', {
      type: 'button', class: 'big pupil-name', onclick: () => pictures(p),
    }, p.name)))
    : h('li', { class: 'hint' }, t('pupil.no_pupils')));
  showScreen('name');
}

function step() {
  const which = picked.length === 0 ? t('pupil.first') : t('pupil.second');
  $('#picture-step').textContent = which;
  for (const button of document.querySelectorAll('#pictures button')) {
    button.setAttribute('aria-pressed', String(picked.includes(button.dataset.picture)));
  }
}

function pictures(p) {
  pupil = p;
  picked = [];
  $('#pictures-error').textContent = '';
  fill($('#pictures'), klass.pictures.map((name) => h('li', {}, h('button', {
    type: 'button', class: 'picture-button', dataset: { picture: name },
    'aria-label': t(`picture.${name}`), 'aria-pressed': 'false', onclick: () => pick(name),
  }, h('img', { src: iconUrl(name), alt: '', width: '64', height: '64' })))));
  showScreen('pictures');
  step();
}

async function pick(name) {
  if (picked.includes(name) || picked.length >= 2) return;
  picked.push(name);
  announce(t('pupil.picked', { picture: t(`picture.${name}`) }));
  step();
  if (picked.length < 2) return;
  try {
    await pupilSignIn(klass.code, pupil.learner_id, picked);
    location.assign('/play');
  } catch (e) {
    const error = failure(e);
    picked = [];
    step();
    $('#pictures-error').textContent = error.status === 401 ? t('pupil.wrong') : errorText(error);
    document.querySelector('#pictures button')?.focus();
  }
}

async function byCard(token) {
  showScreen('card');
  // The token leaves the address bar (and the history) before anything else happens.
  history.replaceState(null, '', '/signin');
  try {
    await cardSignIn(token);
    location.assign('/play');
  } catch (e) {
    const error = failure(e);
    $('#card-error').textContent = error.status === 401 ? t('pupil.card_wrong') : errorText(error);
  }
}

function main() {
  applyStrings();
  $('#code-form').addEventListener('submit', byCode);
  for (const back of document.querySelectorAll('button.back')) {
    back.addEventListener('click', () => {
      if (document.body.dataset.view === 'pictures') names();
      else showScreen('code');
    });
  }
  const card = new URLSearchParams(location.search).get('card');
  if (card) {
    byCard(card);
  } else {
    showScreen('code', { focus: false });
    $('#join-code').focus();
  }
  document.body.dataset.ready = 'true';
}

main();
