//! The shared layer of the content cache: Redis, when `REDIS_URL` is set. Values are JSON
//! with a TTL; a change deletes the key and publishes the id on `{prefix}:invalidate`, which
//! every node listens to so its in-process copy goes too. Redis is an accelerator only: when
//! it is slow or away, calls give up within a fraction of a second and the database answers.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

const CALL_TIMEOUT: Duration = Duration::from_millis(300);
const TTL_SECS: u64 = 3600;

pub struct RedisCache {
    client: redis::Client,
    conn: ConnectionManager,
    prefix: String,
}

impl RedisCache {
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1);
        let conn = tokio::time::timeout(
            Duration::from_secs(2),
            ConnectionManager::new_with_config(client.clone(), config),
        )
        .await
        .map_err(|_| anyhow::anyhow!("redis did not answer"))??;
        Ok(Self {
            client,
            conn,
            prefix: prefix.to_string(),
        })
    }

    fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    pub async fn get(&self, name: &str) -> Option<String> {
        let mut conn = self.conn.clone();
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
        let mut conn = self.conn.clone();
        let _ = tokio::time::timeout(
            CALL_TIMEOUT,
            conn.set_ex::<_, _, ()>(self.key(name), value, TTL_SECS),
        )
        .await;
    }

    /// Drops the shared copies and tells every node to drop theirs.
    pub async fn invalidate(&self, names: &[String]) {
        let mut conn = self.conn.clone();
        let keys: Vec<String> = names.iter().map(|n| self.key(n)).collect();
        let _ = tokio::time::timeout(CALL_TIMEOUT, conn.del::<_, ()>(keys)).await;
        for n in names {
            let _ = tokio::time::timeout(
                CALL_TIMEOUT,
                conn.publish::<_, _, ()>(self.key("invalidate"), n),
            )
            .await;
        }
    }

    /// Publishes `payload` on the channel `{prefix}:{name}` (best effort).
    pub async fn publish(&self, name: &str, payload: &str) {
        let mut conn = self.conn.clone();
        let _ = tokio::time::timeout(
            CALL_TIMEOUT,
            conn.publish::<_, _, ()>(self.key(name), payload),
        )
        .await;
    }

    /// A lock shared by every node: `SET {prefix}:{name} token NX PX ttl`. `Ok(true)` when this
    /// caller holds it now; `Err` when Redis did not answer.
    pub async fn try_lock(&self, name: &str, token: &str, ttl: Duration) -> Result<bool, String> {
        let mut conn = self.conn.clone();
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
        let mut conn = self.conn.clone();
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
    /// this one included), reconnecting with backoff when Redis goes away.
    pub fn listen(
        self: &Arc<Self>,
        name: &str,
        on_message: impl Fn(String) + Send + Sync + 'static,
    ) {
        let me = self.clone();
        let channel = self.key(name);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            loop {
                match me.client.get_async_pubsub().await {
                    Ok(mut pubsub) => {
                        if pubsub.subscribe(&channel).await.is_ok() {
                            backoff = Duration::from_millis(200);
                            let mut messages = pubsub.on_message();
                            while let Some(msg) = messages.next().await {
                                if let Ok(payload) = msg.get_payload::<String>() {
                                    on_message(payload);
                                }
                            }
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "redis subscription failed; retrying"),
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        });
    }
}
