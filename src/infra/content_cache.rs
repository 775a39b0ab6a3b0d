//! Activities for the engine and the catalog, read through two caches: in-process (parsed
//! once, served from memory) and, when `REDIS_URL` is set, Redis shared by every node. A
//! change drops both and tells every node (see `crate::infra::cache`). Redis away: the database
//! answers, the player sees no error.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use diesel::prelude::*;
use studyhub_actors::content::ActivityContent;
use studyhub_actors::store::{Activity, ContentSource, StoreError, StoreFuture};
use studyhub_actors::visibility::Visibility;

use crate::infra::cache::RedisCache;
use crate::infra::db::models::{AchievementRow, ActivityRow};
use crate::infra::db::schema::{achievements, activities};
use crate::infra::db::{DbError, DbPool, blocking};
use studyhub_actors::achievements::{Achievement, Criteria};

pub struct ContentCache {
    pool: DbPool,
    activities: RwLock<HashMap<String, Arc<Activity>>>,
    catalog: RwLock<Option<Arc<Vec<Arc<Activity>>>>>,
    achievements: RwLock<Option<Arc<Vec<Achievement>>>>,
    redis: Option<Arc<RedisCache>>,
}

/// Versioned with the shape of `Activity` (entries written before `visibility` are unread).
const CATALOG: &str = "catalog:v2";

fn activity_key(id: &str) -> String {
    format!("activity:v2:{id}")
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
        archived: row.archived_at.is_some(),
        content,
        visibility: Visibility::parse(&row.visibility),
        author_id: row.author_id,
    })
}

impl ContentCache {
    pub fn new(pool: DbPool, redis: Option<Arc<RedisCache>>) -> Arc<Self> {
        let cache = Arc::new(Self {
            pool,
            activities: RwLock::new(HashMap::new()),
            catalog: RwLock::new(None),
            achievements: RwLock::new(None),
            redis: redis.clone(),
        });
        if let Some(redis) = redis {
            let (weak, weak2) = (Arc::downgrade(&cache), Arc::downgrade(&cache));
            redis.listen(
                "invalidate",
                // Changes made elsewhere while this node was not listening went unheard.
                move || {
                    if let Some(cache) = weak2.upgrade() {
                        cache.drop_all_local();
                    }
                },
                move |name| {
                    if let Some(cache) = weak.upgrade() {
                        cache.drop_local(&name);
                    }
                },
            );
        }
        cache
    }

    /// Forgets the in-process copy named `name` (`activity:v2:<id>` or `catalog:v2`).
    fn drop_local(&self, name: &str) {
        if let Some(id) = name.strip_prefix("activity:v2:") {
            self.activities
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .remove(id);
        }
        *self.catalog.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Forgets every in-process copy.
    fn drop_all_local(&self) {
        self.activities
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        *self.catalog.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// An activity was written or deleted: every cache on every node lets go of it.
    pub async fn changed(&self, activity_id: &str) {
        self.drop_local(&activity_key(activity_id));
        if let Some(redis) = &self.redis {
            redis
                .invalidate(&[activity_key(activity_id), CATALOG.to_string()])
                .await;
        }
    }

    /// Every activity, for the catalog's listing (filtered by the caller).
    pub async fn catalog(&self) -> Result<Arc<Vec<Arc<Activity>>>, StoreError> {
        if let Some(c) = self
            .catalog
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Ok(c);
        }
        let shared = match &self.redis {
            Some(r) => r
                .get(CATALOG)
                .await
                .and_then(|s| serde_json::from_str::<Vec<Activity>>(&s).ok()),
            None => None,
        };
        let list: Vec<Activity> = match shared {
            Some(list) => list,
            None => {
                let rows: Vec<ActivityRow> = blocking(&self.pool, |conn| {
                    activities::table
                        .filter(activities::archived_at.is_null())
                        .order((
                            activities::category.asc(),
                            activities::difficulty.asc(),
                            activities::id.asc(),
                        ))
                        .select(ActivityRow::as_select())
                        .load(conn)
                        .map_err(DbError::Query)
                })
                .await?;
                let list: Vec<Activity> = rows
                    .into_iter()
                    .filter_map(|r| activity_from_row(r).ok())
                    .collect();
                if let (Some(r), Ok(json)) = (&self.redis, serde_json::to_string(&list)) {
                    r.set(CATALOG, &json).await;
                }
                list
            }
        };
        let list = Arc::new(list.into_iter().map(Arc::new).collect::<Vec<_>>());
        *self.catalog.write().unwrap_or_else(|p| p.into_inner()) = Some(list.clone());
        Ok(list)
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
        let rows: Vec<AchievementRow> = blocking(&self.pool, |conn| {
            achievements::table
                .order(achievements::id)
                .select(AchievementRow::as_select())
                .load(conn)
                .map_err(DbError::Query)
        })
        .await?;
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

    pub async fn get(&self, activity_id: &str) -> Result<Option<Arc<Activity>>, StoreError> {
        if let Some(a) = self
            .activities
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(activity_id)
        {
            return Ok(Some(a.clone()));
        }
        if let Some(redis) = &self.redis
            && let Some(a) = redis
                .get(&activity_key(activity_id))
                .await
                .and_then(|s| serde_json::from_str::<Activity>(&s).ok())
        {
            let a = Arc::new(a);
            self.activities
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(a.id.clone(), a.clone());
            return Ok(Some(a));
        }
        let id = activity_id.to_string();
        let row = blocking(&self.pool, move |conn| {
            activities::table
                .find(&id)
                .select(ActivityRow::as_select())
                .first(conn)
                .optional()
                .map_err(DbError::Query)
        })
        .await?;
        let Some(row) = row else { return Ok(None) };
        let activity = Arc::new(activity_from_row(row).map_err(StoreError)?);
        if let (Some(r), Ok(json)) = (&self.redis, serde_json::to_string(&*activity)) {
            r.set(&activity_key(&activity.id), &json).await;
        }
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
