//! Starter content (`content/`): activities for math, science and IGCSE music, and the
//! achievement catalog. Embedded in the binary; `studyhub seed` and the first `serve` on an
//! empty database load it. Idempotent: re-seeding updates the built-in rows in place and
//! never touches content that teachers wrote.

use diesel::prelude::*;
use serde::Deserialize;
use studyhub_actors::achievements::Criteria;
use studyhub_actors::content::{ActivityContent, Question};

use crate::infra::db::DbConnection;
use crate::infra::db::models::{AchievementRow, ActivityRow};
use crate::infra::db::schema::{achievements, activities};
use crate::infra::time::now;
use crate::on_backend;
use studyhub_actors::visibility::Visibility;

const ACTIVITY_FILES: [(&str, &str); 3] = [
    (
        "content/activities/math.json",
        include_str!("../../content/activities/math.json"),
    ),
    (
        "content/activities/science.json",
        include_str!("../../content/activities/science.json"),
    ),
    (
        "content/activities/music.json",
        include_str!("../../content/activities/music.json"),
    ),
];
const ACHIEVEMENTS: &str = include_str!("../../content/achievements.json");

#[derive(Debug, Deserialize)]
pub struct SeedActivity {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub sub_category: Option<String>,
    pub difficulty: i32,
    pub age_min: i32,
    pub age_max: i32,
    #[serde(default)]
    pub introduction: Option<String>,
    /// The starter content is practice: it may go into offline packs unless it says not.
    #[serde(default = "yes")]
    pub offline: bool,
    pub questions: Vec<Question>,
}

fn yes() -> bool {
    true
}

