//! AES-256-GCM for data at rest (stored answers, backups). The output is
//! `nonce (12 bytes) || ciphertext || tag`, with a fresh random 96-bit nonce per message.
//!
//! Key rotation: a [`Cipher`] encrypts with the current key and decrypts with the current key
//! first, then with each old key (`STUDYHUB_ENCRYPTION_KEYS_OLD`), so data written before a
//! rotation stays readable without any marker in it. Every key has an id (the first 8 hex
//! characters of its SHA-256) that backups carry in their header.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;

/// One key with its id.
#[derive(Clone)]
pub struct Key {
    pub id: String,
    pub aead: Aes256Gcm,
}

impl Key {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            id: key_id(key),
            aead: Aes256Gcm::new_from_slice(key).expect("a 32-byte key"),
        }
    }
}

/// The public id of a key: the first 8 hex characters of its SHA-256.
pub fn key_id(key: &[u8; 32]) -> String {
    hex::encode(Sha256::digest(key))[..8].to_string()
}

#[derive(Clone)]
pub struct Cipher {
    current: Key,
    old: Vec<Key>,
}

#[derive(Debug, thiserror::Error)]
#[error("the data could not be decrypted (wrong key or corrupted)")]
pub struct DecryptError;

impl Cipher {
    pub fn new(key: &[u8; 32]) -> Self {
        Self::with_old_keys(key, &[])
    }

    /// The current key plus keys of earlier rotations, tried in order when decrypting.
    pub fn with_old_keys(key: &[u8; 32], old: &[[u8; 32]]) -> Self {
        let current = Key::new(key);
        let old = old
            .iter()
            .map(Key::new)
            .filter(|k| k.id != current.id)
            .collect();
        Self { current, old }
    }

    /// The id of the key new data is encrypted with.
    pub fn key_id(&self) -> &str {
        &self.current.id
    }

    pub fn current_key(&self) -> &Key {
        &self.current
    }

    /// The key with this id, current or old.
    pub fn key_by_id(&self, id: &str) -> Option<&Key> {
        std::iter::once(&self.current)
            .chain(self.old.iter())
            .find(|k| k.id == id)
    }

    /// Every known key id, current first.
    pub fn key_ids(&self) -> Vec<String> {
        std::iter::once(&self.current)
            .chain(self.old.iter())
            .map(|k| k.id.clone())
            .collect()
    }

    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .current
            .aead
            .encrypt(&Nonce::from(nonce), plaintext)
            .expect("AES-GCM encryption does not fail");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts with the current key, then with each old one.
    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if data.len() < NONCE_LEN + 16 {
            return Err(DecryptError);
        }
        let (nonce, ct) = data.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| DecryptError)?;
        std::iter::once(&self.current)
            .chain(self.old.iter())
            .find_map(|k| k.aead.decrypt(&Nonce::from(nonce), ct).ok())
            .ok_or(DecryptError)
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

    #[test]
    fn old_keys_still_decrypt_after_rotation() {
        let before = Cipher::new(&[1u8; 32]);
        let stored = before.encrypt(b"\"42\"");
        let rotated = Cipher::with_old_keys(&[2u8; 32], &[[1u8; 32]]);
        assert_eq!(rotated.decrypt(&stored).unwrap(), b"\"42\"");
        assert_ne!(rotated.key_id(), before.key_id());
        assert!(rotated.key_by_id(before.key_id()).is_some());
        assert_eq!(rotated.key_ids().len(), 2);
        assert!(Cipher::new(&[2u8; 32]).decrypt(&stored).is_err());
        assert_eq!(key_id(&[1u8; 32]).len(), 8);
    }
}
