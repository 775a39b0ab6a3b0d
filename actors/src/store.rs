//! What the engine needs from storage and content, as small traits. The server crate
//! implements them with Diesel; [`crate::memory`] has in-memory versions for tests that can
//! fail on purpose.

use crate::ids::{ClassId, LearnerId, Seq, SessionId};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::achievements::{Achievement, History};
use crate::content::ActivityContent;
use crate::downtime_windows::Window;
use crate::protocol::PublicActivity;
use crate::visibility::Visibility;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

pub type StoreFuture<T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send>>;

/// An activity with its answer key, as the engine holds it from `start` on.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Activity {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub sub_category: Option<String>,
    pub difficulty: i32,
    pub age_min: i32,
    pub age_max: i32,
    /// Deleted by its author: out of the catalog and no new sessions, but an open session
    /// on it may still be resumed and finished.
    #[serde(default)]
    pub archived: bool,
    pub content: ActivityContent,
    /// Who wrote it (none for the starter content).
    #[serde(default)]
    pub author_id: Option<String>,
    /// Who may see it (`crate::visibility`); checked at `start`, not per answer.
    pub visibility: Visibility,
}

impl Activity {
    pub fn public(&self) -> PublicActivity {
        PublicActivity {
            id: self.id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
            sub_category: self.sub_category.clone(),
            difficulty: self.difficulty,
            age_min: self.age_min,
            age_max: self.age_max,
            question_count: self.content.questions.len(),
            introduction: self.content.introduction.clone(),
            offline: self.content.offline,
            one_try: self.content.one_try,
            questions: self.content.public_questions(),
            visibility: self.visibility,
        }
    }

    /// Whether `sight` may list, open or start it.
    pub fn visible_to(&self, sight: &crate::visibility::Sight) -> bool {
        sight.sees(self.visibility, self.author_id.as_deref())
    }
}

/// What the engine knows of a learner when its actor starts.
#[derive(Debug, Clone)]
pub struct LearnerProfile {
    pub id: LearnerId,
    pub name: String,
    /// The parent told about this learner (none for a student's own learner).
    pub parent_id: Option<String>,
    /// Classes whose teachers watch this learner.
    pub class_ids: Vec<ClassId>,
    /// What achievements are checked against.
    pub history: History,
    /// IANA name; "today" is the calendar day there.
    pub timezone: String,
    /// `None`: no limit (a student who set none).
    pub daily_limit_seconds: Option<u64>,
    pub notifications_enabled: bool,
    /// Weekly windows of local time with no play.
    pub downtime: Vec<Window>,
}

/// Everything a learner's actor starts from: the profile, today's screen time (`today` is the
/// calendar day in the learner's time zone when it was read) and its open session, if any.
#[derive(Debug, Clone)]
pub struct LearnerStart {
    pub profile: LearnerProfile,
    pub today: NaiveDate,
    pub used: ScreenTimeToday,
    pub open_session: Option<SessionSnapshot>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScreenTimeToday {
    pub used_seconds: u64,
    pub bonus_seconds: u64,
}

/// One span of counted screen time, kept up to date by the learner's actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenTimeSpan {
    pub id: String,
    pub learner_id: LearnerId,
    pub date: NaiveDate,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Open,
    Completed,
    Abandoned,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Completed => "completed",
            SessionStatus::Abandoned => "abandoned",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "completed" => SessionStatus::Completed,
            "abandoned" => SessionStatus::Abandoned,
            _ => SessionStatus::Open,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedAnswer {
    pub seq: Seq,
    pub question_id: String,
    pub correct: bool,
}

/// A session as the database has it (what was saved).
#[derive(Debug, Clone)]
pub struct SessionSnapshot {
    pub session_id: SessionId,
    pub learner_id: LearnerId,
    pub activity_id: String,
    pub status: SessionStatus,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub questions_total: u32,
    pub questions_correct: u32,
    pub accuracy: Option<f64>,
    pub stars: Option<u8>,
    pub duration_seconds: Option<u64>,
    /// Saved answers in seq order (1, 2, 3, …; a hole is a seq refused as a dead letter).
    pub answers: Vec<SavedAnswer>,
}

/// A new session, queued before its answers.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub session_id: SessionId,
    pub learner_id: LearnerId,
    pub activity_id: String,
    pub questions_total: u32,
    pub started_at: DateTime<Utc>,
}

/// One graded answer on its way to the database.
#[derive(Debug, Clone)]
pub struct AnswerRecord {
    pub session_id: SessionId,
    pub learner_id: LearnerId,
    pub seq: Seq,
    pub question_id: String,
    /// The answer as given, JSON; the store encrypts it at rest.
    pub answer_json: String,
    pub correct: bool,
    /// The first answer to this question in the session (the one accuracy counts).
    pub first_attempt: bool,
    pub answered_at: DateTime<Utc>,
    /// For the daily progress row: the activity's category and the learner's local date.
    pub category: String,
    pub local_date: NaiveDate,
}

