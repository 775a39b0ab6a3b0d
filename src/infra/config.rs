//! Configuration in layers: built-in defaults, then an optional TOML file
//! (`STUDYHUB_CONFIG`, or `studyhub.toml` in the working folder), then the environment
//! (`STUDYHUB_*`, plus the conventional `DATABASE_URL` and `REDIS_URL`).
//!
//! Secrets (JWT secret, encryption key, VAPID key) that are not configured are generated once into the
//! data folder so a laptop install just works; production must set them (`config/secrets.rs`).

use std::fmt;
use std::fs;
use std::path::PathBuf;

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretBox, SecretSlice};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use studyhub_actors::EngineConfig;
use studyhub_actors::flusher::FlushConfig;

use crate::infra::db::Backend;

mod secrets;
pub use secrets::{Key, redact_url};
use secrets::{generated, generated_secret, new_vapid_key, parse_key, parse_vapid_key};

/// What the layers say, before secrets are resolved. Field names are the config keys.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RawConfig {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub database_pool_size: u32,
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and channel (several deployments can share one Redis).
    pub redis_prefix: String,
    pub jwt_secret: Option<String>,
    pub encryption_key: Option<String>,
    /// Keys of earlier rotations (comma-separated, 64 hex characters each): still used to
    /// read stored answers and restore backups, never to write.
    pub encryption_keys_old: Option<String>,
    /// The contract's name for the same (`STUDYHUB_OLD_ENCRYPTION_KEYS`); both are read. (A
    /// serde alias would not do: with the default layer the field would be there twice.)
    pub old_encryption_keys: Option<String>,
    /// The key of backups (64 hex characters), when they should not share the data's key.
    /// Restores read a backup by its key id with this key, the data key or an old one.
    pub backup_key: Option<String>,
    /// The platform's port (`PORT`, as Heroku, Render and Railway set it): when set, the
    /// server listens on `0.0.0.0:PORT` whatever `bind` says.
    pub port: Option<u16>,
    /// PEM certificate chain and private key: HTTPS and WSS served directly (both or neither).
    /// SIGHUP reads them again; auth cookies are `Secure` then.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Audit entries older than this many days are deleted daily (0: kept forever).
    pub retention_audit_days: u32,
    /// Read notifications older than this many days are deleted daily (0: kept forever).
    pub retention_notifications_days: u32,
    /// The system backup schedule inside `serve`: one every this many seconds (0: none).
    pub backup_interval_secs: u64,
    pub bcrypt_cost: u32,
    pub s3_bucket: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_path_style: bool,
    /// Server-side encryption asked of S3 for every object: `AES256` or `aws:kms`.
    pub s3_sse: Option<String>,
    pub seed_demo: bool,
    /// Comma-separated origins allowed by CORS; empty allows none (same-origin only).
    pub cors_origins: String,
    /// Mark auth cookies `Secure` (set when serving over HTTPS).
    pub cookie_secure: bool,
    /// The auth cookies' `SameSite`: `strict` (default), `lax`, or `none` (only with
    /// `cookie_secure`: a front end on another site keeps the refresh cookie).
    pub cookie_samesite: String,
    /// Take the client address from `X-Forwarded-For`/`Forwarded` (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// `pretty` or `json`.
    pub log_format: String,
    /// HTTP worker threads; the number of cores when unset.
    pub workers: Option<usize>,
    /// Group commit: the longest an answer waits before its batch is written.
    pub flush_window_ms: u64,
    /// Group commit: the most answers in one transaction.
    pub flush_max_batch: usize,
    /// Answers that may wait for the database (while it is away) before new ones are refused.
    pub answer_buffer_max: usize,
    /// Items that may wait for the group commit while the database takes writes; past it new
    /// answers are refused as `busy` (the database is slower than the answers coming in).
    pub flush_queue_max: usize,
    /// The longest (ms) the items waiting for the group commit may take at the rate it has
    /// been committing; past it new answers are refused as `busy`.
    pub flush_max_wait_ms: u64,
    /// How late (ms) a worker thread may run ready work before its answers are refused as
    /// `busy`: the node has more to do than its cores can.
    pub busy_after_lag_ms: u64,
    /// How long a learner's live state stays in memory after the last connection closed.
    pub learner_linger_secs: u64,
    /// Screen time stops counting this many seconds after the learner last did something.
    pub screen_time_idle_secs: u64,
    /// Accounts one client address may register in an hour.
    pub register_limit_per_hour: usize,
    /// Web Push (RFC 8292): the application server's P-256 private key, base64url (32
    /// bytes); unset: generated once into the data folder.
    pub vapid_private_key: Option<String>,
    /// Who runs this server, for push services (`mailto:…` or `https://…`).
    pub vapid_subject: Option<String>,
    /// Tests only: push endpoints may be `http` and on loopback or private addresses.
    pub push_allow_insecure: bool,
    /// The address links in emails point to (`http://<bind>` when unset).
    pub public_url: Option<String>,
    /// `smtp://`, `smtps://` (or `smtp://…?tls=required`) with optional `user:password@`;
    /// unset: emails are written into `<data dir>/outbox/` as `.eml` files.
    pub smtp_url: Option<String>,
    /// The `From` of every email.
    pub mail_from: Option<String>,
    /// Adding a child needs a verified email address.
    pub require_verified_email: bool,
    /// The first retry of an email that could not be sent waits this long; each next one
    /// twice as long (at most an hour).
    pub mail_retry_base_ms: u64,
    /// Tries before an email is kept as a dead letter.
    pub mail_max_attempts: u32,
    /// REST calls (`/v1/…`, not websockets) an account may make a second on one node, and
    /// how many it may save up; 0 turns the budget off (`web::rest_budget`).
    pub rest_budget_per_sec: u32,
    pub rest_budget_burst: u32,
    /// The same for calls without a valid access token, per client address.
    pub rest_budget_anonymous_per_sec: u32,
    pub rest_budget_anonymous_burst: u32,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_pool_size: 16,
            redis_url: None,
            redis_prefix: "studyhub".into(),
            jwt_secret: None,
            encryption_key: None,
            encryption_keys_old: None,
            old_encryption_keys: None,
            backup_key: None,
            port: None,
            tls_cert: None,
            tls_key: None,
            retention_audit_days: 365,
            retention_notifications_days: 180,
            backup_interval_secs: 86_400,
            bcrypt_cost: 12,
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: None,
            s3_path_style: false,
            s3_sse: None,
            seed_demo: true,
            cors_origins: String::new(),
            cookie_secure: false,
            cookie_samesite: "strict".into(),
            trust_proxy: false,
            log_format: "pretty".into(),
            workers: None,
            vapid_private_key: None,
            vapid_subject: None,
            push_allow_insecure: false,
            flush_window_ms: 5,
            flush_max_batch: 2_000,
            answer_buffer_max: 200_000,
            flush_queue_max: 5_000,
            flush_max_wait_ms: 250,
            busy_after_lag_ms: 50,
            learner_linger_secs: 120,
            screen_time_idle_secs: 60,
            register_limit_per_hour: 10,
            public_url: None,
            smtp_url: None,
            mail_from: None,
            require_verified_email: false,
            mail_retry_base_ms: 30_000,
            mail_max_attempts: 8,
            rest_budget_per_sec: 20,
            rest_budget_burst: 200,
            rest_budget_anonymous_per_sec: 50,
            rest_budget_anonymous_burst: 500,
        }
    }
}

