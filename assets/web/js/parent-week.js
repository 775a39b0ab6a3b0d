// A child's week on the family page: learning time per day by subject (a chart with axes and
// a legend), the totals, and the questions missed most often.
import { get } from './api.js';
import { barChart, chartLegend } from './chart.js';
import { errorText, fill, h } from './dom.js';
import { t } from './strings.js';

function subjectName(category) {
  const key = `category.${category}`;
  const name = t(key);
  return name === key ? category : name;
}

const minutes = (seconds) => Math.round((seconds ?? 0) / 60);

// Renders `week` (GET /v1/learners/{id}/progress/weekly) into `box`.
export function drawWeek(box, week) {
  const locale = document.documentElement.lang;
  // The subjects played this week in a fixed order (most learning time first), so each keeps
  // its colour all week.
  const perSubject = new Map();
  for (const d of week.days) {
    for (const [c, v] of Object.entries(d.by_category ?? {})) {
      if (!v.questions_answered && !v.study_seconds && !v.activities_completed) continue;
      perSubject.set(c, (perSubject.get(c) ?? 0) + (v.study_seconds ?? 0));
    }
  }
  const subjects = [...perSubject.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c);
  const bars = week.days.map((d) => {
    const day = new Date(`${d.date}T12:00:00Z`).toLocaleDateString(locale, { weekday: 'short', timeZone: 'UTC' });
    const parts = subjects.map((c, series) => ({ series, value: minutes(d.by_category?.[c]?.study_seconds) }));
    const value = minutes(d.study_seconds);
    const split = parts.filter((p) => p.value > 0).map((p) => `${subjectName(subjects[p.series])} ${p.value}`);
    const text = t('parent.day_minutes', { day, n: value }) + (split.length > 1 ? ` (${split.join(', ')})` : '');
    return { label: day, value, parts, text };
  });
  const total = week.totals ?? {};
  const summary = total.accuracy == null ? t('parent.week_summary_none') : t('parent.week_summary', {
    activities: total.activities_completed ?? 0,
    minutes: minutes(total.study_seconds),
    accuracy: Math.round(total.accuracy),
  });
  const described = `${t('parent.chart_title')}: ${bars.map((b) => b.text).join(', ')}`;
  fill(box,
    h('p', { class: 'week-summary' }, summary),
    h('figure', { class: 'week-chart' },
      h('figcaption', {}, t('parent.chart_title')),
      barChart(bars, described, { x: t('parent.chart_x'), y: t('parent.chart_y') }),
      subjects.length ? chartLegend(subjects.map(subjectName)) : null),
    missedList(week.most_missed ?? []));
}

function missedList(missed) {
  const title = h('h4', {}, t('parent.missed_title'));
  if (!missed.length) return [title, h('p', { class: 'hint missed-none' }, t('parent.missed_none'))];
  return [title, h('ol', { class: 'missed' }, missed.map((m) => h('li', {},
    h('span', { class: 'missed-prompt' }, m.prompt),
    h('span', { class: 'missed-meta' }, t(m.times_missed === 1 ? 'parent.missed_once' : 'parent.missed_times',
      { activity: m.activity_title, n: m.times_missed })))))];
}

export async function loadWeek(box, childId) {
  try {
    drawWeek(box, await get(`/v1/learners/${childId}/progress/weekly`));
  } catch (e) {
    box.textContent = errorText(e);
  }
}
