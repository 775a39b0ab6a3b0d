//! The parent's dashboard: every child's today and week at a glance.

use actix_web::get;
use actix_web::{HttpResponse, web};

use crate::features::auth::ParentUser;
pub use crate::features::progress::dashboard::{
    ChildGlance, Dashboard, RecentAchievement, TimeToday, WeekSoFar,
};
use crate::features::progress::dashboard::{Family, family};
use crate::infra::error::AppResult;
use crate::web::state::AppState;

/// Per child: time today, activities and accuracy this week (ISO, the child's calendar), new
/// achievements (last 7 days) and unread notifications.
#[utoipa::path(tag = "progress", security(("bearer" = [])), responses((status = 200, body = Dashboard), (status = 403)))]
#[get("/parent/dashboard")]
pub async fn dashboard(state: web::Data<AppState>, parent: ParentUser) -> AppResult<HttpResponse> {
    let pid = parent.0.id.clone();
    let mut family = state.db.run(move |conn| Ok(family(conn, &pid)?)).await?;
    let mut out = Vec::with_capacity(family.children.len());
    for c in std::mem::take(&mut family.children) {
        let today = Family::today_of(&c);
        let mut used = family.used_today(&c, today);
        // The live actor counts seconds not stored yet.
        if let Some(addr) = state.engine.live(&c.learner_id())
            && let Some(view) = addr.time_now().await
        {
            used = used.max(view.used_seconds as i64);
        }
        out.push(family.glance(c, today, used));
    }
    Ok(HttpResponse::Ok().json(Dashboard { children: out }))
}
