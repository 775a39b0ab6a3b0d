//! No play inside the parent's downtime windows: a connection made inside one is told and
//! closed (in `messages`), and open ones are closed as a window begins (checked each tick and
//! after a settings change).

use chrono::{DateTime, Utc};

use super::LearnerActor;
use crate::protocol::{Outbound, ServerMsg, close};

impl LearnerActor {
    /// Ends play on every connection if a window holds now.
    pub(super) fn check_downtime(&mut self) {
        if self.conns.is_empty() || self.downtime.is_empty() {
            return;
        }
        if let Some(until) = self.downtime.at(Utc::now()) {
            self.downtime_began(until);
        }
    }

    /// `downtime` to every connection, then the close 4002.
    fn downtime_began(&mut self, until: DateTime<Utc>) {
        tracing::info!(learner = %self.learner_id, %until, "downtime began: closing play");
        self.broadcast(&ServerMsg::Downtime { until });
        let ids: Vec<u64> = self.conns.keys().copied().collect();
        for id in ids {
            self.send_to(
                id,
                Outbound::Close {
                    code: close::DOWNTIME,
                    reason: "downtime",
                },
            );
        }
        self.conns.clear();
        self.rest_until = None;
        self.persist(false);
        self.announce_presence();
    }
}
