//! The engine (`studyhub-actors`) wired to the database: its `Store` and `ContentSource`.

pub mod bus;
pub mod content;
pub mod control;
pub mod shared;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use studyhub_actors::flusher::FlushConfig;
use studyhub_actors::{Engine, EngineConfig};

use crate::config::RawConfig;
use crate::crypto::Cipher;
use crate::db::DbPool;
use content::{CachedContent, ContentCache};
use store::DieselStore;

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
    summaries: Arc<crate::progress::summary_cache::SummaryCache>,
    config: EngineConfig,
) -> Arc<Engine> {
    Engine::start(
        Arc::new(DieselStore::new(pool, cipher, summaries)),
        Arc::new(CachedContent(content)),
        config,
    )
}
