//! Games and their journals in the database, for the engine's replicas (`GameStore`): any
//! node reads a game as it was made and the steps taken since, and appends its own.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use studyhub_actors::game::{Entry, GameSpec, GameStore, Step};
use studyhub_actors::store::{StoreError, StoreFuture};

use crate::infra::content_cache::ContentCache;
use crate::infra::db::schema::{class_game_steps, class_games};
use crate::infra::db::{Db, DbConnection};
use crate::infra::error::AppError;

/// Two nodes appending at once both try the next number; the one refused tries again.
const APPEND_TRIES: usize = 5;

pub struct DbGameStore {
    db: Db,
    content: Arc<ContentCache>,
}

impl DbGameStore {
    pub fn new(db: Db, content: Arc<ContentCache>) -> Arc<Self> {
        Arc::new(Self { db, content })
    }
}

fn store_error(e: AppError) -> StoreError {
    StoreError(e.to_string())
}

fn append(
    conn: &mut DbConnection,
    game_id: &str,
    at: DateTime<Utc>,
    step: &str,
) -> Result<(), AppError> {
    for _ in 0..APPEND_TRIES {
        let last: Option<i64> = class_game_steps::table
            .filter(class_game_steps::game_id.eq(game_id))
            .select(diesel::dsl::max(class_game_steps::n))
            .first(conn)?;
        let inserted = diesel::insert_into(class_game_steps::table)
            .values((
                class_game_steps::game_id.eq(game_id),
                class_game_steps::n.eq(last.unwrap_or(0) + 1),
                class_game_steps::at.eq(at.naive_utc()),
                class_game_steps::step.eq(step),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => return Ok(()),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::try_again())
}

impl GameStore for DbGameStore {
    fn append(&self, game_id: &str, at: DateTime<Utc>, step: Step) -> StoreFuture<()> {
        let (db, game_id) = (self.db.clone(), game_id.to_string());
        Box::pin(async move {
            let step = serde_json::to_string(&step).map_err(|e| StoreError(e.to_string()))?;
            // Milliseconds: what every backend keeps exactly, so every replica reads one time.
            let at = DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at);
            db.run(move |conn| append(conn, &game_id, at, &step))
                .await
                .map_err(store_error)
        })
    }

    fn read(&self, game_id: &str, after: i64) -> StoreFuture<Vec<Entry>> {
        let (db, game_id) = (self.db.clone(), game_id.to_string());
        Box::pin(async move {
            let rows: Vec<(i64, chrono::NaiveDateTime, String)> = db
                .run(move |conn| {
                    Ok(class_game_steps::table
                        .filter(class_game_steps::game_id.eq(&game_id))
                        .filter(class_game_steps::n.gt(after))
                        .order(class_game_steps::n)
                        .select((
                            class_game_steps::n,
                            class_game_steps::at,
                            class_game_steps::step,
                        ))
                        .load(conn)?)
                })
                .await
                .map_err(store_error)?;
            rows.into_iter()
                .map(|(n, at, step)| {
                    Ok(Entry {
                        n,
                        at: at.and_utc(),
                        step: serde_json::from_str(&step)
                            .map_err(|e| StoreError(format!("game step {n}: {e}")))?,
                    })
                })
                .collect()
        })
    }

    fn spec(&self, game_id: &str) -> StoreFuture<Option<GameSpec>> {
        let (db, content, game_id) = (self.db.clone(), self.content.clone(), game_id.to_string());
        Box::pin(async move {
            let found = db
                .run(move |conn| {
                    let Some(row) = super::find(conn, &game_id)? else {
                        return Ok(None);
                    };
                    let class = crate::features::classes::find(conn, &row.class_id)?;
                    Ok(Some((row, class.map(|c| c.name).unwrap_or_default())))
                })
                .await
                .map_err(store_error)?;
            let Some((row, class_name)) = found else {
                return Ok(None);
            };
            let Some(activity) = content.get(&row.activity_id).await? else {
                return Ok(None);
            };
            Ok(Some(GameSpec {
                game_id: row.id,
                pin: row.pin,
                class_id: row.class_id.into(),
                class_name,
                teacher_id: row.teacher_id,
                activity,
                seconds_per_question: row.seconds_per_question.max(0) as u32,
                // Extra time is in the journal (the game's first steps, and each change).
                extra_time: Default::default(),
            }))
        })
    }

    fn open_by_pin(&self, pin: &str) -> StoreFuture<Option<String>> {
        let (db, pin) = (self.db.clone(), pin.to_string());
        Box::pin(async move {
            db.run(move |conn| {
                Ok(class_games::table
                    .filter(class_games::pin.eq(&pin))
                    .filter(class_games::ended_at.is_null())
                    .select(class_games::id)
                    .first::<String>(conn)
                    .optional()?)
            })
            .await
            .map_err(store_error)
        })
    }
}
