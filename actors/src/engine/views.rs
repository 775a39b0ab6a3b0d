//! What each actor the engine starts sees of it: the engine implements every actor's narrow
//! view here, above them, so no actor imports the engine.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use futures_util::future::LocalBoxFuture;

use super::Engine;
use crate::class_monitor::{ClassEnv, ClassMonitor};
use crate::engine_config::EngineConfig;
use crate::events::{GameNews, LiveEvent};
use crate::flusher::FlushHandle;
use crate::game::{GameActor, GameEnv, GameRecord};
use crate::ids::{ClassId, LearnerId};
use crate::learner::{LearnerActor, LearnerEnv};
use crate::parents::{ParentEnv, ParentNotifier};
use crate::protocol::OpenGame;
use crate::shared::{LearnerStatus, Shared};
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

    fn find_game(
        &self,
        game_id: Option<String>,
        pin: Option<String>,
    ) -> LocalBoxFuture<'static, Option<(String, Addr<GameActor>)>> {
        let engine = self.arc();
        Box::pin(async move {
            match (game_id, pin) {
                (Some(id), _) => {
                    let addr = engine.game_replica(&id).await?;
                    Some((id, addr))
                }
                (None, Some(pin)) => engine.game_by_pin(pin.trim()).await,
                (None, None) => None,
            }
        })
    }

    fn open_games(&self, class_ids: &[ClassId]) -> Vec<OpenGame> {
        self.open_games.of_classes(class_ids)
    }

    fn unregister(&self, learner_id: &LearnerId, addr: &Addr<LearnerActor>) {
        self.learners.remove_if(learner_id, addr);
    }
}

impl ParentEnv for Engine {
    fn linger(&self) -> Duration {
        self.config.linger
    }

    fn relay(&self, event: LiveEvent) {
        Engine::relay(self, event)
    }

    fn beyond(&self, notification: &crate::store::Notification) {
        Engine::beyond(self, notification)
    }

    fn unregister(&self, parent_id: &str, addr: &Addr<ParentNotifier>) {
        self.parents.remove_if(parent_id, addr);
    }
}

impl ClassEnv for Engine {
    fn linger(&self) -> Duration {
        self.config.linger
    }

    fn where_are(
        &self,
        learner_ids: Vec<LearnerId>,
    ) -> LocalBoxFuture<'static, HashMap<LearnerId, LearnerStatus>> {
        let engine = self.arc();
        Box::pin(async move { engine.where_are(&learner_ids).await })
    }

    fn unregister(&self, class_id: &str, addr: &Addr<ClassMonitor>) {
        self.classes.remove_if(class_id, addr);
    }
}

impl GameEnv for Engine {
    fn unregister(&self, game_id: &str, addr: &Addr<GameActor>) {
        self.open_games.close(game_id);
        self.games.remove_if(game_id, addr);
    }

    fn closed(&self, game_id: &str) {
        self.open_games.close(game_id);
        self.relay(LiveEvent::Game(GameNews::Closed {
            game_id: game_id.to_string(),
        }));
    }

    fn changed(&self, game_id: &str) {
        self.relay(LiveEvent::Game(GameNews::Changed {
            game_id: game_id.to_string(),
        }));
    }

    fn record(&self, record: GameRecord) {
        if let Some(log) = self.game_log.get() {
            log.record(record);
        }
    }
}
