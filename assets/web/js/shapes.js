// The four marks that tell a game's options apart on the projector and on a pupil's device:
// a colour and a shape each (red triangle, blue diamond, yellow circle, green square), so a
// pupil who cannot tell the colours apart still finds "the triangle". Inline SVG, no files.
import { t } from './strings.js';

const NS = 'http://www.w3.org/2000/svg';
export const MARKS = [
  { name: 'triangle', colour: 'red', draw: ['polygon', { points: '50,8 94,90 6,90' }] },
  { name: 'diamond', colour: 'blue', draw: ['polygon', { points: '50,4 96,50 50,96 4,50' }] },
  { name: 'circle', colour: 'yellow', draw: ['circle', { cx: '50', cy: '50', r: '44' }] },
  { name: 'square', colour: 'green', draw: ['rect', { x: '10', y: '10', width: '80', height: '80' }] },
];

// The mark of option `i` (cycling past four): {name, colour, draw}.
export const markOf = (i) => MARKS[i % MARKS.length];

// The shape as an SVG element (hidden from screen readers: `markLabel` says it in words).
export function shape(i) {
  const mark = markOf(i);
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 100 100');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `shape shape-${mark.name}`);
  const [tag, attrs] = mark.draw;
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  svg.append(el);
  return svg;
}

// "Red triangle", for screen readers and for the words under a colour.
export const markLabel = (i) => t(`shape.${markOf(i).colour}_${markOf(i).name}`);
