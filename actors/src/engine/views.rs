//! What each actor the engine starts sees of it: the engine implements every actor's narrow
//! view here, above them, so no actor imports the engine.

use std::sync::Arc;

use actix::Addr;

use super::Engine;
use crate::engine_config::EngineConfig;
use crate::events::LiveEvent;
use crate::flusher::FlushHandle;
use crate::game::GameActor;
use crate::ids::LearnerId;
use crate::learner::{LearnerActor, LearnerEnv};
use crate::parents::ParentNotifier;
use crate::shared::Shared;
use crate::store::{ContentSource, Store};

impl LearnerEnv for Engine {
    fn config(&self) -> &EngineConfig {
        &self.config
    }

    fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn content(&self) -> &Arc<dyn ContentSource> {
        &self.content
    }

    fn flush(&self) -> &FlushHandle {
        &self.flush
    }

    fn shared(&self) -> Option<&Arc<dyn Shared>> {
        Engine::shared(self)
    }

    fn announce(&self, event: LiveEvent) {
        Engine::announce(self, event)
    }

    fn parent(&self, parent_id: &str) -> Addr<ParentNotifier> {
        Engine::parent(&self.arc(), parent_id)
    }

    fn game(&self, game_id: &str) -> Option<Addr<GameActor>> {
        self.game_addr(game_id)
    }

    fn unregister(&self, learner_id: &LearnerId, addr: &Addr<LearnerActor>) {
        Engine::unregister(self, learner_id, addr)
    }
}
