// /parent: the family page. Children with today's time, this week's progress and their
// settings; notifications (and requests for more time) as they arrive over /v1/parent/live.
import { get, post } from './api.js';
import { $, announce, fill, formValues, h, showFormError } from './dom.js';
import { ChildPanel } from './parent-child.js';
import { familyDevice } from './family-device.js';
import { Notifications } from './parent-live.js';
import { signedIn, toSignIn } from './shell.js';
import { LiveSocket } from './socket.js';
import { t } from './strings.js';

const panels = new Map();
const names = new Map();
const titles = new Map();
const family = []; // the children, for "Play on this device"

async function loadTitles() {
  const [activities, achievements] = await Promise.all([
    get('/v1/activities?limit=200').catch(() => []),
    get('/v1/achievements').catch(() => []),
  ]);
  for (const a of [...activities, ...achievements]) titles.set(a.id, a.title);
}

function addPanel(child) {
  names.set(child.id, child.name);
  const panel = new ChildPanel(child, titles);
  panels.set(child.id, panel);
  $('#children').append(panel.el);
  panel.load();
  $('#no-children').hidden = true;
  return panel;
}

function onMessage(msg, notes) {
  switch (msg.type) {
    case 'hello':
      notes.setUnread(msg.unread_count);
      for (const c of msg.children) {
        panels.get(c.id)?.presence(c);
        if (c.time) panels.get(c.id)?.time(c.time);
      }
      // What arrived while the feed was away (a blip, or before it opened).
      notes.load();
      break;
    case 'notification':
      notes.arrived(msg.notification);
      // A finished activity changes the week: draw it again once its numbers are written
      // (the same group commit, a moment later).
      if (msg.notification.kind === 'activity_completed') {
        setTimeout(() => panels.get(msg.notification.child_id)?.loadWeek(), 1000);
      }
      break;
    case 'presence':
      panels.get(msg.child_id)?.presence(msg);
      break;
    case 'time':
      panels.get(msg.child_id)?.time(msg);
      break;
    case 'time_request_answered':
      notes.answered(msg.request_id, msg.approved, msg.seconds);
      break;
    default:
      break;
  }
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
  await loadTitles();
  const children = who.children ?? [];
  $('#no-children').hidden = children.length > 0;
  for (const child of children) addPanel(child);
  family.push(...children);
  familyDevice(family);
  $('#add-child').addEventListener('submit', addChild);
  const notes = new Notifications({ names, titles });
  new LiveSocket({
    name: 'parent',
    path: '/v1/parent/live',
    onMessage: (msg) => onMessage(msg, notes),
    onSignedOut: toSignIn,
  }).start();
  // "Play on this device" hands the device over to one child (family-device.js).
  fill($('#play-link'), h('a', { href: '#device' }, t('parent.play_here')));
}

main();
