//! A pupil's sign-in card token: HMAC-SHA256 under a key derived from the server's secret, of
//! the pupil's learner id and a nonce kept with them. The token can thus be printed again (the
//! sign-in cards' PDF) while only its SHA-256 is stored, to find the pupil by it; renewing the
//! card draws a new nonce, so the old token matches nothing from that commit on.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct CardKey([u8; 32]);

impl CardKey {
    /// A key of its own, derived from the server's secret (never the JWT key itself).
    pub fn new(secret: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(b"studyhub pupil sign-in cards\0");
        h.update(secret);
        Self(h.finalize().into())
    }

    /// The card's token for this pupil and nonce (43 URL-safe characters).
    pub fn token(&self, learner_id: &str, nonce: &str) -> String {
        let mac =
            crate::infra::crypto::hmac_sha256(&self.0, format!("{learner_id}\0{nonce}").as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
    }
}

/// A fresh nonce for a card.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored of a token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2 ("Jefe"), padded to our 32-byte key with zeros: HMAC pads keys
    /// with zeros to the block, so it is the same MAC.
    #[test]
    fn hmac_matches_rfc_4231() {
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let mac = crate::infra::crypto::hmac_sha256(&key, b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_new_nonce_is_a_new_token() {
        let key = CardKey::new(b"secret");
        let (a, b) = (new_nonce(), new_nonce());
        assert_eq!(key.token("l1", &a), key.token("l1", &a));
        assert_ne!(key.token("l1", &a), key.token("l1", &b));
        assert_ne!(key.token("l1", &a), CardKey::new(b"other").token("l1", &a));
        assert_eq!(key.token("l1", &a).len(), 43);
    }
}