impl RawConfig {
    /// Reads defaults → file → environment.
    pub fn load() -> anyhow::Result<Self> {
        let mut fig = Figment::from(Serialized::defaults(RawConfig::default()));
        let file = std::env::var("STUDYHUB_CONFIG")
            .ok()
            .map(PathBuf::from)
            .or_else(|| {
                let p = PathBuf::from("studyhub.toml");
                p.exists().then_some(p)
            });
        if let Some(file) = file {
            if !file.exists() {
                bail!("config file {} does not exist", file.display());
            }
            fig = fig.merge(Toml::file(file));
        }
        fig.merge(Env::raw().only(&["DATABASE_URL", "REDIS_URL", "PORT"]))
            .merge(Env::prefixed("STUDYHUB_").ignore(&["CONFIG"]))
            .extract()
            .context("invalid configuration")
    }

    /// Resolves defaults that depend on other keys and loads or generates the secrets.
    pub fn resolve(mut self) -> anyhow::Result<Settings> {
        fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create data folder {}", self.data_dir.display()))?;
        let database_url = match self.database_url.clone().filter(|s| !s.trim().is_empty()) {
            Some(url) => url,
            None => self
                .data_dir
                .join("studyhub.db")
                .to_string_lossy()
                .into_owned(),
        };
        if !(4..=31).contains(&self.bcrypt_cost) {
            bail!("bcrypt_cost must be between 4 and 31");
        }
        // The secrets leave the plain configuration here: only `Settings`' secret types keep
        // them (never printed, zeroed when dropped).
        let jwt_secret = match self.jwt_secret.take().filter(|s| !s.is_empty()) {
            Some(s) if s.len() < 32 => bail!("STUDYHUB_JWT_SECRET must be at least 32 characters"),
            Some(s) => s.into_bytes(),
            None => {
                generated_secret(&self.data_dir, "jwt_secret", "STUDYHUB_JWT_SECRET")?.into_bytes()
            }
        };
        let key_hex = match self.encryption_key.take().filter(|s| !s.is_empty()) {
            Some(s) => s,
            None => generated_secret(&self.data_dir, "encryption_key", "STUDYHUB_ENCRYPTION_KEY")?,
        };
        let encryption_key = parse_key(&key_hex)?;
        let old_keys = [
            self.encryption_keys_old.take(),
            self.old_encryption_keys.take(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(",");
        let old_encryption_keys = old_keys
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|k| {
                parse_key(k).context(
                    "STUDYHUB_ENCRYPTION_KEYS_OLD must be comma-separated keys of 64 hexadecimal characters",
                )
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let backup_key = match self.backup_key.take().filter(|s| !s.trim().is_empty()) {
            Some(k) => Some(
                parse_key(&k).context("STUDYHUB_BACKUP_KEY must be 64 hexadecimal characters")?,
            ),
            None => None,
        };
        let push = self.push_settings()?;
        let cors_origins = self
            .cors_origins
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let engine = EngineConfig {
            flush: FlushConfig {
                window: Duration::from_millis(self.flush_window_ms),
                max_batch: self.flush_max_batch.max(1),
                max_buffer: self.answer_buffer_max.max(1),
                max_queue: self.flush_queue_max.max(1),
                max_wait: Duration::from_millis(self.flush_max_wait_ms.max(1)),
                max_lag: Duration::from_millis(self.busy_after_lag_ms.max(1)),
            },
            linger: Duration::from_secs(self.learner_linger_secs),
            idle_after: Duration::from_secs(self.screen_time_idle_secs.max(1)),
            ..EngineConfig::default()
        };
        let sse = match self.s3_sse.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v @ ("AES256" | "aws:kms")) => Some(v.to_string()),
            Some(other) => bail!("STUDYHUB_S3_SSE must be AES256 or aws:kms, not {other:?}"),
        };
        let s3 = self.s3_bucket.map(|bucket| S3Settings {
            bucket,
            endpoint: self.s3_endpoint,
            region: self.s3_region,
            path_style: self.s3_path_style,
            sse,
        });
        let tls = match (self.tls_cert.take(), self.tls_key.take()) {
            (None, None) => None,
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            _ => bail!("STUDYHUB_TLS_CERT and STUDYHUB_TLS_KEY go together: set both or neither"),
        };
        // Cookies sent over HTTPS only when the server itself serves HTTPS.
        self.cookie_secure |= tls.is_some();
        let cookie_same_site = match self.cookie_samesite.trim().to_ascii_lowercase().as_str() {
            "" | "strict" => CookieSameSite::Strict,
            "lax" => CookieSameSite::Lax,
            "none" if self.cookie_secure => CookieSameSite::None,
            "none" => bail!(
                "STUDYHUB_COOKIE_SAMESITE=none needs STUDYHUB_COOKIE_SECURE=true (browsers drop \
                 SameSite=None cookies that are not Secure)"
            ),
            other => bail!("STUDYHUB_COOKIE_SAMESITE must be strict, lax or none, not {other:?}"),
        };
        let bind = match self.port {
            Some(port) => format!("0.0.0.0:{port}"),
            None => self.bind,
        };
        let public_url = match self.public_url.as_deref().map(str::trim) {
            None | Some("") => format!("http://{bind}"),
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_string()
            }
            Some(other) => {
                bail!("STUDYHUB_PUBLIC_URL must start with http:// or https://, not {other:?}")
            }
        };
        // Push services reach the operator at the public address when it is https.
        let mut push = push;
        if push.vapid_subject == DEFAULT_VAPID_SUBJECT && public_url.starts_with("https://") {
            push.vapid_subject = public_url.clone();
        }
        let mail = MailSettings {
            smtp_url: self.smtp_url.take().filter(|u| !u.trim().is_empty()),
            from: self
                .mail_from
                .take()
                .filter(|f| !f.trim().is_empty())
                .unwrap_or_else(|| "StudyHub <studyhub@localhost>".into()),
            require_verified_email: self.require_verified_email,
            retry_base: Duration::from_millis(self.mail_retry_base_ms.max(1)),
            max_attempts: self.mail_max_attempts.max(1),
        };
        Ok(Settings {
            bind,
            tls,
            retention: Retention {
                audit_days: self.retention_audit_days,
                notifications_days: self.retention_notifications_days,
            },
            data_dir: self.data_dir,
            workers: self.workers,
            backend: Backend::of_url(&database_url),
            database_url,
            database_pool_size: self.database_pool_size,
            redis_url: self.redis_url.filter(|u| !u.is_empty()),
            redis_prefix: self.redis_prefix,
            s3,
            jwt_secret: SecretSlice::from(jwt_secret),
            encryption_key: SecretBox::new(Box::new(Key(encryption_key))),
            old_encryption_keys: old_encryption_keys
                .into_iter()
                .map(|k| SecretBox::new(Box::new(Key(k))))
                .collect(),
            backup_key: backup_key.map(|k| SecretBox::new(Box::new(Key(k)))),
            backup_interval_secs: self.backup_interval_secs,
            bcrypt_cost: self.bcrypt_cost,
            seed_demo: self.seed_demo,
            cors_origins,
            cookie_secure: self.cookie_secure,
            cookie_same_site,
            trust_proxy: self.trust_proxy,
            engine,
            register_limit_per_hour: self.register_limit_per_hour,
            push,
            public_url,
            mail,
            rest_budget: RestBudgetSettings {
                per_sec: self.rest_budget_per_sec,
                burst: self.rest_budget_burst,
                anonymous_per_sec: self.rest_budget_anonymous_per_sec,
                anonymous_burst: self.rest_budget_anonymous_burst,
            },
        })
    }

