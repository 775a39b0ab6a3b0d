// One class on the teacher's page: its join code, the live view, a class game, this week's
// progress and assessments.
import { get, post } from './api.js';
import { ClassLive } from './class-live.js';
import { announce, dateText, errorText, fill, formValues, h, showFormError } from './dom.js';
import { showExtraTime } from './game-extra-time.js';
import { GameHost, pastGames } from './game-host.js';
import { t } from './strings.js';
import { PupilsPanel } from './teacher-pupils.js';

const GRADES = ['A*', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'U', '9', '8', '7', '6', '5', '4', '3', '2', '1'];
const COMPONENTS = ['listening', 'composing', 'performing'];

function field(id, label, input) {
  return [h('label', { for: id }, label), input];
}

export class ClassPanel {
  constructor(klass, titles, activities) {
    this.klass = klass;
    this.titles = titles;
    this.activities = activities;
    this.el = h('div', { class: 'class-panel' });
  }

  async open() {
    const k = this.klass;
    const table = h('table', { id: 'live-table' },
      h('caption', { class: 'sr-only' }, t('teacher.live')),
      h('thead', {}, h('tr', {}, ['student', 'status', 'activity', 'answered', 'right'].map((c) => h('th', { scope: 'col' }, t(`teacher.col.${c}`))))),
      h('tbody'));
    this.gameBox = h('div', { class: 'game-box' }, this.gameForm());
    this.extraBox = h('div', { class: 'extra-box' });
    this.progressBox = h('div', { class: 'table-wrap' });
    this.assessBox = h('div', {});
    fill(this.el,
      h('section', { class: 'card', 'aria-labelledby': 'class-title' },
        h('h2', { id: 'class-title' }, k.name, k.subject ? ` · ${k.subject}` : ''),
        h('p', {}, t('teacher.code'), ' ', h('span', { class: 'join-code', id: 'join-code' }, k.join_code)),
        h('p', { class: 'hint' }, t('teacher.code_hint'))),
      // Pupils without an email (teacher-pupils.js).
      (this.pupils = new PupilsPanel(k, () => this.loadRoster())).el,
      h('section', { class: 'card', 'aria-labelledby': 'live-title' },
        h('h3', { id: 'live-title' }, t('teacher.live')),
        h('p', { id: 'live-empty', class: 'hint', hidden: true }, t('teacher.no_students')),
        h('div', { class: 'table-wrap' }, table)),
      h('section', { class: 'card', 'aria-labelledby': 'game-title' },
        h('h3', { id: 'game-title' }, t('teacher.game')), this.gameBox, this.extraBox),
      h('section', { class: 'card', 'aria-labelledby': 'progress-title' },
        h('h3', { id: 'progress-title' }, t('teacher.progress')),
        h('button', { type: 'button', class: 'small', id: 'progress-refresh', onclick: () => this.loadProgress() }, t('teacher.refresh')),
        this.progressBox),
      h('section', { class: 'card', 'aria-labelledby': 'assess-title' },
        h('h3', { id: 'assess-title' }, t('teacher.assessments')), this.assessBox));
    this.live = new ClassLive(k.id, this.titles, table, () => this.loadRoster());
    await Promise.all([this.loadProgress(), this.loadRoster(), this.pupils.load()]);
  }

  close() {
    this.live?.stop();
    this.host?.stop();
  }

