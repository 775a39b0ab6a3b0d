//! Whether an access token's account still accepts it: the account exists, is active, and its
//! token version is the one the token was issued under. A JWT alone cannot be taken back, so
//! every authenticated request asks here; the answer is cached for a few seconds per account
//! and dropped at once on this node when the account changes (other nodes hear it through
//! the control channel, and the cache bounds how long one can lag without Redis).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::infra::db::Db;
use crate::infra::db::schema::users;
use crate::infra::error::{AppError, Code};

const FRESH_FOR: Duration = Duration::from_secs(5);
const MAX_ENTRIES: usize = 100_000;

#[derive(Default)]
pub struct TokenGate {
    /// user id → (current token version, when read); absent or inactive accounts are not kept.
    known: Mutex<HashMap<String, (i32, Instant)>>,
}

fn revoked() -> AppError {
    AppError::unauthorized(
        Code::TokenRevoked,
        "this access token was signed out; refresh it or sign in again",
    )
}

impl TokenGate {
    /// `Ok` when a token of `user_id` issued under version `ver` is still good.
    pub async fn check(&self, db: &Db, user_id: &str, ver: i32) -> Result<(), AppError> {
        let cached = self
            .known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(user_id)
            .filter(|(_, at)| at.elapsed() < FRESH_FOR)
            .map(|(v, _)| *v);
        let current = match cached {
            // Versions only grow, so a token newer than the cached version proves the cache
            // stale (a request that read the old version can store it just after a sign-out
            // dropped it): read again rather than refuse a fresh sign-in for seconds.
            Some(v) if ver <= v => Some(v),
            _ => {
                let id = user_id.to_string();
                let found: Option<i32> = db
                    .run(move |conn| {
                        users::table
                            .find(&id)
                            .filter(users::active.eq(true))
                            .select(users::token_version)
                            .first(conn)
                            .optional()
                            .map_err(AppError::from)
                    })
                    .await?;
                if let Some(v) = found {
                    let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
                    if known.len() >= MAX_ENTRIES {
                        known.retain(|_, (_, at)| at.elapsed() < FRESH_FOR);
                    }
                    known.insert(user_id.to_string(), (v, Instant::now()));
                }
                found
            }
        };
        match current {
            Some(v) if v == ver => Ok(()),
            _ => Err(revoked()),
        }
    }

    /// The account changed (new version, deleted): ask the database next time.
    pub fn forget(&self, user_id: &str) {
        self.known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(user_id);
    }
}
