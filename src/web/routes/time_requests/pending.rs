//! The requests for more time still waiting for the parent: what the family page shows at
//! its top after a reload (live ones arrive over `/v1/parent/live`).

use actix_web::get;
use actix_web::{HttpResponse, web};

use crate::features::auth::ParentUser;
use crate::features::time_requests::{TimeRequestView, pending as pending_of};
use crate::infra::error::AppResult;
use crate::web::state::AppState;

/// The caller's children's pending requests for more time, oldest first (at most 50).
#[utoipa::path(tag = "children", security(("bearer" = [])),
    responses((status = 200, body = [TimeRequestView]), (status = 403, description = "not a parent")))]
#[get("/time-requests")]
pub async fn pending(state: web::Data<AppState>, parent: ParentUser) -> AppResult<HttpResponse> {
    let id = parent.0.id;
    let list = state.db.run(move |conn| Ok(pending_of(conn, &id)?)).await?;
    Ok(HttpResponse::Ok().json(list))
}
