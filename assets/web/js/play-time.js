// Screen time on the play page: time left in the header, gentle warnings, the time-up and
// downtime screens, and asking a grown-up for more time. A student's own learner has no
// limit unless they set a daily goal (then `left_seconds` is a number, as for a child).
import { childTime } from './child-time.js';
import { $, announce, minutesText, showScreen } from './dom.js';
import { t } from './strings.js';

export class PlayTime {
  // send(frame) → bool; recheck(): open the socket again to see whether time came back;
  // askOver(seconds, reason): ask over REST when the socket is closed (time is up).
  constructor({ send, recheck, askOver = null }) {
    this.send = send;
    this.recheck = recheck;
    this.askOver = askOver;
    this.timer = null;
    this.left = null;
    this.timeZone = undefined; // the learner's (their settings), else the device's
    $('#ask-time').addEventListener('click', () => this.openAsk());
    $('#ask-form').addEventListener('submit', (event) => this.submitAsk(event));
    $('#ask-cancel').addEventListener('click', () => $('#ask-dialog').close());
    $('#check-time').addEventListener('click', () => this.recheck());
  }

  // A learner with a parent may ask; a student's own learner may not.
  set canAsk(yes) {
    $('#ask-time').hidden = !yes;
    this.asking = yes;
  }

  update(time) {
    this.left = time.left_seconds;
    const el = $('#time-left');
    if (time.left_seconds === null || time.left_seconds === undefined) {
      // No limit: nothing counts down, and an earlier warning no longer holds.
      el.hidden = true;
      el.textContent = '';
      el.classList.remove('low');
      $('#ask-time').hidden = true;
      $('#time-banner').hidden = true;
      return;
    }
    $('#ask-time').hidden = !this.asking || time.left_seconds <= 0;
    el.hidden = false;
    el.textContent = t('play.time_left', { time: minutesText(time.left_seconds) });
    el.classList.toggle('low', time.left_seconds <= 300);
  }

  warning(msg) {
    this.left = msg.left_seconds;
    // A student's time is their own goal: nobody to ask.
    const key = this.asking ? 'play.time_warning' : 'study.time_warning';
    this.banner(t(key, { time: minutesText(msg.left_seconds) }));
  }

  banner(text) {
    $('#time-banner-text').textContent = text;
    $('#time-banner').hidden = false;
    announce(text);
  }

  timeUp() {
    // Asking needs a connection, and the server closes it when time is up.
    $('#ask-time').hidden = true;
    $('#time-banner').hidden = true;
    $('#time-left').textContent = t('play.time_left', { time: minutesText(0) });
    $('#time-left').hidden = false;
    // A student reading their own study stays there (it is where they change their goal).
    if (document.body.dataset.view !== 'study') showScreen('timeup');
    // The server closes the socket; look again now and then (a grown-up may add time).
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.recheck(), 30_000);
  }

  downtime(until) {
    $('#ask-time').hidden = true;
    $('#time-banner').hidden = true;
    $('#downtime-until').textContent = until ? t('play.downtime.until', { when: childTime(until, { timeZone: this.timeZone }) }) : '';
    if (document.body.dataset.view !== 'study') showScreen('downtime');
    clearTimeout(this.timer);
    const wait = until ? Math.max(5_000, new Date(until) - Date.now() + 2_000) : 60_000;
    this.timer = setTimeout(() => this.recheck(), Math.min(wait, 2 ** 31 - 1));
  }

  cancelRecheck() {
    clearTimeout(this.timer);
  }

  openAsk() {
    $('#ask-error').textContent = '';
    $('#ask-dialog').showModal();
  }

  submitAsk(event) {
    event.preventDefault();
    const form = event.target;
    const seconds = Number(new FormData(form).get('minutes')) * 60;
    const reason = new FormData(form).get('reason')?.toString().trim() || undefined;
    if (!this.send({ type: 'ask_time', seconds, reason })) {
      if (!this.askOver) {
        $('#ask-error').textContent = t('play.ask.offline');
        return;
      }
      this.askOver(seconds, reason);
    }
    $('#ask-dialog').close();
    form.reset();
  }

  // The server's answers about asking.
  handle(msg) {
    switch (msg.type) {
      case 'time':
        this.update(msg);
        return true;
      case 'time_warning':
        this.warning(msg);
        return true;
      case 'time_request':
        this.banner(t('play.ask.sent'));
        return true;
      case 'time_request_answered':
        this.banner(msg.approved
          ? t('play.ask.approved', { time: minutesText(msg.seconds) })
          : t('play.ask.denied'));
        return true;
      case 'error':
        if (['time_request_pending', 'time_request_limit', 'forbidden'].includes(msg.code)) {
          this.banner(t(`play.ask.${msg.code}`));
          return true;
        }
        return false;
      default:
        return false;
    }
  }
}
