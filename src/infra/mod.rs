//! The bottom layer: configuration, errors, time, the database, cache, object storage, crypto,
//! and the engine's traits (`Store`, `ContentSource`, `Bus`, `Shared`) implemented on them. It
//! uses nothing above it.

pub mod cache;
pub mod config;
pub mod content_cache;
pub mod crypto;
pub mod db;
pub mod error;
pub mod live_bus;
pub mod mail;
pub mod shared_counts;
pub mod storage;
pub mod store;
pub mod telemetry;
pub mod time;
