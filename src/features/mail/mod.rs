//! Email: put together ([`compose`]), stored in the outbox in the transaction of the change
//! that sends it ([`outbox`]), and sent by a background sender with retries ([`sender`])
//! through SMTP or into the outbox folder (`infra::mail`).

pub mod account_emails;
pub mod compose;
pub mod digest;
mod digest_html;
pub mod outbox;
pub mod preferences;
pub mod sender;

pub use sender::Mailer;

/// Who an email comes from and where its links point.
pub struct Links<'a> {
    pub from: &'a str,
    pub public_url: &'a str,
}