/// How a session ended, written after its answers.
#[derive(Debug, Clone)]
pub struct SessionEnd {
    pub session_id: SessionId,
    pub learner_id: LearnerId,
    pub status: SessionStatus,
    pub questions_answered: u32,
    pub questions_correct: u32,
    pub accuracy: f64,
    pub stars: u8,
    pub duration_seconds: u64,
    pub ended_at: DateTime<Utc>,
    pub activity_id: String,
    pub category: String,
    pub local_date: NaiveDate,
    /// The parent's notification of a completion: stored in the end's own transaction, and
    /// only by the end that closes the session. A session completed twice (resent answers
    /// finishing it on a second node before the first node's end was committed) is closed
    /// once and told once.
    pub notice: Option<Notification>,
}

/// What one group commit writes, in one transaction and in this order: new sessions, answers
/// (idempotent on `(session_id, seq)`), session ends (with the daily progress rows they move),
/// screen-time spans (the latest value of each), parents' notifications and achievement unlocks.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub starts: Vec<NewSession>,
    pub answers: Vec<AnswerRecord>,
    pub ends: Vec<SessionEnd>,
    pub spans: Vec<ScreenTimeSpan>,
    pub notifications: Vec<Notification>,
    pub unlocks: Vec<UnlockRequest>,
}

/// Achievements a learner has just met, to be stored under the unique key (learner,
/// achievement): only the ones that were not there yet come back as unlocked. The parent's
/// notification of each (`notices`, by achievement id) is stored in the same transaction, for
/// the ones stored first only: an unlock is never stored without it, nor told twice.
#[derive(Debug, Clone)]
pub struct UnlockRequest {
    pub learner_id: LearnerId,
    pub achievement_ids: Vec<String>,
    pub at: DateTime<Utc>,
    pub notices: Vec<(String, Notification)>,
}

impl UnlockRequest {
    /// The notifications of the unlocks in `stored` (pairs this batch stored first).
    pub fn notices_of<'a>(
        &'a self,
        stored: &'a [(LearnerId, String)],
    ) -> impl Iterator<Item = &'a Notification> + 'a {
        self.notices
            .iter()
            .filter(move |(id, _)| stored.iter().any(|(l, a)| *l == self.learner_id && a == id))
            .map(|(_, n)| n)
    }
}

/// What a committed batch reports back.
#[derive(Debug, Clone, Default)]
pub struct BatchResult {
    /// (learner, achievement) pairs this batch stored for the first time.
    pub unlocked: Vec<(LearnerId, String)>,
    /// Sessions this batch closed (and whose end's notice it stored).
    pub ended: Vec<SessionId>,
    /// Items the database refuses every time (text it cannot hold, a number out of range, a
    /// parent row gone): parked as dead letters, never acknowledged as saved.
    pub refused: Vec<ItemKey>,
}

/// Names one item of a batch, to report it refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKey {
    Start { session_id: SessionId },
    Answer { session_id: SessionId, seq: Seq },
    End { session_id: SessionId },
    Span { id: String },
    Notification { id: String },
    Unlock { learner_id: LearnerId },
}

