//! In-memory [`Store`] and [`ContentSource`] for the engine's tests. The store can be told
//! to fail (the database "goes away") and counts what it wrote, so tests can check that
//! nothing is lost or counted twice.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

use crate::ids::{LearnerId, Seq, SessionId};
use crate::store::*;

#[derive(Default)]
struct State {
    learners: HashMap<LearnerId, LearnerProfile>,
    sessions: HashMap<SessionId, SessionSnapshot>,
    answers: BTreeMap<(SessionId, Seq), AnswerRecord>,
    spans: HashMap<String, ScreenTimeSpan>,
    bonus: HashMap<(String, NaiveDate), u64>,
    unlocked: HashMap<(LearnerId, String), chrono::DateTime<chrono::Utc>>,
    notifications: Vec<Notification>,
    /// Requests for more time with whether each is still pending.
    time_requests: Vec<(NewTimeRequest, bool)>,
    /// Activity id → (category, difficulty), for `played` (the real store joins activities).
    activities: HashMap<String, (String, i32)>,
    /// Learner → the teachers of its classes (whose `classes` activities it may start).
    class_teachers: HashMap<LearnerId, Vec<String>>,
}

pub struct MemoryStore {
    state: Mutex<State>,
    failing: AtomicBool,
    pub batches_written: AtomicUsize,
    pub failed_writes: AtomicUsize,
    /// Answers to these question ids are refused for good, like text a database cannot hold.
    refuse_questions: Mutex<Vec<String>>,
    /// While set, reading screen time waits for a permit (to hold an actor's start midway).
    screen_time_gate: Mutex<Option<Arc<tokio::sync::Semaphore>>>,
    /// Counts batch writes attempted, so a test can wait for "the flusher tried".
    attempts: tokio::sync::watch::Sender<usize>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            failing: AtomicBool::new(false),
            batches_written: AtomicUsize::new(0),
            failed_writes: AtomicUsize::new(0),
            refuse_questions: Mutex::default(),
            screen_time_gate: Mutex::default(),
            attempts: tokio::sync::watch::channel(0).0,
        }
    }
}

fn ready<T: Send + 'static>(v: Result<T, StoreError>) -> StoreFuture<T> {
    Box::pin(std::future::ready(v))
}

impl MemoryStore {
    fn snapshot_today(&self, learner_id: &str, date: NaiveDate) -> ScreenTimeToday {
        let st = self.state.lock().unwrap();
        let used = st
            .spans
            .values()
            .filter(|s| s.learner_id == learner_id && s.date == date)
            .map(|s| s.seconds)
            .sum();
        let bonus = st
            .bonus
            .get(&(learner_id.to_string(), date))
            .copied()
            .unwrap_or(0);
        ScreenTimeToday {
            used_seconds: used,
            bonus_seconds: bonus,
        }
    }

    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn add_learner(&self, id: &str, daily_limit_seconds: u64) {
        self.add_learner_with(id, Some(daily_limit_seconds));
    }

    /// A learner with `None`: no daily limit (a student who set none).
    pub fn add_learner_with(&self, id: &str, daily_limit_seconds: Option<u64>) {
        self.state.lock().unwrap().learners.insert(
            id.into(),
            LearnerProfile {
                id: id.into(),
                name: id.into(),
                parent_id: Some(format!("parent-of-{id}")),
                class_ids: Vec::new(),
                history: crate::achievements::History::default(),
                timezone: "UTC".into(),
                daily_limit_seconds,
                notifications_enabled: true,
                downtime: Vec::new(),
            },
        );
    }

    /// Puts the learner in a class (as the database's memberships would).
    pub fn add_to_class(&self, learner_id: &str, class_id: &str) {
        if let Some(l) = self.state.lock().unwrap().learners.get_mut(learner_id) {
            l.class_ids.push(class_id.into());
        }
    }

    /// Puts the learner in a class taught by `teacher_id`, for seeing its `classes` activities.
    pub fn add_to_teachers_class(&self, learner_id: &str, teacher_id: &str) {
        self.state
            .lock()
            .unwrap()
            .class_teachers
            .entry(LearnerId::from(learner_id))
            .or_default()
            .push(teacher_id.into());
    }

    /// Lets `played` know an activity's category and difficulty.
    pub fn know_activity(&self, activity: &Activity) {
        self.state.lock().unwrap().activities.insert(
            activity.id.clone(),
            (activity.category.clone(), activity.difficulty),
        );
    }