  gameForm() {
    const form = h('form', {
      id: 'game-form',
      onsubmit: async (event) => {
        event.preventDefault();
        showFormError(form, null);
        const v = formValues(form);
        try {
          const game = await post(`/v1/classes/${this.klass.id}/games`, {
            activity_id: v.activity_id, seconds_per_question: Number(v.seconds),
          });
          const title = this.activities.find((a) => a.id === game.activity_id)?.title ?? game.activity_id;
          this.host = new GameHost(game, this.gameBox, { title, onAgain: () => this.newGame() });
        } catch (e) {
          showFormError(form, e);
        }
      },
    },
    field('game-activity', t('teacher.game_activity'),
      h('select', { id: 'game-activity', name: 'activity_id' },
        this.activities.map((a) => h('option', { value: a.id }, `${a.title} (${t('teacher.questions', { n: a.question_count })})`)))),
    field('game-seconds', t('teacher.game_seconds'),
      h('input', { id: 'game-seconds', name: 'seconds', type: 'number', min: '5', max: '120', value: '20', required: true })),
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit', class: 'primary' }, t('teacher.game_start')));
    const past = pastGames(this.klass.id);
    return [form, past.length ? h('div', { class: 'past-games' },
      h('h4', {}, t('host.past')),
      h('ul', { id: 'past-games' }, past.map((g) => h('li', {},
        h('a', { href: `/teacher/games/${encodeURIComponent(g.game_id)}#report` }, t('host.past_item', { title: g.title, when: dateText(g.at) })))))) : null];
  }

  // After a game: the form again, for the next one.
  newGame() {
    this.host?.stop();
    this.host = null;
    fill(this.gameBox, this.gameForm());
    this.gameBox.querySelector('select')?.focus();
  }

  async loadProgress() {
    try {
      const p = await get(`/v1/classes/${this.klass.id}/progress`);
      fill(this.progressBox, h('table', { id: 'progress-table' },
        h('caption', { class: 'sr-only' }, t('teacher.progress')),
        h('thead', {}, h('tr', {}, ['student', 'activities', 'accuracy', 'time'].map((c) => h('th', { scope: 'col' }, t(`teacher.col.${c}`))))),
        h('tbody', {}, p.learners.map((l) => h('tr', {},
          h('th', { scope: 'row' }, l.name),
          h('td', {}, String(l.activities_completed)),
          h('td', {}, l.accuracy == null ? '–' : `${Math.round(l.accuracy)}%`),
          h('td', {}, t('time.minutes', { n: Math.round(l.time_seconds / 60) })))))));
    } catch (e) {
      this.progressBox.textContent = errorText(e);
    }
  }

  async loadRoster() {
    try {
      const roster = await get(`/v1/classes/${this.klass.id}`);
      this.students = roster.students;
      showExtraTime(this.extraBox, this.klass.id, roster.students);
      fill(this.assessBox, roster.students.length ? this.assessForm() : h('p', { class: 'hint' }, t('teacher.no_students')));
    } catch (e) {
      this.assessBox.textContent = errorText(e);
    }
  }

  assessForm() {
    const list = h('ul', { id: 'assessments' });
    const select = h('select', { id: 'assess-student', name: 'learner', onchange: () => this.listAssessments(select.value, list) },
      this.students.map((s) => h('option', { value: s.learner_id }, s.name)));
    const form = h('form', {
      id: 'assess-form',
      onsubmit: async (event) => {
        event.preventDefault();
        showFormError(form, null);
        const v = formValues(form);
        const body = { assessment_type: v.assessment_type, component: v.component, grade: v.grade, feedback: v.feedback || undefined };
        if (v.percentage) body.percentage = Number(v.percentage);
        try {
          await post(`/v1/learners/${v.learner}/assessments`, body);
          form.querySelector('[name=feedback]').value = '';
          announce(t('teacher.assessment_saved'));
          await this.listAssessments(v.learner, list);
        } catch (e) {
          showFormError(form, e);
        }
      },
    },
    field('assess-student', t('teacher.col.student'), select),
    field('assess-type', t('teacher.assess_type'), h('input', { id: 'assess-type', name: 'assessment_type', required: true, maxlength: '50', placeholder: t('teacher.assess_type_default') })),
    field('assess-component', t('teacher.assess_component'), h('input', { id: 'assess-component', name: 'component', required: true, list: 'components', placeholder: COMPONENTS[0] })),
    h('datalist', { id: 'components' }, COMPONENTS.map((c) => h('option', { value: c }))),
    field('assess-grade', t('teacher.assess_grade'), h('select', { id: 'assess-grade', name: 'grade' }, GRADES.map((g) => h('option', { value: g }, g)))),
    field('assess-percent', t('teacher.assess_percent'), h('input', { id: 'assess-percent', name: 'percentage', type: 'number', min: '0', max: '100' })),
    field('assess-feedback', t('teacher.assess_feedback'), h('textarea', { id: 'assess-feedback', name: 'feedback', rows: '2', maxlength: '5000' })),
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit', class: 'primary' }, t('teacher.assess_save')));
    this.listAssessments(this.students[0].learner_id, list);
    return h('div', {}, form, h('h4', {}, t('teacher.assess_list')), list);
  }

  async listAssessments(learnerId, list) {
    try {
      const items = await get(`/v1/learners/${learnerId}/assessments`);
      fill(list, items.length ? items.map((a) => h('li', {},
        `${a.assessment_type} · ${a.component} · `, h('strong', {}, a.grade),
        a.percentage == null ? '' : ` (${a.percentage}%)`, a.feedback ? ` — ${a.feedback}` : ''))
        : h('li', { class: 'hint' }, t('teacher.no_assessments')));
    } catch (e) {
      fill(list, h('li', {}, errorText(e)));
    }
  }
}
