// A student's own study, a view of the play page (/play#study): their grades and their
// teachers' feedback (one recorded or changed while the page is open arrives over the play
// socket, with a toast wherever the student is), their progress, and their daily goal.
import { get, put } from './api.js';
import { barChart } from './chart.js';
import { $, announce, errorText, fill, h, minutesText } from './dom.js';
import { t } from './strings.js';

const MAX_MINUTES = 1440;

// The translated name of a category or a component, else the word itself made readable
// (`key_signatures` → `Key signatures`, `mock exam` → `Mock exam`): components may be any
// sub-category of the catalog, and the server keeps an assessment's type in lower case.
function named(prefix, word) {
  const key = `${prefix}.${word}`;
  const text = t(key);
  if (text !== key) return text;
  const plain = String(word).replace(/[_-]+/g, ' ').trim();
  return plain.charAt(0).toUpperCase() + plain.slice(1);
}

function dayText(iso) {
  try {
    return new Date(iso).toLocaleDateString(document.documentElement.lang || undefined, { dateStyle: 'medium' });
  } catch {
    return iso;
  }
}

// Study time, short enough for a tile: `25 min`, `3 h 5 min`.
function durationText(seconds) {
  const minutes = Math.round((seconds ?? 0) / 60);
  if (minutes < 60) return t('time.min', { n: minutes });
  return t('time.hours_minutes', { h: Math.floor(minutes / 60), m: minutes % 60 });
}

const daysText = (n) => (n === 1 ? t('study.day') : t('study.days', { n }));
const percentText = (n) => (n == null ? t('study.none') : t('study.percent', { n: Math.round(n) }));

function gradeLine(a) {
  return t('study.toast_text', {
    component: named('component', a.component),
    grade: a.percentage == null ? a.grade : `${a.grade} (${t('study.percent', { n: Math.round(a.percentage) })})`,
  });
}

export class StudyView {
  // learner: the student's own; onGoal(settings): after a new goal is saved.
  constructor(learner, { onGoal }) {
    this.learner = learner;
    this.onGoal = onGoal;
    this.assessments = []; // newest first, as the server lists them
    this.marked = new Map(); // id → 'new' | 'changed': arrived live while the page was open
    this.loaded = false;
    this.form = $('#goal-form');
    this.form.addEventListener('submit', (event) => this.saveGoal(event));
    this.form.addEventListener('input', () => this.goalEdited());
    $('#toast-close').addEventListener('click', () => this.hideToast());
    $('#toast-open').addEventListener('click', () => this.hideToast());
  }

  // Everything afresh each time the view opens: numbers move while the student plays.
  async open() {
    this.hideToast();
    if (!this.loaded) {
      for (const id of ['#grades-box', '#progress-box']) fill($(id), h('p', { class: 'hint' }, t('loading')));
    }
    const id = this.learner.id;
    const [assessments, progress, week, badges, settings] = await Promise.allSettled([
      get('/v1/me/assessments'),
      get(`/v1/learners/${id}/progress`),
      get(`/v1/learners/${id}/progress/weekly`),
      get(`/v1/learners/${id}/achievements`),
      get('/v1/me/settings'),
    ]);
    this.loaded = true;
    if (assessments.status === 'fulfilled') {
      // What arrived live and is not listed yet (a read that raced the teacher) stays.
      const listed = new Set(assessments.value.map((a) => a.id));
      this.assessments = [...this.assessments.filter((a) => !listed.has(a.id)), ...assessments.value];
      this.renderGrades();
    } else {
      fill($('#grades-box'), h('p', { class: 'notice' }, errorText(assessments.reason)));
    }
    if (progress.status === 'fulfilled') {
      this.renderProgress(progress.value,
        week.status === 'fulfilled' ? week.value : null,
        badges.status === 'fulfilled' ? badges.value : []);
    } else {
      fill($('#progress-box'), h('p', { class: 'notice' }, errorText(progress.reason)));
    }
    if (settings.status === 'fulfilled') this.showGoal(settings.value);
    else this.form.querySelector('.form-error').textContent = errorText(settings.reason);
  }

