//! Emails put together: a plain-text and an HTML part (and attachments), formatted once when
//! queued, so the sender only hands bytes on.

use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use super::outbox::Email;
use crate::infra::error::AppError;

/// An attachment: file name, MIME type, bytes.
pub struct Attached {
    pub name: String,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// What a message says, before it is formatted.
pub struct Draft {
    pub kind: &'static str,
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attached>,
    /// Extra headers (`List-Unsubscribe`, …).
    pub headers: Vec<(&'static str, String)>,
}

/// Formats `draft` from `from` (a mailbox, `Name <address>`).
pub fn format(from: &str, draft: Draft) -> Result<Email, AppError> {
    let from_box: Mailbox = from
        .parse()
        .map_err(|e| AppError::internal(anyhow::anyhow!("STUDYHUB_MAIL_FROM {from:?}: {e}")))?;
    let address = draft
        .to
        .parse()
        .map_err(|e| AppError::internal(anyhow::anyhow!("a recipient's address: {e}")))?;
    let to_box = Mailbox::new(Some(header_text(&draft.to_name)), address);
    let domain = from_box.email.domain().to_string();
    let mut builder = Message::builder()
        .from(from_box)
        .to(to_box)
        .subject(header_text(&draft.subject))
        .message_id(Some(format!("<{}@{domain}>", uuid::Uuid::now_v7())));
    for (name, value) in draft.headers {
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str(name),
            value,
        ));
    }
    let body = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(draft.text),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(draft.html),
        );
    let body = if draft.attachments.is_empty() {
        body
    } else {
        draft
            .attachments
            .into_iter()
            .fold(MultiPart::mixed().multipart(body), |mixed, a| {
                let mime = ContentType::parse(a.mime).unwrap_or(ContentType::TEXT_PLAIN);
                mixed.singlepart(Attachment::new(a.name).body(a.bytes, mime))
            })
    };
    let message = builder
        .multipart(body)
        .map_err(|e| AppError::internal(anyhow::anyhow!("an email could not be built: {e}")))?;
    let message = String::from_utf8(message.formatted())
        .map_err(|e| AppError::internal(anyhow::anyhow!("an email is not text: {e}")))?;
    Ok(Email {
        kind: draft.kind,
        from: from.to_string(),
        to: draft.to,
        subject: draft.subject,
        message,
    })
}

/// Text a user wrote (a name, in the subject or beside the address), fit for a header:
/// control characters become spaces. A line break must not end the header, and lettre
/// panics on one in a display name rather than encode it.
fn header_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Text made safe inside HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod header_tests {
    use super::{Draft, format};

    /// A child's or parent's name goes into the subject and the `To` header: a line break in
    /// it must not start a header of its own (ASVS 5.2.3), nor stop the email (lettre panicked
    /// on one in a display name).
    #[test]
    fn a_line_break_in_a_name_or_subject_adds_no_header() {
        let evil = "Ana\r\nBcc: thief@example.com\r\n";
        let email = format(
            "StudyHub <noreply@example.com>",
            Draft {
                kind: "digest",
                to: "parent@example.com".into(),
                to_name: evil.into(),
                subject: format!("{evil}'s week"),
                text: "hello".into(),
                html: "<p>hello</p>".into(),
                attachments: vec![],
                headers: vec![],
            },
        )
        .unwrap();
        let head = email.message.split("\r\n\r\n").next().unwrap();
        assert!(
            !head
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{head}"
        );
    }
}
