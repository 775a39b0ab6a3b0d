//! The shared layer of the content cache: Redis, when `REDIS_URL` is set. Values are JSON
//! with a TTL; a change deletes the key and publishes the id on `{prefix}:invalidate`, which
//! every node listens to so its in-process copy goes too. Redis is an accelerator only: when
//! it is slow or away, calls give up within a fraction of a second and the database answers.
//!
//! Redis may be away when the node starts, or go away later: a watcher pings it every second,
//! connects (again) with backoff while it does not answer, and says whether it is up now
//! (`/health`). Subscriptions reconnect by themselves and tell their owner when they are
//! back, since messages sent meanwhile are lost.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, ErrorKind, ServerErrorKind};
use tokio::sync::watch;

const CALL_TIMEOUT: Duration = Duration::from_millis(300);
/// The longest any caller waits for an answer (see [`RedisCache::publish_within`]).
pub(crate) const LONGEST_WAIT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const TTL_SECS: u64 = 3600;
/// How often the watcher pings while Redis answers.
const PING_EVERY: Duration = Duration::from_secs(1);
/// Reconnection backoff, while Redis does not answer.
const RETRY_FIRST: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(2);
/// A ping waits behind every command in flight on the shared connection: under load it is
/// given longer than a call, and one slow answer does not make Redis "down".
const PING_TIMEOUT: Duration = Duration::from_secs(1);
/// After this many failed pings in a row, Redis is down (each node works alone)...
const FAILED_PINGS_BEFORE_DOWN: u32 = 2;
/// ...and after this many the connection is dropped and made afresh, and subscriptions too.
const FAILED_PINGS_BEFORE_RECONNECT: u32 = 3;

/// A Lua script, sent once and then run by its SHA.
pub(crate) struct Script {
    src: &'static str,
    sha: RwLock<Option<String>>,
}

impl Script {
    pub(crate) const fn new(src: &'static str) -> Self {
        Self {
            src,
            sha: RwLock::new(None),
        }
    }

