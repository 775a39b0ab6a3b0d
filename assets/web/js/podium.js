// The winners of a class game, each place said once ("1st", with its medal) and a tie shared
// ("1st" twice, then "3rd"), as the server ranks them: equal scores share a rank.
import { h } from './dom.js';
import { t } from './strings.js';

const MEDALS = { 1: '🥇', 2: '🥈', 3: '🥉' };
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
        MEDALS[p.rank] ? h('span', { class: 'medal', 'aria-hidden': 'true' }, MEDALS[p.rank]) : null,
        h('span', { class: 'rank' }, ordinal(p.rank), tied ? h('span', { class: 'tie' }, ` ${t('rank.tie')}`) : null),
        h('span', { class: 'name' }, p.name),
        h('span', { class: 'points' }, t('game.points', { n: p.score })));
    }));
}
