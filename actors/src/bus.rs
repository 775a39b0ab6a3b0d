//! Live events that must reach parents and teachers connected to other nodes. The engine
//! delivers them on this node itself and hands them to the `Bus` (Redis pub/sub in the server
//! crate), which delivers them on every other node.

use serde::{Deserialize, Serialize};

use crate::classes::ClassEvent;
use crate::parents::ParentFrame;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum LiveEvent {
    Parent {
        parent_id: String,
        frame: ParentFrame,
    },
    Class {
        class_id: String,
        event: ClassEvent,
    },
}

pub trait Bus: Send + Sync + 'static {
    /// Best effort: a lost event costs a live update, never stored data.
    fn publish(&self, event: LiveEvent);
}
