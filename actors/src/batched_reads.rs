//! Reads by id, in batches. When a node restarts, every learner reconnects at once; read one
//! by one, each costs the database a round trip (or a dozen). Here every read that is waiting
//! joins the next batch (one query for hundreds of ids), a few batches at a time, so the more
//! callers come at once, the larger the batches. A lone caller is read at once: nothing waits
//! for a batch to fill.
//!
//! Used for learners' starts ([`crate::store::Store::load_starts`]) and, in the server, for
//! the access check of every ticket and play socket.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

/// How large and how many batches may be.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Ids in one batch (SQLite binds each id as a parameter; keep well under its limit).
    pub max_batch: usize,
    /// Batches in flight at once (each holds one database connection).
    pub reads: usize,
    /// Callers waiting for a batch; past it, callers wait to be queued (bounded, like every
    /// queue).
    pub waiting: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_batch: 400,
            reads: 3,
            waiting: 8_192,
        }
    }
}

/// The batching task is gone (the runtime is stopping).
#[derive(Debug, Clone, Copy)]
pub struct Stopped;

type Reply<V, E> = oneshot::Sender<Result<Option<V>, E>>;

struct Request<K, V, E> {
    id: K,
    reply: Reply<V, E>,
}

/// A handle to a batching task: cheap to clone, usable from any thread.
pub struct BatchedReads<K, V, E> {
    tx: mpsc::Sender<Request<K, V, E>>,
}

impl<K, V, E> Clone for BatchedReads<K, V, E> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

impl<K, V, E> BatchedReads<K, V, E>
where
    K: Clone + Eq + std::hash::Hash + 'static,
    V: Clone + 'static,
    E: Clone + From<Stopped> + 'static,
{
    /// Starts the batching task on the current arbiter. `read` gets the ids of one batch and
    /// answers what it found, by id; an id it does not answer reads as `None`. `name` labels
    /// the batch-size histogram (`studyhub_{name}_batch`).
    pub fn start<F, Fut>(name: &'static str, limits: Limits, read: F) -> Self
    where
        F: Fn(Vec<K>) -> Fut + 'static,
        Fut: Future<Output = Result<HashMap<K, V>, E>> + 'static,
    {
        let (tx, mut rx) = mpsc::channel::<Request<K, V, E>>(limits.waiting);
        let histogram = format!("studyhub_{name}_batch");
        actix::spawn(async move {
            let reads = Arc::new(Semaphore::new(limits.reads));
            while let Some(first) = rx.recv().await {
                let Ok(permit) = reads.clone().acquire_owned().await else {
                    break;
                };
                // Whatever queued while the reads were busy rides this one.
                let mut waiting: HashMap<K, Vec<Reply<V, E>>> = HashMap::new();
                waiting.entry(first.id).or_default().push(first.reply);
                while waiting.len() < limits.max_batch {
                    match rx.try_recv() {
                        Ok(r) => waiting.entry(r.id).or_default().push(r.reply),
                        Err(_) => break,
                    }
                }
                metrics::histogram!(histogram.clone()).record(waiting.len() as f64);
                let batch = read(waiting.keys().cloned().collect());
                actix::spawn(async move {
                    match batch.await {
                        Ok(mut found) => {
                            for (id, replies) in waiting {
                                let value = found.remove(&id);
                                for r in replies {
                                    let _ = r.send(Ok(value.clone()));
                                }
                            }
                        }
                        Err(e) => {
                            for r in waiting.into_values().flatten() {
                                let _ = r.send(Err(e.clone()));
                            }
                        }
                    }
                    drop(permit);
                });
            }
        });
        Self { tx }
    }

    /// The value read for `id` (`None`: nothing there).
    pub async fn get(&self, id: K) -> Result<Option<V>, E> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request { id, reply })
            .await
            .map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[derive(Debug, Clone, PartialEq)]
    struct Gone;
    impl From<Stopped> for Gone {
        fn from(_: Stopped) -> Self {
            Gone
        }
    }

    /// Callers that come together share batches, and each gets its own value.
    #[actix::test]
    async fn callers_at_once_share_batches() {
        let batches = Rc::new(RefCell::new(Vec::<usize>::new()));
        let seen = batches.clone();
        let limits = Limits {
            max_batch: 50,
            reads: 1,
            waiting: 1_000,
        };
        let reads = BatchedReads::<String, String, Gone>::start("test", limits, move |ids| {
            seen.borrow_mut().push(ids.len());
            async move {
                tokio::task::yield_now().await;
                Ok(ids
                    .into_iter()
                    .filter(|id| id != "missing")
                    .map(|id| (id.clone(), format!("value of {id}")))
                    .collect())
            }
        });
        let callers = (0..200).map(|i| {
            let reads = reads.clone();
            async move { reads.get(format!("id{}", i % 150)).await }
        });
        let got = futures_util::future::join_all(callers).await;
        for (i, v) in got.into_iter().enumerate() {
            assert_eq!(v, Ok(Some(format!("value of id{}", i % 150))));
        }
        assert_eq!(reads.get("missing".to_string()).await, Ok(None));
        let batches = batches.borrow();
        assert!(batches.iter().all(|&n| n <= 50), "{batches:?}");
        assert!(
            batches.len() < 20,
            "200 callers in {} batches",
            batches.len()
        );
    }
}
