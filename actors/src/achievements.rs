//! Achievements: the criteria stored with each achievement, and a learner's running history
//! that they are checked against. The history is loaded once when the learner's actor starts
//! and kept up to date in memory; nothing re-reads the learner's past on an answer.

use std::collections::{BTreeSet, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::protocol::AchievementView;

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
    /// `seconds` of study time in total (time spent in activities and study pages).
    StudyTime { seconds: u64 },
}

/// An achievement of the catalog.
#[derive(Debug, Clone)]
pub struct Achievement {
    pub id: String,
    pub title: String,
    pub description: String,
    pub badge_icon_url: Option<String>,
    pub reward_points: i32,
    pub criteria: Criteria,
}

impl Achievement {
    pub fn view(&self) -> AchievementView {
        AchievementView {
            id: self.id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            badge_icon_url: self.badge_icon_url.clone(),
            reward_points: self.reward_points,
        }
    }
}

/// One completed activity, as achievements see it.
#[derive(Debug, Clone, PartialEq)]
pub struct PastCompletion {
    pub category: String,
    pub accuracy: f64,
}

/// Streaks longer than this are not tracked (no achievement asks for more).
const STREAK_HORIZON: usize = 400;

/// A learner's running aggregates.
#[derive(Debug, Clone, Default)]
pub struct History {
    completions: Vec<(u16, f32)>,
    categories: Vec<String>,
    dates: BTreeSet<NaiveDate>,
    pub study_seconds: u64,
    pub unlocked: HashSet<String>,
}

impl History {
    pub fn new(
        completions: impl IntoIterator<Item = PastCompletion>,
        dates: impl IntoIterator<Item = NaiveDate>,
        study_seconds: u64,
        unlocked: impl IntoIterator<Item = String>,
    ) -> Self {
        let mut h = History {
            study_seconds,
            unlocked: unlocked.into_iter().collect(),
            ..History::default()
        };
        for c in completions {
            h.push(c);
        }
        for d in dates {
            h.add_date(d);
        }
        h
    }

    fn push(&mut self, c: PastCompletion) {
        let idx = match self.categories.iter().position(|x| *x == c.category) {
            Some(i) => i,
            None => {
                self.categories.push(c.category);
                self.categories.len() - 1
            }
        };
        self.completions.push((idx as u16, c.accuracy as f32));
    }

    fn add_date(&mut self, d: NaiveDate) {
        self.dates.insert(d);
        while self.dates.len() > STREAK_HORIZON {
            let first = *self.dates.iter().next().expect("not empty");
            self.dates.remove(&first);
        }
    }

    /// Records a completed activity on the learner's local `date`.
    pub fn record(&mut self, completion: PastCompletion, date: NaiveDate, seconds: u64) {
        self.push(completion);
        self.add_date(date);
        self.study_seconds += seconds;
    }

    pub fn add_study_seconds(&mut self, seconds: u64) {
        self.study_seconds += seconds;
    }

    /// Consecutive days with a completion, ending at the latest such day.
    pub fn streak(&self) -> u32 {
        let mut days = self.dates.iter().rev();
        let Some(mut prev) = days.next().copied() else {
            return 0;
        };
        let mut n = 1;
        for d in days {
            if prev.pred_opt() == Some(*d) {
                n += 1;
                prev = *d;
            } else {
                break;
            }
        }
        n
    }

    pub fn completed(&self) -> usize {
        self.completions.len()
    }

    pub fn is_met(&self, criteria: &Criteria) -> bool {
        match criteria {
            Criteria::ActivityCount {
                category,
                count,
                accuracy_min,
            } => {
                let cat = match category {
                    Some(c) => match self.categories.iter().position(|x| x == c) {
                        Some(i) => Some(i as u16),
                        None => return false,
                    },
                    None => None,
                };
                let min = accuracy_min.unwrap_or(0.0) as f32;
                let n = self
                    .completions
                    .iter()
                    .filter(|(c, a)| cat.is_none_or(|x| x == *c) && *a + 1e-4 >= min)
                    .count();
                n as u32 >= *count
            }
            Criteria::Accuracy {
                accuracy_min,
                min_activities,
            } => {
                let n = self.completions.len();
                n as u32 >= *min_activities
                    && n > 0
                    && self.completions.iter().map(|(_, a)| *a as f64).sum::<f64>() / n as f64
                        + 1e-4
                        >= *accuracy_min
            }
            Criteria::Streak { days } => self.streak() >= *days,
            Criteria::PerfectScore { count } => {
                self.completions
                    .iter()
                    .filter(|(_, a)| *a >= 99.999)
                    .count() as u32
                    >= *count
            }
            Criteria::StudyTime { seconds } => self.study_seconds >= *seconds,
        }
    }

