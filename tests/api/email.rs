//! Email: a password reset, address verification, and the outbox that survives an SMTP
//! server going away. A real SMTP server on 127.0.0.1 (`common::smtp`) gets what is sent.

use std::time::Duration;

use awc::http::StatusCode;
use diesel::prelude::*;
use serde_json::json;
use studyhub::RawConfig;
use studyhub::infra::db::schema::{email_tokens, mail_outbox};

use crate::common::smtp::{Received, SmtpSink};
use crate::common::wait::poll_until;
use crate::common::{self, Account, TEST_PASSWORD, TestApp, TestDb};

fn mail_to(raw: &mut RawConfig, sink: &SmtpSink) {
    raw.smtp_url = Some(sink.url());
    raw.public_url = Some("https://studyhub.example".into());
    raw.mail_from = Some("StudyHub <hello@studyhub.example>".into());
    raw.mail_retry_base_ms = 50;
}

async fn app_mailing_to(sink: &SmtpSink, customize: impl FnOnce(&mut RawConfig)) -> TestApp {
    let url = sink.url();
    common::spawn_app_with(move |raw| {
        raw.smtp_url = Some(url);
        raw.public_url = Some("https://studyhub.example".into());
        raw.mail_from = Some("StudyHub <hello@studyhub.example>".into());
        raw.mail_retry_base_ms = 50;
        customize(raw);
    })
    .await
}

/// The first email to `to` whose subject contains `about`, waiting for it.
async fn email_to(sink: &SmtpSink, to: &str, about: &str) -> Received {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(m) = sink
            .to(to)
            .into_iter()
            .find(|m| m.header("Subject").is_some_and(|s| s.contains(about)))
        {
            return m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no email about {about:?} to {to}: {:?}",
            sink.received()
        );
        let n = sink.received().len();
        sink.wait_for(n + 1).await;
    }
}

fn rows_in_outbox(db: &TestDb) -> i64 {
    let mut conn = studyhub::infra::db::establish(&db.url).unwrap();
    mail_outbox::table
        .filter(mail_outbox::dead_at.is_null())
        .count()
        .get_result(&mut conn)
        .unwrap()
}

async fn login(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.post(
        "/v1/auth/login",
        None,
        &json!({"email": email, "password": password}),
    )
    .await
    .status
}