    /// From now on every write fails (true) or succeeds again (false).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Holds every screen-time read until the returned semaphore gets permits.
    pub fn hold_screen_time_reads(&self) -> Arc<tokio::sync::Semaphore> {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        *self.screen_time_gate.lock().unwrap() = Some(gate.clone());
        gate
    }

    /// A parent's new daily limit, as the database would have it.
    pub fn set_limit(&self, learner_id: &str, daily_limit_seconds: Option<u64>) {
        if let Some(l) = self.state.lock().unwrap().learners.get_mut(learner_id) {
            l.daily_limit_seconds = daily_limit_seconds;
        }
    }

    /// From now on answers to `question_id` are refused for good (dead letters).
    pub fn refuse_answers_to(&self, question_id: &str) {
        self.refuse_questions
            .lock()
            .unwrap()
            .push(question_id.to_string());
    }

    /// A parent's answer, as the database would record it (the request is no longer pending).
    pub fn answer_time_request(&self, request_id: &str) {
        for (r, pending) in &mut self.state.lock().unwrap().time_requests {
            if r.id == request_id {
                *pending = false;
            }
        }
    }

    /// Notifications stored so far.
    pub fn notifications(&self) -> Vec<Notification> {
        self.state.lock().unwrap().notifications.clone()
    }

    /// Achievement ids unlocked for a learner.
    pub fn unlocked(&self, learner_id: &str) -> Vec<String> {
        let st = self.state.lock().unwrap();
        st.unlocked
            .keys()
            .filter(|(l, _)| l == learner_id)
            .map(|(_, a)| a.clone())
            .collect()
    }

    /// Watches the number of batch writes attempted (failed or not).
    pub fn attempts(&self) -> tokio::sync::watch::Receiver<usize> {
        self.attempts.subscribe()
    }

    /// Saved answers of a session, in seq order.
    pub fn answers(&self, session_id: &str) -> Vec<AnswerRecord> {
        let st = self.state.lock().unwrap();
        st.answers
            .iter()
            .filter(|((s, _), _)| s == session_id)
            .map(|(_, a)| a.clone())
            .collect()
    }

    pub fn session(&self, session_id: &str) -> Option<SessionSnapshot> {
        self.state.lock().unwrap().sessions.get(session_id).cloned()
    }

    pub fn screen_seconds(&self, learner_id: &str) -> u64 {
        self.state
            .lock()
            .unwrap()
            .spans
            .values()
            .filter(|s| s.learner_id == learner_id)
            .map(|s| s.seconds)
            .sum()
    }

    fn fail(&self) -> Option<StoreError> {
        self.failing.load(Ordering::SeqCst).then(|| {
            self.failed_writes.fetch_add(1, Ordering::SeqCst);
            StoreError("the database is away (injected)".into())
        })
    }

    fn snapshot(st: &State, id: &str) -> Option<SessionSnapshot> {
        let mut s = st.sessions.get(id)?.clone();
        s.answers = st
            .answers
            .iter()
            .filter(|((sid, _), _)| sid == id)
            .map(|(_, a)| SavedAnswer {
                seq: a.seq,
                question_id: a.question_id.clone(),
                correct: a.correct,
            })
            .collect();
        Some(s)
    }
}

impl Store for MemoryStore {
    fn load_learner(&self, learner_id: &LearnerId) -> StoreFuture<Option<LearnerProfile>> {
        ready(Ok(self
            .state
            .lock()
            .unwrap()
            .learners
            .get(learner_id)
            .cloned()))
    }

