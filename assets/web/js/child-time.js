// Times said the way a child understands them: "after dinner, at 6 o'clock", "tomorrow
// morning, at half past 7", "in 10 minutes", never "Dec 6, 2026, 10:00 PM". Pure: the clock
// (`now`) and the time zone (the learner's, else the device's) come in as arguments, so
// tests/api/pages/kid.rs checks the cases in a browser without waiting for any real hour.
import { t } from './strings.js';

const DAY_MS = 86_400_000;

// The wall-clock parts of `date` in `timeZone`: {day (days since 1970 there), hour, minute}.
function wall(date, timeZone) {
  let parts;
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    }).formatToParts(date);
  } catch {
    // An unknown zone name: the device's own clock.
    return wall(date, undefined);
  }
  const n = (type) => Number(parts.find((p) => p.type === type)?.value);
  return {
    day: Math.round(Date.UTC(n('year'), n('month') - 1, n('day')) / DAY_MS),
    hour: n('hour') % 24,
    minute: n('minute'),
  };
}

// The part of the day a child knows an hour by.
function partOfDay(hour) {
  if (hour >= 5 && hour < 12) return 'morning';
  if (hour >= 12 && hour < 18) return 'afternoon';
  if (hour >= 18 && hour < 21) return 'evening';
  return 'night';
}

// "6 o'clock", "half past 7", "quarter past 7", "quarter to 8", else "7:20", on a 12-hour
// clock face.
export function clockText(hour, minute) {
  const face = (h) => (h % 12) || 12;
  if (minute === 0) return t('child_time.oclock', { h: face(hour) });
  if (minute === 30) return t('child_time.half_past', { h: face(hour) });
  if (minute === 15) return t('child_time.quarter_past', { h: face(hour) });
  if (minute === 45) return t('child_time.quarter_to', { h: face(hour + 1) });
  return t('child_time.clock', { h: face(hour), mm: String(minute).padStart(2, '0') });
}

function weekday(date, timeZone) {
  const lang = globalThis.document?.documentElement.lang || undefined;
  try {
    return date.toLocaleDateString(lang, { weekday: 'long', timeZone });
  } catch {
    return date.toLocaleDateString(lang, { weekday: 'long' });
  }
}

function dayMonth(date, timeZone) {
  const lang = globalThis.document?.documentElement.lang || undefined;
  try {
    return date.toLocaleDateString(lang, { day: 'numeric', month: 'long', timeZone });
  } catch {
    return date.toLocaleDateString(lang, { day: 'numeric', month: 'long' });
  }
}

// When `when` (an ISO time or a Date) comes, said to a child as the end of a sentence like
// "You can play again …": "in 10 minutes", "after dinner, at 6 o'clock", "tomorrow morning,
// at 7 o'clock", "on Saturday morning, at 9 o'clock", "on 24 December, at 8 o'clock".
export function childTime(when, { now = new Date(), timeZone } = {}) {
  const date = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(date.getTime())) return t('child_time.soon');
  const minutes = Math.ceil((date - now) / 60_000);
  if (minutes <= 1) return t('child_time.soon');
  if (minutes < 60) return t('child_time.in_minutes', { n: minutes });
  const at = wall(date, timeZone);
  const days = at.day - wall(now, timeZone).day;
  const part = partOfDay(at.hour);
  const clock = clockText(at.hour, at.minute);
  let key;
  const vars = { clock };
  if (days <= 0) {
    key = `child_time.today.${part}`;
  } else if (days === 1 && at.hour < 5) {
    // Just past midnight is still "tonight" to a child going to bed.
    key = 'child_time.today.night';
  } else if (days === 1) {
    key = `child_time.tomorrow.${part}`;
  } else if (days < 7) {
    key = `child_time.weekday.${part}`;
    vars.day = weekday(date, timeZone);
  } else {
    key = 'child_time.date';
    vars.date = dayMonth(date, timeZone);
  }
  return t(key, vars);
}

// The day something happened, said to a child: "today", "yesterday", "on Monday", "on 3 December".
export function childDay(when, { now = new Date(), timeZone } = {}) {
  const date = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(date.getTime())) return '';
  const days = wall(now, timeZone).day - wall(date, timeZone).day;
  if (days <= 0) return t('child_time.on_today');
  if (days === 1) return t('child_time.on_yesterday');
  if (days < 7) return t('child_time.on_day', { day: weekday(date, timeZone) });
  return t('child_time.on_day', { day: dayMonth(date, timeZone) });
}
