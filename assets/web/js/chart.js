// A small bar chart in SVG (no library, no inline styles): one bar per value (stacked by
// series when a bar has parts), its label under it, a value axis with round steps, both axes
// titled, and a text summary for screen readers.
import { h } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
// Series colours (app.css `.chart .s0`…): a legend names them, the summary says them.
const SERIES = 6;

function el(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// A round step (1, 2, 5, 10, 15, 30, 60 …) giving at most four steps up to `max`.
function niceStep(max) {
  for (const s of [1, 2, 5, 10, 15, 20, 30, 60, 90, 120, 180, 240, 360, 480, 720]) {
    if (max / s <= 4) return s;
  }
  return Math.ceil(max / 4);
}

// bars: [{label, value, text, parts?: [{series, value}]}] (text: what the bar says when read
// out; parts: the bar split by series index, bottom first); summary: the whole chart in one
// sentence; axes: {x, y} titles (optional).
export function barChart(bars, summary, axes = {}) {
  const width = 420;
  const height = 230;
  const left = axes.y ? 46 : 30;
  const bottom = axes.x ? 44 : 26;
  const top = 18;
  const plot = height - bottom - top;
  const step = niceStep(Math.max(1, ...bars.map((b) => b.value)));
  const max = step * Math.max(1, Math.ceil(Math.max(1, ...bars.map((b) => b.value)) / step));
  const column = (width - left - 4) / Math.max(bars.length, 1);
  const y = (v) => height - bottom - (plot * v) / max;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': summary });
  svg.append(el('title', {}, summary));
  // The value axis: a line per step, its number at the left.
  for (let v = 0; v <= max; v += step) {
    svg.append(el('line', { x1: left, x2: width - 4, y1: y(v), y2: y(v), class: v === 0 ? 'baseline' : 'grid-line' }));
    svg.append(el('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, String(v)));
  }
  svg.append(el('line', { x1: left, x2: left, y1: top - 6, y2: height - bottom, class: 'axis' }));
  if (axes.y) {
    const cy = top + plot / 2;
    svg.append(el('text', { x: 12, y: cy, 'text-anchor': 'middle', transform: `rotate(-90 12 ${cy})`, class: 'axis-title' }, axes.y));
  }
  if (axes.x) {
    svg.append(el('text', { x: left + (width - left) / 2, y: height - 4, 'text-anchor': 'middle', class: 'axis-title' }, axes.x));
  }
  bars.forEach((bar, i) => {
    const x = left + i * column + column * 0.2;
    const group = el('g', {});
    group.append(el('title', {}, bar.text));
    let base = 0;
    for (const part of bar.parts ?? [{ series: 0, value: bar.value }]) {
      if (part.value <= 0) continue;
      const h = Math.max(y(base) - y(base + part.value), 2);
      group.append(el('rect', { x, y: y(base) - h, width: column * 0.6, height: h, class: `bar-rect s${part.series % SERIES}` }));
      base += part.value;
    }
    if (bar.value > 0) group.append(el('text', { x: x + column * 0.3, y: y(bar.value) - 4, 'text-anchor': 'middle' }, String(bar.value)));
    group.append(el('text', { x: x + column * 0.3, y: height - bottom + 16, 'text-anchor': 'middle' }, bar.label));
    svg.append(group);
  });
  return svg;
}

// The names of a chart's series beside their colours (hidden from screen readers, who have
// the chart's summary).
export function chartLegend(names) {
  return h('ul', { class: 'legend', 'aria-hidden': 'true' },
    names.map((name, i) => h('li', {}, h('span', { class: `swatch s${i % SERIES}` }), name)));
}
