//! `Learner`: what the server (routes, sockets, tests) holds of a live learner actor. Its
//! methods are the whole way in, so actix's message types stay inside this crate.

use std::future::Future;

use actix::Addr;
use tokio::sync::oneshot;

use crate::outbox::OutboxTx;

use super::LearnerActor;
use super::messages::{
    Connect, Disconnect, FromClient, Rest, RestReply, Snapshot, StudySeconds, TimeNow,
};
use crate::protocol::{ClientMsg, TimeView};
use crate::store::SessionSnapshot;

#[derive(Clone, PartialEq, Eq)]
pub struct Learner(pub(crate) Addr<LearnerActor>);

impl Learner {
    /// Joins a connection: `hello` (or `time_up` and a 4001 close) arrives through `tx`.
    /// `false` when the actor stopped in between (start a fresh one).
    pub async fn connect(&self, conn_id: u64, tx: OutboxTx) -> bool {
        self.0.send(Connect { conn_id, tx }).await.is_ok()
    }

    /// Hands over one frame of a connection; resolves once the actor has taken it (`false`:
    /// the actor is gone). Awaiting it is the socket's backpressure: a learner that is behind
    /// slows its connection's reads, so its mailbox stays bounded.
    pub fn from_client(
        &self,
        conn_id: u64,
        msg: ClientMsg,
    ) -> impl Future<Output = bool> + 'static {
        let handled = self.0.send(FromClient { conn_id, msg });
        async move { handled.await.is_ok() }
    }

    /// Hands over a frame without waiting: no backpressure, for the engine's own tests.
    #[cfg(feature = "test-util")]
    pub fn push(&self, conn_id: u64, msg: ClientMsg) {
        self.0.do_send(FromClient { conn_id, msg });
    }

    pub fn disconnect(&self, conn_id: u64) {
        self.0.do_send(Disconnect { conn_id });
    }

    /// The same engine over REST: what a websocket would have received. `None` when the
    /// actor stopped before answering (start a fresh one and ask again).
    pub async fn rest(&self, msg: ClientMsg) -> Option<RestReply> {
        let (reply, rx) = oneshot::channel();
        self.0.send(Rest { msg, reply }).await.ok()?;
        rx.await.ok()
    }

    /// The session as the actor holds it (with answers not saved yet), if it is its own.
    pub async fn snapshot(&self, session_id: &str) -> Option<SessionSnapshot> {
        let session_id = session_id.to_string();
        self.0.send(Snapshot { session_id }).await.ok().flatten()
    }

    /// The screen-time clock as it stands now.
    pub async fn time_now(&self) -> Option<TimeView> {
        self.0.send(TimeNow).await.ok()
    }

    /// Replays sessions a device played offline (see `offline.rs`). `None` when the actor
    /// stopped before answering (start a fresh one and ask again).
    pub async fn sync(
        &self,
        sessions: Vec<super::offline::OfflineSession>,
    ) -> Option<Result<super::offline::SyncReply, super::offline::SyncRefused>> {
        let (reply, rx) = oneshot::channel();
        self.0
            .send(super::offline::OfflineSync { sessions, reply })
            .await
            .ok()?;
        rx.await.ok()
    }

    /// Study time outside activities (study pages), counted for achievements.
    pub fn study_seconds(&self, seconds: u64) {
        self.0.do_send(StudySeconds { seconds });
    }
}
