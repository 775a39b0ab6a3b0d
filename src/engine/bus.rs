//! The engine's bus to the other nodes, over Redis pub/sub (`{prefix}:live`): presence, time,
//! notifications and class events reach parent feeds and class views connected to any node.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use studyhub_actors::Engine;
use studyhub_actors::bus::Bus;
use studyhub_actors::events::LiveEvent;

use crate::cache::RedisCache;

#[derive(Serialize, Deserialize)]
struct Envelope {
    node: String,
    event: LiveEvent,
}

struct RedisBus {
    redis: Arc<RedisCache>,
    node: String,
}

impl Bus for RedisBus {
    fn publish(&self, event: LiveEvent) {
        let Ok(payload) = serde_json::to_string(&Envelope {
            node: self.node.clone(),
            event,
        }) else {
            return;
        };
        let redis = self.redis.clone();
        tokio::spawn(async move { redis.publish("live", &payload).await });
    }
}

/// Connects this node's engine to the others: what happens here is published, what others
/// publish is delivered here.
pub fn connect(engine: &Arc<Engine>, redis: Arc<RedisCache>, node: String) {
    engine.set_bus(Arc::new(RedisBus {
        redis: redis.clone(),
        node: node.clone(),
    }));
    let engine = engine.clone();
    // Live events are of the moment: what passed while this node was not listening is gone
    // (notifications are stored, and feeds read them again on `hello`).
    redis.listen(
        "live",
        || {},
        move |payload| match serde_json::from_str::<Envelope>(&payload) {
            Ok(env) if env.node != node => engine.deliver(env.event),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "unreadable live event"),
        },
    );
}
