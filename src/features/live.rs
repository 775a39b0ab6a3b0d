//! The live engine (`studyhub-actors`) started on the Diesel store and the content cache;
//! the control channel that applies a change on every node; the registry of open sockets
//! that a revoked account or a stopping server closes.

pub mod control;
pub mod open_sockets;

use std::sync::Arc;
use std::time::Duration;

use studyhub_actors::flusher::FlushConfig;
use studyhub_actors::{Engine, EngineConfig};

use crate::infra::config::RawConfig;
use crate::infra::content_cache::{CachedContent, ContentCache};
use crate::infra::crypto::Cipher;
use crate::infra::db::DbPool;
use crate::infra::store::DieselStore;

pub fn engine_config(raw: &RawConfig) -> EngineConfig {
    EngineConfig {
        flush: FlushConfig {
            window: Duration::from_millis(raw.flush_window_ms),
            max_batch: raw.flush_max_batch.max(1),
            max_buffer: raw.answer_buffer_max.max(1),
            max_queue: raw.flush_queue_max.max(1),
        },
        linger: Duration::from_secs(raw.learner_linger_secs),
        idle_after: Duration::from_secs(raw.screen_time_idle_secs.max(1)),
        ..EngineConfig::default()
    }
}

/// Starts the engine (its flusher runs on the calling arbiter).
pub fn start_engine(
    pool: DbPool,
    cipher: Cipher,
    content: Arc<ContentCache>,
    summaries: Arc<crate::features::progress::summary_cache::SummaryCache>,
    config: EngineConfig,
) -> Arc<Engine> {
    Engine::start(
        Arc::new(DieselStore::new(pool, cipher, summaries)),
        Arc::new(CachedContent(content)),
        config,
    )
}
