//! The account's emails: a password reset link, an address verification link, and the alerts
//! that the password changed or that a new browser signed in.

use super::compose::{Draft, escape};

/// A short email with one button: `lines` of text, then the link.
fn with_link(
    kind: &'static str,
    to: &str,
    name: &str,
    subject: &str,
    lines: &[&str],
    button: &str,
    link: &str,
) -> Draft {
    let mut text = format!("Hello {name},\n\n");
    for line in lines {
        text.push_str(line);
        text.push_str("\n\n");
    }
    text.push_str(&format!("{button}: {link}\n\n— StudyHub\n"));
    let paragraphs: String = lines
        .iter()
        .map(|l| {
            format!(
                r#"<p style="margin:0 0 16px;line-height:1.5">{}</p>"#,
                escape(l)
            )
        })
        .collect();
    let html = format!(
        r#"<!doctype html><html><body style="margin:0;padding:24px;background:#f4f6fb;font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#1d2433">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:12px;padding:28px">
<tr><td>
<h1 style="font-size:20px;margin:0 0 16px">Hello {name},</h1>
{paragraphs}
<p style="margin:24px 0"><a href="{link}" style="background:#3b5bdb;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:8px;display:inline-block;font-weight:600">{button}</a></p>
<p style="margin:0;color:#5c6579;font-size:13px;line-height:1.5">Or open this address: <a href="{link}" style="color:#3b5bdb">{link}</a></p>
</td></tr></table>
<p style="text-align:center;color:#8a92a6;font-size:12px;margin-top:16px">StudyHub</p>
</body></html>"#,
        name = escape(name),
        link = escape(link),
        button = escape(button),
    );
    Draft {
        kind,
        to: to.to_string(),
        to_name: name.to_string(),
        subject: subject.to_string(),
        text,
        html,
        attachments: Vec::new(),
        headers: Vec::new(),
    }
}

pub fn password_reset(public_url: &str, to: &str, name: &str, token: &str) -> Draft {
    let link = format!("{public_url}/reset?token={token}");
    with_link(
        "password_reset",
        to,
        name,
        "Reset your StudyHub password",
        &[
            "Someone (we hope you) asked to reset the password of your StudyHub account.",
            "The link below works once, for 30 minutes. Setting a new password signs every device out of the account.",
            "If you did not ask, ignore this email: your password stays as it is.",
        ],
        "Choose a new password",
        &link,
    )
}

pub fn verify_email(public_url: &str, to: &str, name: &str, token: &str) -> Draft {
    let link = format!("{public_url}/verify?token={token}");
    with_link(
        "verify_email",
        to,
        name,
        "Confirm your email address for StudyHub",
        &[
            "Welcome to StudyHub! Please confirm that this address is yours.",
            "The link below works once, for 7 days.",
        ],
        "Confirm my address",
        &link,
    )
}

/// Told after the password changed (`reset`: by a link sent to this address).
pub fn password_changed(public_url: &str, to: &str, name: &str, when: &str, reset: bool) -> Draft {
    let how = if reset {
        "with a reset link sent to this address"
    } else {
        "from the account's settings"
    };
    let first = format!(
        "The password of your StudyHub account was changed on {when} (UTC), {how}. Every device was signed out."
    );
    with_link(
        "password_changed",
        to,
        name,
        "Your StudyHub password was changed",
        &[
            first.as_str(),
            "If this was you, there is nothing to do.",
            "If it was not, choose a new password now: it signs every device out again.",
        ],
        "Choose a new password",
        &format!("{public_url}/reset"),
    )
}

/// Told after a sign-in from a browser the account had not used before.
pub fn new_sign_in(
    public_url: &str,
    to: &str,
    name: &str,
    when: &str,
    browser: &str,
    address: &str,
) -> Draft {
    let first = format!(
        "Your StudyHub account was signed in to on {when} (UTC) from a browser it had not used before: {browser}, from the address {address}."
    );
    with_link(
        "new_sign_in",
        to,
        name,
        "A new sign-in to your StudyHub account",
        &[
            first.as_str(),
            "If this was you, there is nothing to do.",
            "If it was not, choose a new password now: it signs every device out.",
        ],
        "Choose a new password",
        &format!("{public_url}/reset"),
    )
}
