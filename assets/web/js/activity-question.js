// One question of the activity editor: a fieldset with its prompt, answer type, options and
// correct answer, explanation and media (pictures and recordings uploaded to /v1/content).
// Every input writes into the model `m` at once; `on.change()` redraws the preview and
// `on.redraw()` the editor (a new type, an option more or less). Inputs carry the server's
// field name in `data-field` so errors land next to them.
import { request } from './api.js';
import { errorText, h, showStatus } from './dom.js';
import { ICONS } from './media/pictures.js';
import { ANSWER_TYPES } from './activity-model.js';
import { t } from './strings.js';

// A labelled input bound to `m[key]`.
function bound(m, key, field, label, on, attrs = {}, tag = 'input') {
  const id = `ed-${field.replace(/[^a-z0-9_]+/gi, '-')}`;
  const input = h(tag, {
    id, name: field, 'data-field': field, value: m[key], ...attrs,
    oninput: (e) => { m[key] = e.target.value; on.change(); },
  });
  if (tag === 'textarea') input.value = m[key];
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

function select(m, key, field, label, values, text, on, redraw = false) {
  const id = `ed-${field.replace(/[^a-z0-9_]+/gi, '-')}`;
  return h('div', { class: 'field' }, h('label', { for: id }, label),
    h('select', {
      id, name: field, 'data-field': field,
      onchange: (e) => { m[key] = e.target.value; (redraw ? on.redraw : on.change)(); },
    }, values.map((v) => h('option', { value: v, selected: m[key] === v }, text(v)))));
}

// A file picker that uploads a picture or recording and puts its address into `m[key]`.
function upload(m, key, field, accept, on) {
  const status = h('span', { class: 'hint', role: 'status' });
  const id = `ed-upload-${field.replace(/[^a-z0-9_]+/gi, '-')}`;
  const input = h('input', {
    type: 'file', id, accept, class: 'upload',
    onchange: async () => {
      const file = input.files[0];
      if (!file) return;
      const form = new FormData();
      form.append('file', file);
      showStatus(status, t('editor.uploading'), 'busy');
      try {
        const stored = await request('POST', '/v1/content', form);
        m[key] = stored.url;
        showStatus(status, t('editor.uploaded'), 'success');
        on.redraw();
      } catch (e) {
        showStatus(status, errorText(e), 'error');
      }
    },
  });
  return h('div', { class: 'field' }, h('label', { for: id }, t('editor.upload')), input, status);
}

function optionsBox(m, i, on) {
  const many = m.answer_type === 'multi_select';
  const field = `questions[${i}].options`;
  const rows = m.options.map((text, k) => {
    const id = `ed-q${i}-opt${k}`;
    const mark = h('input', {
      type: many ? 'checkbox' : 'radio', name: `ed-q${i}-correct`, id: `${id}-correct`,
      checked: many ? m.correct.includes(k) : m.correct === String(k),
      onchange: (e) => {
        if (many) m.correct = e.target.checked ? [...m.correct, k].sort() : m.correct.filter((c) => c !== k);
        else m.correct = String(k);
        on.change();
      },
    });
    return h('div', { class: 'option-row' },
      h('label', { class: 'sr-only', for: id }, t('editor.option', { n: k + 1 })),
      h('input', {
        id, value: text, placeholder: t('editor.option', { n: k + 1 }), maxlength: '500',
        oninput: (e) => { m.options[k] = e.target.value; on.change(); },
      }),
      h('label', { class: 'choice', for: mark.id }, mark, t('editor.correct')),
      m.options.length > 2 ? h('button', {
        type: 'button', class: 'small', 'aria-label': t('editor.remove_option', { n: k + 1 }),
        onclick: () => {
          m.options.splice(k, 1);
          m.correct = many ? m.correct.filter((c) => c !== k).map((c) => (c > k ? c - 1 : c))
            : m.correct === String(k) ? '' : m.correct !== '' && Number(m.correct) > k ? String(Number(m.correct) - 1) : m.correct;
          on.redraw();
        },
      }, '✕') : null);
  });
  return h('fieldset', { class: 'options', 'data-field': `${field} questions[${i}].correct_answer` },
    h('legend', {}, t(many ? 'editor.options_many' : 'editor.options_one')),
    rows,
    m.options.length < 10 ? h('button', {
      type: 'button', class: 'small', onclick: () => { m.options.push(''); on.redraw(); },
    }, t('editor.add_option')) : null);
}

function correctBox(m, i, on) {
  const field = `questions[${i}].correct_answer`;
  if (m.answer_type === 'true_false') {
    return h('fieldset', { 'data-field': field },
      h('legend', {}, t('editor.correct_answer')),
      ['true', 'false'].map((v) => h('label', { class: 'choice' },
        h('input', {
          type: 'radio', name: `ed-q${i}-tf`, value: v, checked: m.correct === v,
          onchange: () => { m.correct = v; on.change(); },
        }), t(v === 'true' ? 'play.true' : 'play.false'))));
  }
  const number = m.answer_type === 'number';
  return [
    bound(m, 'correct', field, t('editor.correct_answer'), on,
      number ? { inputmode: 'decimal', autocomplete: 'off' } : { maxlength: '500', autocomplete: 'off' }),
    number ? bound(m, 'tolerance', `questions[${i}].tolerance`, t('editor.tolerance'), on, { inputmode: 'decimal' }) : null,
  ];
}

function mediaBox(m, i, on) {
  const f = (k) => `questions[${i}].${k}`;
  const open = ['image_url', 'narration_url', 'notation', 'formula', 'visual_icon', 'audio_kind'].some((k) => m[k]);
  return h('details', { class: 'media-fields', open },
    h('summary', {}, t('editor.media')),
    bound(m, 'formula', f('formula'), t('editor.formula'), on, { maxlength: '200', placeholder: '3/4 + 1/8 = ?' }),
    bound(m, 'image_url', f('image_url'), t('editor.image_url'), on, { maxlength: '500' }),
    upload(m, 'image_url', f('image_url'), 'image/*', on),
    bound(m, 'image_alt', f('image_alt'), t('editor.image_alt'), on, { maxlength: '500' }),
    bound(m, 'narration_url', f('narration_url'), t('editor.narration_url'), on, { maxlength: '500' }),
    upload(m, 'narration_url', f('narration_url'), 'audio/*', on),
    bound(m, 'notation', f('notation'), t('editor.notation'), on, { rows: '3', maxlength: '2000', placeholder: 'K:C\nCDEF|G2G2|' }, 'textarea'),
    bound(m, 'notation_alt', f('notation_alt'), t('editor.notation_alt'), on, { maxlength: '500' }),
    select(m, 'audio_kind', f('audio'), t('editor.audio'), ['', 'notes', 'url'], (v) => t(`editor.audio.${v || 'none'}`), on, true),
    m.audio_kind === 'url' ? [
      bound(m, 'audio_url', f('audio.url'), t('editor.audio_url'), on, { maxlength: '500' }),
      upload(m, 'audio_url', f('audio.url'), 'audio/*', on)] : null,
    m.audio_kind === 'notes' ? [
      bound(m, 'audio_notes', f('audio.notes'), t('editor.audio_notes'), on, { placeholder: 'C4 E4 G4' }),
      bound(m, 'audio_durations', f('audio.durations'), t('editor.audio_durations'), on, { placeholder: '1 1 2' }),
      select(m, 'audio_play', f('audio.play'), t('editor.audio_play'), ['melodic', 'harmonic'], (v) => t(`editor.audio.${v}`), on),
      bound(m, 'audio_tempo', f('audio.tempo_bpm'), t('editor.audio_tempo'), on, { type: 'number', min: '40', max: '208' })] : null,
    select(m, 'visual_icon', f('visual'), t('editor.visual'), ['', ...ICONS], (v) => v || t('editor.visual_none'), on, true),
    m.visual_icon ? bound(m, 'visual_count', f('visual.count'), t('editor.visual_count'), on, { type: 'number', min: '1', max: '20' }) : null);
}

// The fieldset of question `i` (of `total`); `on` = {change, redraw, move(i, by), remove(i)}.
export function questionFieldset(m, i, total, on) {
  const typeChanged = () => {
    m.correct = m.answer_type === 'multi_select' ? [] : '';
    if (!m.options || m.options.length < 2) m.options = ['', ''];
    on.redraw();
  };
  return h('fieldset', { class: 'question-edit', 'data-question': String(i) },
    h('legend', {}, t('editor.question', { n: i + 1 })),
    bound(m, 'prompt', `questions[${i}].prompt`, t('editor.prompt'), on, { rows: '2', maxlength: '2000' }, 'textarea'),
    select(m, 'answer_type', `questions[${i}].answer_type`, t('editor.answer_type'), ANSWER_TYPES,
      (v) => t(`editor.type.${v}`), { change: on.change, redraw: typeChanged }, true),
    ['multiple_choice', 'multi_select'].includes(m.answer_type) ? optionsBox(m, i, on) : correctBox(m, i, on),
    bound(m, 'explanation', `questions[${i}].explanation`, t('editor.explanation'), on, { rows: '2', maxlength: '2000' }, 'textarea'),
    mediaBox(m, i, on),
    h('div', { class: 'question-tools' },
      h('button', { type: 'button', class: 'small', disabled: i === 0, onclick: () => on.move(i, -1) }, t('editor.up', { n: i + 1 })),
      h('button', { type: 'button', class: 'small', disabled: i === total - 1, onclick: () => on.move(i, 1) }, t('editor.down', { n: i + 1 })),
      h('button', { type: 'button', class: 'small', disabled: total === 1, onclick: () => on.remove(i) }, t('editor.remove', { n: i + 1 })),
      h('button', { type: 'button', class: 'small', onclick: () => on.preview(i) }, t('editor.preview_this', { n: i + 1 }))));
}
