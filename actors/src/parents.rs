//! `ParentNotifier`: one per parent with an open live feed or a notification on its way.
//! Every notification is stored first (in the group commit), then pushed to every open
//! connection of the parent (all devices). Presence and time of the parent's children are
//! pushed as they change. The server holds a [`ParentFeed`]; the notifier sees of the engine
//! only its `ParentEnv`. Beyond the open pages, a stored notification also goes to the
//! engine's [`NotificationSink`] (the server's Web Push), once, on the node that stored it.

use std::sync::Arc;
use std::time::Duration;

use crate::outbox::OutboxTx;
use actix::prelude::*;

use crate::audience::Audience;
use crate::events::{LiveEvent, ParentFrame};
use crate::flusher::Stored;
use crate::protocol::feeds::ParentFeedFrame;
use crate::store::Notification;

/// Where a stored notification goes besides the parent's open feeds (the server's Web Push):
/// told once per notification, on the node that stored it, and must not block (it queues).
pub trait NotificationSink: Send + Sync {
    fn stored(&self, notification: &Notification);
}

/// What a parent's notifier may use of the engine around it, and nothing more.
pub(crate) trait ParentEnv: Send + Sync {
    /// How long a notifier stays once its last connection closed.
    fn linger(&self) -> Duration;
    /// Hands a notification pushed here to the other nodes.
    fn relay(&self, event: LiveEvent);
    /// Hands a stored notification to the sink beyond the open pages, if there is one.
    fn beyond(&self, notification: &Notification);
    /// The notifier stopped: it is no longer the parent's live one.
    fn unregister(&self, parent_id: &str, addr: &Addr<ParentNotifier>);
}

/// What the server holds of a parent's notifier: every connection of that parent hears its
/// children. Its methods are the whole way in, so actix's message types stay in this crate.
pub struct ParentFeed(pub(crate) Addr<ParentNotifier>);

impl ParentFeed {
    pub fn connect(&self, conn_id: u64, tx: OutboxTx) {
        self.0.do_send(ParentConnect { conn_id, tx });
    }

    pub fn disconnect(&self, conn_id: u64) {
        self.0.do_send(ParentDisconnect { conn_id });
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct ParentConnect {
    pub conn_id: u64,
    pub tx: OutboxTx,
}

#[derive(Message)]
#[rtype(result = "()")]
struct ParentDisconnect {
    pub conn_id: u64,
}

pub struct ParentNotifier {
    parent_id: String,
    env: Arc<dyn ParentEnv>,
    audience: Audience,
}

impl ParentNotifier {
    pub(crate) fn new(parent_id: String, env: Arc<dyn ParentEnv>) -> Self {
        Self {
            parent_id,
            env,
            audience: Audience::new(),
        }
    }
}

impl Actor for ParentNotifier {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        Audience::stop_when_idle(self.env.linger(), ctx, |a: &mut Self| &mut a.audience);
    }

    fn stopped(&mut self, ctx: &mut Context<Self>) {
        self.env.unregister(&self.parent_id, &ctx.address());
    }
}

impl Handler<ParentConnect> for ParentNotifier {
    type Result = ();
    fn handle(&mut self, msg: ParentConnect, _: &mut Context<Self>) {
        self.audience.add(msg.conn_id, msg.tx);
    }
}

impl Handler<ParentDisconnect> for ParentNotifier {
    type Result = ();
    fn handle(&mut self, msg: ParentDisconnect, _: &mut Context<Self>) {
        self.audience.remove(msg.conn_id);
    }
}

impl Handler<Stored> for ParentNotifier {
    type Result = ();
    fn handle(&mut self, msg: Stored, _: &mut Context<Self>) {
        if msg.push {
            self.env.beyond(&msg.notification);
            let frame = ParentFrame::Notification {
                notification: msg.notification.view(),
            };
            self.push(&frame);
            self.env.relay(LiveEvent::Parent {
                parent_id: self.parent_id.clone(),
                frame,
            });
        }
    }
}

impl Handler<ParentFrame> for ParentNotifier {
    type Result = ();
    fn handle(&mut self, frame: ParentFrame, _: &mut Context<Self>) {
        self.push(&frame);
    }
}

impl ParentNotifier {
    fn push(&mut self, frame: &ParentFrame) {
        let json = match frame {
            ParentFrame::Presence {
                child_id,
                online,
                activity_id,
            } => ParentFeedFrame::Presence {
                child_id,
                online: *online,
                activity_id: activity_id.as_deref(),
            },
            ParentFrame::Time { child_id, time } => ParentFeedFrame::Time { child_id, time },
            ParentFrame::Notification { notification } => {
                ParentFeedFrame::Notification { notification }
            }
            ParentFrame::TimeRequestAnswered {
                child_id,
                request_id,
                approved,
                seconds,
            } => ParentFeedFrame::TimeRequestAnswered {
                child_id,
                request_id,
                approved: *approved,
                seconds: *seconds,
            },
        }
        .to_json();
        self.audience.broadcast(json);
    }
}