    fn sha(&self) -> Option<String> {
        self.sha.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn remember(&self, sha: &str) {
        *self.sha.write().unwrap_or_else(|p| p.into_inner()) = Some(sha.to_string());
    }

    fn forget(&self) {
        *self.sha.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

pub struct RedisCache {
    client: redis::Client,
    /// `None` until the first connection succeeds (and after a connection is given up).
    conn: RwLock<Option<ConnectionManager>>,
    prefix: String,
    /// Whether Redis answered the last ping.
    up: watch::Sender<bool>,
    /// Counts the connections given up: subscriptions start afresh when it moves.
    reconnects: watch::Sender<u64>,
    /// Invalidations that could not be published: sent once Redis is back.
    missed: Mutex<BTreeSet<String>>,
    /// Channels this node listens to, and how many of them are subscribed now.
    channels: AtomicUsize,
    subscribed: AtomicUsize,
}

fn backoff(previous: Duration) -> Duration {
    (previous * 2).min(RETRY_MAX)
}

impl RedisCache {
    /// A cache for `url`, connected if Redis answers now; either way a watcher keeps
    /// (re)connecting in the background. Fails only for a URL that cannot be used.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Arc<Self>> {
        let client = redis::Client::open(url)?;
        let me = Arc::new(Self {
            client,
            conn: RwLock::new(None),
            prefix: prefix.to_string(),
            up: watch::channel(false).0,
            reconnects: watch::channel(0).0,
            missed: Mutex::new(BTreeSet::new()),
            channels: AtomicUsize::new(0),
            subscribed: AtomicUsize::new(0),
        });
        match me.open().await {
            Ok(()) => me.set_up(true),
            Err(e) => {
                tracing::warn!(error = %e, "Redis is not reachable: caching in process only until it answers")
            }
        }
        me.clone().watch();
        Ok(me)
    }

    /// Whether this node is on Redis: it answered the last ping (at most about a second ago)
    /// and every channel the node listens to is subscribed.
    pub fn is_up(&self) -> bool {
        self.answers()
            && self.subscribed.load(Ordering::Acquire) == self.channels.load(Ordering::Acquire)
    }

    /// Whether Redis answered the last ping (subscriptions aside).
    pub(crate) fn answers(&self) -> bool {
        *self.up.borrow()
    }

    async fn open(&self) -> anyhow::Result<()> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            // Each call waits as long as it may (a request 300 ms, a ping or the bus's
            // publisher longer): the manager's own limit is only the longest of them.
            .set_response_timeout(Some(LONGEST_WAIT))
            .set_number_of_retries(1);
        let conn = tokio::time::timeout(
            Duration::from_secs(2),
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await
        .map_err(|_| anyhow::anyhow!("redis did not answer"))??;
        *self.conn.write().unwrap_or_else(|p| p.into_inner()) = Some(conn);
        Ok(())
    }

    fn conn(&self) -> Option<ConnectionManager> {
        self.conn.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_up(&self, up: bool) {
        // Subscribers hear transitions only.
        let changed = self.up.send_if_modified(|v| std::mem::replace(v, up) != up);
        metrics::gauge!("studyhub_redis_up").set(if up { 1.0 } else { 0.0 });
        if changed {
            if up {
                tracing::info!(
                    "Redis answers again: screen time, login limits and presence are shared by every node"
                );
            } else {
                tracing::warn!(
                    "Redis stopped answering: caching in process, and this node counts screen time and login limits alone until it is back"
                );
            }
        }
    }

    async fn ping(&self) -> bool {
        let Some(mut conn) = self.conn() else {
            return false;
        };
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut conn);
        matches!(tokio::time::timeout(PING_TIMEOUT, ping).await, Ok(Ok(_)))
    }

    /// Pings every second while Redis answers; (re)connects with backoff while it does not.
    fn watch(self: Arc<Self>) {
        tokio::spawn(async move {
            let mut failures = 0u32;
            let mut retry = RETRY_FIRST;
            loop {
                let ok = if self.conn().is_some() {
                    self.ping().await
                } else {
                    self.open().await.is_ok() && self.ping().await
                };
                if ok {
                    let was_up = self.answers();
                    failures = 0;
                    retry = RETRY_FIRST;
                    self.set_up(true);
                    if !was_up {
                        self.send_missed().await;
                    }
                    tokio::time::sleep(PING_EVERY).await;
                } else {
                    failures += 1;
                    // Not connected at all is down at once.
                    if failures >= FAILED_PINGS_BEFORE_DOWN || self.conn().is_none() {
                        self.set_up(false);
                    }
                    // The manager reconnects by itself on I/O errors; this also covers one
                    // stuck on a connection that no longer answers.
                    if failures >= FAILED_PINGS_BEFORE_RECONNECT
                        && self
                            .conn
                            .write()
                            .unwrap_or_else(|p| p.into_inner())
                            .take()
                            .is_some()
                    {
                        self.reconnects.send_modify(|n| *n += 1);
                        metrics::counter!("studyhub_redis_reconnects_total").increment(1);
                    }
                    tokio::time::sleep(retry).await;
                    retry = backoff(retry);
                }
            }
        });
    }

    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    pub async fn get(&self, name: &str) -> Option<String> {
        let mut conn = self.conn()?;
        match tokio::time::timeout(CALL_TIMEOUT, conn.get::<_, Option<String>>(self.key(name)))
            .await
        {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "redis get failed; using the database");
                None
            }
            Err(_) => None,
        }
    }

    pub async fn set(&self, name: &str, value: &str) {
        let Some(mut conn) = self.conn() else {
            return;
        };
        let _ = tokio::time::timeout(
            CALL_TIMEOUT,
            conn.set_ex::<_, _, ()>(self.key(name), value, TTL_SECS),
        )
        .await;
    }

