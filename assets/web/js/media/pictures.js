// Pictures: `count` copies of a small drawing to count (icons/<name>.svg, one for each name
// the server accepts), in rows of five as children count; and a question's picture with its
// text alternative.
import { t } from '../strings.js';

export const ICONS = [
  'apple', 'ball', 'balloon', 'bird', 'car', 'cat', 'cookie', 'dog', 'duck', 'fish', 'flower',
  'heart', 'leaf', 'star', 'sun', 'tree',
];

const iconUrl = (name) => new URL(`../../icons/${name}.svg`, import.meta.url).href;

// "7 apples", "1 apple": in words, for screen readers (and translators).
export function countText(icon, count) {
  const form = new Intl.PluralRules(document.documentElement.lang || 'en').select(count);
  const key = `count.${icon}.${form}`;
  const text = t(key, { n: count });
  return text === key ? t(`count.${icon}.other`, { n: count }) : text;
}

// The grid of `count` pictures of `icon`, read as one picture: "7 apples".
export function countGrid({ icon, count }) {
  const grid = document.createElement('div');
  grid.className = 'count-grid';
  grid.setAttribute('role', 'img');
  const known = ICONS.includes(icon);
  grid.setAttribute('aria-label', countText(known ? icon : 'picture', count));
  grid.dataset.icon = icon;
  grid.dataset.count = String(count);
  const n = Math.min(Math.max(Math.trunc(count) || 0, 0), 20);
  grid.style.setProperty('--cols', String(Math.min(Math.max(n, 1), 5)));
  for (let i = 0; i < n; i += 1) {
    const img = document.createElement('img');
    img.src = iconUrl(known ? icon : 'star');
    img.alt = '';
    img.width = 56;
    img.height = 56;
    img.className = 'count-item';
    grid.append(img);
  }
  return grid;
}

// A question's picture from the content store, described by `alt`.
export function picture(url, alt) {
  const img = document.createElement('img');
  img.className = 'question-image';
  img.src = url;
  img.alt = alt || '';
  img.decoding = 'async';
  return img;
}
