//! Fresh access tokens for the soak's clients, signed with the nodes' shared secret: a token
//! lives 15 minutes and a soak may run for hours, so every connection and request gets a
//! new one made from the claims of the token registration returned.

use studyhub::features::auth::Role;
use studyhub::features::auth::jwt::JwtKeys;

use super::cluster::JWT_SECRET;

/// Who a client is (the claims that matter), read once from a token the server issued.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub user_id: String,
    role: Role,
    ver: i32,
}

fn keys() -> &'static JwtKeys {
    static KEYS: std::sync::OnceLock<JwtKeys> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| JwtKeys::new(JWT_SECRET.as_bytes()))
}

impl Identity {
    /// The identity in `token` (issued by a node of this run).
    pub(crate) fn of(token: &str) -> Self {
        let claims = keys().verify(token).expect("a token of this run's nodes");
        Identity {
            user_id: claims.sub,
            role: claims.role,
            ver: claims.ver,
        }
    }

    /// A new access token (15 minutes) for this identity.
    pub(crate) fn token(&self) -> String {
        keys()
            .issue(&self.user_id, self.role, self.ver)
            .expect("signing")
            .0
    }
}
