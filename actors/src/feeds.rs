//! What the server holds of the actors behind parent feeds, class views and class-game
//! hosts: a connection joins, sends, and leaves through these methods, so actix's message
//! types stay inside this crate (as with [`crate::learner::Learner`]).

use crate::outbox::OutboxTx;
use actix::Addr;

use crate::classes::{ClassMonitor, MonitorConnect, MonitorDisconnect};
use crate::game::{GameActor, GameInfo, HostCommand, HostConnect, HostDisconnect, HostMsg, Info};
use crate::parents::{ParentConnect, ParentDisconnect, ParentNotifier};

/// A parent's notifier: every connection of that parent hears its children.
pub struct ParentFeed(pub(crate) Addr<ParentNotifier>);

impl ParentFeed {
    pub fn connect(&self, conn_id: u64, tx: OutboxTx) {
        self.0.do_send(ParentConnect { conn_id, tx });
    }

    pub fn disconnect(&self, conn_id: u64) {
        self.0.do_send(ParentDisconnect { conn_id });
    }
}

/// A class's live view.
pub struct ClassFeed(pub(crate) Addr<ClassMonitor>);

impl ClassFeed {
    pub fn connect(&self, conn_id: u64, tx: OutboxTx) {
        self.0.do_send(MonitorConnect { conn_id, tx });
    }

    pub fn disconnect(&self, conn_id: u64) {
        self.0.do_send(MonitorDisconnect { conn_id });
    }
}

/// A class game this node hosts, as its teacher's socket drives it.
#[derive(Clone)]
pub struct GameHost(pub(crate) Addr<GameActor>);

impl GameHost {
    /// Whose game it is and where it stands (`None`: it just ended).
    pub async fn info(&self) -> Option<GameInfo> {
        self.0.send(Info).await.ok()
    }

    pub fn connect(&self, conn_id: u64, tx: OutboxTx) {
        self.0.do_send(HostConnect { conn_id, tx });
    }

    pub fn command(&self, conn_id: u64, msg: HostMsg) {
        self.0.do_send(HostCommand { conn_id, msg });
    }

    pub fn disconnect(&self, conn_id: u64) {
        self.0.do_send(HostDisconnect { conn_id });
    }
}
