// Read-aloud: a question's prompt (and an activity's introduction) spoken with the browser's
// speech synthesis, or its recording played, at the learner's volume. With the learner's
// `narration_enabled` it is read as it appears; a "Read it to me" button reads it any time.
// What was last read is kept on the page (`data-spoken` and `data-spoken-volume` on <body>).
import { get } from '../api.js';
import { t } from '../strings.js';

// Young children hear the questions unless a grown-up says otherwise.
export function defaultSettings(learner) {
  return { narration: (learner?.age ?? 99) <= 7, volume: 0.8 };
}

// The learner's narration and volume: a parent's child from the child's settings, a student
// from their own; anything the server will not tell (404, 403, offline) gives the defaults.
export async function narrationSettings(learner) {
  const fallback = defaultSettings(learner);
  const path = learner.parent_id ? `/v1/children/${learner.id}/settings` : '/v1/me/settings';
  try {
    const s = await get(path);
    return {
      narration: typeof s.narration_enabled === 'boolean' ? s.narration_enabled : fallback.narration,
      volume: Number.isFinite(s.volume) ? Math.min(Math.max(s.volume, 0), 1) : fallback.volume,
    };
  } catch {
    return fallback;
  }
}

const SPEAKER = new URL('../../speaker.svg', import.meta.url).href;
let recording = null;

// Stops whatever is being read.
export function hush() {
  recording?.pause();
  recording = null;
  window.speechSynthesis?.cancel();
}

export const canSpeak = () => 'speechSynthesis' in window && 'SpeechSynthesisUtterance' in window;

// Reads `text` aloud at `volume` (0..1): the recording at `url` when there is one, otherwise
// the browser's voice in the page's language. Returns whether anything was started.
export function speak(text, { volume = 0.8, url = null } = {}) {
  hush();
  const level = Math.min(Math.max(volume, 0), 1);
  if (url) {
    recording = new Audio(url);
    recording.volume = level;
    recording.play().catch(() => {});
  } else if (canSpeak() && text) {
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = document.documentElement.lang || 'en';
    utterance.volume = level;
    utterance.rate = 0.9; // a little slower, for young listeners
    window.speechSynthesis.speak(utterance);
  } else {
    return false;
  }
  document.body.dataset.spoken = text;
  document.body.dataset.spokenVolume = String(level);
  return true;
}

// The "Read it to me" button for `text` (and its recording, if any); null when this browser
// can neither speak nor play one.
export function readAloudButton(text, { url = null, volume = () => 0.8 } = {}) {
  if (!url && !canSpeak()) return null;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'read-aloud';
  const icon = document.createElement('img');
  icon.src = SPEAKER;
  icon.alt = '';
  icon.className = 'speaker';
  const label = document.createElement('span');
  label.textContent = t('media.read_aloud');
  button.append(icon, label);
  button.addEventListener('click', () => speak(text, { url, volume: volume() }));
  return button;
}
