//! What the parent notifier and the class monitor share: a set of feed connections to fan
//! frames out to, and stopping once nobody has listened for a while.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::outbox::OutboxTx;
use actix::prelude::*;

use crate::protocol::Outbound;

#[derive(Default)]
pub struct Audience {
    conns: HashMap<u64, OutboxTx>,
    empty_since: Option<Instant>,
}

impl Audience {
    pub fn new() -> Self {
        Self {
            conns: HashMap::new(),
            empty_since: Some(Instant::now()),
        }
    }

    pub fn add(&mut self, conn_id: u64, tx: OutboxTx) {
        self.empty_since = None;
        self.conns.insert(conn_id, tx);
    }

    pub fn remove(&mut self, conn_id: u64) {
        self.conns.remove(&conn_id);
    }

    /// Sends a frame to every connection; one that cannot take it is dropped (its socket
    /// then closes and the client reconnects for a fresh start).
    pub fn broadcast(&mut self, json: String) {
        self.conns.retain(|_, tx| {
            tx.try_send(Outbound::Frame {
                json: json.clone(),
                is_error: false,
            })
            .is_ok()
        });
    }

    /// Stops the actor once it has had no connection for `linger`.
    pub fn stop_when_idle<A>(
        linger: Duration,
        ctx: &mut Context<A>,
        audience: fn(&mut A) -> &mut Audience,
    ) where
        A: Actor<Context = Context<A>>,
    {
        ctx.run_interval(Duration::from_millis(500), move |act, ctx| {
            let a = audience(act);
            if a.conns.is_empty() {
                if a.empty_since.get_or_insert_with(Instant::now).elapsed() >= linger {
                    ctx.stop();
                }
            } else {
                a.empty_since = None;
            }
        });
    }
}
