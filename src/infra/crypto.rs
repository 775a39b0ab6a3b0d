//! AES-256-GCM for data at rest (stored answers, backups). A record is
//! `0xA1 || key id (4 bytes) || nonce (12 bytes) || ciphertext || tag`, with a fresh random
//! 96-bit nonce per message. Every key has an id (the first 4 bytes of its SHA-256, shown as 8
//! hex characters) that records and backups carry, so `studyhub rotate-key` can tell what is
//! still under an old key without decrypting it.
//!
//! Records written before key ids (`nonce || ciphertext || tag`) still read: a record whose
//! id does not open it is tried with the current key, then each old one
//! (`STUDYHUB_ENCRYPTION_KEYS_OLD`).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;
/// The first byte of a record that names its key.
const WITH_KEY_ID: u8 = 0xA1;
const HEAD_LEN: usize = 1 + 4;

/// One key with its id.
#[derive(Clone)]
pub struct Key {
    pub id: String,
    raw_id: [u8; 4],
    pub aead: Aes256Gcm,
}

impl Key {
    pub fn new(key: &[u8; 32]) -> Self {
        let digest = Sha256::digest(key);
        Self {
            id: key_id(key),
            raw_id: digest[..4].try_into().expect("4 bytes"),
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
        let mut out = Vec::with_capacity(HEAD_LEN + NONCE_LEN + ct.len());
        out.push(WITH_KEY_ID);
        out.extend_from_slice(&self.current.raw_id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Whether `data` names the current key (nothing for a rotation to do).
    pub fn is_current(&self, data: &[u8]) -> bool {
        data.len() >= HEAD_LEN + NONCE_LEN + 16
            && data[0] == WITH_KEY_ID
            && data[1..HEAD_LEN] == self.current.raw_id
    }

    /// Decrypts with the key the record names; a record from before key ids (or one whose
    /// first bytes only look like an id) with the current key, then each old one.
    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if data.len() >= HEAD_LEN + NONCE_LEN + 16 && data[0] == WITH_KEY_ID {
            let named = std::iter::once(&self.current)
                .chain(self.old.iter())
                .find(|k| data[1..HEAD_LEN] == k.raw_id);
            if let Some(plain) = named.and_then(|k| open(k, &data[HEAD_LEN..])) {
                return Ok(plain);
            }
        }
        if data.len() < NONCE_LEN + 16 {
            return Err(DecryptError);
        }
        std::iter::once(&self.current)
            .chain(self.old.iter())
            .find_map(|k| open(k, data))
            .ok_or(DecryptError)
    }
}

/// `nonce || ciphertext || tag` opened with `key`.
fn open(key: &Key, data: &[u8]) -> Option<Vec<u8>> {
    let (nonce, ct) = data.split_at_checked(NONCE_LEN)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    key.aead.decrypt(&Nonce::from(nonce), ct).ok()
}

/// HMAC-SHA256 (RFC 2104) with a 32-byte key: pupils' card tokens, unsubscribe links.
pub fn hmac_sha256(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut ipad = [0x36u8; BLOCK];
    let mut opad = [0x5cu8; BLOCK];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
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

    #[test]
    fn records_name_their_key_and_old_records_still_read() {
        let old = Cipher::new(&[1u8; 32]);
        let rotated = Cipher::with_old_keys(&[2u8; 32], &[[1u8; 32]]);
        let under_old = old.encrypt(b"7");
        assert!(old.is_current(&under_old) && !rotated.is_current(&under_old));
        assert_eq!(rotated.decrypt(&under_old).unwrap(), b"7");
        let fresh = rotated.encrypt(b"7");
        assert!(rotated.is_current(&fresh));
        assert_eq!(&fresh[1..5], &hex::decode(rotated.key_id()).unwrap()[..]);
        // A record from before key ids: nonce, ciphertext, tag (no header), even one whose
        // first byte looks like the header's.
        let key = Key::new(&[1u8; 32]);
        for first in [0x00, WITH_KEY_ID] {
            let nonce = [first; NONCE_LEN];
            let mut legacy = nonce.to_vec();
            legacy.extend(
                key.aead
                    .encrypt(&Nonce::from(nonce), &b"\"8\""[..])
                    .unwrap(),
            );
            assert!(!rotated.is_current(&legacy));
            assert_eq!(rotated.decrypt(&legacy).unwrap(), b"\"8\"");
        }
        // A record of a key nobody configured.
        assert!(
            rotated
                .decrypt(&Cipher::new(&[9u8; 32]).encrypt(b"7"))
                .is_err()
        );
    }
}
