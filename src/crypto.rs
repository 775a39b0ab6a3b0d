//! AES-256-GCM for data at rest (stored answers, backups). The output is
//! `nonce (12 bytes) || ciphertext || tag`, with a fresh random 96-bit nonce per message.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;

const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct Cipher(Aes256Gcm);

#[derive(Debug, thiserror::Error)]
#[error("the data could not be decrypted (wrong key or corrupted)")]
pub struct DecryptError;

impl Cipher {
    pub fn new(key: &[u8; 32]) -> Self {
        Self(Aes256Gcm::new_from_slice(key).expect("a 32-byte key"))
    }

    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .0
            .encrypt(&Nonce::from(nonce), plaintext)
            .expect("AES-GCM encryption does not fail");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if data.len() < NONCE_LEN + 16 {
            return Err(DecryptError);
        }
        let (nonce, ct) = data.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| DecryptError)?;
        self.0
            .decrypt(&Nonce::from(nonce), ct)
            .map_err(|_| DecryptError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_fresh_nonces_and_tamper_detection() {
        let c = Cipher::new(&[7u8; 32]);
        let a = c.encrypt(b"13");
        let b = c.encrypt(b"13");
        assert_ne!(a, b, "a fresh nonce per message");
        assert_eq!(c.decrypt(&a).unwrap(), b"13");
        let mut bad = a.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(c.decrypt(&bad).is_err());
        assert!(Cipher::new(&[8u8; 32]).decrypt(&a).is_err());
        assert!(c.decrypt(b"short").is_err());
    }
}
