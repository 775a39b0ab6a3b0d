//! One error type for the whole server: a kind (what the client is told) and an optional
//! cause (what the log is told). Every kind maps to the contract's status and
//! `{"error":{"code","message","details"}}` body.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};
use studyhub_actors::protocol::ErrorCode as PlayCode;

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

/// The `error.code` of a REST answer: what a client branches on (docs/protocol.md lists
/// them all). A refusal of the play engine keeps the engine's own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    MalformedJson,
    BadBody,
    ValidationFailed,
    Unauthenticated,
    InvalidToken,
    TokenExpired,
    TokenRevoked,
    TokenReused,
    InvalidCredentials,
    InvalidTicket,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    EmailTaken,
    /// `STUDYHUB_REQUIRE_VERIFIED_EMAIL`: the account's address is not verified yet.
    EmailUnverified,
    ActivityExists,
    Conflict,
    AlreadyAnswered,
    NoActivity,
    NotAWebsocket,
    BadMultipart,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    DateOutOfRange,
    NotSaved,
    StorageUnavailable,
    DatabaseUnavailable,
    TryAgain,
    InternalError,
    /// Refused by the engine (REST play): `time_up`, `bad_seq`, `downtime`, …
    Play(PlayCode),
}

impl Code {
    /// Every code of the server itself (the engine's are in `PlayCode`).
    pub const ALL: [Code; 30] = [
        Code::MalformedJson,
        Code::BadBody,
        Code::ValidationFailed,
        Code::Unauthenticated,
        Code::InvalidToken,
        Code::TokenExpired,
        Code::TokenRevoked,
        Code::TokenReused,
        Code::InvalidCredentials,
        Code::InvalidTicket,
        Code::Forbidden,
        Code::NotFound,
        Code::MethodNotAllowed,
        Code::EmailTaken,
        Code::EmailUnverified,
        Code::ActivityExists,
        Code::Conflict,
        Code::AlreadyAnswered,
        Code::NoActivity,
        Code::NotAWebsocket,
        Code::BadMultipart,
        Code::PayloadTooLarge,
        Code::UnsupportedMediaType,
        Code::RateLimited,
        Code::DateOutOfRange,
        Code::NotSaved,
        Code::StorageUnavailable,
        Code::DatabaseUnavailable,
        Code::TryAgain,
        Code::InternalError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::MalformedJson => "malformed_json",
            Code::BadBody => "bad_body",
            Code::ValidationFailed => "validation_failed",
            Code::Unauthenticated => "unauthenticated",
            Code::InvalidToken => "invalid_token",
            Code::TokenExpired => "token_expired",
            Code::TokenRevoked => "token_revoked",
            Code::TokenReused => "token_reused",
            Code::InvalidCredentials => "invalid_credentials",
            Code::InvalidTicket => "invalid_ticket",
            Code::Forbidden => "forbidden",
            Code::NotFound => "not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::EmailTaken => "email_taken",
            Code::EmailUnverified => "email_unverified",
            Code::ActivityExists => "activity_exists",
            Code::Conflict => "conflict",
            Code::AlreadyAnswered => "already_answered",
            Code::NoActivity => "no_activity",
            Code::NotAWebsocket => "not_a_websocket",
            Code::BadMultipart => "bad_multipart",
            Code::PayloadTooLarge => "payload_too_large",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::RateLimited => "rate_limited",
            Code::DateOutOfRange => "date_out_of_range",
            Code::NotSaved => "not_saved",
            Code::StorageUnavailable => "storage_unavailable",
            Code::DatabaseUnavailable => "database_unavailable",
            Code::TryAgain => "try_again",
            Code::InternalError => "internal_error",
            Code::Play(code) => code.as_str(),
        }
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub struct AppError {
    pub kind: ErrorKind,
    pub code: Code,
    pub message: String,
    pub details: Option<Value>,
    cause: Option<anyhow::Error>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(kind: ErrorKind, code: Code, message: impl Into<String>) -> Self {
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

    pub fn bad_request(code: Code, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, code, message)
    }
    pub fn unauthorized(code: Code, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, code, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, Code::Forbidden, message)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorKind::NotFound,
            Code::NotFound,
            format!("{what} not found"),
        )
    }
    pub fn conflict(code: Code, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::PayloadTooLarge, Code::PayloadTooLarge, message)
    }
    pub fn unsupported_media(message: impl Into<String>) -> Self {
        Self::new(
            ErrorKind::UnsupportedMediaType,
            Code::UnsupportedMediaType,
            message,
        )
    }
    /// 422 with `details.fields`.
    pub fn validation(fields: BTreeMap<String, String>) -> Self {
        Self::new(
            ErrorKind::Validation,
            Code::ValidationFailed,
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
            Code::RateLimited,
            format!("too many attempts; try again in {retry_after_secs} seconds"),
        )
    }
    /// Lost a race with another writer (a deadlock broken by the database): safe to repeat.
    pub fn try_again() -> Self {
        Self::new(
            ErrorKind::Unavailable,
            Code::TryAgain,
            "another change got in the way; send the same request again",
        )
    }

    pub fn db_unavailable(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            ErrorKind::Unavailable,
            Code::DatabaseUnavailable,
            "the database is not available",
        )
        .with_cause(cause)
    }
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            ErrorKind::Internal,
            Code::InternalError,
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
                AppError::conflict(Code::Conflict, "that already exists").with_cause(e)
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => AppError::conflict(
                Code::Conflict,
                "that refers to something that does not exist",
            )
            .with_cause(e),
            // PostgreSQL broke a lock cycle (40P01) or a serializable conflict (40001): the
            // same request will very likely go through if sent again.
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                AppError::try_again().with_cause(e)
            }
            Error::DatabaseError(_, info) if info.message().starts_with("deadlock detected") => {
                AppError::try_again().with_cause(e)
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
                "code": self.code.as_str(),
                "message": self.message,
                "details": self.details.clone().unwrap_or_else(|| json!({})),
            }
        }))
    }
}

impl From<studyhub_actors::EngineError> for AppError {
    fn from(e: studyhub_actors::EngineError) -> Self {
        use studyhub_actors::EngineError;
        match e {
            EngineError::UnknownLearner => AppError::not_found("learner"),
            EngineError::Storage(e) => AppError::db_unavailable(anyhow::anyhow!(e)),
            EngineError::Gone => AppError::new(ErrorKind::Unavailable, Code::TryAgain, "try again"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error};

    struct Info(&'static str);
    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    /// A deadlock the database broke is worth repeating (503 `try_again`), not a 500.
    #[test]
    fn deadlocks_and_serialization_failures_are_try_again() {
        let deadlock = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(Info("deadlock detected")),
        );
        let serial = Error::DatabaseError(
            DatabaseErrorKind::SerializationFailure,
            Box::new(Info("could not serialize access")),
        );
        for e in [deadlock, serial] {
            let e = AppError::from(e);
            assert_eq!((e.kind, e.code), (ErrorKind::Unavailable, Code::TryAgain));
        }
        let other = Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new(Info("boom")));
        assert_eq!(AppError::from(other).kind, ErrorKind::Internal);
    }

    /// A client can look up every code it may be sent.
    #[test]
    fn every_code_is_documented() {
        let doc = include_str!("../../docs/protocol.md");
        for code in Code::ALL {
            assert!(
                doc.contains(&format!("`{}`", code.as_str())),
                "`{code}` is not in docs/protocol.md"
            );
        }
    }
}