    /// The VAPID key (configured, or generated once into the data folder) and subject.
    fn push_settings(&mut self) -> anyhow::Result<PushSettings> {
        const VAR: &str = "STUDYHUB_VAPID_PRIVATE_KEY";
        let encoded = match self
            .vapid_private_key
            .take()
            .filter(|s| !s.trim().is_empty())
        {
            Some(k) => k,
            None => generated(&self.data_dir, "vapid_private_key", VAR, new_vapid_key)?,
        };
        let key = parse_vapid_key(&encoded)
            .with_context(|| format!("{VAR} must be a P-256 private key: 32 bytes in base64url"))?;
        let subject = match self.vapid_subject.take().map(|s| s.trim().to_string()) {
            Some(s) if s.starts_with("mailto:") || s.starts_with("https://") => s,
            Some(s) if !s.is_empty() => {
                bail!("STUDYHUB_VAPID_SUBJECT must be a mailto: or https: address, not {s:?}")
            }
            _ => DEFAULT_VAPID_SUBJECT.to_string(),
        };
        Ok(PushSettings {
            vapid_private_key: SecretBox::new(Box::new(Key(key))),
            vapid_subject: subject,
            allow_insecure: self.push_allow_insecure,
        })
    }
}

/// Who runs the server, when neither `STUDYHUB_VAPID_SUBJECT` nor an https
/// `STUDYHUB_PUBLIC_URL` is set.
pub const DEFAULT_VAPID_SUBJECT: &str = "mailto:admin@studyhub.invalid";

