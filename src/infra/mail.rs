//! How an email leaves the machine: SMTP (lettre) when `STUDYHUB_SMTP_URL` is set, otherwise
//! a `.eml` file in `<data dir>/outbox/`, so a laptop installation shows what it would send.
//! Bytes in, an outcome out: what to send and when to try again is the outbox's
//! (`features::mail`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use lettre::address::Envelope;
use lettre::message::Mailbox;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::infra::config::MailSettings;

/// A send gives up after this long (the outbox's lease is longer, so a slow send is never
/// claimed twice).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);

pub enum MailTransport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(PathBuf),
}

/// Why a send failed: `permanent` when trying again cannot help (a 5xx reply: an address the
/// server refuses), otherwise the email is tried again later.
#[derive(Debug)]
pub struct SendFailure {
    pub permanent: bool,
    pub reason: String,
}

impl MailTransport {
    pub fn new(settings: &MailSettings, data_dir: &Path) -> anyhow::Result<Self> {
        match &settings.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("STUDYHUB_SMTP_URL is not an smtp:// or smtps:// URL")?
                    .timeout(Some(SEND_TIMEOUT))
                    .build();
                Ok(Self::Smtp(transport))
            }
            None => Ok(Self::Folder(data_dir.join("outbox"))),
        }
    }

    /// Hands one formatted message (RFC 5322) to the SMTP server, or writes it as
    /// `<folder>/<id>.eml` (whole or not at all: written aside, then renamed).
    pub async fn send(
        &self,
        id: &str,
        from: &str,
        to: &str,
        message: &[u8],
    ) -> Result<(), SendFailure> {
        match self {
            Self::Smtp(smtp) => {
                let envelope = envelope(from, to).map_err(|reason| SendFailure {
                    permanent: true,
                    reason,
                })?;
                smtp.send_raw(&envelope, message)
                    .await
                    .map(drop)
                    .map_err(|e| SendFailure {
                        permanent: e.is_permanent(),
                        reason: e.to_string(),
                    })
            }
            Self::Folder(dir) => write_file(dir, id, message).await.map_err(|e| SendFailure {
                permanent: false,
                reason: format!("cannot write the outbox folder: {e}"),
            }),
        }
    }
}

fn envelope(from: &str, to: &str) -> Result<Envelope, String> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| format!("the sender {from:?} is not an address: {e}"))?;
    let to: Address = to
        .parse()
        .map_err(|e| format!("the recipient is not an address: {e}"))?;
    Envelope::new(Some(from.email), vec![to]).map_err(|e| e.to_string())
}

async fn write_file(dir: &Path, id: &str, message: &[u8]) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let part = dir.join(format!("{id}.eml.part"));
    tokio::fs::write(&part, message).await?;
    tokio::fs::rename(&part, dir.join(format!("{id}.eml"))).await
}
