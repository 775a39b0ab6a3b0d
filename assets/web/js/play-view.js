// What a child sees while playing: an activity's introduction, the question with its media
// and big answers, the stars at the end, and the celebration of an achievement (the feedback
// on an answer is play-answer.js).
import { $, announce, fill, h, showScreen } from './dom.js';
import { questionMedia, quiet } from './media/question.js';
import { readAloudButton, speak } from './media/speech.js';
import { t } from './strings.js';

// The answer controls for a question: big buttons for choices, a field for numbers and words.
// `onAnswer(value)` gets a string, a number or a boolean, as the server grades it.
export function answerControls(question, onAnswer) {
  const choose = (value) => () => onAnswer(value);
  if (question.answer_type === 'multiple_choice') {
    return h('div', { class: 'answers', role: 'group', 'aria-labelledby': 'prompt' },
      question.options.map((option) => h('button', {
        type: 'button', class: 'answer', onclick: choose(option), dataset: { value: option.trim() },
      }, option)));
  }
  if (question.answer_type === 'true_false') {
    return h('div', { class: 'answers two', role: 'group', 'aria-labelledby': 'prompt' },
      h('button', { type: 'button', class: 'answer yes', onclick: choose(true), dataset: { value: 'true' } }, t('play.true')),
      h('button', { type: 'button', class: 'answer no', onclick: choose(false), dataset: { value: 'false' } }, t('play.false')));
  }
  if (question.answer_type === 'multi_select') return pickSeveral(question, onAnswer);
  const number = question.answer_type === 'number';
  const input = h('input', {
    id: 'typed-answer', name: 'answer', autocomplete: 'off', required: true,
    inputmode: number ? 'decimal' : 'text', class: 'typed',
  });
  return h('form', {
    class: 'typed-answer',
    onsubmit: (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return input.focus();
      const value = number && Number.isFinite(Number(text.replace(',', '.'))) ? Number(text.replace(',', '.')) : text;
      onAnswer(value);
    },
  },
  h('label', { for: 'typed-answer' }, t(number ? 'play.type_number' : 'play.type_word')),
  input,
  h('button', { type: 'submit', class: 'primary big' }, t('play.check')));
}

// Big checkboxes, one for each option, and a Check button that sends the chosen ones (in the
// options' order).
function pickSeveral(question, onAnswer) {
  const hint = h('p', { class: 'pick-hint', id: 'pick-hint' }, t('play.pick_all'));
  const boxes = question.options.map((option, i) => h('input', {
    type: 'checkbox', id: `pick-${i}`, name: 'pick', value: option,
  }));
  return h('form', {
    class: 'multi-answer',
    onsubmit: (event) => {
      event.preventDefault();
      const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
      if (!chosen.length) {
        hint.textContent = t('play.pick_one_first');
        hint.classList.add('form-error');
        boxes[0]?.focus();
        return;
      }
      onAnswer(chosen);
    },
  },
  h('fieldset', { class: 'answers picks', 'aria-describedby': 'pick-hint' },
    h('legend', { class: 'sr-only' }, question.prompt),
    hint,
    boxes.map((box, i) => h('label', { class: 'pick', for: box.id }, box, h('span', {}, question.options[i])))),
  h('button', { type: 'submit', class: 'primary big' }, t('play.check')));
}

function setDisabled(root, disabled) {
  for (const el of root.querySelectorAll('button.answer, .typed-answer input, .typed-answer button, .multi-answer input, .multi-answer button')) {
    el.disabled = disabled;
  }
}

// The prompt as a heading with its "Read it to me" button.
function promptRow(text, { url, voice }) {
  return h('div', { class: 'prompt-row' },
    h('h1', { id: 'prompt', class: 'prompt' }, text),
    readAloudButton(text, { url, volume: () => voice.volume }));
}

// Reads `text` aloud when the learner has narration on (once their settings are known), if
// `still()` holds then: the child may have moved on.
function narrate(text, { url, voice, still }) {
  Promise.resolve(voice.ready).then(() => {
    if (voice.narration && still()) speak(text, { url, volume: voice.volume });
  });
}

// An activity's introduction, before its first question: read aloud like a question.
export function showIntro({ title, introduction, onStart, onLeave, voice }) {
  quiet();
  const screen = $('[data-screen=intro]');
  fill(screen,
    h('h1', { class: 'intro-title' }, title),
    h('div', { class: 'prompt-row' },
      h('p', { class: 'intro-text' }, introduction),
      readAloudButton(introduction, { volume: () => voice.volume })),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary big', id: 'intro-start', onclick: onStart }, t('play.intro.start'))),
    h('p', { class: 'leave' }, h('button', { type: 'button', class: 'link', onclick: onLeave }, t('play.leave'))),
  );
  showScreen('intro');
  narrate(introduction, { voice, still: () => document.body.dataset.view === 'intro' });
}

