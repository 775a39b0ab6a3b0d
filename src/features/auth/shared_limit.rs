//! The login and registration limits, shared by every node through Redis: each key
//! (`ip:…`, `email:…`) is a sorted set of attempts `{prefix}:limit:{name}:{key}` scored by
//! time, and one script prunes, checks every key and counts the attempt against all of them
//! atomically, so five failures are five in all, whichever nodes they reached. The same rules
//! as [`LoginLimiter`] (a sliding window; a success gives its attempt back), which serves as
//! the fallback: without Redis, or while it does not answer, each node counts alone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::rate_limit::LoginLimiter;
use crate::infra::cache::{RedisCache, Script};

/// KEYS: one sorted set per key. ARGV: now (ms), window (ms), max, this attempt's id.
/// Returns 0 when counted, else the milliseconds until the oldest blocking attempt expires.
static ACQUIRE: Script = Script::new(
    r"
local now, window, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local wait = 0
for _, k in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now - window)
  local n = redis.call('ZCARD', k)
  if n >= max then
    local oldest = redis.call('ZRANGE', k, n - max, n - max, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then return wait end
for _, k in ipairs(KEYS) do
  redis.call('ZADD', k, now, ARGV[4])
  redis.call('PEXPIRE', k, window)
end
return 0
",
);

/// One counted attempt, to give back if it succeeds.
pub enum Attempt {
    Local(Instant),
    Shared(String),
}

pub struct SharedLimiter {
    name: &'static str,
    max: usize,
    window: Duration,
    local: LoginLimiter,
    redis: Option<Arc<RedisCache>>,
}

impl SharedLimiter {
    pub fn new(
        name: &'static str,
        max: usize,
        window: Duration,
        redis: Option<Arc<RedisCache>>,
    ) -> Self {
        Self {
            name,
            max,
            window,
            local: LoginLimiter::new(max, window),
            redis,
        }
    }

    /// Logins: 5 failures in 15 minutes per key.
    pub fn for_login(redis: Option<Arc<RedisCache>>) -> Self {
        Self::new("login", 5, Duration::from_secs(15 * 60), redis)
    }

    /// Registrations: `per_hour` per client address.
    pub fn for_registration(per_hour: usize, redis: Option<Arc<RedisCache>>) -> Self {
        Self::new("register", per_hour, Duration::from_secs(60 * 60), redis)
    }

    /// Registrations that join a class (`join_code`): `per_hour` per class, counted instead
    /// of the address (a school's pupils share one).
    pub fn for_class_registration(per_hour: usize, redis: Option<Arc<RedisCache>>) -> Self {
        Self::new(
            "register-class",
            per_hour,
            Duration::from_secs(60 * 60),
            redis,
        )
    }

    /// Pupils' sign-in from one address: 50 failures (an unknown class code, wrong pictures,
    /// an unknown card) in 15 minutes; a whole class signing in from one school address
    /// makes few, a guesser many. Each pupil's own 5 are the login limiter's.
    pub fn for_pupil_addresses(redis: Option<Arc<RedisCache>>) -> Self {
        Self::new("pupil-address", 50, Duration::from_secs(15 * 60), redis)
    }

    /// The limiter's name is a hash tag: an attempt counts against several keys in one
    /// script, which a Redis Cluster runs only on keys of one slot.
    fn key(&self, redis: &RedisCache, key: &str) -> String {
        redis.key(&format!("limit:{{{}}}:{key}", self.name))
    }

    /// Counts one attempt against every key at once, or `Err(retry_after)` without counting
    /// when any key has used up its allowance (see [`LoginLimiter::try_acquire`]).
    pub async fn try_acquire(&self, keys: &[&str]) -> Result<Attempt, Duration> {
        if let Some(redis) = &self.redis {
            let id = uuid::Uuid::new_v4().simple().to_string();
            let sets: Vec<String> = keys.iter().map(|k| self.key(redis, k)).collect();
            let args = [
                chrono::Utc::now().timestamp_millis().to_string(),
                self.window.as_millis().to_string(),
                self.max.to_string(),
                id.clone(),
            ];
            let wait: Option<i64> = redis.eval("limit", &ACQUIRE, sets, args.to_vec()).await;
            match wait {
                Some(0) => return Ok(Attempt::Shared(id)),
                Some(ms) => {
                    return Err(Duration::from_millis(ms as u64).max(Duration::from_secs(1)));
                }
                // Redis away: this node counts alone.
                None => {}
            }
        }
        self.local
            .try_acquire(keys, Instant::now())
            .map(Attempt::Local)
    }

    /// Gives back an attempt counted by [`Self::try_acquire`] (the login succeeded).
    pub async fn release(&self, keys: &[&str], attempt: Attempt) {
        match attempt {
            Attempt::Local(at) => self.local.release(keys, at),
            Attempt::Shared(id) => {
                let Some(redis) = &self.redis else { return };
                let sets: Vec<String> = keys.iter().map(|k| self.key(redis, k)).collect();
                let _: Option<()> = redis
                    .query("limit", move |mut conn| {
                        Box::pin(async move {
                            let mut pipe = redis::pipe();
                            for set in &sets {
                                pipe.zrem(set, &id).ignore();
                            }
                            pipe.query_async(&mut conn).await
                        })
                    })
                    .await;
            }
        }
    }

    /// Forgets every attempt counted against `key` (a successful login clears its email).
    pub async fn clear(&self, key: &str) {
        self.local.clear(key);
        if let Some(redis) = &self.redis {
            let set = self.key(redis, key);
            let _: Option<()> = redis
                .query("limit", move |mut conn| {
                    Box::pin(async move { redis::cmd("DEL").arg(set).query_async(&mut conn).await })
                })
                .await;
        }
    }
}
