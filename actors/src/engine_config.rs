//! The engine's timings, in a module of their own: the engine is started with them and the
//! actors it starts read them, so neither has to import the other for them.

use std::time::Duration;

use crate::flusher::FlushConfig;

#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    pub flush: FlushConfig,
    /// Screen time stops counting this long after the learner last did something.
    pub idle_after: Duration,
    /// A learner's actor stays this long after its last connection closed.
    pub linger: Duration,
    /// Screen time is written at least this often while counting.
    pub persist_every: Duration,
    /// `time` is pushed at least this often while counting.
    pub push_every: Duration,
    pub tick: Duration,
    /// A REST request keeps a learner "connected" for screen time this long.
    pub rest_presence: Duration,
    /// With several nodes, an actor this long without a socket reads the session it
    /// remembers again before `hello` (it may have gone on elsewhere); one that just started
    /// has just read it, and a blip's reconnect need not.
    pub reread_after: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            flush: FlushConfig::default(),
            idle_after: Duration::from_secs(60),
            linger: Duration::from_secs(120),
            persist_every: Duration::from_secs(15),
            push_every: Duration::from_secs(60),
            tick: Duration::from_secs(1),
            rest_presence: Duration::from_secs(60),
            reread_after: Duration::from_secs(1),
        }
    }
}
