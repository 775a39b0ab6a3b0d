//! The studyhub live engine. It knows activities, answers and learners, never HTTP or SQL:
//! storage and content reach it through small traits ([`store::Store`],
//! [`store::ContentSource`]) implemented by the server crate.

pub mod achievements;
pub mod audience;
pub mod batched_reads;
pub mod bus;
pub mod class_monitor;
pub mod content;
pub mod downtime_windows;
pub mod engine;
mod engine_config;
pub mod events;
pub mod flusher;
pub mod game;
pub mod ids;
pub mod lag;
pub mod learner;
mod loader;
/// The in-memory store and content the engine's own tests run on; not in a release build.
#[cfg(any(test, feature = "test-util"))]
pub mod memory;
pub mod next_activity;
pub mod outbox;
pub(crate) mod pacer;
pub mod parents;
pub mod protocol;
pub mod screen_time;
pub mod session;
pub mod shared;
pub mod store;
pub mod visibility;

pub use class_monitor::ClassFeed;
pub use engine::{Engine, EngineConfig, EngineError};
pub use game::GameHost;
pub use parents::ParentFeed;
