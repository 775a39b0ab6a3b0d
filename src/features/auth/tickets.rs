//! Realtime tickets: browsers cannot set headers on a websocket, so they trade their access
//! token for a ticket (single use, 30 seconds, bound to the caller and optionally to a
//! learner) and pass it as `?ticket=`.
//!
//! A ticket is a signed token (HS256 under a key of its own, derived from the JWT secret, so
//! a ticket is never an access token nor the other way round): issuing one writes nothing and
//! any node can check one that another issued. It is spent once: its id is set in Redis
//! (`SET NX`, seen by every node) or, without Redis, in this process; with Redis configured
//! but away, in the database's ticket table, so a ticket stays single use meanwhile. A
//! reconnect storm thus costs no database write per connection.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::gate::TokenGate;
use super::refresh::hash_token;
use super::{AuthUser, Role};
use crate::infra::cache::RedisCache;
use crate::infra::db::Db;
use crate::infra::db::schema::realtime_tickets;
use crate::infra::error::{AppError, Code};

pub const TICKET_TTL_SECS: i64 = 30;
/// Spent ids kept in this process before the expired ones are swept.
const SWEEP_ABOVE: usize = 50_000;

#[derive(Debug, Serialize, Deserialize)]
struct TicketClaims {
    sub: String,
    role: Role,
    /// The caller's token version: a ticket stops working with the access tokens.
    ver: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lrn: Option<String>,
    jti: String,
    iat: i64,
    exp: i64,
}

pub struct Tickets {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Ids spent in this process (without Redis), with when they expire.
    spent: Mutex<Spent>,
}

/// Spent ids; the expired ones are swept once the map doubled since the last sweep (so a
/// sweep costs O(1) per ticket however many are live).
#[derive(Default)]
struct Spent {
    ids: HashMap<String, i64>,
    sweep_at: usize,
}

fn invalid() -> AppError {
    AppError::unauthorized(
        Code::InvalidTicket,
        "the ticket is unknown, used or expired",
    )
}

impl Tickets {
    pub fn new(jwt_secret: &[u8]) -> Self {
        let key = Sha256::new()
            .chain_update(b"studyhub realtime tickets\0")
            .chain_update(jwt_secret)
            .finalize();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            validation,
            spent: Mutex::default(),
        }
    }

    /// A ticket for `user` (whose access token has version `ver`), bound to `learner_id`.
    pub fn issue(
        &self,
        user: &AuthUser,
        ver: i32,
        learner_id: Option<&str>,
    ) -> Result<String, AppError> {
        let now = Utc::now().timestamp();
        let claims = TicketClaims {
            sub: user.id.clone(),
            role: user.role,
            ver,
            lrn: learner_id.map(String::from),
            jti: uuid::Uuid::new_v4().simple().to_string(),
            iat: now,
            exp: now + TICKET_TTL_SECS,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(AppError::internal)
    }

    /// Redeems a ticket once: the caller it was issued to, and the learner it is bound to.
    pub async fn redeem(
        &self,
        db: &Db,
        redis: Option<&RedisCache>,
        gate: &TokenGate,
        ticket: &str,
    ) -> Result<(AuthUser, Option<String>), AppError> {
        let claims = decode::<TicketClaims>(ticket, &self.decoding, &self.validation)
            .map_err(|_| invalid())?
            .claims;
        if !self.spend(db, redis, &claims).await? {
            return Err(invalid());
        }
        // The account still accepts its tokens (not deleted, deactivated or signed out).
        gate.check(db, &claims.sub, claims.ver)
            .await
            .map_err(|e| match e.kind {
                crate::infra::error::ErrorKind::Unauthorized => AppError::unauthorized(
                    Code::InvalidTicket,
                    "the ticket's account no longer accepts it",
                ),
                _ => e,
            })?;
        Ok((
            AuthUser {
                id: claims.sub,
                role: claims.role,
                // A child's ticket is always bound to its learner (see `create_ticket`).
                device_learner: (claims.role == Role::Child)
                    .then(|| claims.lrn.clone())
                    .flatten(),
            },
            claims.lrn,
        ))
    }

    /// Marks the ticket used; `false` if it already was.
    async fn spend(
        &self,
        db: &Db,
        redis: Option<&RedisCache>,
        claims: &TicketClaims,
    ) -> Result<bool, AppError> {
        let left = Duration::from_secs((claims.exp - Utc::now().timestamp()).max(1) as u64);
        let Some(redis) = redis else {
            return Ok(self.spend_here(claims));
        };
        match redis
            .try_lock(&format!("ticket:{}", claims.jti), "1", left)
            .await
        {
            Ok(fresh) => Ok(fresh),
            Err(e) => {
                tracing::debug!(error = %e, "redis away: spending a ticket in the database");
                let row = (
                    realtime_tickets::ticket_hash.eq(hash_token(&claims.jti)),
                    realtime_tickets::user_id.eq(claims.sub.clone()),
                    realtime_tickets::learner_id.eq(claims.lrn.clone()),
                    realtime_tickets::expires_at
                        .eq(crate::infra::time::now() + chrono::Duration::seconds(TICKET_TTL_SECS)),
                    realtime_tickets::used_at.eq(Some(crate::infra::time::now())),
                );
                let taken = db
                    .run(move |conn| {
                        // Spent tickets are swept as others are spent.
                        diesel::delete(
                            realtime_tickets::table.filter(
                                realtime_tickets::expires_at
                                    .lt(crate::infra::time::now() - chrono::Duration::minutes(5)),
                            ),
                        )
                        .execute(conn)?;
                        Ok(crate::on_backend!(conn, |c| diesel::insert_into(
                            realtime_tickets::table
                        )
                        .values(row)
                        .on_conflict_do_nothing()
                        .execute(c))?)
                    })
                    .await?;
                Ok(taken == 1)
            }
        }
    }

    fn spend_here(&self, claims: &TicketClaims) -> bool {
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        if spent.ids.len() >= spent.sweep_at.max(SWEEP_ABOVE) {
            let now = Utc::now().timestamp();
            spent.ids.retain(|_, exp| *exp >= now);
            spent.sweep_at = spent.ids.len() * 2;
        }
        spent.ids.insert(claims.jti.clone(), claims.exp).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_is_not_an_access_token_and_the_other_way_round() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let tickets = Tickets::new(secret);
        let jwt = super::super::jwt::JwtKeys::new(secret);
        let user = AuthUser::account("u", Role::Parent);
        let ticket = tickets.issue(&user, 0, Some("l")).unwrap();
        assert!(jwt.verify(&ticket).is_err());
        let (access, _) = jwt.issue("u", Role::Parent, 0).unwrap();
        assert!(decode::<TicketClaims>(&access, &tickets.decoding, &tickets.validation).is_err());
        let claims = decode::<TicketClaims>(&ticket, &tickets.decoding, &tickets.validation)
            .unwrap()
            .claims;
        assert_eq!(claims.lrn.as_deref(), Some("l"));
        assert!(tickets.spend_here(&claims));
        assert!(!tickets.spend_here(&claims), "single use");
    }
}