    /// The catalog's achievements met now and not unlocked before; marks them unlocked (the
    /// database still decides, once, under its unique key).
    pub fn newly_met<'a>(&mut self, catalog: &'a [Achievement]) -> Vec<&'a Achievement> {
        let met: Vec<&Achievement> = catalog
            .iter()
            .filter(|a| !self.unlocked.contains(&a.id) && self.is_met(&a.criteria))
            .collect();
        for a in &met {
            self.unlocked.insert(a.id.clone());
        }
        met
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ach(id: &str, criteria: Criteria) -> Achievement {
        Achievement {
            id: id.into(),
            title: id.into(),
            description: String::new(),
            badge_icon_url: None,
            reward_points: 10,
            criteria,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn each_criteria_type() {
        let catalog = vec![
            ach(
                "first",
                Criteria::ActivityCount {
                    category: None,
                    count: 1,
                    accuracy_min: None,
                },
            ),
            ach(
                "math3",
                Criteria::ActivityCount {
                    category: Some("math".into()),
                    count: 3,
                    accuracy_min: Some(80.0),
                },
            ),
            ach(
                "acc",
                Criteria::Accuracy {
                    accuracy_min: 90.0,
                    min_activities: 2,
                },
            ),
            ach("streak3", Criteria::Streak { days: 3 }),
            ach("perfect", Criteria::PerfectScore { count: 1 }),
            ach("hour", Criteria::StudyTime { seconds: 3600 }),
        ];
        let mut h = History::default();
        assert!(h.newly_met(&catalog).is_empty());
        h.record(
            PastCompletion {
                category: "math".into(),
                accuracy: 85.0,
            },
            day(1),
            600,
        );
        let ids: Vec<_> = h.newly_met(&catalog).iter().map(|a| a.id.clone()).collect();
        assert_eq!(ids, ["first"]);
        h.record(
            PastCompletion {
                category: "math".into(),
                accuracy: 100.0,
            },
            day(2),
            600,
        );
        let ids: Vec<_> = h.newly_met(&catalog).iter().map(|a| a.id.clone()).collect();
        assert_eq!(
            ids,
            ["acc", "perfect"],
            "average 92.5 over 2 activities, and one perfect"
        );
        h.record(
            PastCompletion {
                category: "math".into(),
                accuracy: 80.0,
            },
            day(3),
            600,
        );
        let ids: Vec<_> = h.newly_met(&catalog).iter().map(|a| a.id.clone()).collect();
        assert_eq!(ids, ["math3", "streak3"]);
        h.add_study_seconds(1800);
        let ids: Vec<_> = h.newly_met(&catalog).iter().map(|a| a.id.clone()).collect();
        assert_eq!(ids, ["hour"]);
    }

    #[test]
    fn streaks_need_consecutive_days() {
        let h = History::new([], [day(1), day(2), day(4), day(5), day(6)], 0, []);
        assert_eq!(h.streak(), 3);
        let h = History::new([], [day(1), day(3)], 0, []);
        assert_eq!(h.streak(), 1);
        assert_eq!(History::default().streak(), 0);
    }

    #[test]
    fn unlocked_ones_are_not_offered_again() {
        let catalog = vec![ach(
            "first",
            Criteria::ActivityCount {
                category: None,
                count: 1,
                accuracy_min: None,
            },
        )];
        let mut h = History::new(
            [PastCompletion {
                category: "x".into(),
                accuracy: 10.0,
            }],
            [],
            0,
            ["first".to_string()],
        );
        assert!(h.newly_met(&catalog).is_empty());
        h.unlocked.clear();
        assert_eq!(h.newly_met(&catalog).len(), 1);
        assert!(h.newly_met(&catalog).is_empty());
    }
}
