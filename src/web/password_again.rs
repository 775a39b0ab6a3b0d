//! The account's password asked again before a change that needs it: a new password, the
//! parent's PIN, erasing the account. The three share one allowance (five wrong tries in 15
//! minutes per account, shared by every node through Redis), so none of them is a way round
//! another; a wrong one is audited as a refused sign-in is. (A child's device handed back to
//! the parent counts its own tries: `child_device::unlock`.)

use crate::features::audit::{self, RequestMeta};
use crate::features::auth::{password, users};
use crate::infra::error::{AppError, AppResult, Code};
use crate::web::state::AppState;

/// Checks `given` against the account's password: 429 past the allowance, 401
/// `invalid_credentials` (with `wrong` as its message) when it is not the password.
pub async fn confirm(
    state: &AppState,
    meta: &RequestMeta,
    user_id: &str,
    given: String,
    wrong: &'static str,
) -> AppResult<()> {
    let key = format!("password:{user_id}");
    let attempt = state
        .login_limiter
        .try_acquire(&[key.as_str()])
        .await
        .map_err(|wait| AppError::rate_limited(wait.as_secs().max(1)))?;
    let uid = user_id.to_string();
    let stored = state
        .db
        .run(move |conn| Ok(users::password_hash(conn, &uid)?))
        .await?;
    if !password::verify(given, stored).await? {
        // The try stays counted: it was a failure.
        let (meta, uid) = (meta.clone(), user_id.to_string());
        state
            .db
            .run(move |conn| {
                let details = serde_json::json!({"method": "password_again"});
                audit::record_account_event(conn, &meta, Some(&uid), "login_failed", details)
            })
            .await?;
        return Err(AppError::unauthorized(Code::InvalidCredentials, wrong));
    }
    state.login_limiter.release(&[key.as_str()], attempt).await;
    Ok(())
}