/// Web Push: the VAPID key and subject, and whether tests' insecure endpoints are allowed.
#[derive(Clone)]
pub struct PushSettings {
    /// A P-256 scalar (checked in range when read).
    pub vapid_private_key: SecretBox<Key>,
    pub vapid_subject: String,
    pub allow_insecure: bool,
}

/// The settings the server runs with: every layer applied, defaults that depend on other
/// keys filled in, secrets loaded. Made once from [`RawConfig`], which it does not keep.
#[derive(Clone)]
pub struct Settings {
    pub bind: String,
    /// Unset: plain HTTP (a proxy in front terminates TLS).
    pub tls: Option<TlsFiles>,
    pub retention: Retention,
    pub data_dir: PathBuf,
    /// HTTP worker threads; the number of cores when unset.
    pub workers: Option<usize>,
    pub database_url: String,
    pub backend: Backend,
    pub database_pool_size: u32,
    /// Unset: in-process cache and bus.
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    /// Unset: objects in the data folder.
    pub s3: Option<S3Settings>,
    pub jwt_secret: SecretSlice<u8>,
    pub encryption_key: SecretBox<Key>,
    /// Keys of earlier rotations, for reading only.
    pub old_encryption_keys: Vec<SecretBox<Key>>,
    /// Backups' own key; unset: the data key.
    pub backup_key: Option<SecretBox<Key>>,
    /// Seconds between system backups inside `serve` (0: none).
    pub backup_interval_secs: u64,
    pub bcrypt_cost: u32,
    pub seed_demo: bool,
    pub cors_origins: Vec<String>,
    pub cookie_secure: bool,
    pub cookie_same_site: CookieSameSite,
    pub trust_proxy: bool,
    /// The live engine's group commit, linger and idle time.
    pub engine: EngineConfig,
    pub register_limit_per_hour: usize,
    pub rest_budget: RestBudgetSettings,
    pub push: PushSettings,
    /// Where links in emails point (no trailing slash).
    pub public_url: String,
    pub mail: MailSettings,
}