    /// Drops the shared copies and tells every node to drop theirs. What cannot be done now
    /// (Redis away) is done again once Redis answers, so no node keeps a stale copy.
    pub async fn invalidate(&self, names: &[String]) {
        if !self.try_invalidate(names).await {
            let mut missed = self.missed.lock().unwrap_or_else(|p| p.into_inner());
            missed.extend(names.iter().cloned());
        }
    }

    async fn try_invalidate(&self, names: &[String]) -> bool {
        let Some(mut conn) = self.conn() else {
            return false;
        };
        let mut ok = true;
        for n in names {
            // One key a DEL: keys of several slots in one would be refused by a Redis Cluster.
            ok &= matches!(
                tokio::time::timeout(CALL_TIMEOUT, conn.del::<_, ()>(self.key(n))).await,
                Ok(Ok(()))
            );
            ok &= matches!(
                tokio::time::timeout(
                    CALL_TIMEOUT,
                    conn.publish::<_, _, ()>(self.key("invalidate"), n),
                )
                .await,
                Ok(Ok(()))
            );
        }
        ok
    }

    async fn send_missed(&self) {
        let names: Vec<String> =
            std::mem::take(&mut *self.missed.lock().unwrap_or_else(|p| p.into_inner()))
                .into_iter()
                .collect();
        if !names.is_empty() {
            tracing::info!(
                count = names.len(),
                "sending the invalidations Redis missed"
            );
            self.invalidate(&names).await;
        }
    }

    /// Runs a command, script or pipeline on the shared connection within the call timeout;
    /// `None` when Redis is away, too slow or refuses (the caller then goes on alone).
    pub(crate) async fn query<T: redis::FromRedisValue>(
        &self,
        what: &'static str,
        query: impl FnOnce(
            ConnectionManager,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = redis::RedisResult<T>> + Send>,
        >,
    ) -> Option<T> {
        if !self.answers() {
            return None;
        }
        let conn = self.conn()?;
        match tokio::time::timeout(CALL_TIMEOUT, query(conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, what, "Redis refused; this node goes on alone");
                None
            }
            Err(_) => {
                tracing::debug!(what, "Redis too slow; this node goes on alone");
                None
            }
        }
    }

