//! The engine's game records, written to the database in the order they happen by one task
//! per node (a game makes a few writes a question: nothing here is on the answer path).

use std::sync::Arc;

use diesel::prelude::*;
use studyhub_actors::game::{GameLog, GameRecord};
use tokio::sync::mpsc;

use crate::infra::db::schema::{class_game_answers, class_game_players, class_games};
use crate::infra::db::{Db, DbConnection};
use crate::infra::error::AppError;
use crate::infra::time::now;

/// Hands records to the writer task; a record that cannot be written is logged and dropped
/// (it costs a line of a report, never an answer: those are the players' sessions).
pub struct DbGameLog(mpsc::UnboundedSender<GameRecord>);

impl DbGameLog {
    /// Starts the writer on the current runtime.
    pub fn start(db: Db) -> Arc<Self> {
        let (tx, mut rx) = mpsc::unbounded_channel::<GameRecord>();
        tokio::spawn(async move {
            while let Some(record) = rx.recv().await {
                let game_id = record.game_id().to_string();
                if let Err(e) = db.run(move |conn| write(conn, &record)).await {
                    tracing::warn!(game = %game_id, error = %e, "a class game's record was not kept");
                }
            }
        });
        Arc::new(Self(tx))
    }
}

impl GameLog for DbGameLog {
    fn record(&self, record: GameRecord) {
        let _ = self.0.send(record);
    }
}

fn write(conn: &mut DbConnection, record: &GameRecord) -> Result<(), AppError> {
    match record {
        GameRecord::Joined {
            game_id,
            learner_id,
            name,
            session_id,
        } => {
            crate::on_backend!(conn, |c| diesel::insert_into(class_game_players::table)
                .values((
                    class_game_players::game_id.eq(game_id),
                    class_game_players::learner_id.eq(learner_id.as_str()),
                    class_game_players::name.eq(name),
                    class_game_players::session_id.eq(session_id.as_str()),
                    class_game_players::joined_at.eq(now()),
                ))
                .on_conflict((class_game_players::game_id, class_game_players::learner_id))
                .do_update()
                .set((
                    class_game_players::name.eq(name),
                    class_game_players::session_id.eq(session_id.as_str()),
                ))
                .execute(c))?;
        }
        GameRecord::Question { game_id, index } => {
            diesel::update(class_games::table.find(game_id))
                .set((
                    class_games::state.eq("question"),
                    class_games::question_index.eq(Some(*index as i32)),
                ))
                .execute(conn)?;
        }
        GameRecord::Revealed {
            game_id,
            index,
            results,
        } => {
            let rows: Vec<_> = results
                .iter()
                .map(|r| {
                    (
                        class_game_answers::game_id.eq(game_id),
                        class_game_answers::learner_id.eq(r.learner_id.as_str()),
                        class_game_answers::question_index.eq(*index as i32),
                        class_game_answers::correct.eq(r.correct),
                        class_game_answers::points.eq(r.points as i32),
                        class_game_answers::millis.eq(r.millis.min(i64::MAX as u64) as i64),
                    )
                })
                .collect();
            if !rows.is_empty() {
                crate::on_backend!(conn, |c| diesel::insert_into(class_game_answers::table)
                    .values(&rows)
                    .on_conflict_do_nothing()
                    .execute(c))?;
            }
            diesel::update(class_games::table.find(game_id))
                .set(class_games::state.eq("revealed"))
                .execute(conn)?;
        }
        GameRecord::Over { game_id } => {
            diesel::update(
                class_games::table
                    .find(game_id)
                    .filter(class_games::ended_at.is_null()),
            )
            .set((
                class_games::state.eq("over"),
                class_games::ended_at.eq(now()),
            ))
            .execute(conn)?;
        }
    }
    Ok(())
}
