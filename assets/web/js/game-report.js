// A class game's report for its teacher: every player's score, place, right answers, how
// many they answered and how long each question took them, and the same as a CSV file.
import { download, get } from './api.js';
import { errorText, fill, h } from './dom.js';
import { ordinal } from './podium.js';
import { t } from './strings.js';

function seconds(q) {
  if (!q || q.seconds == null) return t('report.no_answer');
  return t('report.seconds', { n: Number(q.seconds).toFixed(1).replace(/\.0$/, '') });
}

export function reportTable(report) {
  const players = [...(report.players ?? [])].sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
  const count = Math.max(0, ...players.map((p) => (p.per_question ?? []).length));
  const indexes = [...Array(count).keys()];
  return h('table', { id: 'report-table', class: 'report-table' },
    h('caption', { class: 'sr-only' }, t('report.title')),
    h('thead', {}, h('tr', {},
      ['rank', 'name', 'score', 'correct', 'answered'].map((c) => h('th', { scope: 'col' }, t(`report.col.${c}`))),
      indexes.map((i) => h('th', { scope: 'col' }, t('report.col.question', { n: i + 1 }))))),
    h('tbody', {}, players.map((p) => {
      const byIndex = new Map((p.per_question ?? []).map((q) => [q.index, q]));
      return h('tr', { dataset: { learner: p.learner_id } },
        h('td', { class: 'rank' }, ordinal(p.rank)),
        h('th', { scope: 'row' }, p.name),
        h('td', { class: 'points-cell' }, String(p.score)),
        h('td', { class: 'correct' }, String(p.correct)),
        h('td', { class: 'answered' }, String(p.answered)),
        indexes.map((i) => {
          const q = byIndex.get(i);
          const mark = q?.seconds == null ? '' : (q.correct ? '✓ ' : '✗ ');
          const said = q?.seconds == null ? '' : t(q.correct ? 'report.right' : 'report.wrong');
          return h('td', { class: q?.correct ? 'q right' : 'q' },
            h('span', { 'aria-hidden': 'true' }, mark), said ? h('span', { class: 'sr-only' }, `${said}, `) : null, seconds(q));
        }));
    })));
}

// Fills `box` with the report of `gameId` (its title, when known, names the CSV file).
export async function showReport(gameId, box, { title } = {}) {
  fill(box, h('p', { class: 'hint' }, t('loading')));
  let report;
  try {
    report = await get(`/v1/games/${encodeURIComponent(gameId)}/report`);
  } catch (e) {
    fill(box, h('p', { class: 'notice', role: 'alert' }, e.status === 404 ? t('report.gone') : errorText(e)));
    return;
  }
  const error = h('p', { class: 'form-error', role: 'alert' });
  const file = `${(title || t('report.file')).replace(/[^\p{L}\p{N} _-]+/gu, '').trim() || 'game'}.csv`;
  fill(box,
    // Wide on a phone: the table scrolls, and a keyboard can scroll it too.
    report.players?.length ? h('div', { class: 'table-wrap report-wrap', tabindex: '0', role: 'region', 'aria-label': t('report.table') }, reportTable(report)) : h('p', { class: 'hint' }, t('report.empty')),
    h('p', {}, h('button', {
      type: 'button', id: 'report-csv', class: 'small',
      onclick: async () => {
        error.textContent = '';
        try {
          await download(`/v1/games/${encodeURIComponent(gameId)}/report?format=csv`, file);
        } catch (e) {
          error.textContent = errorText(e);
        }
      },
    }, t('report.csv'))),
    error);
}
