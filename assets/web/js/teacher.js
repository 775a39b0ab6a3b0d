// /teacher: the teacher's classes. Pick one to see it live, run a class game, follow the
// week's progress and write assessments; or make a new class with its join code.
import { get, post } from './api.js';
import { $, announce, fill, formValues, h, showFormError } from './dom.js';
import { pushOptIn } from './push-optin.js';
import { signedIn } from './shell.js';
import { ClassPanel } from './teacher-class.js';
import { ActivitiesSection } from './teacher-activities.js';
import { t } from './strings.js';

const titles = new Map();
let activities = [];
let classes = [];
let current = null;

function tabs() {
  fill($('#class-tabs'), classes.map((k) => h('button', {
    type: 'button', 'aria-pressed': String(current?.klass.id === k.id), onclick: () => open(k),
  }, k.name)));
  $('#no-classes').hidden = classes.length > 0;
}

async function open(klass) {
  current?.close();
  current = new ClassPanel(klass, titles, activities);
  fill($('#class-view'), current.el);
  tabs();
  await current.open();
  const heading = $('#class-title');
  heading.setAttribute('tabindex', '-1');
  heading.focus();
}

async function create(event) {
  event.preventDefault();
  const form = event.target;
  showFormError(form, null);
  const v = formValues(form);
  try {
    const klass = await post('/v1/classes', { name: v.name, subject: v.subject || undefined });
    form.reset();
    classes.push(klass);
    announce(t('teacher.created', { name: klass.name, code: klass.join_code }));
    await open(klass);
  } catch (e) {
    showFormError(form, e);
  }
}

async function main() {
  await signedIn(['teacher']);
  $('#new-class').addEventListener('submit', create);
  pushOptIn($('#push'));
  [activities, classes] = await Promise.all([
    get('/v1/activities?limit=200').catch(() => []),
    get('/v1/classes'),
  ]);
  activities = forGames(activities);
  for (const a of activities) titles.set(a.id, a.title);
  tabs();
  // The teacher's own activities and their editor; a change refreshes the game picker.
  new ActivitiesSection($('#activities'), { onChange: reloadActivities }).showList();
  if (classes.length) await open(classes[0]);
}

// A class game plays what the class may see: a draft (`private`) is not offered.
const forGames = (list) => list.filter((a) => a.visibility !== 'private');

async function reloadActivities() {
  const fresh = await get('/v1/activities?limit=200').catch(() => null);
  if (!fresh) return;
  activities.splice(0, activities.length, ...forGames(fresh));
  for (const a of fresh) titles.set(a.id, a.title);
  // The open class's game picker offers the new list (unless a game is running).
  if (current?.gameBox && !current.host) fill(current.gameBox, current.gameForm());
}

main();