#[actix_web::test]
async fn a_reset_link_works_once_and_ends_every_session() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink, |_| {}).await;
    let parent = app.register("parent").await;

    let res = app
        .post(
            "/v1/auth/password-reset",
            None,
            &json!({"email": parent.email.to_uppercase()}),
        )
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let mail = email_to(&sink, &parent.email, "Reset").await;
    assert_eq!(mail.from, "hello@studyhub.example");
    assert!(
        mail.text()
            .contains("https://studyhub.example/reset?token="),
        "{}",
        mail.data
    );
    assert!(mail.data.contains("text/plain") && mail.data.contains("text/html"));
    let token = mail
        .link_param("/reset", "token")
        .expect("a token in the link");

    // One of the most common passwords is refused (and the token is not spent by it).
    let res = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            &json!({"token": token, "password": "password1"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body["error"]["details"]["fields"]["password"].is_string());

    // Signed in on a socket meanwhile: it closes when the password is reset.
    let mut feed = app.ws("/v1/parent/live", &parent.access).await;
    let res = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            &json!({"token": token, "password": "a brand new password"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(feed.expect_close().await, Some(4003));
    assert_eq!(
        app.get("/v1/auth/me", Some(&parent.access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let refreshed = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": parent.refresh}),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(&app, &parent.email, TEST_PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, &parent.email, "a brand new password").await,
        StatusCode::OK
    );
    // The owner is told, whoever asked for the link.
    let told = email_to(&sink, &parent.email, "password was changed").await;
    assert!(told.text().contains("reset link"), "{}", told.data);

    // Once only.
    let again = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            &json!({"token": token, "password": "yet another password"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again.body["error"]["details"]["fields"]["token"].is_string(),
        "{}",
        again.body
    );
    assert_eq!(
        login(&app, &parent.email, "a brand new password").await,
        StatusCode::OK
    );

    // Audited.
    let admin = app.admin().await;
    let log = app
        .get("/v1/audit?action=password_reset", Some(&admin.access))
        .await;
    assert!(
        log.raw.windows(14).any(|w| w == b"password_reset"),
        "{}",
        log.body
    );
}

#[actix_web::test]
async fn an_unknown_address_gets_the_same_answer_and_no_email() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink, |_| {}).await;
    let parent = app.register("parent").await;
    let nobody = format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple());
    let unknown = app
        .post("/v1/auth/password-reset", None, &json!({"email": nobody}))
        .await;
    let known = app
        .post(
            "/v1/auth/password-reset",
            None,
            &json!({"email": parent.email}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::ACCEPTED);
    assert_eq!((unknown.status, unknown.raw), (known.status, known.raw));
    // Sent oldest first: the known address's email is there, nothing to the unknown one.
    email_to(&sink, &parent.email, "Reset").await;
    assert!(sink.to(&nobody).is_empty());
    poll_until(Duration::from_secs(20), "the outbox empty", || {
        std::future::ready(rows_in_outbox(&app.db) == 0)
    })
    .await;
    assert!(sink.to(&nobody).is_empty());

    // Not an address at all: 422 on the field.
    let bad = app
        .post(
            "/v1/auth/password-reset",
            None,
            &json!({"email": "not-an-address"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Limited per address asked for (5 an hour), whether or not it has an account.
    for _ in 0..4 {
        let r = app
            .post("/v1/auth/password-reset", None, &json!({"email": nobody}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    let limited = app
        .post("/v1/auth/password-reset", None, &json!({"email": nobody}))
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.get("retry-after").is_some());
}

#[actix_web::test]
async fn a_reset_link_expires_after_thirty_minutes() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink, |_| {}).await;
    let parent = app.register("parent").await;
    app.post(
        "/v1/auth/password-reset",
        None,
        &json!({"email": parent.email}),
    )
    .await;
    let token = email_to(&sink, &parent.email, "Reset")
        .await
        .link_param("/reset", "token")
        .unwrap();
    // 31 minutes later (the row's clock moved back rather than the test waiting).
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    let created: chrono::NaiveDateTime = email_tokens::table
        .filter(email_tokens::purpose.eq("password_reset"))
        .select(email_tokens::created_at)
        .first(&mut conn)
        .unwrap();
    diesel::update(email_tokens::table.filter(email_tokens::purpose.eq("password_reset")))
        .set(email_tokens::expires_at.eq(created - chrono::Duration::minutes(1)))
        .execute(&mut conn)
        .unwrap();
    let res = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            &json!({"token": token, "password": "a brand new password"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(
        login(&app, &parent.email, TEST_PASSWORD).await,
        StatusCode::OK
    );
    // A made-up token is refused the same way.
    let res = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            &json!({"token": "made-up", "password": "a brand new password"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn registration_sends_a_verification_link_that_adding_a_child_may_require() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink, |raw| raw.require_verified_email = true).await;
    let parent = app.register("parent").await;
    assert_eq!(parent.body["user"]["email_verified"], false);
    let child = json!({"name": "Mia", "age": 7});
    let refused = app.post("/v1/children", Some(&parent.access), &child).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.code(), "email_unverified");

    let mail = email_to(&sink, &parent.email, "Confirm").await;
    assert!(
        mail.text()
            .contains("https://studyhub.example/verify?token=")
    );
    let token = mail.link_param("/verify", "token").unwrap();
    let res = app
        .post("/v1/auth/verify-email", None, &json!({"token": token}))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let me = app.get("/v1/auth/me", Some(&parent.access)).await;
    assert_eq!(me.body["user"]["email_verified"], true, "{}", me.body);
    let added = app.post("/v1/children", Some(&parent.access), &child).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    // Once only.
    let again = app
        .post("/v1/auth/verify-email", None, &json!({"token": token}))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn without_smtp_emails_are_files_in_the_outbox_folder() {
    let app = common::spawn_app().await;
    let parent = app.register("parent").await;
    let folder = app.db.data_dir().join("outbox");
    let mut found = None;
    poll_until(
        Duration::from_secs(20),
        "an .eml file in the outbox folder",
        || {
            let files: Vec<_> = std::fs::read_dir(&folder)
                .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            found = files
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .map(|p| std::fs::read_to_string(p).unwrap())
                .find(|m| m.contains(&parent.email));
            std::future::ready(found.is_some())
        },
    )
    .await;
    let mail = found.unwrap();
    assert!(
        mail.contains("Subject: Confirm your email address"),
        "{mail}"
    );
    poll_until(Duration::from_secs(20), "the outbox empty", || {
        std::future::ready(rows_in_outbox(&app.db) == 0)
    })
    .await;
}

#[actix_web::test]
async fn an_smtp_server_going_away_mid_send_loses_no_email_and_sends_it_once() {
    let sink = SmtpSink::start().await;
    // Cut off after DATA, before its 250: the sender cannot know, and tries again.
    sink.drop_in_data(1);
    let app = app_mailing_to(&sink, |_| {}).await;
    let first = app.register("parent").await;
    email_to(&sink, &first.email, "Confirm").await;
    assert_eq!(sink.to(&first.email).len(), 1);

    // Away altogether, then back.
    sink.stop().await;
    let second = app.register("parent").await;
    poll_until(Duration::from_secs(20), "a failed try recorded", || {
        let url = app.db.url.clone();
        async move {
            let mut conn = studyhub::infra::db::establish(&url).unwrap();
            mail_outbox::table
                .filter(mail_outbox::last_error.is_not_null())
                .count()
                .get_result::<i64>(&mut conn)
                .unwrap()
                > 0
        }
    })
    .await;
    sink.resume().await;
    email_to(&sink, &second.email, "Confirm").await;
    poll_until(Duration::from_secs(20), "the outbox empty", || {
        std::future::ready(rows_in_outbox(&app.db) == 0)
    })
    .await;
    assert_eq!(sink.to(&second.email).len(), 1);
    assert_eq!(sink.to(&first.email).len(), 1);
}

#[actix_web::test]
async fn an_email_that_never_goes_becomes_a_dead_letter_an_admin_can_retry() {
    let sink = SmtpSink::start().await;
    sink.stop().await;
    let app = app_mailing_to(&sink, |raw| {
        raw.mail_max_attempts = 3;
        raw.mail_retry_base_ms = 20;
    })
    .await;
    let admin = app.admin().await;
    let parent = app.register("parent").await;
    let found = std::cell::RefCell::new(serde_json::Value::Null);
    crate::common::wait::poll_until(
        Duration::from_secs(20),
        "the email becomes a dead letter",
        || async {
            let page = app.get("/v1/admin/dead-letters", Some(&admin.access)).await;
            let letter = page.body["dead_letters"]
                .as_array()
                .and_then(|a| a.iter().find(|l| l["kind"] == "email").cloned());
            letter.map(|l| *found.borrow_mut() = l).is_some()
        },
    )
    .await;
    let letter = found.into_inner();
    assert_eq!(letter["payload"]["to"], parent.email.as_str(), "{letter}");
    assert_eq!(letter["payload"]["attempts"], 3);
    assert!(sink.received().is_empty());

    sink.resume().await;
    let id = letter["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/v1/admin/dead-letters/{id}/retry"),
            Some(&admin.access),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    email_to(&sink, &parent.email, "Confirm").await;
    let page = app.get("/v1/admin/dead-letters", Some(&admin.access)).await;
    assert!(
        !page.raw.windows(7).any(|w| w == b"\"email\""),
        "{}",
        page.body
    );
}

#[actix_web::test]
async fn two_nodes_on_one_database_send_each_email_once() {
    let sink = SmtpSink::start().await;
    let db = TestDb::new();
    let start = |db: &TestDb| {
        let mut raw = common::test_config(db);
        raw.smtp_url = Some(sink.url());
        raw.mail_retry_base_ms = 50;
        raw
    };
    let a = studyhub::Application::build(start(&db).resolve().unwrap())
        .await
        .unwrap();
    let b = studyhub::Application::build(start(&db).resolve().unwrap())
        .await
        .unwrap();
    let (pa, pb) = (a.port(), b.port());
    actix_web::rt::spawn(a.run_until_stopped());
    actix_web::rt::spawn(b.run_until_stopped());
    let (na, nb) = (common::Api::new(pa), common::Api::new(pb));
    let mut accounts: Vec<Account> = Vec::new();
    for i in 0..10 {
        let node = if i % 2 == 0 { &na } else { &nb };
        accounts.push(node.register("parent").await);
    }
    // Both nodes look at every row; each goes out once.
    for account in &accounts {
        let nodes = [&na, &nb];
        for node in nodes {
            let r = node
                .post(
                    "/v1/auth/password-reset",
                    None,
                    &json!({"email": account.email}),
                )
                .await;
            assert_eq!(r.status, StatusCode::ACCEPTED);
        }
    }
    sink.wait_for(30).await;
    poll_until(Duration::from_secs(20), "the outbox empty", || {
        std::future::ready(rows_in_outbox(&db) == 0)
    })
    .await;
    for account in &accounts {
        assert_eq!(sink.to(&account.email).len(), 3, "{}", account.email);
    }
    assert_eq!(sink.received().len(), 30);
}

/// The settings `studyhub send-digests` would run with against `app`'s database.
fn command_settings(app: &TestApp, sink: &SmtpSink) -> studyhub::Settings {
    let mut raw = common::test_config(&app.db);
    mail_to(&mut raw, sink);
    raw.resolve().unwrap()
}

#[actix_web::test]
async fn the_weekly_digest_goes_once_whoever_sends_it_and_unsubscribes_in_one_click() {
    use chrono::Datelike;
    use studyhub::features::mail::digest::send_last_full_week;
    use studyhub::infra::db::schema::screen_time_logs;
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink, |_| {}).await;
    let (parent, child) = app.parent_with_child("Mia").await;
    email_to(&sink, &parent.email, "Confirm").await;
    // Last week's Tuesday: 25 minutes (the child's time zone is UTC).
    let today = chrono::Utc::now().date_naive();
    let tuesday = today - chrono::Duration::days(today.weekday().num_days_from_monday() as i64 + 6);
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    let t = chrono::Utc::now().naive_utc();
    diesel::insert_into(screen_time_logs::table)
        .values((
            screen_time_logs::id.eq(uuid::Uuid::now_v7().to_string()),
            screen_time_logs::learner_id.eq(&child),
            screen_time_logs::date.eq(tuesday),
            screen_time_logs::started_at.eq(tuesday.and_hms_opt(16, 0, 0).unwrap()),
            screen_time_logs::seconds.eq(1500),
            screen_time_logs::updated_at.eq(t),
        ))
        .execute(&mut conn)
        .unwrap();

    // Two runs at once (two nodes, or two operators): one digest.
    let (one, two) = (command_settings(&app, &sink), command_settings(&app, &sink));
    let (a, b) = tokio::join!(send_last_full_week(&one), send_last_full_week(&two));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let digest = email_to(&sink, &parent.email, "week on StudyHub").await;
    assert_eq!(send_last_full_week(&one).await.unwrap(), 0);
    assert!(
        digest.header("Subject").unwrap().contains("Mia"),
        "{}",
        digest.data
    );
    for part in ["text/plain", "text/html", "application/pdf", "25 min"] {
        assert!(digest.text().contains(part), "{part} in {}", digest.data);
    }
    assert_eq!(
        digest.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let link = digest.header("List-Unsubscribe").unwrap();
    let path = link
        .trim_start_matches("<https://studyhub.example")
        .trim_end_matches('>')
        .to_string();
    assert!(path.starts_with("/v1/email/unsubscribe?user="), "{link}");

    // A link for someone else, or altered: refused.
    let forged = path.replace(&parent.id, &uuid::Uuid::now_v7().to_string());
    let res = app
        .post_raw(
            &forged,
            "application/x-www-form-urlencoded",
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // The mail client's one click (RFC 8058): no sign-in.
    let res = app
        .post_raw(
            &path,
            "application/x-www-form-urlencoded",
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let prefs = app.get("/v1/me/preferences", Some(&parent.access)).await;
    assert_eq!(prefs.body, json!({"email_digest": false}));
    // Off: the next run leaves the family out, even for a week not sent yet.
    diesel::delete(studyhub::infra::db::schema::digest_runs::table)
        .execute(&mut conn)
        .unwrap();
    assert_eq!(send_last_full_week(&one).await.unwrap(), 0);
    // And on again from the family page.
    let res = app
        .put(
            "/v1/me/preferences",
            Some(&parent.access),
            &json!({"email_digest": true}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(send_last_full_week(&one).await.unwrap(), 1);
}

/// Signs in as a browser naming itself `user_agent`.
async fn login_from(app: &TestApp, email: &str, user_agent: &str) -> StatusCode {
    app.client
        .post(app.url("/v1/auth/login"))
        .insert_header(("user-agent", user_agent))
        .send_json(&json!({"email": email, "password": TEST_PASSWORD}))
        .await
        .unwrap()
        .status()
}

#[actix_web::test]
async fn the_owner_is_told_of_a_new_browser_and_of_a_password_change() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink, |_| {}).await;
    let parent = app.register("parent").await;
    let new_sign_ins = || {
        sink.to(&parent.email)
            .into_iter()
            .filter(|m| {
                m.header("Subject")
                    .is_some_and(|s| s.contains("new sign-in"))
            })
            .count()
    };

    // The browser that registered is known: signing in again from it tells nobody.
    assert_eq!(
        login(&app, &parent.email, TEST_PASSWORD).await,
        StatusCode::OK
    );
    // Another one: its owner is told which, and from where.
    let laptop = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0";
    assert_eq!(
        login_from(&app, &parent.email, laptop).await,
        StatusCode::OK
    );
    let told = email_to(&sink, &parent.email, "new sign-in").await;
    assert!(told.text().contains("Firefox/140.0"), "{}", told.data);
    assert!(told.text().contains("127.0.0.1"), "{}", told.data);
    assert!(
        told.text().contains("https://studyhub.example/reset"),
        "{}",
        told.data
    );
    // Known now: the next sign-in from it tells nobody. A wrong password tells nobody either.
    assert_eq!(
        login_from(&app, &parent.email, laptop).await,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, &parent.email, "not the password").await,
        StatusCode::UNAUTHORIZED
    );

    // The password changed in the settings: told too. The emails go out in order, so by
    // then any second "new sign-in" would have arrived.
    let res = app
        .post(
            "/v1/auth/password",
            Some(&parent.access),
            &json!({"current_password": TEST_PASSWORD, "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let changed = email_to(&sink, &parent.email, "password was changed").await;
    assert!(changed.text().contains("settings"), "{}", changed.data);
    assert_eq!(new_sign_ins(), 1, "{:?}", sink.received());
}
