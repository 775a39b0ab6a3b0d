//! The class games this node hosts that still take players: by id, by PIN and by class, so a
//! play socket finds its class's games in `hello` and joins one by its PIN.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ids::ClassId;
use crate::protocol::OpenGame;

#[derive(Default)]
pub(super) struct OpenGames(Mutex<Inner>);

#[derive(Default)]
struct Inner {
    by_id: HashMap<String, (ClassId, OpenGame)>,
    by_pin: HashMap<String, String>,
}

impl OpenGames {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn open(&self, class_id: ClassId, game: OpenGame) {
        let mut inner = self.lock();
        inner.by_pin.insert(game.pin.clone(), game.game_id.clone());
        inner.by_id.insert(game.game_id.clone(), (class_id, game));
    }

    pub(super) fn close(&self, game_id: &str) {
        let mut inner = self.lock();
        if let Some((_, game)) = inner.by_id.remove(game_id) {
            inner.by_pin.remove(&game.pin);
        }
    }

    pub(super) fn by_pin(&self, pin: &str) -> Option<String> {
        self.lock().by_pin.get(pin).cloned()
    }

    /// The open games of these classes, oldest first.
    pub(super) fn of_classes(&self, class_ids: &[ClassId]) -> Vec<OpenGame> {
        let inner = self.lock();
        let mut games: Vec<OpenGame> = inner
            .by_id
            .values()
            .filter(|(class_id, _)| class_ids.contains(class_id))
            .map(|(_, g)| g.clone())
            .collect();
        // Game ids are UUIDv7: their order is their age.
        games.sort_by(|a, b| a.game_id.cmp(&b.game_id));
        games
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn game(id: &str, pin: &str) -> OpenGame {
        OpenGame {
            game_id: id.into(),
            pin: pin.into(),
            class_name: "4B".into(),
            activity_title: "Fractions".into(),
        }
    }

    #[test]
    fn a_game_is_found_by_pin_and_class_until_it_closes() {
        let open = OpenGames::default();
        open.open("c1".into(), game("g2", "222222"));
        open.open("c1".into(), game("g1", "111111"));
        open.open("c2".into(), game("g3", "333333"));
        assert_eq!(open.by_pin("111111").as_deref(), Some("g1"));
        let ids: Vec<String> = open
            .of_classes(&["c1".into()])
            .into_iter()
            .map(|g| g.game_id)
            .collect();
        assert_eq!(ids, ["g1", "g2"]);
        open.close("g1");
        assert_eq!(open.by_pin("111111"), None);
        assert_eq!(open.of_classes(&["c1".into()]).len(), 1);
        assert!(open.of_classes(&[]).is_empty());
    }
}
