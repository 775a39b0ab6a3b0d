//! One error type for the whole server: a kind (what the client is told) and an optional
//! cause (what the log is told). Every kind maps to the contract's status and
//! `{"error":{"code","message","details"}}` body.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: the body is not JSON, or a request is malformed beyond field validation.
    BadRequest,
    /// 401: no, bad or expired credentials.
    Unauthorized,
    /// 403: authenticated but not allowed.
    Forbidden,
    /// 404: unknown, or belongs to someone else.
    NotFound,
    /// 405 with `Allow`: a known path, another method.
    MethodNotAllowed { allow: String },
    /// 409: conflicts with existing state.
    Conflict,
    /// 413
    PayloadTooLarge,
    /// 415
    UnsupportedMediaType,
    /// 422: `details.fields` maps each bad field to a reason.
    Validation,
    /// 429 with `Retry-After` seconds.
    RateLimited { retry_after_secs: u64 },
    /// 503: a dependency (database, store) is down.
    Unavailable,
    /// 503 with `Retry-After` (seconds, rounded up): past capacity, nothing was kept; send
    /// it again after `retry_after_ms` (also in `details`).
    Busy { retry_after_ms: u64 },
    /// 500: a bug or an unexpected failure. Never used for bad input.
    Internal,
}

pub struct AppError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
    cause: Option<anyhow::Error>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            code,
            message: message.into(),
            details: None,
            cause: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn with_cause(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, code, message)
    }
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, code, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, "forbidden", message)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorKind::NotFound,
            "not_found",
            format!("{what} not found"),
        )
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::PayloadTooLarge, "payload_too_large", message)
    }
    pub fn unsupported_media(message: impl Into<String>) -> Self {
        Self::new(
            ErrorKind::UnsupportedMediaType,
            "unsupported_media_type",
            message,
        )
    }
    /// 422 with `details.fields`.
    pub fn validation(fields: BTreeMap<String, String>) -> Self {
        Self::new(
            ErrorKind::Validation,
            "validation_failed",
            "some fields are not valid",
        )
        .with_details(json!({ "fields": fields }))
    }
    pub fn invalid_field(field: &str, reason: impl Into<String>) -> Self {
        Self::validation(BTreeMap::from([(field.to_string(), reason.into())]))
    }
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::new(
            ErrorKind::RateLimited { retry_after_secs },
            "rate_limited",
            format!("too many attempts; try again in {retry_after_secs} seconds"),
        )
    }
    pub fn db_unavailable(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            ErrorKind::Unavailable,
            "database_unavailable",
            "the database is not available",
        )
        .with_cause(cause)
    }
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            ErrorKind::Internal,
            "internal_error",
            "something went wrong on our side",
        )
        .with_cause(cause)
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {}: {}", self.kind, self.code, self.message)?;
        if let Some(cause) = &self.cause {
            write!(f, " (cause: {cause:#})")?;
        }
        Ok(())
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &e {
            Error::NotFound => AppError::not_found("resource"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::conflict("conflict", "that already exists").with_cause(e)
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                AppError::conflict("conflict", "that refers to something that does not exist")
                    .with_cause(e)
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _)
            | Error::BrokenTransactionManager => AppError::db_unavailable(e),
            _ => AppError::internal(e),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::internal(e)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match &self.kind {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorKind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Unavailable | ErrorKind::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match &self.kind {
            ErrorKind::Internal => tracing::error!(error = ?self, "request failed"),
            ErrorKind::Unavailable => tracing::warn!(error = ?self, "dependency unavailable"),
            _ => tracing::debug!(error = ?self, "request rejected"),
        }
        let mut res = HttpResponse::build(self.status_code());
        if let ErrorKind::RateLimited { retry_after_secs } = &self.kind {
            res.insert_header((
                header::RETRY_AFTER,
                HeaderValue::from((*retry_after_secs).max(1)),
            ));
        }
        if let ErrorKind::Busy { retry_after_ms } = &self.kind {
            res.insert_header((
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_ms.div_ceil(1000).max(1)),
            ));
        }
        if let ErrorKind::MethodNotAllowed { allow } = &self.kind
            && let Ok(v) = HeaderValue::from_str(allow)
        {
            res.insert_header((header::ALLOW, v));
        }
        if self.kind == ErrorKind::Unauthorized {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        res.json(json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "details": self.details.clone().unwrap_or_else(|| json!({})),
            }
        }))
    }
}
