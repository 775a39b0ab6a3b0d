//! Learners' starts, read in batches. When a node restarts, every learner reconnects at once;
//! read one by one, each start costs the database a dozen queries. Here every start that is
//! waiting joins the next read ([`Store::load_starts`]: a few queries for hundreds of
//! learners), a few reads at a time, so the more learners come at once, the larger the
//! batches. A lone learner is read at once (nothing waits for a batch to fill).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::store::{LearnerStart, Store, StoreError};

/// Learners in one read (SQLite binds each id as a parameter; keep well under its limit).
const MAX_BATCH: usize = 400;
/// Reads in flight at once (each holds one database connection).
const READS: usize = 3;
/// Starts waiting for a read; past it, callers wait to be queued (bounded, like every queue).
const WAITING: usize = 8_192;

type Reply = oneshot::Sender<Result<Option<LearnerStart>, StoreError>>;

struct Request {
    learner_id: String,
    reply: Reply,
}

#[derive(Clone)]
pub(crate) struct Loader {
    tx: mpsc::Sender<Request>,
}

fn stopped() -> StoreError {
    StoreError("the learner loader stopped".into())
}

impl Loader {
    /// Starts the batching task on the current arbiter.
    pub(crate) fn start(store: Arc<dyn Store>) -> Self {
        let (tx, mut rx) = mpsc::channel::<Request>(WAITING);
        actix::spawn(async move {
            let reads = Arc::new(Semaphore::new(READS));
            while let Some(first) = rx.recv().await {
                let Ok(permit) = reads.clone().acquire_owned().await else {
                    break;
                };
                // Whatever queued while the reads were busy rides this one.
                let mut waiting: HashMap<String, Vec<Reply>> = HashMap::new();
                waiting
                    .entry(first.learner_id)
                    .or_default()
                    .push(first.reply);
                while waiting.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(r) => waiting.entry(r.learner_id).or_default().push(r.reply),
                        Err(_) => break,
                    }
                }
                let store = store.clone();
                actix::spawn(async move {
                    metrics::histogram!("studyhub_learner_load_batch").record(waiting.len() as f64);
                    let ids = waiting.keys().cloned().collect();
                    match store.load_starts(ids, Utc::now()).await {
                        Ok(starts) => {
                            let mut by_id: HashMap<String, LearnerStart> = starts
                                .into_iter()
                                .map(|s| (s.profile.id.clone(), s))
                                .collect();
                            for (id, replies) in waiting {
                                let start = by_id.remove(&id);
                                for r in replies {
                                    let _ = r.send(Ok(start.clone()));
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

    /// What the learner's actor starts from (`None`: no such learner).
    pub(crate) async fn load(&self, learner_id: &str) -> Result<Option<LearnerStart>, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request {
                learner_id: learner_id.to_string(),
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}
