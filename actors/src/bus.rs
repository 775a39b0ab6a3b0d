//! Live events that must reach parents and teachers connected to other nodes. The engine
//! delivers them on this node itself and hands them to the `Bus` (Redis pub/sub in the server
//! crate), which delivers them on every other node.

use crate::events::LiveEvent;

pub trait Bus: Send + Sync + 'static {
    /// Best effort: a lost event costs a live update, never stored data.
    fn publish(&self, event: LiveEvent);
}
