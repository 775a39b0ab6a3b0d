//! The engine's class games: a new game's first replica, the replica of a game made on
//! another node (started from its journal), games found by PIN, where journals and records are
//! kept, and extra time reaching a class's open games.

use std::sync::Arc;

use actix::Addr;

use super::Engine;
use crate::events::{GameNews, LearnerPush, LiveEvent};
use crate::game::{GameActor, GameHost, GameLog, GameSpec, GameStore, SetExtraTime};
use crate::ids::{ClassId, LearnerId};

impl Engine {
    /// Starts a new game's first replica on this node and invites the class: every play
    /// socket of its `students`, on every node, gets `game_open`.
    pub fn start_game(self: &Arc<Self>, spec: GameSpec, students: Vec<LearnerId>) -> GameHost {
        let (engine, store) = (self.clone(), self.game_store());
        let id = spec.game_id.clone();
        let open = spec.open_game();
        let class_id = spec.class_id.clone();
        let extra: Vec<(LearnerId, u32)> = spec
            .extra_time
            .iter()
            .map(|(l, p)| (l.clone(), *p))
            .collect();
        let addr = self
            .games
            .get_or_start(&id, move || GameActor::new(spec, engine, store, Vec::new()));
        // The journal says who has extra time, so a replica started elsewhere knows it too.
        for (learner_id, percent) in extra {
            addr.do_send(SetExtraTime {
                class_id: class_id.clone(),
                learner_id,
                percent,
            });
        }
        self.announce(LiveEvent::Game(GameNews::Opened {
            class_id,
            game: open.clone(),
        }));
        self.announce(LiveEvent::Learners {
            learner_ids: students,
            push: LearnerPush::GameOpen(open),
        });
        GameHost(addr)
    }

    /// The game's replica on this node, started from its journal if this node has none yet
    /// (the game was made on another node, or this one restarted). `None`: no such game.
    pub async fn find_game(&self, game_id: &str) -> Option<GameHost> {
        self.game_replica(game_id).await.map(GameHost)
    }

    pub(super) async fn game_replica(&self, game_id: &str) -> Option<Addr<GameActor>> {
        if let Some(addr) = self.games.get(game_id) {
            return Some(addr);
        }
        let store = self.game_store();
        let spec = match store.spec(game_id).await {
            Ok(spec) => spec?,
            Err(e) => {
                tracing::warn!(game = %game_id, error = %e, "a game could not be read");
                return None;
            }
        };
        let past = match store.read(game_id, 0).await {
            Ok(past) => past,
            Err(e) => {
                tracing::warn!(game = %game_id, error = %e, "a game's journal could not be read");
                return None;
            }
        };
        let engine = self.arc();
        tracing::info!(game = %game_id, steps = past.len(), "running a replica of a class game");
        Some(self.games.get_or_start(&game_id.to_string(), move || {
            GameActor::new(spec, engine, store, past)
        }))
    }

    /// A game this node runs a replica of now.
    pub fn game(&self, game_id: &str) -> Option<GameHost> {
        self.games.get(game_id).map(GameHost)
    }

    /// The open game with this PIN, wherever it was made.
    pub(super) async fn game_by_pin(&self, pin: &str) -> Option<(String, Addr<GameActor>)> {
        let id = match self.open_games.by_pin(pin) {
            Some(id) => id,
            None => self.game_store().open_by_pin(pin).await.ok()??,
        };
        let addr = self.game_replica(&id).await?;
        Some((id, addr))
    }

    /// Games and their journals are kept here from now on (once, at start-up; until then
    /// they are in memory, and live on the node that made them).
    pub fn set_game_store(&self, store: Arc<dyn GameStore>) {
        let _ = self.game_store.set(store);
    }

    pub(super) fn game_store(&self) -> Arc<dyn GameStore> {
        match self.game_store.get() {
            Some(store) => store.clone(),
            None => self.memory_games.clone(),
        }
    }

    /// Records of every game go here from now on (once, at start-up).
    pub fn set_game_log(&self, log: Arc<dyn GameLog>) {
        let _ = self.game_log.set(log);
    }

    /// A student's extra time in a class changed: the class's open games follow (one
    /// replica's step reaches them all).
    pub async fn extra_time_changed(
        &self,
        class_id: &ClassId,
        learner_id: &LearnerId,
        percent: u32,
    ) {
        let games = self.open_games.of_classes(std::slice::from_ref(class_id));
        for open in games {
            if let Some(game) = self.game_replica(&open.game_id).await {
                game.do_send(SetExtraTime {
                    class_id: class_id.clone(),
                    learner_id: learner_id.clone(),
                    percent,
                });
            }
        }
    }

    /// Game replicas live on this node.
    pub fn live_games(&self) -> usize {
        self.games.len()
    }
}