    fn load_starts(
        &self,
        learner_ids: Vec<LearnerId>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> StoreFuture<Vec<LearnerStart>> {
        let mut out = Vec::new();
        for id in learner_ids {
            let Some(profile) = self.state.lock().unwrap().learners.get(&id).cloned() else {
                continue;
            };
            let today =
                crate::screen_time::local_date(crate::screen_time::parse_tz(&profile.timezone), at);
            let st = self.state.lock().unwrap();
            let open = st
                .sessions
                .values()
                .filter(|s| s.learner_id == id && s.status == SessionStatus::Open)
                .max_by_key(|s| s.started_at)
                .map(|s| s.session_id.clone());
            let open_session = open.and_then(|sid| Self::snapshot(&st, &sid));
            drop(st);
            out.push(LearnerStart {
                used: self.snapshot_today(&id, today),
                profile,
                today,
                open_session,
            });
        }
        if let Some(gate) = self.screen_time_gate.lock().unwrap().clone() {
            // Read now (the values from before any change), answered once let through.
            return Box::pin(async move {
                let _permit = gate.acquire().await;
                Ok(out)
            });
        }
        ready(Ok(out))
    }

    fn load_screen_time(
        &self,
        learner_id: &LearnerId,
        date: NaiveDate,
    ) -> StoreFuture<ScreenTimeToday> {
        if let Some(gate) = self.screen_time_gate.lock().unwrap().clone() {
            // Read now (the values from before any change), answered once let through.
            let today = self.snapshot_today(learner_id, date);
            return Box::pin(async move {
                let _permit = gate.acquire().await;
                Ok(today)
            });
        }
        ready(Ok(self.snapshot_today(learner_id, date)))
    }
    fn open_session(&self, learner_id: &LearnerId) -> StoreFuture<Option<SessionSnapshot>> {
        let st = self.state.lock().unwrap();
        let id = st
            .sessions
            .values()
            .filter(|s| s.learner_id == *learner_id && s.status == SessionStatus::Open)
            .max_by_key(|s| s.started_at)
            .map(|s| s.session_id.clone());
        ready(Ok(id.and_then(|id| Self::snapshot(&st, &id))))
    }

    fn load_session(&self, session_id: &SessionId) -> StoreFuture<Option<SessionSnapshot>> {
        let st = self.state.lock().unwrap();
        ready(Ok(Self::snapshot(&st, session_id)))
    }

    fn played(&self, learner_id: &LearnerId) -> StoreFuture<Vec<PlayedSession>> {
        let st = self.state.lock().unwrap();
        let mut out: Vec<PlayedSession> = st
            .sessions
            .values()
            .filter(|s| s.learner_id == *learner_id && s.status == SessionStatus::Completed)
            .map(|s| {
                let (category, difficulty) = st
                    .activities
                    .get(&s.activity_id)
                    .cloned()
                    .unwrap_or_default();
                PlayedSession {
                    session_id: s.session_id.clone(),
                    completed: crate::next_activity::Completed {
                        activity_id: s.activity_id.clone(),
                        category,
                        difficulty,
                        accuracy: s.accuracy.unwrap_or(0.0),
                        completed_at: s.ended_at.unwrap_or(s.started_at),
                    },
                }
            })
            .collect();
        out.sort_by_key(|p| p.completed.completed_at);
        ready(Ok(out))
    }

    fn write_batch(&self, batch: Batch) -> StoreFuture<BatchResult> {
        self.attempts.send_modify(|n| *n += 1);
        if let Some(e) = self.fail() {
            return ready(Err(e));
        }
        let refuse = self.refuse_questions.lock().unwrap().clone();
        let mut result = BatchResult::default();
        let mut st = self.state.lock().unwrap();
        for s in batch.starts {
            st.sessions
                .entry(s.session_id.clone())
                .or_insert(SessionSnapshot {
                    session_id: s.session_id,
                    learner_id: s.learner_id,
                    activity_id: s.activity_id,
                    status: SessionStatus::Open,
                    started_at: s.started_at,
                    ended_at: None,
                    questions_total: s.questions_total,
                    questions_correct: 0,
                    accuracy: None,
                    stars: None,
                    duration_seconds: None,
                    answers: Vec::new(),
                });
        }
        for a in batch.answers {
            if refuse.contains(&a.question_id) {
                result.refused.push(ItemKey::Answer {
                    session_id: a.session_id,
                    seq: a.seq,
                });
                continue;
            }
            // Idempotent on (session_id, seq), like the real tables.
            st.answers.entry((a.session_id.clone(), a.seq)).or_insert(a);
        }
        for e in batch.ends {
            // Closes only an open session, as the real table's update does; the end that
            // closes it stores its notice.
            if let Some(s) = st
                .sessions
                .get_mut(&e.session_id)
                .filter(|s| s.status == SessionStatus::Open)
            {
                s.status = e.status;
                s.questions_correct = e.questions_correct;
                s.accuracy = Some(e.accuracy);
                s.stars = Some(e.stars);
                s.duration_seconds = Some(e.duration_seconds);
                s.ended_at = Some(e.ended_at);
                st.notifications.extend(e.notice);
                result.ended.push(e.session_id);
            }
        }
        for span in batch.spans {
            st.spans.insert(span.id.clone(), span);
        }
        st.notifications.extend(batch.notifications);
        for u in batch.unlocks {
            let mut first = Vec::new();
            for id in &u.achievement_ids {
                if st
                    .unlocked
                    .insert((u.learner_id.clone(), id.clone()), u.at)
                    .is_none()
                {
                    first.push((u.learner_id.clone(), id.clone()));
                }
            }
            st.notifications.extend(u.notices_of(&first).cloned());
            result.unlocked.extend(first);
        }
        self.batches_written.fetch_add(1, Ordering::SeqCst);
        ready(Ok(result))
    }

    fn ask_time(&self, request: NewTimeRequest) -> StoreFuture<AskOutcome> {
        if let Some(e) = self.fail() {
            return ready(Err(e));
        }
        let mut st = self.state.lock().unwrap();
        let mine = || {
            st.time_requests
                .iter()
                .filter(|(r, _)| r.learner_id == request.learner_id)
        };
        let outcome = if mine().any(|(_, pending)| *pending) {
            AskOutcome::Pending
        } else if mine()
            .filter(|(r, _)| r.created_at >= request.day.0 && r.created_at < request.day.1)
            .count() as i64
            >= TIME_REQUESTS_PER_DAY
        {
            AskOutcome::DailyLimit
        } else {
            AskOutcome::Created
        };
        if outcome == AskOutcome::Created {
            st.time_requests.push((request, true));
        }
        ready(Ok(outcome))
    }

    fn class_teachers(&self, learner_id: &LearnerId) -> StoreFuture<Vec<String>> {
        let st = self.state.lock().unwrap();
        ready(Ok(st
            .class_teachers
            .get(learner_id)
            .cloned()
            .unwrap_or_default()))
    }
}

#[derive(Default)]
pub struct MemoryContent {
    activities: Mutex<HashMap<String, Arc<Activity>>>,
    achievements: Mutex<Arc<Vec<crate::achievements::Achievement>>>,
}

impl MemoryContent {
    pub fn new(activities: impl IntoIterator<Item = Activity>) -> Arc<Self> {
        let c = Self::default();
        for a in activities {
            c.activities
                .lock()
                .unwrap()
                .insert(a.id.clone(), Arc::new(a));
        }
        Arc::new(c)
    }

