//! What to play next (`crate::next_activity`), answered by the learner's actor when it is live: it
//! keeps the learner's completions, read from the store once (the first time it is asked)
//! and kept up to date as sessions complete, so asking again costs no query. A learner with
//! no live actor is read from the store the same way.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use actix::prelude::*;
use chrono::{DateTime, Utc};

use super::LearnerActor;
use crate::ids::LearnerId;
use crate::next_activity::{CatalogEntry, Completed, LearnerTraits, Next, next_activity};
use crate::protocol::Completion;
use crate::session::LiveSession;
use crate::store::{PlayedSession, Store, StoreError};

/// Past this many kept completions, the list is compacted again.
const COMPACT_PAST: usize = 64;

/// The learner's completions, as far as choosing the next activity needs them.
#[derive(Debug, Default)]
pub(super) struct Played {
    /// Everything, once read from the store (compacted).
    loaded: Option<Vec<PlayedSession>>,
    /// Completions of this actor before the store was read: the store may not have them yet
    /// (they wait in the group commit), so they are merged by session id.
    since_start: Vec<PlayedSession>,
}

impl Played {
    fn record(&mut self, p: PlayedSession) {
        let list = self.loaded.as_mut().unwrap_or(&mut self.since_start);
        list.push(p);
        if list.len() > COMPACT_PAST {
            compact(list);
        }
    }

    fn load(&mut self, stored: Vec<PlayedSession>) -> &[PlayedSession] {
        if self.loaded.is_none() {
            let mut all = stored;
            let known: HashSet<crate::ids::SessionId> =
                all.iter().map(|p| p.session_id.clone()).collect();
            all.extend(
                self.since_start
                    .drain(..)
                    .filter(|p| !known.contains(&p.session_id)),
            );
            compact(&mut all);
            self.loaded = Some(all);
        }
        self.loaded.as_deref().expect("loaded")
    }
}