// The question screen for `question` (index of total), answered through `onAnswer`; `voice`
// is the learner's narration and volume ({narration, volume, ready}).
export function showQuestion({ title, question, index, total, onAnswer, onLeave, voice }) {
  quiet();
  const screen = $('[data-screen=question]');
  fill(screen,
    h('p', { class: 'activity-title' }, title),
    h('p', { class: 'progress-text', id: 'progress-text' }, t('play.progress', { n: index + 1, total })),
    h('div', {
      class: 'progress', role: 'progressbar', 'aria-labelledby': 'progress-text',
      'aria-valuemin': '0', 'aria-valuemax': String(total), 'aria-valuenow': String(index),
    }, h('span', { class: 'progress-fill' })),
    promptRow(question.prompt, { url: question.narration_url, voice }),
    questionMedia(question, { volume: () => voice.volume }),
    answerControls(question, (value) => {
      setDisabled(screen, true);
      const box = screen.querySelector('.feedback');
      box.className = 'feedback';
      fill(box, h('p', { class: 'checking' }, t('play.checking')));
      onAnswer(value);
    }),
    h('div', { class: 'feedback', role: 'status', 'aria-live': 'polite' }),
    h('p', { class: 'leave' }, h('button', { type: 'button', class: 'link', onclick: () => { quiet(); onLeave(); } }, t('play.leave'))),
  );
  screen.querySelector('.progress-fill').style.width = `${(index / Math.max(total, 1)) * 100}%`;
  screen.dataset.question = question.id;
  showScreen('question');
  screen.querySelector('.answer, .typed, .pick input')?.focus();
  narrate(question.prompt, {
    url: question.narration_url,
    voice,
    still: () => document.body.dataset.view === 'question' && screen.dataset.question === question.id,
  });
}

export function answerText(value) {
  if (value === true) return t('play.true');
  if (value === false) return t('play.false');
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

// The end of an activity: stars, accuracy, and where to go next.
export function showDone(msg, { onNext, onCatalog, nextTitle }) {
  quiet();
  const screen = $('[data-screen=done]');
  const stars = msg.stars ?? 0;
  fill(screen,
    h('h1', {}, t(stars >= 3 ? 'play.done.amazing' : 'play.done.title')),
    h('p', { class: 'stars', role: 'img', 'aria-label': t('play.stars', { n: stars }) },
      [1, 2, 3].map((n) => h('span', { class: n <= stars ? 'star on' : 'star', 'aria-hidden': 'true' }, '★'))),
    h('p', { class: 'score' }, t('play.done.score', {
      correct: msg.questions_correct, total: msg.questions_total, accuracy: Math.round(msg.accuracy),
    })),
    h('div', { class: 'actions' },
      nextTitle ? h('button', { type: 'button', class: 'primary big', onclick: onNext }, t('play.done.next', { title: nextTitle })) : null,
      h('button', { type: 'button', class: 'big', onclick: onCatalog }, t('play.done.catalog'))),
  );
  showScreen('done');
  announce(t('play.stars', { n: stars }));
}

const cheers = [];
const TROPHY = new URL('../trophy.svg', import.meta.url).href;

// A celebration for an unlocked achievement (a modal dialog: Escape or the button closes
// it); several in a row are shown one after the other.
export function celebrate(achievement) {
  const dialog = $('#celebration');
  if (dialog.open) {
    cheers.push(achievement);
    return;
  }
  if (!dialog.dataset.wired) {
    dialog.dataset.wired = 'true';
    dialog.addEventListener('close', () => {
      if (cheers.length) setTimeout(() => celebrate(cheers.shift()), 300);
    });
  }
  $('#celebration-title').textContent = t('play.achievement.title', { title: achievement.title });
  $('#celebration-text').textContent = achievement.description ?? '';
  $('#celebration-points').textContent = achievement.reward_points
    ? t('play.achievement.points', { n: achievement.reward_points }) : '';
  // The achievement's badge, or a trophy when it has none (or it does not load).
  const img = h('img', { src: achievement.badge_icon_url || TROPHY, alt: '' });
  img.addEventListener('error', () => { img.src = TROPHY; }, { once: true });
  $('#celebration-badge').replaceChildren(img);
  dialog.showModal();
  announce(t('play.achievement.title', { title: achievement.title }), true);
}
