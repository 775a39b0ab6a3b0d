//! `ParentNotifier`: one per parent with an open live feed or a notification on its way.
//! Every notification is stored first (in the group commit), then pushed to every open
//! connection of the parent (all devices). Presence and time of the parent's children are
//! pushed as they change.

use std::sync::Arc;

use actix::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;

use crate::audience::Audience;
use crate::engine::Engine;
use crate::flusher::Stored;
use crate::protocol::{Outbound, TimeView};

#[derive(Message)]
#[rtype(result = "()")]
pub struct ParentConnect {
    pub conn_id: u64,
    pub tx: mpsc::Sender<Outbound>,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct ParentDisconnect {
    pub conn_id: u64,
}

/// What a parent's feed is told about a child, on this node or (through the bus) another.
#[derive(Message, Debug, Clone, Serialize, Deserialize)]
#[rtype(result = "()")]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParentFrame {
    /// The child came online, went offline, or started/ended an activity.
    Presence {
        child_id: String,
        online: bool,
        activity_id: Option<String>,
    },
    /// The child's screen time changed.
    Time { child_id: String, time: TimeView },
    /// A stored notification (pushed on the node that stored it, then relayed).
    Notification { notification: serde_json::Value },
    /// A request for more time was answered (so every device of the parent knows).
    TimeRequestAnswered {
        child_id: String,
        request_id: String,
        approved: bool,
        seconds: u64,
    },
}

pub struct ParentNotifier {
    parent_id: String,
    engine: Arc<Engine>,
    audience: Audience,
}

impl ParentNotifier {
    pub(crate) fn new(parent_id: String, engine: Arc<Engine>) -> Self {
        Self {
            parent_id,
            engine,
            audience: Audience::new(),
        }
    }
}

impl Actor for ParentNotifier {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        Audience::stop_when_idle(self.engine.config.linger, ctx, |a: &mut Self| {
            &mut a.audience
        });
    }

    fn stopped(&mut self, ctx: &mut Context<Self>) {
        self.engine
            .parents
            .remove_if(&self.parent_id, &ctx.address());
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
            let frame = ParentFrame::Notification {
                notification: msg.notification.view(),
            };
            self.push(&frame);
            self.engine.relay(crate::bus::LiveEvent::Parent {
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
            } => {
                json!({"type": "presence", "child_id": child_id, "online": online, "activity_id": activity_id})
            }
            ParentFrame::Time { child_id, time } => json!({
                "type": "time",
                "child_id": child_id,
                "used_seconds": time.used_seconds,
                "limit_seconds": time.limit_seconds,
                "left_seconds": time.left_seconds,
            }),
            ParentFrame::Notification { notification } => {
                json!({"type": "notification", "notification": notification})
            }
            ParentFrame::TimeRequestAnswered {
                child_id,
                request_id,
                approved,
                seconds,
            } => json!({
                "type": "time_request_answered",
                "child_id": child_id,
                "request_id": request_id,
                "approved": approved,
                "seconds": seconds,
            }),
        };
        self.audience.broadcast(json.to_string());
    }
}
