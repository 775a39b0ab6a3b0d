//! The live engine (`studyhub-actors`) started on the Diesel store and the content cache;
//! the control channel that applies a change on every node; the registry of open sockets
//! that a revoked account or a stopping server closes.

pub mod control;
pub mod open_sockets;

use std::sync::Arc;

use studyhub_actors::{Engine, EngineConfig};

use crate::infra::content_cache::{CachedContent, ContentCache};
use crate::infra::crypto::Cipher;
use crate::infra::db::DbPool;
use crate::infra::store::DieselStore;

/// Starts the engine (its flusher runs on the calling arbiter). `commits` is the group
/// commit's own pool (see `DieselStore`).
pub fn start_engine(
    pool: DbPool,
    commits: DbPool,
    cipher: Cipher,
    content: Arc<ContentCache>,
    summaries: Arc<crate::features::progress::summary_cache::SummaryCache>,
    config: EngineConfig,
) -> Arc<Engine> {
    Engine::start(
        Arc::new(DieselStore::new(pool, commits, cipher, summaries)),
        Arc::new(CachedContent(content)),
        config,
    )
}
