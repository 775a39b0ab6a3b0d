//! The links in emails, in a real browser: "Forgot password?" on the sign-in page, the
//! `/reset` page that sets a new password, `/verify` that confirms the address; and the
//! weekly digest's HTML as a mail client shows it (with `STUDYHUB_SCREENSHOTS=docs/screenshots`
//! saved as `docs/screenshots/digest-email.png`).

use base64::Engine;
use serde_json::json;

use super::browser::Driver;
use super::look::check;
use crate::common::smtp::{Received, SmtpSink};
use crate::common::{TEST_PASSWORD, spawn_app_with};

/// The PDF attached to a message (base64, as every attachment is sent).
fn digest_pdf(m: &Received) -> Vec<u8> {
    let at = m
        .data
        .find("Content-Type: application/pdf")
        .expect("a PDF attached");
    let (_, body) = m.data[at..].split_once("\r\n\r\n").unwrap();
    let body = &body[..body.find("\r\n--").unwrap_or(body.len())];
    let b64: String = body.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

/// The HTML part of a message, its transfer encoding undone.
fn html_part(m: &Received) -> String {
    let at = m
        .data
        .find("Content-Type: text/html")
        .expect("an HTML part");
    let part = &m.data[at..];
    let (head, body) = part.split_once("\r\n\r\n").unwrap();
    let body = &body[..body.find("\r\n--").unwrap_or(body.len())];
    let head = head.to_ascii_lowercase();
    if head.contains("base64") {
        let b64: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        )
        .unwrap()
    } else if head.contains("quoted-printable") {
        let joined = body.replace("=\r\n", "");
        let mut out = Vec::with_capacity(joined.len());
        let bytes = joined.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() {
                out.push(u8::from_str_radix(&joined[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    } else {
        body.to_string()
    }
}

async fn email_about(sink: &SmtpSink, to: &str, about: &str) -> Received {
    loop {
        if let Some(m) = sink
            .to(to)
            .into_iter()
            .find(|m| m.header("Subject").is_some_and(|s| s.contains(about)))
        {
            return m;
        }
        let n = sink.received().len();
        sink.wait_for(n + 1).await;
    }
}

#[actix_web::test]
async fn forgot_password_reset_and_verify_in_the_browser() {
    let Some(driver) = Driver::start("pages::email_links").await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(move |raw| {
        raw.smtp_url = Some(url);
        raw.mail_retry_base_ms = 50;
    })
    .await;
    let parent = app.register("parent").await;
    let b = driver.browser(&app.address, "parent").await;

    // The address confirmed from the link.
    let verify = email_about(&sink, &parent.email, "Confirm").await;
    let token = verify.link_param("/verify", "token").unwrap();
    b.goto(&format!("/verify?token={token}")).await;
    b.wait_text("#outcome", "confirmed").await;
    check(&b, "verify").await;
    // The token left the address bar.
    assert_eq!(b.js("return location.search").await, json!(""));

    // Forgot password? from the sign-in page.
    b.goto("/").await;
    b.wait_js(
        "the front page is ready",
        "document.body.dataset.ready === 'true'",
    )
    .await;
    b.click("#to-forgot", None).await;
    b.fill("#forgot-email", &parent.email).await;
    b.click("#forgot button[type=submit]", None).await;
    b.wait_text("#forgot-sent", "on its way").await;
    check(&b, "forgot").await;
    let reset = email_about(&sink, &parent.email, "Reset").await;
    let token = reset.link_param("/reset", "token").unwrap();

    b.goto(&format!("/reset?token={token}")).await;
    b.wait_js(
        "the reset page is ready",
        "document.body.dataset.ready === 'true'",
    )
    .await;
    check(&b, "reset").await;
    b.fill("#reset-password", "a new password for Ana").await;
    b.click("#reset button[type=submit]", None).await;
    b.wait_text("#outcome", "Sign in with it now").await;
    let old = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": parent.email, "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(old.status, awc::http::StatusCode::UNAUTHORIZED);
    let new = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": parent.email, "password": "a new password for Ana"}),
        )
        .await;
    assert_eq!(new.status, awc::http::StatusCode::OK);

    // The same link again: said plainly.
    b.goto(&format!("/reset?token={token}")).await;
    b.fill("#reset-password", "yet another password").await;
    b.click("#reset button[type=submit]", None).await;
    b.wait_text("#outcome", "does not work any more").await;
    b.no_console_errors().await;
    b.quit().await;
}

#[actix_web::test]
async fn the_weekly_digest_reads_well() {
    use chrono::Datelike;
    use diesel::prelude::*;
    use studyhub::infra::db::schema::screen_time_logs;
    let Some(driver) = Driver::start("pages::email_links").await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(move |raw| {
        raw.smtp_url = Some(url);
        raw.mail_retry_base_ms = 50;
    })
    .await;
    let (parent, mia) = app.parent_with_child("Mia").await;
    let leo = app
        .post(
            "/v1/children",
            Some(&parent.access),
            &json!({"name": "Leo", "age": 9}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Last week, as stored: time on most days for Mia, a little for Leo.
    let today = chrono::Utc::now().date_naive();
    let monday = today - chrono::Duration::days(today.weekday().num_days_from_monday() as i64 + 7);
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    let t = chrono::Utc::now().naive_utc();
    for (child, minutes) in [
        (&mia, [22, 35, 0, 41, 18, 55, 30]),
        (&leo, [0, 12, 0, 0, 25, 0, 8]),
    ] {
        for (i, m) in minutes.iter().enumerate() {
            if *m == 0 {
                continue;
            }
            let day = monday + chrono::Duration::days(i as i64);
            diesel::insert_into(screen_time_logs::table)
                .values((
                    screen_time_logs::id.eq(uuid::Uuid::now_v7().to_string()),
                    screen_time_logs::learner_id.eq(child),
                    screen_time_logs::date.eq(day),
                    screen_time_logs::started_at.eq(day.and_hms_opt(16, 0, 0).unwrap()),
                    screen_time_logs::seconds.eq(m * 60),
                    screen_time_logs::updated_at.eq(t),
                ))
                .execute(&mut conn)
                .unwrap();
        }
    }
    // Activities played last week, an achievement and a request for more time.
    use studyhub::infra::db::schema::{activity_sessions, learner_achievements, time_requests};
    let played = [
        (&mia, "math-addition-1", 0, 92.0, 3),
        (&mia, "science-animals-1", 1, 80.0, 2),
        (&mia, "math-subtraction-1", 3, 100.0, 3),
        (&mia, "music-note-values-1", 5, 67.0, 2),
        (&mia, "science-space-1", 5, 88.0, 3),
        (&leo, "math-counting-1", 1, 75.0, 2),
        (&leo, "science-plants-1", 4, 90.0, 3),
    ];
    for (child, activity, day, accuracy, stars) in played {
        let end = (monday + chrono::Duration::days(day))
            .and_hms_opt(17, 30, 0)
            .unwrap();
        diesel::insert_into(activity_sessions::table)
            .values((
                activity_sessions::id.eq(uuid::Uuid::now_v7().to_string()),
                activity_sessions::learner_id.eq(child),
                activity_sessions::activity_id.eq(activity),
                activity_sessions::status.eq("completed"),
                activity_sessions::questions_total.eq(8),
                activity_sessions::questions_answered.eq(8),
                activity_sessions::questions_correct.eq(7),
                activity_sessions::accuracy.eq(Some(accuracy)),
                activity_sessions::stars.eq(Some(stars)),
                activity_sessions::last_saved_seq.eq(8),
                activity_sessions::started_at.eq(end - chrono::Duration::minutes(6)),
                activity_sessions::ended_at.eq(Some(end)),
                activity_sessions::duration_seconds.eq(Some(360)),
                activity_sessions::updated_at.eq(end),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    diesel::insert_into(learner_achievements::table)
        .values((
            learner_achievements::learner_id.eq(&mia),
            learner_achievements::achievement_id.eq("first-steps"),
            learner_achievements::unlocked_at.eq(monday.and_hms_opt(17, 31, 0).unwrap()),
        ))
        .execute(&mut conn)
        .unwrap();
    let asked = (monday + chrono::Duration::days(5))
        .and_hms_opt(18, 10, 0)
        .unwrap();
    diesel::insert_into(time_requests::table)
        .values((
            time_requests::id.eq(uuid::Uuid::now_v7().to_string()),
            time_requests::learner_id.eq(&mia),
            time_requests::parent_id.eq(&parent.id),
            time_requests::seconds.eq(900),
            time_requests::status.eq("approved"),
            time_requests::created_at.eq(asked),
            time_requests::answered_at.eq(Some(asked)),
            time_requests::granted_seconds.eq(Some(600)),
        ))
        .execute(&mut conn)
        .unwrap();

    let mut raw = crate::common::test_config(&app.db);
    raw.smtp_url = Some(sink.url());
    studyhub::features::mail::digest::send_last_full_week(&raw.resolve().unwrap())
        .await
        .unwrap();
    let digest = email_about(&sink, &parent.email, "week on StudyHub").await;
    let html = html_part(&digest);
    assert!(
        html.contains("Mia") && html.contains("Leo") && html.contains("3 h 21"),
        "{html}"
    );

    let b = driver.browser(&app.address, "parent").await;
    let data = base64::engine::general_purpose::STANDARD.encode(&html);
    b.c.goto(&format!("data:text/html;charset=utf-8;base64,{data}"))
        .await
        .unwrap();
    b.wait_js(
        "the digest is shown",
        "document.body.innerText.includes('Leo')",
    )
    .await;
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 680, "height": 1160, "deviceScaleFactor": 1, "mobile": false}),
    )
    .await;
    if let Some(dir) = std::env::var_os("STUDYHUB_SCREENSHOTS") {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        std::fs::create_dir_all(&dir).unwrap();
        let png = b.c.screenshot().await.unwrap();
        std::fs::write(dir.join("digest-email.png"), png).unwrap();
        // The report it carries, its first page as a picture where poppler's pdftoppm is
        // installed (a screenshot step only, not a test).
        let pdf = digest_pdf(&digest);
        assert!(pdf.starts_with(b"%PDF-"));
        let file = std::env::temp_dir().join(format!("digest-{}.pdf", std::process::id()));
        std::fs::write(&file, &pdf).unwrap();
        let _ = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", "60", "-singlefile", "-f", "1", "-l", "1"])
            .arg(&file)
            .arg(dir.join("digest-report"))
            .status();
    }

    // The family page turns it off (what the email's footer says), saved by the server.
    super::actions::sign_in(&b, &parent.email, "/parent").await;
    b.wait_js(
        "the digest choice is loaded",
        "document.querySelector('#email-digest')?.checked === true && !document.querySelector('#email-digest').disabled",
    )
    .await;
    b.click("#email-digest", None).await;
    b.wait_text("#digest-status", "no more weekly digest").await;
    let prefs = app.get("/v1/me/preferences", Some(&parent.access)).await;
    assert_eq!(prefs.body, json!({"email_digest": false}));
    b.no_console_errors().await;
    b.quit().await;
}
