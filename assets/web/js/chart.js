// A small bar chart in SVG (no library, no inline styles): one bar per value, its label
// under it, and a text summary for screen readers.
const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// bars: [{label, value, text}] (text: what the bar says when read out); summary: the whole
// chart in one sentence.
export function barChart(bars, summary) {
  const width = 420;
  const height = 180;
  const bottom = 24;
  const top = 18;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const step = width / Math.max(bars.length, 1);
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': summary });
  svg.append(el('title', {}, summary));
  svg.append(el('line', { x1: 0, x2: width, y1: height - bottom, y2: height - bottom, class: 'baseline' }));
  bars.forEach((bar, i) => {
    const h = ((height - bottom - top) * bar.value) / max;
    const x = i * step + step * 0.2;
    const y = height - bottom - h;
    const group = el('g', {});
    group.append(el('title', {}, bar.text));
    group.append(el('rect', { x, y, width: step * 0.6, height: Math.max(h, bar.value > 0 ? 2 : 0), rx: 4, class: 'bar-rect' }));
    if (bar.value > 0) group.append(el('text', { x: x + step * 0.3, y: y - 4, 'text-anchor': 'middle' }, String(bar.value)));
    group.append(el('text', { x: x + step * 0.3, y: height - 6, 'text-anchor': 'middle' }, bar.label));
    svg.append(group);
  });
  return svg;
}