  renderGrades() {
    const box = $('#grades-box');
    if (!this.assessments.length) {
      fill(box, h('p', { class: 'hint', id: 'no-grades' }, t('study.no_grades')));
      return;
    }
    fill(box, h('ul', { id: 'grades', class: 'grades' }, this.assessments.map((a) => {
      const mark = this.marked.get(a.id);
      const when = a.updated_at ?? a.created_at;
      const heading = `grade-${a.id}`;
      return h('li', { class: mark ? 'grade-card fresh' : 'grade-card', dataset: { assessment: a.id } },
        h('p', { class: 'grade-mark' }, h('span', { class: 'sr-only' }, `${t('study.grade')} `), a.grade),
        h('div', { class: 'grade-body' },
          h('h3', { id: heading }, named('component', a.component),
            mark ? [' ', h('span', { class: 'pill on' }, t(`study.${mark}`))] : null),
          h('p', { class: 'grade-meta' },
            named('assessment', a.assessment_type),
            a.percentage == null ? null : [' · ', h('strong', {}, t('study.percent', { n: Math.round(a.percentage) }))],
            ' · ',
            h('time', { datetime: when }, t('study.marked', { date: dayText(when) }))),
          a.feedback
            ? h('figure', { class: 'grade-feedback' },
              h('figcaption', {}, t('study.feedback')),
              h('blockquote', {}, h('p', {}, a.feedback)))
            : null));
    })));
  }

  renderProgress(p, week, badges) {
    const stat = (name, label, value, note) => h('div', { class: 'stat', dataset: { stat: name } },
      h('dt', {}, label),
      h('dd', {}, h('span', { class: 'stat-value' }, String(value)), note ? h('span', { class: 'stat-note' }, note) : null));
    const stats = h('dl', { class: 'stats' },
      stat('streak', t('study.streak'), daysText(p.current_streak_days), t('study.streak_best', { days: daysText(p.longest_streak_days) })),
      stat('stars', t('study.stars'), p.stars, t('study.points', { n: p.points })),
      stat('activities', t('study.activities'), p.activities_completed),
      stat('questions', t('study.questions'), p.questions_answered),
      stat('accuracy', t('study.accuracy'), percentText(p.average_accuracy)),
      stat('time', t('study.time'), durationText(p.study_seconds)));

    const subjects = Object.entries(p.by_category ?? {});
    const bySubject = subjects.length
      ? h('ul', { class: 'subjects' }, subjects.map(([category, c]) => {
        const accuracy = c.average_accuracy ?? c.accuracy;
        const bar = h('span', { class: 'subject-bar', 'aria-hidden': 'true' }, h('span', { class: 'subject-fill' }));
        bar.firstChild.style.width = `${Math.max(0, Math.min(100, accuracy ?? 0))}%`;
        return h('li', { dataset: { category } },
          h('h4', {}, named('category', category)),
          h('p', {}, t('study.subject_line', {
            activities: c.activities_completed,
            accuracy: accuracy == null ? t('study.none') : t('study.subject_right', { n: Math.round(accuracy) }),
            time: durationText(c.study_seconds),
            stars: t(c.stars === 1 ? 'study.star' : 'study.stars_n', { n: c.stars }),
          })),
          bar);
      }))
      : h('p', { class: 'hint' }, t('study.no_subjects'));

    let weekBox = null;
    if (week) {
      const locale = document.documentElement.lang;
      const bars = week.days.map((d) => {
        const minutes = Math.round(d.study_seconds / 60);
        const day = new Date(`${d.date}T12:00:00Z`).toLocaleDateString(locale, { weekday: 'short', timeZone: 'UTC' });
        return { label: day, value: minutes, text: t('study.day_minutes', { day, n: minutes }) };
      });
      const total = week.totals ?? {};
      weekBox = [
        h('h3', {}, t('study.week')),
        h('p', {}, total.accuracy == null ? t('study.week_none') : t('study.week_summary', {
          activities: total.activities_completed ?? 0,
          minutes: Math.round((total.study_seconds ?? 0) / 60),
          accuracy: Math.round(total.accuracy),
        })),
        barChart(bars, `${t('study.chart_title')}: ${bars.map((b) => b.text).join(', ')}`),
      ];
    }

    const badgeList = badges.length
      ? h('ul', { class: 'study-badges' }, badges.map((b) => h('li', {},
        h('img', { src: b.badge_icon_url, alt: '', width: 48, height: 48 }),
        h('span', {}, b.title))))
      : h('p', { class: 'hint' }, t('study.no_badges'));

    fill($('#progress-box'), stats,
      h('h3', {}, t('study.subjects')), bySubject,
      weekBox,
      h('h3', {}, t('study.badges')), badgeList);
  }

