//! Achievement criteria, as stored in the `criteria` JSON of an achievement.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Criteria {
    /// Complete `count` activities (of `category`, when set) with at least `accuracy_min`.
    ActivityCount {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<String>,
        count: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        accuracy_min: Option<f64>,
    },
    /// Average accuracy of at least `accuracy_min` over at least `min_activities` completions.
    Accuracy {
        accuracy_min: f64,
        min_activities: u32,
    },
    /// A completed activity on each of `days` consecutive days (learner's timezone).
    Streak { days: u32 },
    /// `count` completed activities with 100 % accuracy.
    PerfectScore { count: u32 },
    /// `seconds` of study time in total.
    StudyTime { seconds: u64 },
}
