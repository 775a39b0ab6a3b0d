//! What every request handler can reach.

use std::sync::Arc;
use std::time::Instant;

use metrics_exporter_prometheus::PrometheusHandle;
use studyhub_actors::Engine;

use crate::features::auth::jwt::JwtKeys;
use crate::features::auth::shared_limit::SharedLimiter;
use crate::infra::config::Settings;
use crate::infra::content_cache::ContentCache;
use crate::infra::crypto::Cipher;
use crate::infra::db::Db;

pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub jwt: JwtKeys,
    /// Realtime tickets: signed, spent once.
    pub tickets: crate::features::auth::tickets::Tickets,
    pub login_limiter: SharedLimiter,
    /// Whether an access token's account still accepts it.
    pub token_gate: Arc<crate::features::auth::gate::TokenGate>,
    /// Every open websocket of an account, to close them when its sessions end.
    pub user_sockets: Arc<crate::features::live::open_sockets::UserSockets>,
    /// Registrations per client address.
    pub register_limiter: SharedLimiter,
    pub started_at: Instant,
    pub metrics: PrometheusHandle,
    /// A bcrypt hash of nothing, verified against when the email is unknown so that a
    /// login for an unknown email takes as long as one with a wrong password.
    pub dummy_hash: String,
    /// The live engine: learner actors and the group-commit flusher.
    pub engine: Arc<Engine>,
    pub content: Arc<ContentCache>,
    pub cipher: Cipher,
    pub storage: Arc<crate::infra::storage::ObjectStore>,
    /// Limits and grants, applied on every node.
    pub control: crate::features::live::control::LiveControl,
    /// The shared cache and bus, when `REDIS_URL` is set (up or not).
    pub redis: Option<Arc<crate::infra::cache::RedisCache>>,
    /// Learners read in batches for access checks, kept 5 s (forgotten on every node when one
    /// changes).
    pub learner_reads: crate::features::auth::access::LearnerReads,
    /// Progress summaries kept in memory, moved by the group commit.
    pub summaries: Arc<crate::features::progress::summary_cache::SummaryCache>,
}
