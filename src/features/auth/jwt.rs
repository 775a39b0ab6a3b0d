//! Access tokens: HS256 JWTs that live 15 minutes.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use super::Role;
use crate::infra::error::{AppError, Code};

pub const ACCESS_TTL_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// The account's token version when issued: a password change, a sign-out or an erasure
    /// moves the version on, and every access token issued before stops working.
    #[serde(default)]
    pub ver: i32,
    /// Role `child` only: the learner the device plays as (`sub` stays the parent's id, so
    /// the parent's sign-out everywhere, password change or erasure ends it too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lid: Option<String>,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Issues an access token for `user_id`; returns it with its lifetime in seconds.
    pub fn issue(&self, user_id: &str, role: Role, ver: i32) -> Result<(String, i64), AppError> {
        self.sign(user_id, role, ver, None)
    }

    /// An access token of role `child`: the parent's account, playing as `learner_id` only.
    pub fn issue_child(
        &self,
        parent_id: &str,
        learner_id: &str,
        ver: i32,
    ) -> Result<(String, i64), AppError> {
        self.sign(parent_id, Role::Child, ver, Some(learner_id.to_string()))
    }

    fn sign(
        &self,
        user_id: &str,
        role: Role,
        ver: i32,
        lid: Option<String>,
    ) -> Result<(String, i64), AppError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            iat: now,
            exp: now + ACCESS_TTL_SECS,
            jti: uuid::Uuid::now_v7().to_string(),
            ver,
            lid,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok((token, ACCESS_TTL_SECS))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    AppError::unauthorized(Code::TokenExpired, "the access token has expired")
                }
                _ => AppError::unauthorized(Code::InvalidToken, "the access token is not valid"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let (token, ttl) = keys.issue("user-1", Role::Parent, 3).unwrap();
        assert_eq!(ttl, 900);
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.role, Role::Parent);
        assert_eq!(claims.ver, 3);
        let other = JwtKeys::new(b"another-secret-another-secret-xx");
        assert_eq!(other.verify(&token).unwrap_err().code, "invalid_token");
    }

    #[test]
    fn expired_tokens_are_refused() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let claims = Claims {
            sub: "u".into(),
            role: Role::Student,
            iat: 0,
            exp: Utc::now().timestamp() - 3600,
            jti: "j".into(),
            ver: 0,
            lid: None,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert_eq!(keys.verify(&token).unwrap_err().code, "token_expired");
    }
}
