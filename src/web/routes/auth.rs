//! Accounts: register, login, me. Tokens (refresh, logout) are in `auth_tokens`, the password
//! change in `password`.

use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::recovery;
use crate::features::auth::refresh;
use crate::features::auth::users;
pub use crate::features::auth::users::UserView;
use crate::features::auth::{AuthUser, Role, client_addr, common_passwords, password};
use crate::features::classes::{self, Class};
use crate::features::learners::LearnerView;
use crate::infra::db::models::UserRow;
use crate::infra::error::{AppError, AppResult, Code};
use crate::infra::time::now;
use crate::web::extract::{Normalize, ValidJson};
pub use crate::web::sign_in::AuthResponse;
use crate::web::sign_in::{auth_cookies, with_cookies};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(register).service(login).service(me);
}

/// Roles that may sign themselves up (admins are made with `studyhub create-admin`).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignupRole {
    Parent,
    Teacher,
    Student,
}

impl From<SignupRole> for Role {
    fn from(r: SignupRole) -> Role {
        match r {
            SignupRole::Parent => Role::Parent,
            SignupRole::Teacher => Role::Teacher,
            SignupRole::Student => Role::Student,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RegisterRequest {
    #[validate(
        email(message = "not a valid email address"),
        length(max = 254, message = "at most 254 characters")
    )]
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[validate(length(min = 8, max = 128, message = "between 8 and 128 characters"))]
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[validate(length(min = 2, max = 100, message = "between 2 and 100 characters"))]
    #[schema(min_length = 2, max_length = 100, pattern = r"\S[\s\S]*\S")]
    pub name: String,
    pub role: SignupRole,
    /// A student's class code: joins that class in the same step, and counts against the
    /// class (60 an hour) instead of the client address.
    #[validate(length(max = 20, message = "a class code"))]
    #[schema(max_length = 20)]
    #[serde(default)]
    pub join_code: Option<String>,
}

impl Normalize for RegisterRequest {
    fn normalize(&mut self) {
        self.email = normalize_email(&self.email);
        self.name = self.name.trim().to_string();
        self.join_code = self
            .join_code
            .take()
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty());
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 254, message = "required"))]
    #[schema(min_length = 1, max_length = 254, pattern = r"\S")]
    pub email: String,
    #[validate(length(min = 1, max = 128, message = "required"))]
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
}

impl Normalize for LoginRequest {
    fn normalize(&mut self) {
        self.email = normalize_email(&self.email);
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    /// A student's own learner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learner: Option<LearnerView>,
    /// A parent's children.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<LearnerView>>,
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Create an account (parent, teacher or student) and sign in.
#[utoipa::path(tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = AuthResponse), (status = 400), (status = 409, description = "email_taken"), (status = 422, description = "a field (a password among the most common ones is refused on `password`), or an unknown join_code"), (status = 429, description = "rate_limited: 10 registrations an hour per address (60 an hour per class with a join_code), with Retry-After")))]
#[post("/auth/register")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<RegisterRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    common_passwords::refuse_common("password", &body.password)?;
    let class = joined_class(&state, &body).await?;
    let (limiter, key) = match &class {
        Some(class) => (&state.class_register_limiter, format!("class:{}", class.id)),
        None => (
            &state.register_limiter,
            format!("ip:{}", client_addr(&req, state.settings.trust_proxy)),
        ),
    };
    limiter
        .try_acquire(&[key.as_str()])
        .await
        .map_err(|wait| AppError::rate_limited(wait.as_secs().max(1)))?;
    let joining = class.clone();
    let hash = password::hash(body.password.clone(), state.settings.bcrypt_cost).await?;
    let role: Role = body.role.into();
    let t = now();
    let user = UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        email: body.email.clone(),
        name: body.name.clone(),
        role: role.as_str().into(),
        password_hash: hash,
        token_version: 0,
        active: true,
        last_login_at: Some(t),
        created_at: t,
        updated_at: t,
        email_verified_at: None,
    };
    let (from, public_url) = (
        state.settings.mail.from.clone(),
        state.settings.public_url.clone(),
    );
    let (user, refresh_token, learner_id) = state
        .db
        .transaction(move |conn| {
            if users::email_taken(conn, &user.email)? {
                return Err(email_taken());
            }
            users::insert(conn, &user).map_err(|e| match AppError::from(e) {
                e if e.code == "conflict" => email_taken(),
                e => e,
            })?;
            // The verification link goes out with the account (same transaction).
            let links = recovery::Links {
                from: &from,
                public_url: &public_url,
            };
            recovery::send_verification(conn, &links, &user.id, &user.email, &user.name)?;
            // The first sign-in: its browser is known from now on (`alerts::signing_in`).
            audit::record_account_event(
                conn,
                &meta,
                Some(&user.id),
                "register",
                serde_json::json!({ "role": user.role }),
            )?;
            let mut learner_id = None;
            if role == Role::Student {
                let learner = crate::features::learners::for_student(&user.id, &user.name, t);
                crate::features::learners::insert(conn, &learner)?;
                if let Some(class) = &joining {
                    join_in_registration(conn, &meta, class, &user.id, &learner.id)?;
                }
                learner_id = Some(learner.id);
            }
            let token = refresh::issue(conn, &user.id, None)?;
            Ok((user, token, learner_id))
        })
        .await?;
    if let (Some(class), Some(learner_id)) = (class, learner_id) {
        classes::announce_member_change(
            &state.db,
            &state.control,
            learner_id.into(),
            class.id.into(),
        )
        .await?;
    }
    state.mailer.wake();
    let (access, expires_in) = state.jwt.issue(&user.id, role, user.token_version)?;
    tracing::info!(user_id = %user.id, role = role.as_str(), "account registered");
    let cookies = auth_cookies(&state, &access, &refresh_token);
    Ok(
        with_cookies(HttpResponse::Created(), cookies).json(AuthResponse {
            user: user.into(),
            access_token: access,
            refresh_token,
            expires_in,
        }),
    )
}

