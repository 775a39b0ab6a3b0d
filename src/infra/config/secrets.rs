//! The secrets the configuration holds: keys zeroed when dropped, read from hex or
//! base64url, or generated once into the data folder (readable by the owner only); and URLs
//! with their password dropped for logs.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use rand::RngCore;

/// An AES-256 key, zeroed when dropped.
#[derive(Clone)]
pub struct Key(pub [u8; 32]);

impl secrecy::zeroize::Zeroize for Key {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl secrecy::CloneableSecret for Key {}

/// A new VAPID private key: a P-256 scalar, base64url without padding.
pub(super) fn new_vapid_key() -> String {
    use base64::Engine as _;
    loop {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        // All but a vanishing few 32-byte strings are scalars in range.
        if p256::SecretKey::from_slice(&bytes).is_ok() {
            return base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        }
    }
}

pub(super) fn parse_vapid_key(encoded: &str) -> anyhow::Result<[u8; 32]> {
    use base64::Engine as _;
    let trimmed = encoded.trim().trim_end_matches('=');
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed)?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("not 32 bytes"))?;
    p256::SecretKey::from_slice(&key).map_err(|_| anyhow::anyhow!("not a P-256 scalar"))?;
    Ok(key)
}

/// Drops the password from a URL for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

pub(super) fn parse_key(hex_key: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(hex_key.trim())
        .context("STUDYHUB_ENCRYPTION_KEY must be 64 hexadecimal characters")?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("STUDYHUB_ENCRYPTION_KEY must be 64 hexadecimal characters"))
}

/// Reads `data_dir/name`, or creates it with 32 random bytes (hex) readable by the owner only.
pub(super) fn generated_secret(data_dir: &Path, name: &str, var: &str) -> anyhow::Result<String> {
    generated(data_dir, name, var, || {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    })
}

/// Reads `data_dir/name`, or creates it with `make()` readable by the owner only.
pub(super) fn generated(
    data_dir: &Path,
    name: &str,
    var: &str,
    make: impl FnOnce() -> String,
) -> anyhow::Result<String> {
    let path = data_dir.join(name);
    if let Ok(existing) = fs::read_to_string(&path) {
        let existing = existing.trim().to_string();
        if !existing.is_empty() {
            return Ok(existing);
        }
    }
    let value = make();
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(value.as_bytes())?;
    tracing::warn!(
        file = %path.display(),
        "{var} is not set: generated one and kept it in the data folder. Production must set {var}."
    );
    Ok(value)
}