impl Batch {
    pub fn len(&self) -> usize {
        self.starts.len()
            + self.answers.len()
            + self.ends.len()
            + self.spans.len()
            + self.notifications.len()
            + self.unlocks.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same items, one batch each and named (to find the ones a database refuses).
    pub fn into_singles(self) -> impl Iterator<Item = (ItemKey, Batch)> {
        let one = Batch::default;
        (self.starts.into_iter().map(move |s| {
            let key = ItemKey::Start {
                session_id: s.session_id.clone(),
            };
            (
                key,
                Batch {
                    starts: vec![s],
                    ..one()
                },
            )
        }))
        .chain(self.answers.into_iter().map(move |a| {
            let key = ItemKey::Answer {
                session_id: a.session_id.clone(),
                seq: a.seq,
            };
            (
                key,
                Batch {
                    answers: vec![a],
                    ..one()
                },
            )
        }))
        .chain(self.ends.into_iter().map(move |e| {
            let key = ItemKey::End {
                session_id: e.session_id.clone(),
            };
            (
                key,
                Batch {
                    ends: vec![e],
                    ..one()
                },
            )
        }))
        .chain(self.spans.into_iter().map(move |s| {
            let key = ItemKey::Span { id: s.id.clone() };
            (
                key,
                Batch {
                    spans: vec![s],
                    ..one()
                },
            )
        }))
        .chain(self.notifications.into_iter().map(move |n| {
            let key = ItemKey::Notification { id: n.id.clone() };
            (
                key,
                Batch {
                    notifications: vec![n],
                    ..one()
                },
            )
        }))
        .chain(self.unlocks.into_iter().map(move |u| {
            let key = ItemKey::Unlock {
                learner_id: u.learner_id.clone(),
            };
            (
                key,
                Batch {
                    unlocks: vec![u],
                    ..one()
                },
            )
        }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    AchievementUnlocked,
    ActivityCompleted,
    TimeWarning,
    TimeLimitReached,
    /// The child asks for more time (`data.request_id` is what the parent answers).
    TimeRequest,
    /// A teacher recorded or changed an assessment of the child (`data.assessment`).
    AssessmentRecorded,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::AchievementUnlocked => "achievement_unlocked",
            NotificationKind::ActivityCompleted => "activity_completed",
            NotificationKind::TimeWarning => "time_warning",
            NotificationKind::TimeLimitReached => "time_limit_reached",
            NotificationKind::TimeRequest => "time_request",
            NotificationKind::AssessmentRecorded => "assessment_recorded",
        }
    }
}

/// A notification for a parent, stored before it is pushed.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: String,
    pub parent_id: String,
    pub child_id: LearnerId,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl Notification {
    /// The wire shape: `{id, kind, child_id, title, body, data, created_at, read}`.
    pub fn view(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "kind": self.kind.as_str(),
            "child_id": self.child_id,
            "title": self.title,
            "body": self.body,
            "data": self.data,
            "created_at": self.created_at,
            "read": false,
        })
    }
}

/// A child's request for more time, as the learner actor asks to store it.
#[derive(Debug, Clone)]
pub struct NewTimeRequest {
    pub id: String,
    pub learner_id: LearnerId,
    pub parent_id: String,
    pub seconds: u32,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The child's local day as instants `[start, end)`: what "three a day" counts in.
    pub day: (DateTime<Utc>, DateTime<Utc>),
}

/// Requests a child may make in one local day.
pub const TIME_REQUESTS_PER_DAY: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskOutcome {
    Created,
    /// Another request of the child still waits for an answer.
    Pending,
    /// [`TIME_REQUESTS_PER_DAY`] were already made today.
    DailyLimit,
}

/// One completed session of a learner, as choosing the next activity needs it (the activity's
/// category and difficulty as stored with the activity, archived or not).
#[derive(Debug, Clone, PartialEq)]
pub struct PlayedSession {
    pub session_id: SessionId,
    pub completed: crate::next_activity::Completed,
}

pub trait Store: Send + Sync + 'static {
    fn load_learner(&self, learner_id: &LearnerId) -> StoreFuture<Option<LearnerProfile>>;
    /// What several learners' actors start from, in as few round trips as the store can: a
    /// node that restarts sees thousands of learners come back at once. Learners it does not
    /// know are left out; "today" is each learner's own day at `at`.
    fn load_starts(
        &self,
        learner_ids: Vec<LearnerId>,
        at: DateTime<Utc>,
    ) -> StoreFuture<Vec<LearnerStart>>;
    fn load_screen_time(
        &self,
        learner_id: &LearnerId,
        date: NaiveDate,
    ) -> StoreFuture<ScreenTimeToday>;
    /// The learner's open session, if any, with its saved answers.
    fn open_session(&self, learner_id: &LearnerId) -> StoreFuture<Option<SessionSnapshot>>;
    fn load_session(&self, session_id: &SessionId) -> StoreFuture<Option<SessionSnapshot>>;
    /// The learner's completed sessions, oldest first (read once per live learner, when
    /// the next activity is first asked for).
    fn played(&self, learner_id: &LearnerId) -> StoreFuture<Vec<PlayedSession>>;
    /// Writes a batch in one transaction. Must be idempotent: a batch may be written again
    /// after a failure whose commit actually went through. Everything the engine writes goes
    /// through here, so the database sees a few large transactions, not many small ones.
    fn write_batch(&self, batch: Batch) -> StoreFuture<BatchResult>;
    /// Stores a request for more time unless one is pending or the day's are used up. Must
    /// hold across nodes: the database decides (at most one pending request per learner).
    fn ask_time(&self, request: NewTimeRequest) -> StoreFuture<AskOutcome>;
    /// The teachers of the classes the learner belongs to (whose `classes` activities it may
    /// start). Read at `start` of such an activity only, so a class joined or left counts at
    /// once on every node.
    fn class_teachers(&self, learner_id: &LearnerId) -> StoreFuture<Vec<String>>;
}

pub trait ContentSource: Send + Sync + 'static {
    fn activity(&self, activity_id: &str) -> StoreFuture<Option<Arc<Activity>>>;
    fn achievements(&self) -> StoreFuture<Arc<Vec<Achievement>>>;
}
