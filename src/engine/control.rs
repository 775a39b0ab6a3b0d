//! A parent's change reaches the child wherever it plays: a new limit or a grant is applied to
//! the learner's live state on this node and, through Redis (`{prefix}:control`), on every
//! other node. Without Redis there is one node and the local call is all there is.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use studyhub_actors::Engine;

use crate::auth::gate::TokenGate;
use crate::cache::RedisCache;
use crate::live::revoke::UserSockets;

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
    /// An account's password changed, it signed out everywhere or it was erased: its access
    /// tokens are re-checked and its sockets close (4003).
    Account {
        user_id: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The node that published it (it already applied the change itself).
    node: String,
    change: Change,
}

pub struct LiveControl {
    local: Arc<Local>,
    redis: Option<Arc<RedisCache>>,
    node: String,
}

/// What a change touches on this node.
struct Local {
    engine: Arc<Engine>,
    gate: Arc<TokenGate>,
    sockets: Arc<UserSockets>,
}

fn apply(local: &Local, change: Change) {
    let engine = &local.engine;
    match change {
        Change::Account { user_id } => {
            local.gate.forget(&user_id);
            local.sockets.close_all(&user_id);
        }
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
    pub fn new(
        engine: Arc<Engine>,
        gate: Arc<TokenGate>,
        sockets: Arc<UserSockets>,
        redis: Option<Arc<RedisCache>>,
        node: String,
    ) -> Self {
        let local = Arc::new(Local {
            engine,
            gate,
            sockets,
        });
        if let Some(r) = &redis {
            let (local, me) = (local.clone(), node.clone());
            let missed = local.clone();
            r.listen(
                "control",
                // Limits and grants published while this node was not listening: read what is
                // stored for every learner live here. (Revoked tokens are re-checked within
                // seconds anyway: the token gate's cache is short.)
                move || {
                    let engine = missed.engine.clone();
                    tokio::spawn(async move { engine.reload_live().await });
                },
                move |payload| match serde_json::from_str::<Envelope>(&payload) {
                    Ok(env) if env.node != me => apply(&local, env.change),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "unreadable control message"),
                },
            );
        }
        Self { local, redis, node }
    }

    async fn publish(&self, change: Change) {
        apply(&self.local, change.clone());
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

    /// The account's sessions ended (see [`Change::Account`]), on every node.
    pub async fn account_changed(&self, user_id: &str) {
        self.publish(Change::Account {
            user_id: user_id.into(),
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
