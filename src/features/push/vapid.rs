//! VAPID (RFC 8292): the server's P-256 key, its public half for browsers
//! (`applicationServerKey`), and the `Authorization: vapid t=…, k=…` header of each push,
//! a JWT signed with ES256 (through jsonwebtoken, as the house's own tokens are).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use serde::Serialize;

/// How long a push's token is valid (RFC 8292 allows at most 24 hours).
const TOKEN_LIFETIME_SECS: i64 = 12 * 60 * 60;

pub struct Vapid {
    signing: EncodingKey,
    /// The uncompressed public point, base64url: what `GET /v1/push/key` answers.
    public_key: String,
    subject: String,
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    exp: i64,
    sub: &'a str,
}

impl Vapid {
    /// From the configured scalar (checked when the configuration was read).
    pub fn new(private_key: &[u8; 32], subject: &str) -> anyhow::Result<Self> {
        let secret = p256::SecretKey::from_slice(private_key)?;
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| anyhow::anyhow!("VAPID key: {e}"))?;
        let point = secret.public_key().to_encoded_point(false);
        Ok(Self {
            signing: EncodingKey::from_ec_der(der.as_bytes()),
            public_key: URL_SAFE_NO_PAD.encode(point.as_bytes()),
            subject: subject.to_string(),
        })
    }

    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The `Authorization` header for a push to an endpoint of `origin`.
    pub fn authorization(&self, origin: &str) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            aud: origin,
            exp: chrono::Utc::now().timestamp() + TOKEN_LIFETIME_SECS,
            sub: &self.subject,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &self.signing)?;
        Ok(format!("vapid t={token}, k={}", self.public_key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn the_token_verifies_with_the_public_key() {
        let vapid = Vapid::new(&[7u8; 32], "mailto:ops@example.org").unwrap();
        let header = vapid.authorization("https://push.example.net").unwrap();
        let (t, k) = header
            .strip_prefix("vapid t=")
            .and_then(|r| r.split_once(", k="))
            .unwrap();
        assert_eq!(k, vapid.public_key());
        let point = URL_SAFE_NO_PAD.decode(k).unwrap();
        assert_eq!((point.len(), point[0]), (65, 4));
        let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
        let y = URL_SAFE_NO_PAD.encode(&point[33..]);
        let key = DecodingKey::from_ec_components(&x, &y).unwrap();
        let mut v = Validation::new(Algorithm::ES256);
        v.set_audience(&["https://push.example.net"]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(t, &key, &v)
            .unwrap()
            .claims;
        assert_eq!(claims["sub"], "mailto:ops@example.org");
        let left = claims["exp"].as_i64().unwrap() - chrono::Utc::now().timestamp();
        assert!(left > 0 && left <= 24 * 3600, "{left}");
    }
}