    /// Runs `script` by its SHA (loaded once, again after Redis forgot it: a restart), within
    /// the call timeout; `None` as [`Self::query`].
    pub(crate) async fn eval<T: redis::FromRedisValue + Send + 'static>(
        &self,
        what: &'static str,
        script: &'static Script,
        keys: Vec<String>,
        args: Vec<String>,
    ) -> Option<T> {
        self.query(what, move |mut conn| {
            Box::pin(async move {
                let sha = match script.sha() {
                    Some(sha) => sha,
                    None => {
                        let sha: String = redis::cmd("SCRIPT")
                            .arg("LOAD")
                            .arg(script.src)
                            .query_async(&mut conn)
                            .await?;
                        script.remember(&sha);
                        sha
                    }
                };
                let run = redis::cmd("EVALSHA")
                    .arg(sha)
                    .arg(keys.len())
                    .arg(&keys)
                    .arg(&args)
                    .query_async(&mut conn)
                    .await;
                match run {
                    Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                        script.forget();
                        redis::cmd("EVAL")
                            .arg(script.src)
                            .arg(keys.len())
                            .arg(&keys)
                            .arg(&args)
                            .query_async(&mut conn)
                            .await
                    }
                    other => other,
                }
            })
        })
        .await
    }

    /// Publishes on `{prefix}:{name}`; `false` when Redis did not take it.
    pub async fn publish(&self, name: &str, payload: &str) -> bool {
        self.publish_within(name, payload, CALL_TIMEOUT).await
    }

    /// [`RedisCache::publish`], waiting up to `wait` for Redis to take it: a publisher with a
    /// queue of its own can wait behind a busy connection, where a request cannot.
    pub async fn publish_within(&self, name: &str, payload: &str, wait: Duration) -> bool {
        let Some(mut conn) = self.conn() else {
            return false;
        };
        matches!(
            tokio::time::timeout(wait, conn.publish::<_, _, ()>(self.key(name), payload)).await,
            Ok(Ok(()))
        )
    }

    /// A lock shared by every node: `SET {prefix}:{name} token NX PX ttl`. `Ok(true)` when this
    /// caller holds it now; `Err` when Redis did not answer.
    pub async fn try_lock(&self, name: &str, token: &str, ttl: Duration) -> Result<bool, String> {
        let Some(mut conn) = self.conn() else {
            return Err("redis is not connected".into());
        };
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(name))
            .arg(token)
            .arg("NX")
            .arg("PX")
            .arg(ttl.as_millis() as u64);
        let set = cmd.query_async::<Option<String>>(&mut conn);
        match tokio::time::timeout(CALL_TIMEOUT, set).await {
            Ok(Ok(v)) => Ok(v.is_some()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("redis did not answer".into()),
        }
    }

    /// Releases a lock taken with [`RedisCache::try_lock`], only if `token` still holds it.
    pub async fn unlock(&self, name: &str, token: &str) {
        let Some(mut conn) = self.conn() else {
            return;
        };
        let script = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
        let _ = tokio::time::timeout(
            CALL_TIMEOUT,
            redis::cmd("EVAL")
                .arg(script)
                .arg(1)
                .arg(self.key(name))
                .arg(token)
                .query_async::<i64>(&mut conn),
        )
        .await;
    }

    /// Listens on `{prefix}:{name}` for as long as the process runs (messages from every node,
    /// this one included), subscribing again with backoff whenever the subscription is lost
    /// or the watcher sees Redis stop answering. `on_subscribed` runs after every
    /// subscription: whatever was published while there was none is lost.
    pub fn listen(
        self: &Arc<Self>,
        name: &str,
        on_subscribed: impl Fn() + Send + Sync + 'static,
        on_message: impl Fn(String) + Send + Sync + 'static,
    ) {
        let me = self.clone();
        let channel = self.key(name);
        self.channels.fetch_add(1, Ordering::AcqRel);
        tokio::spawn(async move {
            let mut retry = RETRY_FIRST;
            let mut reconnects = me.reconnects.subscribe();
            loop {
                let pubsub =
                    tokio::time::timeout(Duration::from_secs(2), me.client.get_async_pubsub())
                        .await;
                if let Ok(Ok(mut pubsub)) = pubsub {
                    let subscribed =
                        tokio::time::timeout(Duration::from_secs(2), pubsub.subscribe(&channel))
                            .await;
                    if let Ok(Ok(())) = subscribed {
                        retry = RETRY_FIRST;
                        tracing::debug!(channel, "subscribed");
                        reconnects.borrow_and_update();
                        on_subscribed();
                        me.subscribed.fetch_add(1, Ordering::AcqRel);
                        let mut messages = pubsub.on_message();
                        loop {
                            tokio::select! {
                                msg = messages.next() => match msg {
                                    Some(msg) => {
                                        if let Ok(payload) = msg.get_payload::<String>() {
                                            on_message(payload);
                                        }
                                    }
                                    None => break,
                                },
                                // A connection cut without a word can look alive for long:
                                // when the watcher gives the connection up, this one goes too.
                                // (A slow ping under load does not: messages would be lost.)
                                Ok(()) = reconnects.changed() => break,
                            }
                        }
                        me.subscribed.fetch_sub(1, Ordering::AcqRel);
                        metrics::counter!("studyhub_redis_resubscribes_total").increment(1);
                        tracing::warn!(channel, "subscription lost; subscribing again");
                    }
                }
                tokio::time::sleep(retry).await;
                retry = backoff(retry);
            }
        });
    }
}
