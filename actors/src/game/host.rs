//! `GameHost`: what the server holds of a class game, as its teacher's socket drives it. Its
//! methods are the whole way in, so actix's message types stay in this crate.

use actix::Addr;

use super::{GameActor, GameInfo, HostCommand, HostConnect, HostDisconnect, HostMsg, Info};
use crate::outbox::OutboxTx;

/// A class game this node hosts.
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
