// Extra time in class games, pupil by pupil: a longer deadline for whoever needs one (the
// server scores speed against the pupil's own deadline).
import { put } from './api.js';
import { announce, errorText, fill, h, showStatus } from './dom.js';
import { t } from './strings.js';

const CHOICES = [0, 25, 50, 100];

// A <details> listing the class's `students` ({learner_id, name, extra_time_percent}).
export function extraTimeBox(classId, students) {
  const status = h('p', { class: 'form-status', role: 'status' });
  const rows = students.map((s) => {
    const now = Number(s.extra_time_percent ?? 0);
    const id = `extra-${s.learner_id}`;
    const choices = CHOICES.includes(now) ? CHOICES : [...CHOICES, now].sort((a, b) => a - b);
    const select = h('select', {
      id, name: 'extra_time_percent', dataset: { learner: s.learner_id },
      onchange: async () => {
        select.disabled = true;
        try {
          await put(`/v1/classes/${classId}/members/${s.learner_id}`, { extra_time_percent: Number(select.value) });
          s.extra_time_percent = Number(select.value);
          showStatus(status, t('extra.saved', { name: s.name, n: select.value }), 'success');
          announce(status.textContent);
        } catch (e) {
          select.value = String(s.extra_time_percent ?? 0);
          showStatus(status, errorText(e), 'error');
        } finally {
          select.disabled = false;
        }
      },
    }, choices.map((n) => h('option', { value: String(n), selected: n === now }, t(n ? 'extra.percent' : 'extra.none', { n }))));
    return h('tr', {}, h('th', { scope: 'row' }, h('label', { for: id }, s.name)), h('td', {}, select));
  });
  return h('details', { class: 'extra-time', id: 'extra-time' },
    h('summary', {}, t('extra.title')),
    h('p', { class: 'hint' }, t('extra.hint')),
    students.length
      ? h('table', { class: 'extra-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('teacher.col.student')), h('th', { scope: 'col' }, t('extra.col')))),
        h('tbody', {}, rows))
      : h('p', { class: 'hint' }, t('teacher.no_students')),
    status);
}

// Replaces the box's content with the list for `students`.
export function showExtraTime(box, classId, students) {
  const open = box.querySelector('details')?.open ?? false;
  fill(box, extraTimeBox(classId, students));
  box.querySelector('details').open = open;
}
