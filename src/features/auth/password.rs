//! bcrypt hashing, on the blocking pool (a cost-12 hash takes ~250 ms of CPU, which must never
//! stall an async worker) and at most one hash per core at a time: a flood of sign-ups or
//! logins waits its turn here instead of taking every blocking thread from the database calls.
//!
//! bcrypt reads only the first 72 bytes of a password. Longer ones are hashed as the base64 of
//! their SHA-256 instead, marked `$sha256$` in front of the stored hash, so every byte counts;
//! hashes of passwords up to 72 bytes are plain bcrypt, as they always were.

use std::sync::OnceLock;

use base64::Engine;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::infra::error::AppError;

const BCRYPT_MAX: usize = 72;
const PREHASHED: &str = "$sha256$";

fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS
        .get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

fn prehash(password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(password.as_bytes()))
}

/// The same, for callers outside the server (the command line).
pub fn hash_now(password: &str, cost: u32) -> Result<String, bcrypt::BcryptError> {
    if password.len() > BCRYPT_MAX {
        Ok(format!(
            "{PREHASHED}{}",
            bcrypt::hash(prehash(password), cost)?
        ))
    } else {
        bcrypt::hash(password, cost)
    }
}

fn verify_now(password: &str, stored: &str) -> bool {
    match stored.strip_prefix(PREHASHED) {
        Some(inner) => bcrypt::verify(prehash(password), inner).unwrap_or(false),
        None => bcrypt::verify(password, stored).unwrap_or(false),
    }
}

pub async fn hash(password: String, cost: u32) -> Result<String, AppError> {
    let _permit = permits().acquire().await.map_err(AppError::internal)?;
    actix_web::web::block(move || hash_now(&password, cost))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

/// Verifies `password` against `hash`. A malformed stored hash counts as a mismatch.
pub async fn verify(password: String, hash: String) -> Result<bool, AppError> {
    let _permit = permits().acquire().await.map_err(AppError::internal)?;
    actix_web::web::block(move || verify_now(&password, &hash))
        .await
        .map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_of_a_long_password_counts() {
        let long = "x".repeat(100);
        let stored = hash_now(&long, 4).unwrap();
        assert!(stored.starts_with(PREHASHED));
        assert!(verify_now(&long, &stored));
        let mut other = "x".repeat(99);
        other.push('y');
        assert!(!verify_now(&other, &stored), "differs after byte 72");
        // Short passwords stay plain bcrypt (existing hashes keep working).
        let short = hash_now("correct horse", 4).unwrap();
        assert!(short.starts_with("$2"));
        assert!(verify_now("correct horse", &short) && !verify_now("correct horsf", &short));
    }
}
