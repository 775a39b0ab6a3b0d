// What the parent feed (`/v1/parent/live`) changes on the family page: presence and screen
// time on each child's card, notifications, and "Needs you now" at the top.

// page: {panels: Map id → ChildPanel, notes: Notifications, attention: Attention}.
export function onFeed(msg, { panels, notes, attention }) {
  switch (msg.type) {
    case 'hello':
      notes.setUnread(msg.unread_count);
      for (const c of msg.children) {
        panels.get(c.id)?.presence(c);
        if (c.time) panels.get(c.id)?.time(c.time);
      }
      // What arrived while the feed was away (a blip, or before it opened); a request answered
      // meanwhile (on another device) loses its buttons.
      Promise.all([notes.load(), attention.load()]).then(([, read]) => read && notes.settle(attention.requests));
      break;
    case 'notification':
      noted(msg.notification, { panels, notes, attention });
      break;
    case 'presence':
      panels.get(msg.child_id)?.presence(msg);
      // Play ended (time up included, told even with notifications off): the last seconds
      // counted since the feed's last `time` show now.
      if (!msg.online) panels.get(msg.child_id)?.loadToday();
      break;
    case 'time':
      panels.get(msg.child_id)?.time(msg);
      break;
    case 'time_request_answered':
      notes.answered(msg.request_id, msg.approved, msg.seconds);
      attention.answered(msg.request_id);
      // An approval is a grant: the card shows it now, played or not.
      if (msg.approved) panels.get(msg.child_id)?.loadToday();
      break;
    default:
      break;
  }
}

function noted(n, { panels, notes, attention }) {
  notes.arrived(n);
  const panel = panels.get(n.child_id);
  switch (n.kind) {
    case 'time_request':
      attention.requested(n);
      break;
    case 'time_limit_reached':
    case 'time_warning':
      // The feed's `time` comes once a minute while the child plays: read the server's count
      // now, so the card never says "1 minute left" while the server has none.
      panel?.loadToday();
      break;
    case 'activity_completed':
      // A finished activity changes the week: draw it again once its numbers are written
      // (the same group commit, a moment later).
      setTimeout(() => panel?.loadWeek(), 1000);
      break;
    default:
      break;
  }
}
