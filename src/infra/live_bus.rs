//! The engine's bus to the other nodes, over Redis pub/sub (`{prefix}:live`): presence, time,
//! notifications and class events reach parent feeds and class views connected to any node.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use studyhub_actors::Engine;
use studyhub_actors::bus::Bus;
use studyhub_actors::events::LiveEvent;

use tokio::sync::mpsc;

use crate::infra::cache::RedisCache;

/// What one publish carries: every event queued since the last one.
#[derive(Serialize, Deserialize)]
struct Envelope {
    node: String,
    #[serde(default)]
    events: Vec<LiveEvent>,
    /// One event, as nodes before batching sent it (read during a rolling upgrade).
    #[serde(default, skip_serializing)]
    event: Option<LiveEvent>,
}

/// Events waiting for the publisher; past it, events are dropped (and counted): live
/// updates are of the moment, and a node that cannot keep up must not grow without bound.
const QUEUE: usize = 20_000;
/// Events in one publish.
const MAX_BATCH: usize = 500;
/// How long one publish may wait behind a busy connection (a request waits 300 ms at most;
/// this queue has room to wait longer, and a publish given up is events lost).
const PUBLISH_WAIT: std::time::Duration = crate::infra::cache::LONGEST_WAIT;

/// Events queue here and one task publishes them, many to a message: under load one
/// `PUBLISH` (and one message for every other node to read) carries hundreds of events
/// instead of each costing a command, a task and a wake-up of its own.
struct RedisBus {
    queue: mpsc::Sender<LiveEvent>,
}

impl Bus for RedisBus {
    fn publish(&self, event: LiveEvent) {
        if self.queue.try_send(event).is_err() {
            metrics::counter!("studyhub_bus_dropped_total", "reason" => "queue_full").increment(1);
        }
    }
}

async fn publisher(redis: Arc<RedisCache>, node: String, mut queue: mpsc::Receiver<LiveEvent>) {
    let mut events = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut events, MAX_BATCH).await > 0 {
        let n = events.len() as u64;
        let envelope = Envelope {
            node: node.clone(),
            events: std::mem::take(&mut events),
            event: None,
        };
        let Ok(payload) = serde_json::to_string(&envelope) else {
            continue;
        };
        metrics::histogram!("studyhub_bus_publish_events").record(n as f64);
        if redis.publish_within("live", &payload, PUBLISH_WAIT).await {
            metrics::counter!("studyhub_bus_published_events_total").increment(n);
        } else {
            metrics::counter!("studyhub_bus_dropped_total", "reason" => "redis").increment(n);
        }
    }
}

/// Connects this node's engine to the others: what happens here is published, what others
/// publish is delivered here.
pub fn connect(engine: &Arc<Engine>, redis: Arc<RedisCache>, node: String) {
    let (queue, waiting) = mpsc::channel(QUEUE);
    tokio::spawn(publisher(redis.clone(), node.clone(), waiting));
    engine.set_bus(Arc::new(RedisBus { queue }));
    let engine = engine.clone();
    // Live events are of the moment: what passed while this node was not listening is gone
    // (notifications are stored, and feeds read them again on `hello`).
    redis.listen(
        "live",
        || {},
        move |payload| match serde_json::from_str::<Envelope>(&payload) {
            Ok(env) if env.node != node => {
                metrics::counter!("studyhub_bus_received_events_total")
                    .increment(env.events.len() as u64 + u64::from(env.event.is_some()));
                env.events
                    .into_iter()
                    .chain(env.event)
                    .for_each(|e| engine.deliver(e))
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "unreadable live event"),
        },
    );
}
