//! A parent's change reaches the child wherever it plays: a new limit, downtime, a grant or
//! the answer to a request for more time (and a teacher's roster change) is applied to the learner's live state on this node
//! and, through Redis (`{prefix}:control`), on every other node. Without Redis there is one node and the local call is all there is.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use studyhub_actors::Engine;
use studyhub_actors::downtime_windows::Window;
use studyhub_actors::ids::{ClassId, LearnerId};
use studyhub_actors::learner::{Settings, TimeRequestAnswered};
use studyhub_actors::protocol::AssessmentFrame;

use crate::features::auth::access::LearnerReads;
use crate::features::auth::gate::TokenGate;
use crate::features::live::open_sockets::UserSockets;
use crate::features::progress::summary_cache::SummaryCache;
use crate::infra::cache::RedisCache;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Change {
    Settings {
        learner_id: LearnerId,
        /// `None`: no limit.
        daily_limit_seconds: Option<u64>,
        notifications_enabled: bool,
        /// Absent from nodes that predate downtime: no windows.
        #[serde(default)]
        downtime: Vec<Window>,
    },
    /// A teacher recorded or changed an assessment (already stored).
    Assessment {
        learner_id: LearnerId,
        assessment: AssessmentFrame,
    },
    /// A parent answered a request for more time (an approval is already stored as a grant).
    TimeRequestAnswered {
        learner_id: LearnerId,
        request_id: String,
        approved: bool,
        seconds: u64,
    },
    Grant {
        learner_id: LearnerId,
        seconds: u64,
    },
    /// A sync counted offline play on the learner's `date` (already stored).
    OfflineTime {
        learner_id: LearnerId,
        date: chrono::NaiveDate,
        seconds: u64,
    },
    /// A learner joined or left a class: its actor's classes and the class views' roster,
    /// wherever they are live.
    Classes {
        learner_id: LearnerId,
        class_ids: Vec<ClassId>,
        class_id: ClassId,
        /// The touched class's roster now: (learner id, name).
        roster: Vec<(LearnerId, String)>,
    },
    /// A learner's profile changed or the learner is gone (or a whole history came in): access
    /// checks and the progress summary read it again.
    Learner {
        learner_id: LearnerId,
    },
    /// These learners' progress changed (a group commit, a study page): their kept summaries
    /// are read again.
    Progress {
        learner_ids: Vec<LearnerId>,
    },
    /// Every kept summary is read again: an activity changed (its category may have moved) or
    /// a history was imported.
    AllProgress,
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
    learners: LearnerReads,
    summaries: Arc<SummaryCache>,
}

fn apply(local: &Local, change: Change) {
    let engine = &local.engine;
    match change {
        Change::Account { user_id } => {
            local.gate.forget(&user_id);
            local.sockets.close_all(&user_id);
        }
        Change::Learner { learner_id } => {
            local.learners.forget(&learner_id);
            local.summaries.forget(&[learner_id]);
        }
        Change::Progress { learner_ids } => local.summaries.forget(&learner_ids),
        Change::AllProgress => local.summaries.clear(),
        Change::Settings {
            learner_id,
            daily_limit_seconds,
            notifications_enabled,
            downtime,
        } => engine.settings_changed(
            &learner_id,
            Settings {
                daily_limit_seconds,
                notifications_enabled,
                downtime,
            },
        ),
        Change::TimeRequestAnswered {
            learner_id,
            request_id,
            approved,
            seconds,
        } => engine.time_request_answered(
            &learner_id,
            TimeRequestAnswered {
                request_id,
                approved,
                seconds,
            },
        ),
        Change::Grant {
            learner_id,
            seconds,
        } => engine.grant(&learner_id, seconds),
        Change::OfflineTime {
            learner_id,
            date,
            seconds,
        } => engine.offline_time(&learner_id, date, seconds),
        Change::Assessment {
            learner_id,
            assessment,
        } => engine.assessment_recorded(&learner_id, assessment),
        Change::Classes {
            learner_id,
            class_ids,
            class_id,
            roster,
        } => {
            engine.classes_changed(&learner_id, class_ids);
            engine.roster_changed(&class_id, roster);
        }
    }
}

