// The catalog's activity cards: name, subject, number of questions, and the learner's best
// stars on it (`best_stars` of GET /v1/learners/{id}/progress; none before a completion).
import { h } from './dom.js';
import { t } from './strings.js';

export const categoryName = (category) => {
  const text = t(`category.${category}`);
  return text === `category.${category}` ? category : text;
};

// Activity id → best stars (0–3), from the progress summary (or nothing when it failed).
export function bestStars(progress) {
  return new Map(Object.entries(progress?.best_stars ?? {}));
}

// Three stars, the best ones lit, said in words for screen readers.
function cardStars(n) {
  return h('span', { class: 'card-stars', dataset: { stars: String(n) } },
    h('span', { 'aria-hidden': 'true' },
      [1, 2, 3].map((k) => h('span', { class: k <= n ? 'star on' : 'star' }, '★'))),
    h('span', { class: 'sr-only' }, n ? t('play.stars', { n }) : t('play.no_stars')));
}

export function activityCard(activity, { big = false, stars = 0, onStart }) {
  return h('button', {
    type: 'button', class: big ? 'activity big recommended' : 'activity',
    onclick: () => onStart(activity.id), dataset: { activity: activity.id },
  },
  h('span', { class: 'activity-name' }, activity.title),
  h('span', { class: 'activity-meta' }, t('play.activity_meta', {
    category: categoryName(activity.category),
    n: activity.question_count,
  })),
  cardStars(stars));
}

// Every activity by category, each card with its stars.
export function catalogSections(list, { best, onStart }) {
  const groups = new Map();
  for (const a of list) {
    if (!groups.has(a.category)) groups.set(a.category, []);
    groups.get(a.category).push(a);
  }
  return [...groups].map(([category, activities]) => h('section', { class: 'category' },
    h('h3', {}, categoryName(category)),
    h('div', { class: 'activities' }, activities.map((a) => activityCard(a, { stars: best.get(a.id) ?? 0, onStart })))));
}
