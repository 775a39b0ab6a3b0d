// A learner's badges and points, a view of the play page (/play#badges): the points total,
// the badges won (with the day, said the way a child says it) and the ones still to win
// with what it takes. Read afresh each time it opens: a badge may have come a minute ago.
import { get } from './api.js';
import { childDay } from './child-time.js';
import { $, errorText, fill, h } from './dom.js';
import { t } from './strings.js';

const TROPHY = new URL('../trophy.svg', import.meta.url).href;

function badgeImage(a) {
  const img = h('img', { src: a.badge_icon_url || TROPHY, alt: '', width: 64, height: 64 });
  img.addEventListener('error', () => { img.src = TROPHY; }, { once: true });
  return img;
}

export class BadgesView {
  // learner: {id, timezone?}, whose badges these are (set again when another child plays).
  constructor(learner) {
    this.learner = learner;
  }

  async open() {
    const box = $('#badges-box');
    fill(box, h('p', { class: 'hint' }, t('loading')));
    const id = this.learner.id;
    let all;
    let won;
    let progress;
    try {
      [all, won, progress] = await Promise.all([
        get('/v1/achievements'),
        get(`/v1/learners/${id}/achievements`),
        get(`/v1/learners/${id}/progress`),
      ]);
    } catch (e) {
      fill(box, h('p', { class: 'notice' }, errorText(e)));
      return;
    }
    if (this.learner.id !== id) return;
    const timeZone = this.learner.timezone;
    const unlocked = new Set(won.map((a) => a.id));
    const toWin = all.filter((a) => !unlocked.has(a.id));
    fill(box,
      h('p', { class: 'points-total', id: 'points-total' },
        h('span', { class: 'points-star', 'aria-hidden': 'true' }, '★'),
        h('span', {}, t('badges.points', { n: progress.points ?? 0 }))),
      h('section', { 'aria-labelledby': 'badges-won-title' },
        h('h2', { id: 'badges-won-title' }, t('badges.won', { n: won.length })),
        won.length
          ? h('ul', { class: 'badge-list', id: 'badges-won' }, won.map((a) => h('li', { class: 'badge-card won', dataset: { achievement: a.id } },
            badgeImage(a),
            h('div', {},
              h('h3', {}, a.title),
              h('p', {}, a.description),
              h('p', { class: 'badge-when' },
                a.unlocked_at ? h('time', { datetime: a.unlocked_at }, t('badges.won_on', { day: childDay(a.unlocked_at, { timeZone }) })) : null,
                a.reward_points ? ` · ${t('play.achievement.points', { n: a.reward_points })}` : null)))))
          : h('p', { class: 'hint', id: 'no-badges' }, t('badges.none_yet'))),
      h('section', { 'aria-labelledby': 'badges-to-win-title' },
        h('h2', { id: 'badges-to-win-title' }, t('badges.to_win', { n: toWin.length })),
        toWin.length
          ? h('ul', { class: 'badge-list', id: 'badges-to-win' }, toWin.map((a) => h('li', { class: 'badge-card locked', dataset: { achievement: a.id } },
            badgeImage(a),
            h('div', {},
              h('h3', {}, a.title, h('span', { class: 'sr-only' }, ` (${t('badges.locked')})`)),
              h('p', {}, h('strong', {}, `${t('badges.how')} `), a.description),
              a.reward_points ? h('p', { class: 'badge-when' }, t('badges.worth', { n: a.reward_points })) : null))))
          : h('p', { class: 'hint' }, t('badges.all_won'))));
  }
}
