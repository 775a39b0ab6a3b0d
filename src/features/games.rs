//! Class games in the database: each game with its PIN (unique among the games not over
//! yet, whichever node made them), the class's invitation list and extra time, and what the
//! engine's game records (`games/log.rs`) for the teacher's report (`games/report.rs`).

mod journal;
mod log;
mod report;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::infra::db::DbConnection;
use crate::infra::db::schema::{class_game_steps, class_games, class_members};
use crate::infra::error::{AppError, AppResult};
use crate::infra::time::now;
pub use journal::DbGameStore;
pub use log::DbGameLog;
pub use report::{GameReport, PlayerReport, QuestionReport, report, report_csv};

/// A game left open this long (its node stopped before the end) no longer holds its PIN.
const STALE_AFTER_HOURS: i64 = 12;
/// A game's journal is kept this long after its end.
const JOURNAL_KEPT_HOURS: i64 = 24;
/// New PINs tried before giving up (with a million PINs and few games, one is enough).
const PIN_TRIES: usize = 20;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = class_games)]
pub struct GameRow {
    pub id: String,
    pub class_id: String,
    pub teacher_id: String,
    pub activity_id: String,
    pub pin: String,
    pub seconds_per_question: i32,
    pub question_count: i32,
    pub state: String,
    pub question_index: Option<i32>,
    pub created_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}

/// What a new game needs besides its PIN.
pub struct NewGame {
    pub id: String,
    pub class_id: String,
    pub teacher_id: String,
    pub activity_id: String,
    pub seconds_per_question: u32,
    pub question_count: usize,
}

fn new_pin() -> String {
    format!("{:06}", rand::random_range(100_000..1_000_000))
}

/// Stores a new game under a PIN no other open game has: the database's unique index on the
/// open games' PINs decides between nodes, and a PIN taken is drawn again.
pub fn create(conn: &mut DbConnection, game: &NewGame) -> AppResult<GameRow> {
    let stale = now() - chrono::Duration::hours(STALE_AFTER_HOURS);
    diesel::update(
        class_games::table
            .filter(class_games::ended_at.is_null())
            .filter(class_games::created_at.lt(stale)),
    )
    .set((
        class_games::ended_at.eq(now()),
        class_games::state.eq("over"),
    ))
    .execute(conn)?;
    // A finished game's journal has served: it goes (with the names in it) a day after.
    let done = now() - chrono::Duration::hours(JOURNAL_KEPT_HOURS);
    diesel::delete(
        class_game_steps::table.filter(
            class_game_steps::game_id.eq_any(
                class_games::table
                    .filter(class_games::ended_at.lt(done))
                    .select(class_games::id),
            ),
        ),
    )
    .execute(conn)?;
    for _ in 0..PIN_TRIES {
        let pin = new_pin();
        let inserted = diesel::insert_into(class_games::table)
            .values((
                class_games::id.eq(&game.id),
                class_games::class_id.eq(&game.class_id),
                class_games::teacher_id.eq(&game.teacher_id),
                class_games::activity_id.eq(&game.activity_id),
                class_games::pin.eq(&pin),
                class_games::seconds_per_question.eq(game.seconds_per_question as i32),
                class_games::question_count.eq(game.question_count as i32),
                class_games::state.eq("lobby"),
                class_games::created_at.eq(now()),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => return find(conn, &game.id)?.ok_or_else(|| AppError::not_found("game")),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::try_again())
}

pub fn find(conn: &mut DbConnection, game_id: &str) -> QueryResult<Option<GameRow>> {
    class_games::table
        .find(game_id)
        .select(GameRow::as_select())
        .first(conn)
        .optional()
}

/// The class's students, and the extra time of those who have some (percent).
pub fn invitation(
    conn: &mut DbConnection,
    class_id: &str,
) -> QueryResult<(Vec<String>, HashMap<String, u32>)> {
    let rows: Vec<(String, i32)> = class_members::table
        .filter(class_members::class_id.eq(class_id))
        .select((class_members::learner_id, class_members::extra_time_percent))
        .load(conn)?;
    let extra = rows
        .iter()
        .filter(|(_, p)| *p > 0)
        .map(|(l, p)| (l.clone(), *p as u32))
        .collect();
    Ok((rows.into_iter().map(|(l, _)| l).collect(), extra))
}

/// Sets a member's extra time; `false` when the learner is not in the class.
pub fn set_extra_time(
    conn: &mut DbConnection,
    class_id: &str,
    learner_id: &str,
    percent: u32,
) -> QueryResult<bool> {
    let n = diesel::update(
        class_members::table
            .filter(class_members::class_id.eq(class_id))
            .filter(class_members::learner_id.eq(learner_id)),
    )
    .set(class_members::extra_time_percent.eq(percent as i32))
    .execute(conn)?;
    Ok(n > 0)
}
