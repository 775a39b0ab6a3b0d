// An activity as the editor holds it (strings as typed, a question's correct answer by
// option), turned into the body POST/PUT /v1/activities take and back. The checks here are
// the obvious ones, keyed by the server's field names (`questions[1].prompt`), so they and the
// server's 422 `details.fields` land on the same inputs.
import { t } from './strings.js';

export const ANSWER_TYPES = ['multiple_choice', 'true_false', 'number', 'text', 'multi_select'];
export const VISIBILITIES = ['classes', 'private', 'public'];

let lastId = 0;
const freshId = (questions) => {
  const taken = new Set(questions.map((q) => q.id));
  do lastId += 1; while (taken.has(`q${lastId}`));
  return `q${lastId}`;
};

export function newQuestion(questions = [], answerType = 'multiple_choice') {
  return {
    id: freshId(questions), prompt: '', answer_type: answerType, options: ['', ''],
    correct: answerType === 'multi_select' ? [] : '', explanation: '', tolerance: '',
    image_url: '', image_alt: '', narration_url: '', notation: '', notation_alt: '', formula: '',
    audio_kind: '', audio_url: '', audio_notes: '', audio_durations: '', audio_play: 'melodic', audio_tempo: '90',
    visual_icon: '', visual_count: '',
  };
}

export function newActivity() {
  return {
    id: null, title: '', description: '', category: '', sub_category: '', difficulty: '1',
    age_min: '5', age_max: '11', introduction: '', offline: false, one_try: false, visibility: 'classes',
    questions: [newQuestion()],
  };
}

const str = (v) => (v === null || v === undefined ? '' : String(v));

// The editor's copy of `GET /v1/activities/{id}/source`.
export function fromSource(src) {
  const questions = [];
  for (const q of src.questions) {
    const m = newQuestion(questions, q.answer_type);
    m.id = q.id;
    m.prompt = q.prompt;
    m.options = q.options ? [...q.options] : ['', ''];
    if (q.answer_type === 'multi_select') m.correct = (q.correct_answer || []).map((k) => m.options.indexOf(k)).filter((i) => i >= 0);
    else if (q.answer_type === 'multiple_choice') m.correct = String(Math.max(0, m.options.indexOf(q.correct_answer)));
    else m.correct = str(q.correct_answer);
    for (const k of ['explanation', 'tolerance', 'image_url', 'image_alt', 'narration_url', 'notation', 'notation_alt', 'formula']) m[k] = str(q[k]);
    if (q.audio?.url) Object.assign(m, { audio_kind: 'url', audio_url: q.audio.url });
    else if (q.audio) {
      Object.assign(m, {
        audio_kind: 'notes', audio_notes: q.audio.notes.join(' '), audio_play: q.audio.play || 'melodic',
        audio_durations: (q.audio.durations || []).join(' '), audio_tempo: str(q.audio.tempo_bpm || 90),
      });
    }
    if (q.visual?.kind === 'count') Object.assign(m, { visual_icon: q.visual.icon, visual_count: str(q.visual.count) });
    questions.push(m);
  }
  return {
    id: src.id, title: src.title, description: src.description || '', category: src.category,
    sub_category: src.sub_category || '', difficulty: str(src.difficulty), age_min: str(src.age_min),
    age_max: str(src.age_max), introduction: src.introduction || '', offline: !!src.offline, one_try: !!src.one_try,
    visibility: src.visibility, questions,
  };
}

const num = (s) => (String(s).trim() === '' ? NaN : Number(String(s).trim().replace(',', '.')));
const words = (s) => String(s).trim().split(/[\s,]+/).filter(Boolean);

// A question as the server takes it (and as the preview draws it).
export function toQuestion(m) {
  const q = { id: m.id, prompt: m.prompt.trim(), answer_type: m.answer_type, explanation: m.explanation.trim() };
  const options = m.options.map((o) => o.trim());
  if (m.answer_type === 'multiple_choice') {
    q.options = options;
    q.correct_answer = m.correct === '' ? null : options[Number(m.correct)] ?? null;
  } else if (m.answer_type === 'multi_select') {
    q.options = options;
    q.correct_answer = m.correct.map((i) => options[i]).filter((o) => o !== undefined);
  } else if (m.answer_type === 'true_false') {
    q.correct_answer = m.correct === '' ? null : m.correct === 'true';
  } else if (m.answer_type === 'number') {
    q.correct_answer = Number.isFinite(num(m.correct)) ? num(m.correct) : null;
    if (m.tolerance.trim() !== '') q.tolerance = num(m.tolerance);
  } else {
    q.correct_answer = m.correct.trim() || null;
  }
  for (const k of ['image_url', 'image_alt', 'narration_url', 'notation', 'notation_alt', 'formula']) {
    if (m[k].trim()) q[k] = m[k].trim();
  }
  if (m.audio_kind === 'url' && m.audio_url.trim()) q.audio = { url: m.audio_url.trim() };
  if (m.audio_kind === 'notes' && m.audio_notes.trim()) {
    q.audio = { notes: words(m.audio_notes), play: m.audio_play, tempo_bpm: num(m.audio_tempo) };
    if (m.audio_durations.trim()) q.audio.durations = words(m.audio_durations).map(num);
  }
  if (m.visual_icon && m.visual_count.trim()) q.visual = { kind: 'count', icon: m.visual_icon, count: num(m.visual_count) };
  return q;
}

// The body of POST/PUT /v1/activities.
export function toBody(a) {
  const body = {
    title: a.title.trim(), description: a.description.trim(), category: a.category.trim(),
    difficulty: num(a.difficulty), age_min: num(a.age_min), age_max: num(a.age_max),
    offline: a.offline, one_try: a.one_try, visibility: a.visibility, questions: a.questions.map(toQuestion),
  };
  if (a.sub_category.trim()) body.sub_category = a.sub_category.trim();
  if (a.introduction.trim()) body.introduction = a.introduction.trim();
  return body;
}

// The obvious problems, as {field: reason} with the server's field names.
export function check(a) {
  const out = {};
  const need = (field, ok, key) => { if (!ok && !out[field]) out[field] = t(key); };
  need('title', a.title.trim(), 'editor.err.required');
  need('category', a.category.trim(), 'editor.err.required');
  const level = num(a.difficulty);
  need('difficulty', Number.isInteger(level) && level >= 1 && level <= 5, 'editor.err.difficulty');
  const [lo, hi] = [num(a.age_min), num(a.age_max)];
  need('age_min', lo >= 2 && lo <= 18, 'editor.err.age');
  need('age_max', hi >= 2 && hi <= 18, 'editor.err.age');
  need('age_max', !(hi < lo), 'editor.err.age_order');
  need('questions', a.questions.length > 0, 'editor.err.no_questions');
  a.questions.forEach((m, i) => {
    const at = (f) => `questions[${i}].${f}`;
    const q = toQuestion(m);
    need(at('prompt'), q.prompt, 'editor.err.required');
    if (q.options) need(at('options'), q.options.length >= 2 && q.options.every(Boolean), 'editor.err.options');
    if (q.answer_type === 'multi_select') need(at('correct_answer'), q.correct_answer.length > 0, 'editor.err.correct');
    else need(at('correct_answer'), q.correct_answer !== null, q.answer_type === 'number' ? 'editor.err.number' : 'editor.err.correct');
    need(at('image_alt'), !q.image_url || q.image_alt, 'editor.err.alt');
    need(at('notation_alt'), !q.notation || q.notation_alt, 'editor.err.alt');
  });
  return out;
}
