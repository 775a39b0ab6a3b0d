//! `ParentNotifier`: one per parent with an open live feed or a notification on its way.
//! Every notification is stored first (in the group commit), then pushed to every open
//! connection of the parent (all devices). Presence and time of the parent's children are
//! pushed as they change.

use std::sync::Arc;

use actix::prelude::*;
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

/// A child came online, went offline, or started/ended an activity.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct Presence {
    pub child_id: String,
    pub online: bool,
    pub activity_id: Option<String>,
}

/// A child's screen time changed.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct ChildTime {
    pub child_id: String,
    pub time: TimeView,
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
            self.audience.broadcast(
                json!({"type": "notification", "notification": msg.notification.view()})
                    .to_string(),
            );
        }
    }
}

impl Handler<Presence> for ParentNotifier {
    type Result = ();
    fn handle(&mut self, p: Presence, _: &mut Context<Self>) {
        self.audience.broadcast(
            json!({"type": "presence", "child_id": p.child_id, "online": p.online, "activity_id": p.activity_id}).to_string(),
        );
    }
}

impl Handler<ChildTime> for ParentNotifier {
    type Result = ();
    fn handle(&mut self, t: ChildTime, _: &mut Context<Self>) {
        self.audience.broadcast(
            json!({
                "type": "time",
                "child_id": t.child_id,
                "used_seconds": t.time.used_seconds,
                "limit_seconds": t.time.limit_seconds,
                "left_seconds": t.time.left_seconds,
            })
            .to_string(),
        );
    }
}