  // The goal as saved: no limit, or whole minutes.
  showGoal(settings) {
    const seconds = settings.daily_time_limit_seconds;
    const none = seconds == null;
    this.form.querySelector(`input[name=goal][value=${none ? 'none' : 'minutes'}]`).checked = true;
    const input = $('#goal-minutes');
    if (!none) input.value = String(Math.round(seconds / 60));
    input.disabled = none;
  }

  goalEdited() {
    const none = this.form.querySelector('input[name=goal]:checked')?.value !== 'minutes';
    const input = $('#goal-minutes');
    if (input.disabled !== none) {
      input.disabled = none;
      if (!none) input.focus();
    }
    $('#goal-saved').textContent = '';
    this.form.querySelector('.form-error').textContent = '';
    input.removeAttribute('aria-invalid');
  }

  async saveGoal(event) {
    event.preventDefault();
    const form = this.form;
    const error = form.querySelector('.form-error');
    const saved = $('#goal-saved');
    const input = $('#goal-minutes');
    error.textContent = '';
    saved.textContent = '';
    input.removeAttribute('aria-invalid');
    let seconds = null;
    if (form.querySelector('input[name=goal]:checked')?.value === 'minutes') {
      const minutes = Number(input.value.trim());
      if (!input.value.trim() || !Number.isInteger(minutes) || minutes < 1 || minutes > MAX_MINUTES) {
        error.textContent = t('study.goal_invalid');
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      seconds = minutes * 60;
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const settings = await put('/v1/me/settings', { daily_time_limit_seconds: seconds });
      this.showGoal(settings);
      const limit = settings.daily_time_limit_seconds;
      fill(saved, h('span', { class: 'tick', 'aria-hidden': 'true' }, '✓'), ' ',
        limit == null ? t('study.goal_saved_none') : t('study.goal_saved', { time: minutesText(limit) }));
      this.onGoal?.(settings);
    } catch (e) {
      error.textContent = errorText(e);
    } finally {
      button.disabled = false;
    }
  }

  // The play socket's `assessment` frame: a grade a teacher just recorded or changed.
  arrived(frame) {
    const index = this.assessments.findIndex((a) => a.id === frame.id);
    const known = index >= 0 ? this.assessments[index] : null;
    const a = { ...known, ...frame, updated_at: frame.assessed_at, created_at: known?.created_at ?? frame.assessed_at };
    if (known) this.assessments[index] = a;
    else this.assessments.unshift(a);
    this.marked.set(a.id, known && this.marked.get(a.id) !== 'new' ? 'changed' : 'new');
    if (this.loaded) this.renderGrades();
    const title = t(known ? 'study.toast_changed' : 'study.toast_new');
    $('#toast-title').textContent = title;
    $('#toast-text').textContent = gradeLine(a);
    $('#toast-open').hidden = document.body.dataset.view === 'study';
    $('#toast').hidden = false;
    announce(`${title}. ${gradeLine(a)}`);
  }

  hideToast() {
    $('#toast').hidden = true;
  }
}
