//! `ParentNotifier`: one per parent with an open live feed or a notification on its way.
//! Every notification is stored first (in the group commit), then pushed to every open
//! connection of the parent (all devices). Presence and time of the parent's children are
//! pushed as they change.

use std::sync::Arc;

use crate::outbox::OutboxTx;
use actix::prelude::*;

use crate::audience::Audience;
use crate::engine::Engine;
use crate::events::ParentFrame;
use crate::flusher::Stored;
use crate::protocol::feeds::ParentFeedFrame;

#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct ParentConnect {
    pub conn_id: u64,
    pub tx: OutboxTx,
}

#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct ParentDisconnect {
    pub conn_id: u64,
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
            self.engine.relay(crate::events::LiveEvent::Parent {
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
