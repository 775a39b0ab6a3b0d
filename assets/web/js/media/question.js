// What a question shows and plays besides its prompt, in the order a child meets it: the
// maths, the stave, the sound, the pictures. Each kind is drawn by its own module.
import { formula } from './formula.js';
import { countGrid, picture } from './pictures.js';
import { listenBox, stopSound } from './sound.js';
import { hush } from './speech.js';
import { stave } from './stave.js';

// The box of `question`'s media (null for a question with only a prompt). `volume()`
// is the learner's volume, read when a sound starts.
export function questionMedia(question, { volume = () => 0.8 } = {}) {
  const parts = [];
  if (question.formula) parts.push(formula(question.formula));
  if (question.notation) parts.push(stave(question.notation, question.notation_alt || ''));
  if (question.audio) parts.push(listenBox(question.audio, { volume, before: hush }));
  if (question.visual?.kind === 'count') parts.push(countGrid(question.visual));
  if (question.image_url) parts.push(picture(question.image_url, question.image_alt));
  if (!parts.length) return null;
  const box = document.createElement('div');
  box.className = 'media';
  box.append(...parts);
  return box;
}

// Silences the question that is leaving the screen.
export function quiet() {
  stopSound();
  hush();
}