/// The class a registration's `join_code` names: 422 on `join_code` for an unknown one, or
/// for a role that is not a student.
async fn joined_class(state: &AppState, body: &RegisterRequest) -> AppResult<Option<Class>> {
    let Some(code) = body.join_code.clone() else {
        return Ok(None);
    };
    if !matches!(body.role, SignupRole::Student) {
        return Err(AppError::invalid_field(
            "join_code",
            "only a student joins a class",
        ));
    }
    state
        .db
        .run(move |conn| Ok(classes::by_join_code(conn, &code)?))
        .await?
        .map(Some)
        .ok_or_else(|| AppError::invalid_field("join_code", "no class has this code"))
}

/// The new student's membership, audited as a join is.
fn join_in_registration(
    conn: &mut crate::infra::db::DbConnection,
    meta: &RequestMeta,
    class: &Class,
    user_id: &str,
    learner_id: &str,
) -> AppResult<()> {
    classes::add_member(conn, &class.id, learner_id)?;
    audit::record(
        conn,
        meta,
        Change {
            user_id,
            action: "create",
            entity_type: "membership",
            entity_id: &format!("{}/{learner_id}", class.id),
            old: None,
            new: Some(serde_json::json!({"class_id": class.id, "learner_id": learner_id})),
        },
    )
}

fn email_taken() -> AppError {
    AppError::conflict(
        Code::EmailTaken,
        "an account with this email already exists",
    )
}

/// Sign in with email and password. Unknown email and wrong password answer alike.
#[utoipa::path(tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = AuthResponse), (status = 401, description = "invalid_credentials"), (status = 429, description = "rate_limited, with Retry-After")))]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<LoginRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let ip_key = format!("ip:{}", client_addr(&req, state.settings.trust_proxy));
    let email_key = format!("email:{}", body.email);
    let keys = [ip_key.as_str(), email_key.as_str()];
    // Counted before bcrypt: thirty parallel tries get five checks, not thirty.
    let attempt = state
        .login_limiter
        .try_acquire(&keys)
        .await
        .map_err(|wait| AppError::rate_limited(wait.as_secs().max(1)))?;
    let email = body.email.clone();
    let found: Option<UserRow> = state
        .db
        .run(move |conn| Ok(users::active_by_email(conn, &email)?))
        .await?;
    // Always run bcrypt, against a dummy hash for unknown emails, so timing tells nothing.
    let hash = found
        .as_ref()
        .map_or_else(|| state.dummy_hash.clone(), |u| u.password_hash.clone());
    let ok = password::verify(body.password, hash).await? && found.is_some();
    let account = found.as_ref().map(|u| u.id.clone());
    let Some(user) = found.filter(|_| ok) else {
        // The attempt counted above stays counted: it was a failure. Audited with the
        // account when the email names one, and the email tried (never the password).
        let email = body.email.clone();
        state
            .db
            .run(move |conn| {
                audit::record_account_event(
                    conn,
                    &meta,
                    account.as_deref(),
                    "login_failed",
                    serde_json::json!({ "method": "password", "email": email }),
                )
            })
            .await?;
        return Err(AppError::unauthorized(
            Code::InvalidCredentials,
            "wrong email or password",
        ));
    };
    state.login_limiter.release(&keys, attempt).await;
    state.login_limiter.clear(&email_key).await;
    crate::web::sign_in::signed_in(&state, user, meta, "password").await
}

/// The signed-in account, with the student's learner or the parent's children. A child's
/// device: the parent's account with role `child`, and the one child it plays as.
#[utoipa::path(tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401)))]
#[get("/auth/me")]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    if let (Role::Child, Some(id)) = (user.role, user.device_learner.clone()) {
        // The child is gone: the device is signed out (to the sign-in page), not "not found".
        let access = crate::features::auth::LearnerAccess::load(
            &state.learner_reads,
            user.clone(),
            id.into(),
        )
        .await
        .map_err(|e| match e.kind {
            crate::infra::error::ErrorKind::NotFound => {
                AppError::unauthorized(Code::TokenRevoked, "this child's device was signed out")
            }
            _ => e,
        })?;
        let uid = user.id.clone();
        let row = state
            .db
            .run(move |conn| Ok(users::active_by_id(conn, &uid)?))
            .await?
            .ok_or_else(|| {
                AppError::unauthorized(Code::InvalidToken, "this account no longer exists")
            })?;
        let mut view = UserView::from(row);
        view.role = Role::Child;
        return Ok(HttpResponse::Ok().json(MeResponse {
            user: view,
            learner: Some(LearnerView::from(access.learner)),
            children: None,
        }));
    }
    let res = state
        .db
        .run(move |conn| {
            let row: UserRow = users::active_by_id(conn, &user.id)?.ok_or_else(|| {
                AppError::unauthorized(Code::InvalidToken, "this account no longer exists")
            })?;
            let (learner, children) = match user.role {
                Role::Student => {
                    let l = crate::features::learners::of_student_row(conn, &row.id)?;
                    (l.map(LearnerView::from), None)
                }
                Role::Parent => {
                    let kids = crate::features::learners::of_parent(conn, &row.id)?;
                    (
                        None,
                        Some(kids.into_iter().map(LearnerView::from).collect()),
                    )
                }
                _ => (None, None),
            };
            Ok(MeResponse {
                user: row.into(),
                learner,
                children,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(res))
}
