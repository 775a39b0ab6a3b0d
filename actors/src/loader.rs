//! Learners' starts, read in batches ([`Store::load_starts`]: a few queries for hundreds of
//! learners) when many learners come at once, as after a node restart.

use std::sync::Arc;

use chrono::Utc;

use crate::batched_reads::{BatchedReads, Limits, Stopped};
use crate::ids::LearnerId;
use crate::store::{LearnerStart, Store, StoreError};

impl From<Stopped> for StoreError {
    fn from(_: Stopped) -> Self {
        StoreError("the learner loader stopped".into())
    }
}

#[derive(Clone)]
pub(crate) struct Loader(BatchedReads<LearnerId, LearnerStart, StoreError>);

impl Loader {
    /// Starts the batching task on the current arbiter.
    pub(crate) fn start(store: Arc<dyn Store>) -> Self {
        Self(BatchedReads::start(
            "learner_load",
            Limits::default(),
            move |ids| {
                let store = store.clone();
                async move {
                    let starts = store.load_starts(ids, Utc::now()).await?;
                    Ok(starts
                        .into_iter()
                        .map(|s| (s.profile.id.clone(), s))
                        .collect())
                }
            },
        ))
    }

    /// What the learner's actor starts from (`None`: no such learner).
    pub(crate) async fn load(
        &self,
        learner_id: &LearnerId,
    ) -> Result<Option<LearnerStart>, StoreError> {
        self.0.get(learner_id.clone()).await
    }
}