    pub fn set_achievements(&self, catalog: Vec<crate::achievements::Achievement>) {
        *self.achievements.lock().unwrap() = Arc::new(catalog);
    }
}

impl ContentSource for MemoryContent {
    fn activity(&self, activity_id: &str) -> StoreFuture<Option<Arc<Activity>>> {
        ready(Ok(self
            .activities
            .lock()
            .unwrap()
            .get(activity_id)
            .cloned()))
    }

    fn achievements(&self) -> StoreFuture<Arc<Vec<crate::achievements::Achievement>>> {
        ready(Ok(self.achievements.lock().unwrap().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unlock and its parent's notice are one write: stored together the first time, and
    /// neither again when the same unlock comes a second time (a retried batch, another node).
    #[actix_rt::test]
    async fn an_unlocks_notice_is_stored_with_it_and_only_the_first_time() {
        let store = MemoryStore::new();
        let at = chrono::Utc::now();
        let notice = Notification {
            id: "n-1".into(),
            parent_id: "parent".into(),
            child_id: LearnerId::from("kid"),
            kind: NotificationKind::AchievementUnlocked,
            title: "Kid unlocked “First Steps”".into(),
            body: "Complete your first activity".into(),
            data: serde_json::json!({"achievement_id": "first-steps"}),
            created_at: at,
        };
        let unlock = |id: &str| UnlockRequest {
            learner_id: LearnerId::from("kid"),
            achievement_ids: vec!["first-steps".into()],
            at,
            notices: vec![(
                "first-steps".into(),
                Notification {
                    id: id.into(),
                    ..notice.clone()
                },
            )],
        };
        let batch = |u| Batch {
            unlocks: vec![u],
            ..Batch::default()
        };
        let first = store.write_batch(batch(unlock("n-1"))).await.unwrap();
        assert_eq!(first.unlocked.len(), 1);
        assert_eq!(store.notifications().len(), 1);
        let again = store.write_batch(batch(unlock("n-2"))).await.unwrap();
        assert!(again.unlocked.is_empty());
        assert_eq!(store.notifications().len(), 1, "told once");
    }
}
