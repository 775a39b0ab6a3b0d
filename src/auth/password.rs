//! bcrypt hashing, always on the blocking pool: a cost-12 hash takes ~250 ms of CPU, which
//! must never stall an async worker.

use crate::error::AppError;

pub async fn hash(password: String, cost: u32) -> Result<String, AppError> {
    actix_web::web::block(move || bcrypt::hash(password, cost))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

/// Verifies `password` against `hash`. A malformed stored hash counts as a mismatch.
pub async fn verify(password: String, hash: String) -> Result<bool, AppError> {
    actix_web::web::block(move || bcrypt::verify(password, &hash).unwrap_or(false))
        .await
        .map_err(AppError::internal)
}
