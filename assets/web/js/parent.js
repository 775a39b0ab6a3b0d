// /parent: the family page. What needs the parent now at the top (parent-attention.js); each
// child with today's screen time, this week's learning, settings, profile and classes
// (parent-child.js); notifications (parent-live.js); all kept live by /v1/parent/live
// (parent-feed.js).
import { get, post } from './api.js';
import { $, announce, fill, formValues, h, showFormError } from './dom.js';
import { Attention } from './parent-attention.js';
import { ChildPanel } from './parent-child.js';
import { familyDevice } from './family-device.js';
import { familyEmail } from './family-email.js';
import { onFeed } from './parent-feed.js';
import { pushOptIn } from './push-optin.js';
import { Notifications } from './parent-live.js';
import { signedIn, toSignIn } from './shell.js';
import { LiveSocket } from './socket.js';
import { t } from './strings.js';

const panels = new Map();
const names = new Map();
const titles = new Map();
const family = []; // the children, for "Play on this device"
let attention = null;
let notes = null;

async function loadTitles() {
  const [activities, achievements] = await Promise.all([
    get('/v1/activities?limit=200').catch(() => []),
    get('/v1/achievements').catch(() => []),
  ]);
  for (const a of [...activities, ...achievements]) titles.set(a.id, a.title);
}

function addPanel(child) {
  names.set(child.id, child.name);
  const panel = new ChildPanel(child, titles, {
    onTime: (id, time) => attention.time(id, time),
    onRenamed: (c) => {
      names.set(c.id, c.name);
      attention.render();
      const at = family.findIndex((f) => f.id === c.id);
      if (at >= 0) family[at] = { ...family[at], ...c };
      familyDevice(family);
    },
    onRemoved: (id) => {
      panels.delete(id);
      attention.forget(id);
      names.delete(id);
      const at = family.findIndex((f) => f.id === id);
      if (at >= 0) family.splice(at, 1);
      familyDevice(family);
      $('#no-children').hidden = panels.size > 0;
      $('#main').focus();
    },
  });
  panels.set(child.id, panel);
  $('#children').append(panel.el);
  panel.load();
  $('#no-children').hidden = true;
  return panel;
}

async function addChild(event) {
  event.preventDefault();
  const form = event.target;
  showFormError(form, null);
  const v = formValues(form);
  const interests = (v.interests ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    const child = await post('/v1/children', { name: v.name, age: Number(v.age), interests, timezone });
    form.reset();
    const panel = addPanel(child);
    family.push(child);
    familyDevice(family);
    announce(t('parent.child_added', { name: child.name }));
    panel.el.querySelector('h2').setAttribute('tabindex', '-1');
    panel.el.querySelector('h2').focus();
  } catch (e) {
    showFormError(form, e);
  }
}

async function main() {
  const who = await signedIn(['parent']);
  notes = new Notifications({ names, titles, onAnswered: (id) => attention.answered(id) });
  attention = new Attention({
    names,
    grant: (id, seconds) => panels.get(id)?.grant(seconds),
    onAnswered: (id, approved, seconds) => notes.answered(id, approved, seconds),
  });
  await loadTitles();
  const children = who.children ?? [];
  $('#no-children').hidden = children.length > 0;
  for (const child of children) addPanel(child);
  attention.load();
  family.push(...children);
  familyDevice(family);
  familyEmail();
  $('#add-child').addEventListener('submit', addChild);
  pushOptIn($('#push'));
  new LiveSocket({
    name: 'parent',
    path: '/v1/parent/live',
    onMessage: (msg) => onFeed(msg, { panels, notes, attention }),
    onSignedOut: toSignIn,
  }).start();
  // "Play on this device" hands the device over to one child (family-device.js).
  fill($('#play-link'), h('a', { href: '#device' }, t('parent.play_here')));
}

main();