impl SeedActivity {
    fn content(&self) -> ActivityContent {
        ActivityContent {
            questions: self.questions.clone(),
            introduction: self.introduction.clone(),
            offline: self.offline,
            one_try: false,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SeedAchievement {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: Option<String>,
    pub criteria: Criteria,
    pub reward_points: i32,
    pub badge_icon_url: Option<String>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub activities: usize,
    pub achievements: usize,
}

/// Parses and checks the embedded content.
pub fn starter_content() -> anyhow::Result<(Vec<SeedActivity>, Vec<SeedAchievement>)> {
    let mut all = Vec::new();
    for (name, text) in ACTIVITY_FILES {
        let list: Vec<SeedActivity> =
            serde_json::from_str(text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        for a in &list {
            if let Some(e) = a.content().validate().first() {
                anyhow::bail!("{name}: activity {}: {} {}", a.id, e.field, e.reason);
            }
        }
        all.extend(list);
    }
    let achievements: Vec<SeedAchievement> = serde_json::from_str(ACHIEVEMENTS)
        .map_err(|e| anyhow::anyhow!("content/achievements.json: {e}"))?;
    Ok((all, achievements))
}

/// Loads the starter content, inserting new rows and refreshing built-in ones.
pub fn seed(conn: &mut DbConnection) -> anyhow::Result<SeedReport> {
    let (acts, achs) = starter_content()?;
    let t = now();
    let activity_rows: Vec<ActivityRow> = acts
        .into_iter()
        .map(|a| ActivityRow {
            content: serde_json::to_string(&a.content()).expect("content serializes"),
            id: a.id,
            title: a.title,
            description: a.description,
            category: a.category,
            sub_category: a.sub_category,
            difficulty: a.difficulty,
            age_min: a.age_min,
            age_max: a.age_max,
            author_id: None,
            created_at: t,
            updated_at: t,
            archived_at: None,
            visibility: Visibility::Public.as_str().into(),
        })
        .collect();
    let achievement_rows: Vec<AchievementRow> = achs
        .into_iter()
        .map(|a| AchievementRow {
            criteria: serde_json::to_string(&a.criteria).expect("criteria serialize"),
            id: a.id,
            title: a.title,
            description: a.description,
            category: a.category,
            reward_points: a.reward_points,
            badge_icon_url: a.badge_icon_url,
            created_at: t,
        })
        .collect();
    let report = SeedReport {
        activities: activity_rows.len(),
        achievements: achievement_rows.len(),
    };
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        for row in &activity_rows {
            // Built-in rows only (author_id IS NULL): never overwrite a teacher's activity
            // that happens to share a slug.
            let updated = diesel::update(
                activities::table
                    .find(&row.id)
                    .filter(activities::author_id.is_null()),
            )
            .set((
                activities::title.eq(&row.title),
                activities::description.eq(&row.description),
                activities::category.eq(&row.category),
                activities::sub_category.eq(&row.sub_category),
                activities::difficulty.eq(row.difficulty),
                activities::age_min.eq(row.age_min),
                activities::age_max.eq(row.age_max),
                activities::content.eq(&row.content),
                activities::updated_at.eq(row.updated_at),
                // Starter content is everyone's (also after restoring an older backup).
                activities::visibility.eq(&row.visibility),
            ))
            .execute(conn)?;
            if updated == 0 {
                on_backend!(conn, |c| diesel::insert_into(activities::table)
                    .values(row)
                    .on_conflict_do_nothing()
                    .execute(c))?;
            }
        }
        for row in &achievement_rows {
            on_backend!(conn, |c| diesel::insert_into(achievements::table)
                .values(row)
                .on_conflict(achievements::id)
                .do_update()
                .set((
                    achievements::title.eq(&row.title),
                    achievements::description.eq(&row.description),
                    achievements::category.eq(&row.category),
                    achievements::criteria.eq(&row.criteria),
                    achievements::reward_points.eq(row.reward_points),
                    achievements::badge_icon_url.eq(&row.badge_icon_url),
                ))
                .execute(c))?;
        }
        Ok(())
    })?;
    Ok(report)
}

/// Seeds only when there are no activities yet (the first start of a fresh install).
pub fn seed_if_empty(conn: &mut DbConnection) -> anyhow::Result<Option<SeedReport>> {
    let count: i64 = activities::table.count().get_result(conn)?;
    if count > 0 {
        return Ok(None);
    }
    seed(conn).map(Some)
}

#[cfg(test)]
mod content_keys;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use studyhub_actors::content::AnswerType;

    #[test]
    fn starter_content_is_complete_and_valid() {
        let (acts, achs) = starter_content().unwrap();
        let mut per_category: HashMap<&str, usize> = HashMap::new();
        for a in &acts {
            *per_category.entry(a.category.as_str()).or_default() += 1;
            assert!(
                (5..=10).contains(&a.questions.len()),
                "{} has {} questions",
                a.id,
                a.questions.len()
            );
            let types: HashSet<_> = a.questions.iter().map(|q| q.answer_type).collect();
            assert!(types.len() >= 3, "{} mixes too few answer types", a.id);
            assert!(
                a.questions.iter().all(|q| !q.explanation.is_empty()),
                "{} lacks explanations",
                a.id
            );
            assert!((1..=5).contains(&a.difficulty));
        }
        assert!(
            per_category["math"] >= 4 && per_category["science"] >= 3 && per_category["music"] >= 4
        );
        let all_types: HashSet<_> = acts
            .iter()
            .flat_map(|a| a.questions.iter().map(|q| q.answer_type))
            .collect();
        assert_eq!(all_types.len(), 5, "all five answer types appear");
        assert!(all_types.contains(&AnswerType::Text));

        assert!(achs.len() >= 10);
        let kinds: HashSet<_> = achs
            .iter()
            .map(|a| std::mem::discriminant(&a.criteria))
            .collect();
        assert_eq!(kinds.len(), 5, "every criteria type is used");
        assert!(achs.iter().any(|a| a.criteria
            == Criteria::ActivityCount {
                category: None,
                count: 1,
                accuracy_min: None
            }));
        let ids: HashSet<_> = acts.iter().map(|a| &a.id).collect();
        assert_eq!(ids.len(), acts.len(), "activity ids are unique");
    }
}
