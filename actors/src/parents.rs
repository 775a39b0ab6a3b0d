//! `ParentNotifier`: one per parent with an open live feed or a notification on its way.
//! Every notification is stored first (in the group commit), then pushed to every open
//! connection of the parent (all devices). Presence and time of the parent's children are
//! pushed as they change.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use serde_json::json;
use tokio::sync::mpsc;

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
    conns: HashMap<u64, mpsc::Sender<Outbound>>,
    empty_since: Option<Instant>,
}

impl ParentNotifier {
    pub(crate) fn new(parent_id: String, engine: Arc<Engine>) -> Self {
        Self {
            parent_id,
            engine,
            conns: HashMap::new(),
            empty_since: Some(Instant::now()),
        }
    }

    fn broadcast(&mut self, json: String) {
        self.conns.retain(|_, tx| {
            tx.try_send(Outbound::Frame {
                json: json.clone(),
                is_error: false,
            })
            .is_ok()
        });
    }
}

impl Actor for ParentNotifier {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let linger = self.engine.config.linger;
        ctx.run_interval(
            self.engine
                .config
                .tick
                .max(std::time::Duration::from_millis(500)),
            move |act, ctx| {
                if act.conns.is_empty() {
                    let since = *act.empty_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= linger {
                        ctx.stop();
                    }
                } else {
                    act.empty_since = None;
                }
            },
        );
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
        self.empty_since = None;
        self.conns.insert(msg.conn_id, msg.tx);
    }
}

impl Handler<ParentDisconnect> for ParentNotifier {
    type Result = ();
    fn handle(&mut self, msg: ParentDisconnect, _: &mut Context<Self>) {
        self.conns.remove(&msg.conn_id);
    }
}

impl Handler<Stored> for ParentNotifier {
    type Result = ();
    fn handle(&mut self, msg: Stored, _: &mut Context<Self>) {
        if msg.push {
            self.broadcast(
                json!({"type": "notification", "notification": msg.notification.view()})
                    .to_string(),
            );
        }
    }
}

impl Handler<Presence> for ParentNotifier {
    type Result = ();
    fn handle(&mut self, p: Presence, _: &mut Context<Self>) {
        self.broadcast(
            json!({"type": "presence", "child_id": p.child_id, "online": p.online, "activity_id": p.activity_id}).to_string(),
        );
    }
}

impl Handler<ChildTime> for ParentNotifier {
    type Result = ();
    fn handle(&mut self, t: ChildTime, _: &mut Context<Self>) {
        self.broadcast(
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
