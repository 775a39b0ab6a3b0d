//! Realtime tickets: browsers cannot set headers on a websocket, so they trade their access
//! token for a ticket (single use, 30 seconds, bound to the caller and optionally to a
//! learner) and pass it as `?ticket=`. Stored hashed in the database so any node can redeem
//! one that another issued.

use base64::Engine;
use chrono::Duration;
use diesel::prelude::*;
use rand::RngCore;

use super::refresh::hash_token;
use super::{AuthUser, Role};
use crate::db::DbConnection;
use crate::db::schema::{realtime_tickets, users};
use crate::error::{AppError, Code};
use crate::time::now;

pub const TICKET_TTL_SECS: i64 = 30;

pub fn issue(
    conn: &mut DbConnection,
    user_id: &str,
    learner_id: Option<&str>,
) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let ticket = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let t = now();
    // Expired tickets are swept as new ones are made.
    diesel::delete(
        realtime_tickets::table.filter(realtime_tickets::expires_at.lt(t - Duration::minutes(5))),
    )
    .execute(conn)?;
    diesel::insert_into(realtime_tickets::table)
        .values((
            realtime_tickets::ticket_hash.eq(hash_token(&ticket)),
            realtime_tickets::user_id.eq(user_id),
            realtime_tickets::learner_id.eq(learner_id),
            realtime_tickets::expires_at.eq(t + Duration::seconds(TICKET_TTL_SECS)),
        ))
        .execute(conn)?;
    Ok(ticket)
}

/// Redeems a ticket once: the caller it was issued to, and the learner it is bound to.
pub fn redeem(
    conn: &mut DbConnection,
    ticket: &str,
) -> Result<(AuthUser, Option<String>), AppError> {
    let hash = hash_token(ticket);
    let t = now();
    let taken = diesel::update(
        realtime_tickets::table
            .find(&hash)
            .filter(realtime_tickets::used_at.is_null())
            .filter(realtime_tickets::expires_at.gt(t)),
    )
    .set(realtime_tickets::used_at.eq(Some(t)))
    .execute(conn)?;
    if taken != 1 {
        return Err(AppError::unauthorized(
            Code::InvalidTicket,
            "the ticket is unknown, used or expired",
        ));
    }
    let (user_id, learner_id, role): (String, Option<String>, String) = realtime_tickets::table
        .inner_join(users::table)
        .filter(realtime_tickets::ticket_hash.eq(&hash))
        .filter(users::active.eq(true))
        .select((
            realtime_tickets::user_id,
            realtime_tickets::learner_id,
            users::role,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            AppError::unauthorized(Code::InvalidTicket, "the ticket's account no longer exists")
        })?;
    let role = Role::parse(&role).unwrap_or(Role::Student);
    Ok((AuthUser { id: user_id, role }, learner_id))
}