/// How email leaves (no `Debug`: the SMTP URL may hold a password).
#[derive(Clone)]
pub struct MailSettings {
    /// Unset: `.eml` files in `<data dir>/outbox/`.
    pub smtp_url: Option<String>,
    pub from: String,
    pub require_verified_email: bool,
    pub retry_base: Duration,
    pub max_attempts: u32,
}

/// The REST budget per account and per address (0 a second: no budget).
#[derive(Clone, Copy, Debug)]
pub struct RestBudgetSettings {
    pub per_sec: u32,
    pub burst: u32,
    pub anonymous_per_sec: u32,
    pub anonymous_burst: u32,
}

/// An S3-compatible object store (credentials from the standard AWS variables).
#[derive(Clone, Debug)]
pub struct S3Settings {
    pub bucket: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub path_style: bool,
    /// `AES256` or `aws:kms`: asked of S3 for every object written.
    pub sse: Option<String>,
}

/// The certificate chain and key served over HTTPS (PEM files).
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The auth cookies' `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieSameSite {
    Strict,
    Lax,
    None,
}

/// How long what is deleted daily is kept, in days (0: forever).
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub audit_days: u32,
    pub notifications_days: u32,
}

impl Settings {
    /// The cipher for data at rest: the current key, then the old ones for reading.
    pub fn cipher(&self) -> crate::infra::crypto::Cipher {
        let old: Vec<[u8; 32]> = self
            .old_encryption_keys
            .iter()
            .map(|k| k.expose_secret().0)
            .collect();
        crate::infra::crypto::Cipher::with_old_keys(&self.encryption_key.expose_secret().0, &old)
    }

    /// The cipher of backups: written with `STUDYHUB_BACKUP_KEY` (or the data key); read
    /// with whichever configured key the backup's header names.
    pub fn backup_cipher(&self) -> crate::infra::crypto::Cipher {
        let data = self.encryption_key.expose_secret().0;
        let Some(backup) = &self.backup_key else {
            return self.cipher();
        };
        let mut old: Vec<[u8; 32]> = vec![data];
        old.extend(self.old_encryption_keys.iter().map(|k| k.expose_secret().0));
        crate::infra::crypto::Cipher::with_old_keys(&backup.expose_secret().0, &old)
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("backend", &self.backend)
            .field("database_url", &redact_url(&self.database_url))
            .field("redis", &self.redis_url.as_deref().map(redact_url))
            .field("s3_bucket", &self.s3.as_ref().map(|s| &s.bucket))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
