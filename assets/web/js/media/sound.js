// Listening: notes synthesized with Web Audio (an oscillator and a gain envelope per note),
// one after another (melodic) or together (harmonic); or a recording from the content store.
// Browsers only make sound after a gesture, so it plays from a big "Play" button.
import { t } from '../strings.js';

const STEPS = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

// The MIDI number of a note in scientific pitch (C4 = 60, A4 = 69), or null (a rest, or
// anything else).
export function midiOf(note) {
  const m = /^([A-G])([#b]?)(\d)$/.exec(String(note));
  if (!m) return null;
  const shift = m[2] === '#' ? 1 : m[2] === 'b' ? -1 : 0;
  return (Number(m[3]) + 1) * 12 + STEPS[m[1]] + shift;
}

// Equal temperament, A4 = 440 Hz.
export const frequencyOf = (midi) => 440 * 2 ** ((midi - 69) / 12);

const ATTACK = 0.015;
const RELEASE = 0.12;

// One note on `ctx` from `start` for `length` seconds at `peak` gain: a soft triangle wave
// that swells in quickly, settles, and fades out (no clicks at either end).
function note(ctx, frequency, start, length, peak) {
  const osc = ctx.createOscillator();
  osc.type = 'triangle';
  osc.frequency.value = frequency;
  const gain = ctx.createGain();
  const end = start + Math.max(length, ATTACK + RELEASE);
  const settled = start + ATTACK + Math.min(0.2, end - RELEASE - start - ATTACK);
  gain.gain.setValueAtTime(0, start);
  gain.gain.linearRampToValueAtTime(peak, start + ATTACK);
  gain.gain.linearRampToValueAtTime(peak * 0.7, settled);
  gain.gain.setValueAtTime(peak * 0.7, end - RELEASE);
  gain.gain.linearRampToValueAtTime(0, end);
  osc.connect(gain).connect(ctx.destination);
  osc.start(start);
  osc.stop(end + 0.02);
}

// Schedules `audio` ({notes, durations?, play, tempo_bpm}) on `ctx` (an AudioContext or an
// OfflineAudioContext) from `at`, at `volume` (0..1). Returns when it ends and the notes that
// sound (rests left out), in order.
export function schedule(ctx, audio, { volume = 0.8, at = ctx.currentTime + 0.05 } = {}) {
  const beat = 60 / Math.min(Math.max(audio.tempo_bpm || 90, 40), 208);
  const lengths = audio.notes.map((_, i) => (audio.durations?.[i] ?? 1) * beat);
  const sounding = audio.notes.filter((n) => midiOf(n) !== null);
  const together = audio.play === 'harmonic';
  // Loud enough alone, never clipping together.
  const peak = (together ? 0.5 / Math.max(sounding.length, 1) : 0.35) * Math.min(Math.max(volume, 0), 1);
  let time = at;
  let end = at;
  audio.notes.forEach((name, i) => {
    const midi = midiOf(name);
    const start = together ? at : time;
    if (midi !== null && peak > 0) note(ctx, frequencyOf(midi), start, lengths[i], peak);
    end = Math.max(end, start + lengths[i]);
    if (!together) time += lengths[i];
  });
  return { end, notes: sounding };
}

let shared = null;

// One AudioContext for the page, made (or woken) inside the gesture that plays.
function context() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  shared ??= new Ctx();
  if (shared.state === 'suspended') shared.resume().catch(() => {});
  return shared;
}

let playing = null; // the recording playing now, stopped when another sound starts

// Stops a recording that is playing (the page moved on).
export function stopSound() {
  playing?.pause();
  playing = null;
}

// The listening box for `audio`: a big Play button ("Play again" after the first time). Once
// a sound is scheduled, `data-played` holds what it played (the notes, space-separated, or
// the recording's URL) and `data-plays` how many times; `data-style` says melodic or
// harmonic.
// `before()` runs first (the page stops reading aloud, so the sound is heard alone).
export function listenBox(audio, { volume = () => 0.8, before = () => {} } = {}) {
  const box = document.createElement('div');
  box.className = 'listen';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'primary big play-sound';
  const label = document.createElement('span');
  label.textContent = t('media.play');
  const icon = document.createElement('span');
  icon.className = 'play-icon';
  icon.setAttribute('aria-hidden', 'true');
  icon.textContent = '▶';
  button.append(icon, label);
  const status = document.createElement('p');
  status.className = 'listen-status';
  status.setAttribute('role', 'status');
  box.append(button, status);
  let plays = 0;

  const played = (what) => {
    plays += 1;
    box.dataset.played = what;
    box.dataset.plays = String(plays);
    label.textContent = t('media.play_again');
  };
  const failed = () => {
    status.textContent = t('media.no_sound');
  };
  const sounding = (seconds) => {
    box.classList.add('sounding');
    status.textContent = t('media.playing');
    setTimeout(() => {
      box.classList.remove('sounding');
      status.textContent = '';
    }, Math.max(seconds, 0.3) * 1000);
  };

  button.addEventListener('click', () => {
    before();
    stopSound();
    if (audio.url) {
      const file = new Audio(audio.url);
      file.volume = Math.min(Math.max(volume(), 0), 1);
      playing = file;
      file.addEventListener('ended', () => box.classList.remove('sounding'));
      file.play().then(() => {
        played(audio.url);
        sounding(Number.isFinite(file.duration) ? file.duration : 1);
      }, failed);
      return;
    }
    const ctx = context();
    if (!ctx) {
      failed();
      return;
    }
    const { end, notes } = schedule(ctx, audio, { volume: volume() });
    box.dataset.style = audio.play;
    played(notes.join(' '));
    sounding(end - ctx.currentTime);
  });
  return box;
}
