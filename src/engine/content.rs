//! Activities for the engine and the catalog, read through an in-process cache: an
//! activity's content is parsed once, then served from memory until it changes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use diesel::prelude::*;
use studyhub_actors::content::ActivityContent;
use studyhub_actors::store::{Activity, ContentSource, StoreError, StoreFuture};

use crate::db::DbPool;
use crate::db::models::{AchievementRow, ActivityRow};
use crate::db::schema::{achievements, activities};
use studyhub_actors::achievements::{Achievement, Criteria};

pub struct ContentCache {
    pool: DbPool,
    activities: RwLock<HashMap<String, Arc<Activity>>>,
    achievements: RwLock<Option<Arc<Vec<Achievement>>>>,
}

pub fn activity_from_row(row: ActivityRow) -> Result<Activity, String> {
    let content: ActivityContent = serde_json::from_str(&row.content)
        .map_err(|e| format!("activity {} has unreadable content: {e}", row.id))?;
    Ok(Activity {
        id: row.id,
        title: row.title,
        description: row.description,
        category: row.category,
        sub_category: row.sub_category,
        difficulty: row.difficulty,
        age_min: row.age_min,
        age_max: row.age_max,
        content,
    })
}

impl ContentCache {
    pub fn new(pool: DbPool) -> Self {
        Self {
            pool,
            activities: RwLock::new(HashMap::new()),
            achievements: RwLock::new(None),
        }
    }

    /// The achievement catalog (read once; it changes only with `studyhub seed`).
    pub async fn achievements(&self) -> Result<Arc<Vec<Achievement>>, StoreError> {
        if let Some(c) = self
            .achievements
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Ok(c);
        }
        let pool = self.pool.clone();
        let rows = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| StoreError(e.to_string()))?;
            achievements::table
                .order(achievements::id)
                .select(AchievementRow::as_select())
                .load(&mut conn)
                .map_err(|e| StoreError(e.to_string()))
        })
        .await
        .map_err(|e| StoreError(e.to_string()))??;
        let catalog: Vec<Achievement> = rows
            .into_iter()
            .filter_map(|r| match serde_json::from_str::<Criteria>(&r.criteria) {
                Ok(criteria) => Some(Achievement {
                    id: r.id,
                    title: r.title,
                    description: r.description,
                    badge_icon_url: r.badge_icon_url,
                    reward_points: r.reward_points,
                    criteria,
                }),
                Err(e) => {
                    tracing::warn!(achievement = %r.id, error = %e, "achievement with unreadable criteria skipped");
                    None
                }
            })
            .collect();
        let catalog = Arc::new(catalog);
        *self.achievements.write().unwrap_or_else(|p| p.into_inner()) = Some(catalog.clone());
        Ok(catalog)
    }

    /// Drops a cached activity (after it was edited or deleted).
    pub fn invalidate(&self, activity_id: &str) {
        self.activities
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(activity_id);
    }

    pub async fn get(&self, activity_id: &str) -> Result<Option<Arc<Activity>>, StoreError> {
        if let Some(a) = self
            .activities
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(activity_id)
        {
            return Ok(Some(a.clone()));
        }
        let pool = self.pool.clone();
        let id = activity_id.to_string();
        let row = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| StoreError(e.to_string()))?;
            activities::table
                .find(&id)
                .select(ActivityRow::as_select())
                .first(&mut conn)
                .optional()
                .map_err(|e| StoreError(e.to_string()))
        })
        .await
        .map_err(|e| StoreError(e.to_string()))??;
        let Some(row) = row else { return Ok(None) };
        let activity = Arc::new(activity_from_row(row).map_err(StoreError)?);
        self.activities
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(activity.id.clone(), activity.clone());
        Ok(Some(activity))
    }
}

/// The engine's view of the cache.
pub struct CachedContent(pub Arc<ContentCache>);

impl ContentSource for CachedContent {
    fn activity(&self, activity_id: &str) -> StoreFuture<Option<Arc<Activity>>> {
        let cache = self.0.clone();
        let id = activity_id.to_string();
        Box::pin(async move { cache.get(&id).await })
    }

    fn achievements(&self) -> StoreFuture<Arc<Vec<Achievement>>> {
        let cache = self.0.clone();
        Box::pin(async move { cache.achievements().await })
    }
}
