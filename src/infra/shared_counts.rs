//! What the nodes share about a learner, in Redis (see `studyhub_actors::shared`):
//! - `{prefix}:time:{learner}:{date}`: a hash `{used, last}`, today's seconds and the last
//!   wall-clock second counted. One script counts a node's report atomically, so a second two
//!   nodes both saw active is counted once. It expires two days after the last report; the
//!   database (each node's spans) stays the durable record, and seeds a day Redis forgot.
//! - `{prefix}:presence:{learner}`: a hash `node → word` (where the learner is on that node,
//!   with when it was said), refreshed every tick while connected, expiring soon after.
//!
//! When Redis is away each call gives up at once (or within its timeout) and every node
//! counts and enforces on its own; the watcher in `cache.rs` says so in the log and `/health`.

use std::collections::HashMap;
use std::sync::Arc;
use studyhub_actors::ids::LearnerId;

use chrono::NaiveDate;
use studyhub_actors::shared::LearnerStatus;
use studyhub_actors::shared::{
    Counted, PRESENCE_TTL_MS, PresenceWord, Report, Shared, SharedFuture, merge_presence, now_ms,
};

use crate::infra::cache::{RedisCache, Script};

/// A day's counter outlives the day in every time zone, then goes.
const DAY_TTL_SECS: u64 = 2 * 86_400;

/// KEYS: the day's counter, the learner's presence. ARGV: to, seconds, alone, seed, cap,
/// day ttl (s), node, word ('' = not connected here), presence ttl (ms). The same rule as
/// `studyhub_actors::shared::count_rule`.
static COUNT: Script = Script::new(
    r"
local used = tonumber(redis.call('HGET', KEYS[1], 'used'))
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local to, seconds = tonumber(ARGV[1]), tonumber(ARGV[2])
if used == nil then
  used = tonumber(ARGV[4])
  last = 0
else
  used = used + tonumber(ARGV[3])
end
local added = 0
if seconds > 0 and to > last then
  added = math.min(seconds, to - last, math.max(0, tonumber(ARGV[5]) - used))
  used = used + added
  last = to
end
redis.call('HSET', KEYS[1], 'used', used, 'last', last)
redis.call('EXPIRE', KEYS[1], ARGV[6])
if ARGV[8] == '' then
  redis.call('HDEL', KEYS[2], ARGV[7])
else
  redis.call('HSET', KEYS[2], ARGV[7], ARGV[8])
  redis.call('PEXPIRE', KEYS[2], ARGV[9])
end
return {used, added}
",
);

/// KEYS: the day's counter. ARGV: seconds. Adds them to a counter that exists (one that does
/// not is seeded from the database, which already holds them).
static ADD_ELSEWHERE: Script = Script::new(
    r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'used', ARGV[1])
end
return 0
",
);

/// Seconds counted outside the nodes' clocks (a device's offline play, already stored) join
/// the learner's shared day total, so every node's next settle keeps them. Redis away: the
/// database still has them (they count from the next day's seed, and in today's reads).
pub async fn add_elsewhere(redis: &RedisCache, learner_id: &str, date: NaiveDate, seconds: u64) {
    let key = day_key(redis, learner_id, date);
    let _: Option<i64> = redis
        .eval(
            "add_elsewhere",
            &ADD_ELSEWHERE,
            vec![key],
            vec![seconds.to_string()],
        )
        .await;
}

pub struct RedisShared {
    redis: Arc<RedisCache>,
    /// This node's name in presence words.
    node: String,
}

impl RedisShared {
    pub fn new(redis: Arc<RedisCache>, node: String) -> Arc<Self> {
        Arc::new(Self { redis, node })
    }
}

// A learner's keys carry the learner as a hash tag (`{…}`): on a Redis Cluster they share one
// slot, so the script that counts a tick may touch both (docs/capacity.md).
fn day_key(redis: &RedisCache, learner_id: &str, date: NaiveDate) -> String {
    redis.key(&format!("time:{{{learner_id}}}:{date}"))
}

fn presence_key(redis: &RedisCache, learner_id: &str) -> String {
    redis.key(&format!("presence:{{{learner_id}}}"))
}

fn word(status: Option<LearnerStatus>) -> String {
    status
        .and_then(|status| {
            serde_json::to_string(&PresenceWord {
                at_ms: now_ms(),
                status,
            })
            .ok()
        })
        .unwrap_or_default()
}

impl Shared for RedisShared {
    fn count(&self, report: Report) -> SharedFuture<Counted> {
        let redis = self.redis.clone();
        let keys = [
            day_key(&redis, &report.learner_id, report.date),
            presence_key(&redis, &report.learner_id),
        ];
        let args = [
            report.to.to_string(),
            report.seconds.to_string(),
            report.alone.to_string(),
            report.seed.to_string(),
            report.cap.to_string(),
            DAY_TTL_SECS.to_string(),
            self.node.clone(),
            word(report.presence),
            PRESENCE_TTL_MS.to_string(),
        ];
        Box::pin(async move {
            let (used, added): (i64, i64) = redis
                .eval("count", &COUNT, keys.to_vec(), args.to_vec())
                .await?;
            Some(Counted {
                used: used.max(0) as u64,
                added: added.max(0) as u64,
            })
        })
    }

    fn used(&self, learner_id: &LearnerId, date: NaiveDate) -> SharedFuture<u64> {
        let redis = self.redis.clone();
        let key = day_key(&redis, learner_id, date);
        Box::pin(async move {
            let used: Option<i64> = redis
                .query("used", move |mut conn| {
                    Box::pin(async move {
                        redis::cmd("HGET")
                            .arg(key)
                            .arg("used")
                            .query_async(&mut conn)
                            .await
                    })
                })
                .await?;
            Some(used.unwrap_or(0).max(0) as u64)
        })
    }

    fn set_presence(&self, learner_id: &LearnerId, status: Option<LearnerStatus>) {
        let redis = self.redis.clone();
        let key = presence_key(&redis, learner_id);
        let (node, word) = (self.node.clone(), word(status));
        tokio::spawn(async move {
            let _: Option<()> = redis
                .query("presence", move |mut conn| {
                    Box::pin(async move {
                        let mut pipe = redis::pipe();
                        if word.is_empty() {
                            pipe.hdel(&key, &node).ignore();
                        } else {
                            pipe.hset(&key, &node, &word)
                                .ignore()
                                .pexpire(&key, PRESENCE_TTL_MS)
                                .ignore();
                        }
                        pipe.query_async(&mut conn).await
                    })
                })
                .await;
        });
    }

    fn presence(
        &self,
        learner_ids: Vec<LearnerId>,
    ) -> SharedFuture<HashMap<LearnerId, LearnerStatus>> {
        let redis = self.redis.clone();
        Box::pin(async move {
            if learner_ids.is_empty() {
                return Some(HashMap::new());
            }
            let keys: Vec<String> = learner_ids
                .iter()
                .map(|id| presence_key(&redis, id))
                .collect();
            let words: Vec<HashMap<String, String>> = redis
                .query("presence", move |mut conn| {
                    Box::pin(async move {
                        let mut pipe = redis::pipe();
                        for key in &keys {
                            pipe.hgetall(key);
                        }
                        pipe.query_async(&mut conn).await
                    })
                })
                .await?;
            let now = now_ms();
            Some(
                learner_ids
                    .into_iter()
                    .zip(words)
                    .filter_map(|(id, words)| {
                        let words = words
                            .values()
                            .filter_map(|w| serde_json::from_str::<PresenceWord>(w).ok());
                        merge_presence(words, now).map(|s| (id, s))
                    })
                    .collect(),
            )
        })
    }
}
