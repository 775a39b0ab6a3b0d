//! What a learner's actor may use of the engine around it, and nothing more: its settings,
//! the store and content it reads, the group commit it writes through, the feeds and nodes it
//! tells, the games it joins and the registry it leaves. The engine is one (it implements
//! this in `crate::engine`, above the actor); a test can stand in another, and the actor can
//! be read without the engine's insides.

use std::sync::Arc;

use actix::Addr;

use super::LearnerActor;
use crate::engine_config::EngineConfig;
use crate::events::LiveEvent;
use crate::flusher::FlushHandle;
use crate::game::GameActor;
use crate::ids::{ClassId, LearnerId};
use crate::parents::ParentNotifier;
use crate::protocol::OpenGame;
use crate::shared::Shared;
use crate::store::{ContentSource, Store};

pub(crate) trait LearnerEnv: Send + Sync {
    fn config(&self) -> &EngineConfig;
    fn store(&self) -> &Arc<dyn Store>;
    fn content(&self) -> &Arc<dyn ContentSource>;
    /// The group commit: everything the learner writes goes through it, in order.
    fn flush(&self) -> &FlushHandle;
    /// Screen time and presence as every node counts them (none on a single node).
    fn shared(&self) -> Option<&Arc<dyn Shared>>;
    /// Tells this node's feeds, then the other nodes'.
    fn announce(&self, event: LiveEvent);
    /// The parent's notifier (started if needed), for notifications that are stored first.
    fn parent(&self, parent_id: &str) -> Addr<ParentNotifier>;
    /// The game a `join_game` names, by id or by the PIN of an open game, with its replica
    /// on this node (started if needed).
    fn find_game(
        &self,
        game_id: Option<String>,
        pin: Option<String>,
    ) -> futures_util::future::LocalBoxFuture<'static, Option<(String, Addr<GameActor>)>>;
    /// The games open now in these classes, for `hello`.
    fn open_games(&self, class_ids: &[ClassId]) -> Vec<OpenGame>;
    /// The actor stopped: it is no longer the learner's live actor.
    fn unregister(&self, learner_id: &LearnerId, addr: &Addr<LearnerActor>);
}
