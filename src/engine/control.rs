//! A parent's change reaches the child wherever it plays: a new limit or a grant is applied to
//! the learner's live state on this node and, through Redis (`{prefix}:control`), on every
//! other node. Without Redis there is one node and the local call is all there is.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use studyhub_actors::Engine;

use crate::cache::RedisCache;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Change {
    Settings {
        learner_id: String,
        daily_limit_seconds: u64,
        notifications_enabled: bool,
    },
    Grant {
        learner_id: String,
        seconds: u64,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The node that published it (it already applied the change itself).
    node: String,
    change: Change,
}

pub struct LiveControl {
    engine: Arc<Engine>,
    redis: Option<Arc<RedisCache>>,
    node: String,
}

fn apply(engine: &Engine, change: Change) {
    match change {
        Change::Settings {
            learner_id,
            daily_limit_seconds,
            notifications_enabled,
        } => engine.settings_changed(&learner_id, daily_limit_seconds, notifications_enabled),
        Change::Grant {
            learner_id,
            seconds,
        } => engine.grant(&learner_id, seconds),
    }
}

impl LiveControl {
    pub fn new(engine: Arc<Engine>, redis: Option<Arc<RedisCache>>, node: String) -> Self {
        if let Some(r) = &redis {
            let (engine, me) = (engine.clone(), node.clone());
            r.listen("control", move |payload| {
                match serde_json::from_str::<Envelope>(&payload) {
                    Ok(env) if env.node != me => apply(&engine, env.change),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "unreadable control message"),
                }
            });
        }
        Self {
            engine,
            redis,
            node,
        }
    }

    async fn publish(&self, change: Change) {
        apply(&self.engine, change.clone());
        if let Some(r) = &self.redis {
            if let Ok(payload) = serde_json::to_string(&Envelope {
                node: self.node.clone(),
                change,
            }) {
                r.publish("control", &payload).await;
            }
        }
    }

    /// A new daily limit or notification setting, felt at once wherever the learner plays.
    pub async fn settings_changed(
        &self,
        learner_id: &str,
        daily_limit_seconds: u64,
        notifications_enabled: bool,
    ) {
        self.publish(Change::Settings {
            learner_id: learner_id.into(),
            daily_limit_seconds,
            notifications_enabled,
        })
        .await
    }

    /// Extra time for today (already stored), felt at once wherever the learner plays.
    pub async fn grant(&self, learner_id: &str, seconds: u64) {
        self.publish(Change::Grant {
            learner_id: learner_id.into(),
            seconds,
        })
        .await
    }
}