impl LiveControl {
    pub fn new(
        engine: Arc<Engine>,
        gate: Arc<TokenGate>,
        sockets: Arc<UserSockets>,
        learners: LearnerReads,
        summaries: Arc<SummaryCache>,
        redis: Option<Arc<RedisCache>>,
        node: String,
    ) -> Self {
        let local = Arc::new(Local {
            engine,
            gate,
            sockets,
            learners,
            summaries,
        });
        if let Some(r) = &redis {
            let (redis, me) = (r.clone(), node.clone());
            // The group commit's changes to summaries, on the runtime that commits them.
            local.summaries.tell_others_with(move |learner_ids| {
                let Ok(payload) = serde_json::to_string(&Envelope {
                    node: me.clone(),
                    change: Change::Progress { learner_ids },
                }) else {
                    return;
                };
                let redis = redis.clone();
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    rt.spawn(async move { redis.publish("control", &payload).await });
                }
            });
            let (local, me) = (local.clone(), node.clone());
            let missed = local.clone();
            r.listen(
                "control",
                // Limits and grants published while this node was not listening: read what is
                // stored for every learner live here, and every kept learner and summary
                // again. (Revoked tokens are re-checked within seconds anyway: the token
                // gate's cache is short.)
                move || {
                    missed.summaries.clear();
                    missed.learners.clear();
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
        if let Some(r) = &self.redis
            && let Ok(payload) = serde_json::to_string(&Envelope {
                node: self.node.clone(),
                change,
            })
        {
            r.publish("control", &payload).await;
        }
    }

    /// A new daily limit, notification setting or downtime, felt at once wherever the
    /// learner plays.
    /// Learners as access checks read them (a change here forgets one).
    pub fn learners(&self) -> &LearnerReads {
        &self.local.learners
    }

    /// This node's engine.
    pub fn engine(&self) -> &Engine {
        &self.local.engine
    }

    pub async fn settings_changed(&self, learner_id: &LearnerId, settings: Settings) {
        self.publish(Change::Settings {
            learner_id: learner_id.clone(),
            daily_limit_seconds: settings.daily_limit_seconds,
            notifications_enabled: settings.notifications_enabled,
            downtime: settings.downtime,
        })
        .await
    }

    /// Play stops at once wherever the learner plays (the child or account is going away).
    pub async fn stop_play(&self, learner_id: &LearnerId) {
        self.settings_changed(
            learner_id,
            Settings {
                daily_limit_seconds: Some(0),
                notifications_enabled: false,
                downtime: Vec::new(),
            },
        )
        .await
    }

    /// The answer to a request for more time reaches the child wherever it plays, then its time.
    pub async fn time_request_answered(&self, learner_id: &LearnerId, answer: TimeRequestAnswered) {
        self.publish(Change::TimeRequestAnswered {
            learner_id: learner_id.clone(),
            request_id: answer.request_id,
            approved: answer.approved,
            seconds: answer.seconds,
        })
        .await
    }

    /// A teacher's assessment reaches the learner's play sockets wherever they are.
    pub async fn assessment_recorded(&self, learner_id: &LearnerId, assessment: AssessmentFrame) {
        self.publish(Change::Assessment {
            learner_id: learner_id.clone(),
            assessment,
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

    /// A learner's profile changed or it was deleted (already stored): every node reads it
    /// again for its next access check.
    pub async fn learner_changed(&self, learner_id: &LearnerId) {
        self.publish(Change::Learner {
            learner_id: learner_id.clone(),
        })
        .await
    }

    /// Learners' progress changed outside the group commit (already stored): their summaries
    /// are read again on every node.
    pub async fn progress_changed(&self, learner_ids: Vec<LearnerId>) {
        self.publish(Change::Progress { learner_ids }).await
    }

    /// An activity changed or a history was imported (already stored): every node reads
    /// every summary again.
    pub async fn all_progress_changed(&self) {
        self.publish(Change::AllProgress).await
    }

    /// A learner joined or left `class_id` (already stored): its play and the class's live
    /// views follow at once on every node (a removed student stops streaming to the teacher).
    pub async fn classes_changed(
        &self,
        learner_id: &LearnerId,
        class_ids: Vec<ClassId>,
        class_id: &ClassId,
        roster: Vec<(LearnerId, String)>,
    ) {
        self.publish(Change::Classes {
            learner_id: learner_id.clone(),
            class_ids,
            class_id: class_id.clone(),
            roster,
        })
        .await
    }

    /// Offline play newly counted by a sync (already stored), felt at once wherever the
    /// learner plays.
    pub async fn offline_time(
        &self,
        learner_id: &LearnerId,
        date: chrono::NaiveDate,
        seconds: u64,
    ) {
        self.publish(Change::OfflineTime {
            learner_id: learner_id.clone(),
            date,
            seconds,
        })
        .await
    }

    /// Extra time for today (already stored), felt at once wherever the learner plays.
    pub async fn grant(&self, learner_id: &LearnerId, seconds: u64) {
        self.publish(Change::Grant {
            learner_id: learner_id.clone(),
            seconds,
        })
        .await
    }
}
