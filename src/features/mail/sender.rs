//! The background sender: on every node, drains the outbox's due rows one claimed row at a
//! time, so an SMTP server that is slow or away costs rows waiting, never a request's time.
//! Woken at once when this node queued an email; otherwise it looks again when the next row
//! falls due, and at least every few seconds (another node may have queued one).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::outbox::{self, Failed, Queued};
use crate::infra::config::MailSettings;
use crate::infra::db::Db;
use crate::infra::mail::MailTransport;

/// The longest the sender sleeps without looking.
const LOOK_EVERY: Duration = Duration::from_secs(5);
/// Rows read per look.
const PAGE: i64 = 16;

/// The way to the sender: what queued an email wakes it.
#[derive(Clone)]
pub struct Mailer {
    wake: Arc<Notify>,
    pub settings: Arc<MailSettings>,
}

impl Mailer {
    /// Starts this node's sender on the current runtime.
    pub fn start(db: Db, transport: MailTransport, settings: MailSettings) -> Self {
        let wake = Arc::new(Notify::new());
        let settings = Arc::new(settings);
        let sender = Sender {
            db,
            transport,
            settings: settings.clone(),
            wake: wake.clone(),
        };
        actix_web::rt::spawn(sender.run());
        Self { wake, settings }
    }

    /// An email was queued (its transaction committed): send it now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Sends every email due now and returns (`studyhub send-digests`: no server running).
pub async fn send_due_now(
    db: Db,
    transport: MailTransport,
    settings: MailSettings,
) -> Result<(), crate::infra::error::AppError> {
    let sender = Sender {
        db,
        transport,
        settings: Arc::new(settings),
        wake: Arc::new(Notify::new()),
    };
    sender.drain().await
}

struct Sender {
    db: Db,
    transport: MailTransport,
    settings: Arc<MailSettings>,
    wake: Arc<Notify>,
}

impl Sender {
    async fn run(self) {
        loop {
            let sleep = match self.drain().await {
                Ok(()) => self.until_next_due().await,
                Err(e) => {
                    tracing::warn!(error = %e, "the mail outbox cannot be read; looking again soon");
                    LOOK_EVERY
                }
            };
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(sleep) => {}
            }
        }
    }

    /// Sends every row due now.
    async fn drain(&self) -> Result<(), crate::infra::error::AppError> {
        loop {
            let rows = self.db.run(|conn| Ok(outbox::due(conn, PAGE)?)).await?;
            if rows.is_empty() {
                return Ok(());
            }
            for row in rows {
                let claim = row.clone();
                let mine = self
                    .db
                    .run(move |conn| Ok(outbox::claim(conn, &claim)?))
                    .await?;
                if mine {
                    self.try_send(row).await?;
                }
            }
        }
    }

    async fn try_send(&self, row: Queued) -> Result<(), crate::infra::error::AppError> {
        let outcome = self
            .transport
            .send(&row.id, &row.sender, &row.recipient, row.message.as_bytes())
            .await;
        match outcome {
            Ok(()) => {
                let id = row.id.clone();
                self.db
                    .run(move |conn| Ok(outbox::sent(conn, &id)?))
                    .await?;
                metrics::counter!("studyhub_mail_sent_total", "kind" => row.kind.clone())
                    .increment(1);
                tracing::info!(id = %row.id, kind = %row.kind, "email sent");
            }
            Err(failure) => {
                let (base, max) = (self.settings.retry_base, self.settings.max_attempts);
                let reason = failure.reason.clone();
                let r = row.clone();
                let what = self
                    .db
                    .transaction(move |conn| {
                        Ok(outbox::failed(
                            conn,
                            &r,
                            &reason,
                            failure.permanent,
                            base,
                            max,
                        )?)
                    })
                    .await?;
                match what {
                    Failed::Retry(wait) => {
                        metrics::counter!("studyhub_mail_failed_total", "kind" => row.kind.clone())
                            .increment(1);
                        tracing::warn!(id = %row.id, kind = %row.kind, attempts = row.attempts + 1,
                            retry_in_ms = wait.as_millis() as u64, error = %failure.reason,
                            "email not sent; it will be tried again");
                    }
                    Failed::Dead => {
                        metrics::counter!("studyhub_mail_dead_total", "kind" => row.kind.clone())
                            .increment(1);
                        tracing::error!(id = %row.id, kind = %row.kind, attempts = row.attempts + 1,
                            error = %failure.reason, "email given up on; kept as a dead letter");
                    }
                }
            }
        }
        Ok(())
    }

    /// How long until the next row is due (at most [`LOOK_EVERY`]).
    async fn until_next_due(&self) -> Duration {
        let next = self.db.run(|conn| Ok(outbox::next_due(conn)?)).await;
        match next {
            Ok(Some(at)) => (at - crate::infra::time::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(LOOK_EVERY),
            _ => LOOK_EVERY,
        }
    }
}
