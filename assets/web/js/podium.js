// The winners of a class game, each place said once ("1st", with its medal) and a tie shared
// ("1st" twice, then "3rd"), as the server ranks them: equal scores share a rank.
import { h } from './dom.js';
import { t } from './strings.js';

const MEDALS = { 1: '#e0a800', 2: '#aab2bd', 3: '#c27c3a' }; // gold, silver, bronze
const NS = 'http://www.w3.org/2000/svg';

// A medal for the first three places, drawn (an emoji needs a font a projector may lack).
function medal(rank) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 40 48');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'medal');
  const part = (tag, attrs) => {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    svg.append(el);
  };
  part('polygon', { points: '8,0 18,0 24,18 14,18', fill: '#3b3fb6' });
  part('polygon', { points: '22,0 32,0 26,18 16,18', fill: '#6b6fe0' });
  part('circle', { cx: '20', cy: '31', r: '15', fill: MEDALS[rank] });
  part('circle', { cx: '20', cy: '31', r: '10', fill: 'none', stroke: '#fff', 'stroke-opacity': '0.6', 'stroke-width': '2' });
  return svg;
}
const rules = new Intl.PluralRules('en', { type: 'ordinal' });

// "1st", "2nd", "3rd", "11th"…
export function ordinal(n) {
  return t(`rank.${rules.select(n)}`, { n });
}

// places: [{learner_id, name, score, rank}], best first.
export function podium(places, { big = false, label = t('game.podium') } = {}) {
  const ranks = places.map((p) => p.rank);
  return h('ol', { class: big ? 'podium big' : 'podium', 'aria-label': label },
    places.map((p) => {
      const tied = ranks.filter((r) => r === p.rank).length > 1;
      return h('li', { class: `place place-${Math.min(p.rank, 4)}`, dataset: { rank: String(p.rank) } },
        MEDALS[p.rank] ? medal(p.rank) : h('span', { class: 'medal' }),
        h('span', { class: 'rank' }, ordinal(p.rank), tied ? h('span', { class: 'tie' }, ` ${t('rank.tie')}`) : null),
        h('span', { class: 'name' }, p.name),
        h('span', { class: 'points' }, t('game.points', { n: p.score })));
    }));
}