/// Keeps only what [`next_activity`] looks at, in order: the latest completion of each
/// activity and the two latest of each category. The answer is the same as on the whole
/// history (tested below), and the list stays as small as the catalog.
fn compact(list: &mut Vec<PlayedSession>) {
    list.sort_by_key(|p| p.completed.completed_at); // stable, as next_activity sorts
    let keep: Vec<bool> = {
        let mut activities: HashSet<&str> = HashSet::new();
        let mut categories: HashMap<&str, u8> = HashMap::new();
        let mut keep = vec![false; list.len()];
        for (i, p) in list.iter().enumerate().rev() {
            let latest_of_activity = activities.insert(p.completed.activity_id.as_str());
            let n = categories.entry(p.completed.category.as_str()).or_insert(0);
            keep[i] = latest_of_activity || *n < 2;
            *n = n.saturating_add(1);
        }
        keep
    };
    let mut i = 0;
    list.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

fn choose(
    catalog: &[CatalogEntry],
    learner: &LearnerTraits,
    played: &[PlayedSession],
) -> Option<Next> {
    let history: Vec<Completed> = played.iter().map(|p| p.completed.clone()).collect();
    next_activity(catalog, learner, &history)
}

/// The activity to play next, from the live actor's history.
#[derive(Message)]
#[rtype(result = "Result<Option<Next>, StoreError>")]
pub struct NextFor {
    pub learner: LearnerTraits,
    pub catalog: Arc<Vec<CatalogEntry>>,
}

impl LearnerActor {
    /// A session just completed: it is part of the history from now on.
    pub(super) fn note_played(&mut self, session: &LiveSession, c: &Completion, at: DateTime<Utc>) {
        self.played.record(PlayedSession {
            session_id: c.session_id.clone(),
            completed: Completed {
                activity_id: session.activity.id.clone(),
                category: session.activity.category.clone(),
                difficulty: session.activity.difficulty,
                accuracy: c.accuracy,
                completed_at: at,
            },
        });
    }
}

impl Handler<NextFor> for LearnerActor {
    type Result = ResponseActFuture<Self, Result<Option<Next>, StoreError>>;

    fn handle(&mut self, msg: NextFor, _: &mut Context<Self>) -> Self::Result {
        if let Some(played) = &self.played.loaded {
            let next = choose(&msg.catalog, &msg.learner, played);
            return Box::pin(fut::ready(Ok(next)));
        }
        let read = self.env.store().played(&self.learner_id);
        Box::pin(read.into_actor(self).map(move |res, act, _| {
            let played = act.played.load(res?);
            Ok(choose(&msg.catalog, &msg.learner, played))
        }))
    }
}

/// What to play next: from the live actor's history when the learner has one (`live`), else
/// from the store. `None` only when nothing in `catalog` can be started.
pub(crate) async fn next_activity_for(
    live: Option<Addr<LearnerActor>>,
    store: &dyn Store,
    learner_id: &LearnerId,
    learner: LearnerTraits,
    catalog: Arc<Vec<CatalogEntry>>,
) -> Result<Option<Next>, StoreError> {
    if let Some(addr) = live {
        let ask = NextFor {
            learner: learner.clone(),
            catalog: catalog.clone(),
        };
        // An actor that stopped meanwhile: read the store instead.
        if let Ok(answer) = addr.send(ask).await {
            return answer;
        }
    }
    let mut played = store.played(learner_id).await?;
    compact(&mut played);
    Ok(choose(&catalog, &learner, &played))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(id: &str, category: &str, difficulty: i32) -> CatalogEntry {
        CatalogEntry {
            id: id.into(),
            category: category.into(),
            sub_category: Some(id.into()),
            difficulty,
            age_min: 5,
            age_max: 12,
            archived: false,
        }
    }

    #[test]
    fn the_compact_history_chooses_exactly_as_the_whole_one() {
        let catalog: Vec<CatalogEntry> = (0..12)
            .map(|i| {
                let cat = ["math", "science", "Music"][i % 3];
                entry(&format!("{cat}-{i}"), cat, (i / 3) as i32 + 1)
            })
            .collect();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
        let mut seed: u64 = 7;
        let mut rand = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for round in 0..300 {
            let len = rand(40) as usize;
            let mut played: Vec<PlayedSession> = (0..len)
                .map(|i| {
                    let a = &catalog[rand(catalog.len() as u64) as usize];
                    PlayedSession {
                        session_id: format!("s{i}").into(),
                        completed: Completed {
                            activity_id: a.id.clone(),
                            // The same category spelled two ways compares alike.
                            category: if rand(4) == 0 {
                                a.category.to_uppercase()
                            } else {
                                a.category.clone()
                            },
                            difficulty: a.difficulty,
                            accuracy: [20.0, 60.0, 95.0, 100.0][rand(4) as usize],
                            // Some share a time: their order must survive.
                            completed_at: t0 + chrono::Duration::minutes(rand(30) as i64),
                        },
                    }
                })
                .collect();
            let learner = LearnerTraits {
                age: 8,
                interests: vec![["math", "music", "science-5"][round % 3].into()],
            };
            let whole = choose(&catalog, &learner, &played);
            compact(&mut played);
            assert!(
                played.len() <= catalog.len() + 2 * 6,
                "round {round}: {}",
                played.len()
            );
            assert_eq!(choose(&catalog, &learner, &played), whole, "round {round}");
        }
    }

    #[test]
    fn completions_before_the_store_was_read_are_merged_once() {
        let c = |id: &str, minute: i64| PlayedSession {
            session_id: id.into(),
            completed: Completed {
                activity_id: format!("a-{id}"),
                category: "math".into(),
                difficulty: 1,
                accuracy: 100.0,
                completed_at: Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap()
                    + chrono::Duration::minutes(minute),
            },
        };
        let mut p = Played::default();
        p.record(c("s2", 2));
        p.record(c("s3", 3));
        // The store has s1 and s2 (s3 is still in the group commit).
        let got: Vec<&str> = p
            .load(vec![c("s1", 1), c("s2", 2)])
            .iter()
            .map(|p| p.session_id.as_str())
            .collect();
        assert_eq!(got, ["s1", "s2", "s3"]);
        p.record(c("s4", 4));
        assert_eq!(p.loaded.as_ref().unwrap().len(), 4);
    }
}
