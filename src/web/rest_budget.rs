//! A budget for ordinary REST calls: a token bucket per account (the access token's
//! subject, its signature checked) and, for calls without a valid token, per client
//! address. Past it: 429 `rate_limited` with `Retry-After`, before any handler or database
//! work, so one client reading in a loop costs a map lookup per call instead of a
//! connection of the pool that the group commit needs too.
//!
//! Per node (in process): behind a balancer with N nodes an account may get up to N times
//! the budget. What it protects is each node's capacity, which is per node anyway.
//! Websocket upgrades are not counted (play has its own per-socket frame budget), nor
//! pages, their files, `/docs`, `/health` and `/metrics`: only `/v1/…` calls.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::features::auth::{bearer_token, client_addr};
use crate::infra::config::RestBudgetSettings;
use crate::infra::error::AppError;
use crate::web::state::AppState;

const SHARDS: usize = 16;
/// Keys a shard holds before the full buckets (callers that have rested) are dropped.
const PRUNE_AT: usize = 20_000;

/// One rate: `per_sec` tokens a second, up to `burst` saved.
#[derive(Debug, Clone, Copy)]
struct Rate {
    per_sec: f64,
    burst: f64,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Every caller's bucket on this node.
pub struct RestBudget {
    account: Option<Rate>,
    anonymous: Option<Rate>,
    shards: Vec<Mutex<HashMap<String, Bucket>>>,
}

impl RestBudget {
    pub fn new(s: &RestBudgetSettings) -> Self {
        let rate = |per_sec: u32, burst: u32| {
            (per_sec > 0).then(|| Rate {
                per_sec: f64::from(per_sec),
                burst: f64::from(burst.max(1)),
            })
        };
        Self {
            account: rate(s.per_sec, s.burst),
            anonymous: rate(s.anonymous_per_sec, s.anonymous_burst),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// Takes one call from `key`'s bucket, or says how long until one is there.
    fn take(&self, key: &str, signed_in: bool, now: Instant) -> Result<(), Duration> {
        let Some(rate) = (if signed_in {
            self.account
        } else {
            self.anonymous
        }) else {
            return Ok(());
        };
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        let shard = &self.shards[h.finish() as usize % SHARDS];
        let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= PRUNE_AT {
            map.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * rate.per_sec < rate.burst
            });
        }
        let bucket = map.entry(key.to_string()).or_insert(Bucket {
            tokens: rate.burst,
            at: now,
        });
        let refill = now.duration_since(bucket.at).as_secs_f64() * rate.per_sec;
        bucket.tokens = (bucket.tokens + refill).min(rate.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / rate.per_sec,
            ))
        }
    }
}

/// The middleware: counts `/v1/…` calls that are not websocket upgrades.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let counted = req.path().starts_with("/v1/")
        && !req
            .headers()
            .get(actix_web::http::header::UPGRADE)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if counted
        && let (Some(budget), Some(state)) = (
            req.app_data::<web::Data<RestBudget>>(),
            req.app_data::<web::Data<AppState>>(),
        )
    {
        let http = req.request();
        let account = bearer_token(http).and_then(|t| state.jwt.verify(&t).ok());
        let (key, signed_in) = match account {
            Some(claims) => (format!("user:{}", claims.sub), true),
            None => (
                format!("ip:{}", client_addr(http, state.settings.trust_proxy)),
                false,
            ),
        };
        if let Err(wait) = budget.take(&key, signed_in, Instant::now()) {
            metrics::counter!("studyhub_rest_budget_refused_total",
                "caller" => if signed_in { "account" } else { "address" })
            .increment(1);
            let secs = wait.as_secs_f64().ceil() as u64;
            let mut err = AppError::rate_limited(secs.max(1));
            err.message = format!(
                "too many requests from this {}; try again in {} seconds",
                if signed_in { "account" } else { "address" },
                secs.max(1)
            );
            return Ok(req.error_response(err).map_into_right_body());
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(per_sec: u32, burst: u32) -> RestBudget {
        RestBudget::new(&RestBudgetSettings {
            per_sec,
            burst,
            anonymous_per_sec: per_sec * 2,
            anonymous_burst: burst * 2,
        })
    }

    #[test]
    fn a_burst_then_the_rate() {
        let b = budget(10, 5);
        let t = Instant::now();
        for _ in 0..5 {
            assert!(b.take("user:a", true, t).is_ok());
        }
        let wait = b.take("user:a", true, t).unwrap_err();
        assert!(
            wait <= Duration::from_millis(100) && wait > Duration::ZERO,
            "{wait:?}"
        );
        // Another account is untouched.
        assert!(b.take("user:b", true, t).is_ok());
        // A tenth of a second later, one more.
        let later = t + Duration::from_millis(100);
        assert!(b.take("user:a", true, later).is_ok());
        assert!(b.take("user:a", true, later).is_err());
        // Addresses have their own, larger, budget.
        for _ in 0..10 {
            assert!(b.take("ip:1.2.3.4", false, t).is_ok());
        }
        assert!(b.take("ip:1.2.3.4", false, t).is_err());
    }

    #[test]
    fn zero_turns_it_off() {
        let b = budget(0, 0);
        let t = Instant::now();
        for _ in 0..1000 {
            assert!(b.take("user:a", true, t).is_ok());
        }
    }
}
