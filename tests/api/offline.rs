//! Offline play over HTTP on a real server and database: the pack (only `offline` activities
//! the learner may see, with their keys), and every rule of the sync — sent twice or cut off
//! and sent again stores each answer once, two devices' overlapping time counts once, spans
//! in the future, before the pack or backwards are refused, the server's grade stands when
//! the author changed a key, an archived activity's session still counts, nothing after the
//! account is erased, and the parent hears of it as of live play.

use awc::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::common::rest_play::{Answers, addition, space};
use crate::common::{Account, TEST_PASSWORD, TestApp, spawn_app};
use studyhub::infra::db::schema::{activity_sessions, answers, offline_packs};

fn sync_path(learner: &str) -> String {
    format!("/v1/learners/{learner}/sync")
}

async fn pack(app: &TestApp, token: &str, learner: &str) -> Value {
    let res = app
        .get(&format!("/v1/learners/{learner}/offline-pack"), Some(token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body
}

/// Every pack of the learner issued `minutes` earlier (the device played after it was issued).
fn backdate_packs(app: &TestApp, learner: &str, minutes: i64) {
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    let packs: Vec<(String, chrono::NaiveDateTime, chrono::NaiveDateTime)> = offline_packs::table
        .filter(offline_packs::learner_id.eq(learner))
        .select((
            offline_packs::id,
            offline_packs::issued_at,
            offline_packs::expires_at,
        ))
        .load(&mut conn)
        .unwrap();
    for (id, issued, expires) in packs {
        diesel::update(offline_packs::table.find(id))
            .set((
                offline_packs::issued_at.eq(issued - Duration::minutes(minutes)),
                offline_packs::expires_at.eq(expires - Duration::minutes(minutes)),
            ))
            .execute(&mut conn)
            .unwrap();
    }
}

fn stored_answers(app: &TestApp, session: &str) -> i64 {
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    answers::table
        .filter(answers::session_id.eq(session))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

fn session_row(app: &TestApp, session: &str) -> (String, bool) {
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    activity_sessions::table
        .find(session)
        .select((activity_sessions::status, activity_sessions::offline))
        .first(&mut conn)
        .unwrap()
}

/// A session as a device sends it: the first `n` of `answers` (those in `wrong` wrongly), a
/// minute apart from `start`.
fn played(
    sid: &str,
    activity: &str,
    start: DateTime<Utc>,
    answers: &Answers,
    n: usize,
    wrong: &[&str],
    finished: bool,
) -> Value {
    let list: Vec<Value> = answers
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, (q, right, bad))| {
            let given = if wrong.contains(q) { bad } else { right };
            json!({"seq": i + 1, "question_id": q, "answer": given,
                "answered_at": start + Duration::minutes(i as i64 + 1)})
        })
        .collect();
    json!({"session_id": sid, "activity_id": activity, "started_at": start,
        "finished": finished, "answers": list})
}

async fn progress(app: &TestApp, token: &str, learner: &str) -> Value {
    let res = app
        .get(&format!("/v1/learners/{learner}/progress"), Some(token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body
}

async fn today(app: &TestApp, token: &str, child: &str) -> Value {
    let res = app
        .get(
            &format!("/v1/children/{child}/screen-time/today"),
            Some(token),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[actix_web::test]
async fn the_pack_holds_only_offline_activities_the_learner_may_see_with_their_keys() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ada").await;
    // An admin's activity not marked offline stays out, published or not.
    let admin = app.admin().await;
    let res = app
        .post(
            "/v1/activities",
            Some(&admin.access),
            &quiz("zz-online-only", false, 2),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    publish(&app, &admin, "zz-online-only").await;
    // A teacher's private offline quiz is not the child's to see.
    let teacher = app.register("teacher").await;
    let mut private = quiz("zz-private-offline", true, 2);
    private["visibility"] = json!("private");
    let res = app
        .post("/v1/activities", Some(&teacher.access), &private)
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);

    let before = Utc::now() - Duration::seconds(2);
    let body = pack(&app, &parent.access, &child).await;
    let issued: DateTime<Utc> = body["issued_at"].as_str().unwrap().parse().unwrap();
    let expires: DateTime<Utc> = body["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(issued >= before && issued <= Utc::now(), "{body}");
    assert_eq!(expires - issued, Duration::days(7));
    assert_eq!(body["time"]["limit_seconds"], 3600);
    assert_eq!(body["time"]["left_seconds"], 3600);
    assert!(body["downtime"].as_array().unwrap().is_empty());
    let ids: Vec<&str> = body["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"math-addition-1"), "{ids:?}");
    assert!(!ids.contains(&"zz-online-only"), "{ids:?}");
    assert!(!ids.contains(&"zz-private-offline"), "{ids:?}");
    // Keys and explanations travel with the pack (and only there).
    let addition = body["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "math-addition-1")
        .unwrap();
    assert_eq!(addition["questions"][0]["correct_answer"], 7);
    assert!(addition["questions"][0]["explanation"].is_string());

    // A stranger gets 404 for both routes; the child's own device may use them.
    let stranger = app.register("parent").await;
    let res = app
        .get(
            &format!("/v1/learners/{child}/offline-pack"),
            Some(&stranger.access),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .post(
            &sync_path(&child),
            Some(&stranger.access),
            &json!({"device_id": "x"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let device = device_token(&app, &parent, &child).await;
    pack(&app, &device, &child).await;
    let res = app
        .post(
            &sync_path(&child),
            Some(&device),
            &json!({"device_id": "tablet"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[actix_web::test]
async fn a_sync_sent_twice_or_cut_off_and_sent_again_stores_each_answer_once() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ben").await;
    pack(&app, &parent.access, &child).await;
    backdate_packs(&app, &child, 60);
    let sid = new_id();
    let start = Utc::now() - Duration::minutes(30);
    let answers = addition();
    // Cut off: only the first three answers arrived.
    let cut = json!({"device_id": "phone",
        "sessions": [played(&sid, "math-addition-1", start, &answers, 3, &["q2"], false)]});
    let res = app
        .post(&sync_path(&child), Some(&parent.access), &cut)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["sessions"][0]["stored_up_to_seq"], 3);
    assert!(res.body["sessions"][0]["completed"].is_null());
    assert_eq!(stored_answers(&app, &sid), 3);

    // The whole of it, then the same again: seven answers, one completion.
    let whole = json!({"device_id": "phone",
        "sessions": [played(&sid, "math-addition-1", start, &answers, 7, &["q2"], true)]});
    let mut results = Vec::new();
    for _ in 0..2 {
        let res = app
            .post(&sync_path(&child), Some(&parent.access), &whole)
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        results.push(res.body["sessions"][0].clone());
    }
    assert_eq!(results[0]["stored_up_to_seq"], 7);
    assert_eq!(results[0]["completed"], results[1]["completed"]);
    let done = &results[0]["completed"];
    assert_eq!(done["questions_total"], 7);
    assert_eq!(done["questions_correct"], 6, "graded by the server: {done}");
    assert_eq!(done["stars"], 2);
    // Answered a minute apart: seven minutes from the start to the last answer.
    assert_eq!(done["duration_seconds"], 7 * 60);
    assert_eq!(stored_answers(&app, &sid), 7);
    assert_eq!(
        session_row(&app, &sid),
        ("completed".to_string(), true),
        "stored as an offline session"
    );
    let p = progress(&app, &parent.access, &child).await;
    assert_eq!(p["activities_completed"], 1, "{p}");
    assert_eq!(p["questions_answered"], 7, "{p}");

    // The same session id sent by another learner's family is not theirs to write.
    let (other, other_child) = app.parent_with_child("Cy").await;
    pack(&app, &other.access, &other_child).await;
    let res = app
        .post(&sync_path(&other_child), Some(&other.access), &whole)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["sessions"][0]["error"], "no_session");
    assert_eq!(stored_answers(&app, &sid), 7);
}

#[actix_web::test]
async fn two_devices_overlapping_time_counts_once_even_past_the_limit() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Dee").await;
    let res = app
        .put(
            &format!("/v1/children/{child}/settings"),
            Some(&parent.access),
            &json!({"daily_time_limit_seconds": 600}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    pack(&app, &parent.access, &child).await;
    backdate_packs(&app, &child, 60);
    // Whole minutes inside today's first hour would cross midnight early in the day: keep
    // the spans just before now.
    let now = Utc::now();
    let a = json!({"from": now - Duration::minutes(20), "to": now - Duration::minutes(10)});
    let b = json!({"from": now - Duration::minutes(15), "to": now - Duration::minutes(5)});
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &json!({"device_id": "tablet", "time": [a]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["time"]["used_seconds"], 600);
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &json!({"device_id": "phone", "time": [b, a]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // 20 to 5 minutes ago: fifteen minutes, past the ten-minute limit (it happened).
    assert_eq!(res.body["time"]["used_seconds"], 900, "{}", res.body);
    assert_eq!(res.body["time"]["left_seconds"], 0);
    // Sent again: nothing more.
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &json!({"device_id": "phone", "time": [b]}),
        )
        .await;
    assert_eq!(res.body["time"]["used_seconds"], 900);
    let t = today(&app, &parent.access, &child).await;
    assert_eq!(t["used_seconds"], 900, "{t}");
    let offline: Vec<&Value> = t["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["offline"] == true)
        .collect();
    assert_eq!(offline.len(), 1, "{t}");
    assert_eq!(offline[0]["seconds"], 900);
    // The live budget heard it: the play socket says time is up.
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    let hello = ws.expect("hello").await;
    assert_eq!(hello["time"]["left_seconds"], 0, "{hello}");
}

#[actix_web::test]
async fn spans_in_the_future_before_the_pack_or_backwards_are_refused_and_nothing_is_kept() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Eve").await;
    let now = Utc::now();
    let sid = new_id();
    let session = played(
        &sid,
        "math-addition-1",
        now - Duration::minutes(9),
        &addition(),
        2,
        &[],
        false,
    );
    // No pack yet: nothing covers a span.
    let cases = [
        (
            json!({"from": now - Duration::minutes(5), "to": now - Duration::minutes(1)}),
            "time[0].from",
        ),
        (
            json!({"from": now - Duration::minutes(5), "to": now + Duration::hours(1)}),
            "time[0].to",
        ),
        (
            json!({"from": now - Duration::minutes(1), "to": now - Duration::minutes(5)}),
            "time[0].to",
        ),
        (
            json!({"from": now - Duration::days(3), "to": now - Duration::minutes(5)}),
            "time[0].to",
        ),
    ];
    for (span, field) in cases {
        let res = app
            .post(
                &sync_path(&child),
                Some(&parent.access),
                &json!({"device_id": "d", "sessions": [session], "time": [span]}),
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{span}: {}",
            res.body
        );
        assert!(
            res.body["error"]["details"]["fields"][field].is_string(),
            "{}",
            res.body
        );
    }
    // A pack issued now: a span from before it is still refused.
    pack(&app, &parent.access, &child).await;
    let early = json!({"from": now - Duration::minutes(5), "to": now - Duration::minutes(1)});
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &json!({"device_id": "d", "sessions": [session], "time": [early]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(
        stored_answers(&app, &sid),
        0,
        "nothing of a refused sync is kept"
    );
    // Bad sessions are named too.
    let mut bad = session.clone();
    bad["session_id"] = json!("not-a-uuid");
    bad["answers"][1]["answered_at"] = json!(now + Duration::hours(2));
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &json!({"device_id": "d", "sessions": [bad]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let fields = &res.body["error"]["details"]["fields"];
    assert!(fields["sessions[0].session_id"].is_string(), "{fields}");
    assert!(
        fields["sessions[0].answers[1].answered_at"].is_string(),
        "{fields}"
    );
    // A blank device id; a body over 1 MiB.
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &json!({"device_id": "  "}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let huge = json!({"device_id": "d", "padding": "x".repeat(1_100_000)});
    let res = app
        .post(&sync_path(&child), Some(&parent.access), &huge)
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.body);
    // Too many sessions.
    let many: Vec<Value> = (0..51)
        .map(|_| {
            played(
                &new_id(),
                "math-addition-1",
                now,
                &addition(),
                0,
                &[],
                false,
            )
        })
        .collect();
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &json!({"device_id": "d", "sessions": many}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
}

/// A device's clock may be a little behind the server's: play that seems to start before the
/// pack came, by less than the allowed skew, is taken; by more, refused with nothing kept.
#[actix_web::test]
async fn a_device_clock_behind_the_servers_by_less_than_the_skew_is_taken() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Eve").await;
    let body = pack(&app, &parent.access, &child).await;
    let issued: DateTime<Utc> = body["issued_at"].as_str().unwrap().parse().unwrap();
    let sync = |from: DateTime<Utc>, sid: &str| {
        json!({"device_id": "slow-clock",
            "sessions": [played(sid, "math-addition-1", from, &addition(), 1, &[], false)],
            "time": [{"from": from, "to": from + Duration::seconds(40)}]})
    };
    let (far, near) = (new_id(), new_id());
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &sync(issued - Duration::minutes(4), &far),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        res.body["error"]["details"]["fields"]["time[0].from"].is_string(),
        "{}",
        res.body
    );
    assert_eq!(stored_answers(&app, &far), 0);
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &sync(issued - Duration::seconds(90), &near),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(stored_answers(&app, &near), 1);
    assert_eq!(
        today(&app, &parent.access, &child).await["used_seconds"],
        40
    );
}

#[actix_web::test]
async fn the_servers_key_stands_and_an_archived_activity_still_counts() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/v1/activities",
            Some(&admin.access),
            &quiz("zz-offline-quiz", true, 2),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    publish(&app, &admin, "zz-offline-quiz").await;
    let (parent, child) = app.parent_with_child("Flo").await;
    let body = pack(&app, &parent.access, &child).await;
    let quiz_in_pack = body["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "zz-offline-quiz")
        .expect("an offline activity the child may see")
        .clone();
    assert_eq!(quiz_in_pack["questions"][0]["correct_answer"], 2);

    // The author changes the key after the pack left; the device's "right" answer is wrong.
    let res = app
        .put(
            "/v1/activities/zz-offline-quiz",
            Some(&admin.access),
            &quiz("zz-offline-quiz", true, 3),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let key: Answers = vec![("q1", json!(2), json!(0))];
    let sid = new_id();
    let start = Utc::now() - Duration::minutes(5);
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &json!({"device_id": "d", "sessions": [played(&sid, "zz-offline-quiz", start, &key, 1, &[], true)]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let done = &res.body["sessions"][0]["completed"];
    assert_eq!(done["questions_correct"], 0, "the server's key: {done}");
    assert_eq!(done["stars"], 1);

    // Archived meanwhile: a session played before still counts.
    let sid2 = new_id();
    let res = app
        .delete("/v1/activities/zz-offline-quiz", Some(&admin.access))
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    let key3: Answers = vec![("q1", json!(3), json!(0))];
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &json!({"device_id": "d", "sessions": [played(&sid2, "zz-offline-quiz", start, &key3, 1, &[], true)]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["sessions"][0]["completed"]["questions_correct"], 1);
    assert_eq!(stored_answers(&app, &sid2), 1);
    // An activity that never existed is named, not stored.
    let sid3 = new_id();
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &json!({"device_id": "d", "sessions": [played(&sid3, "no-such-activity", start, &key, 1, &[], true)]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["sessions"][0]["error"], "unknown_activity");
    assert_eq!(stored_answers(&app, &sid3), 0);
    let p = progress(&app, &parent.access, &child).await;
    assert_eq!(p["activities_completed"], 2, "{p}");
}

#[actix_web::test]
async fn nothing_is_taken_after_the_account_was_erased() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Gus").await;
    let device = device_token(&app, &parent, &child).await;
    pack(&app, &device, &child).await;
    let gone = app
        .client
        .delete(app.url("/v1/me"))
        .bearer_auth(&parent.access)
        .send_json(&json!({"password": TEST_PASSWORD}))
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let sid = new_id();
    let body = json!({"device_id": "d", "sessions": [played(&sid, "math-addition-1",
        Utc::now() - Duration::minutes(9), &addition(), 7, &[], true)]});
    for token in [&device, &parent.access] {
        let res = app.post(&sync_path(&child), Some(token), &body).await;
        assert!(
            res.status == StatusCode::UNAUTHORIZED || res.status == StatusCode::NOT_FOUND,
            "{}: {}",
            res.status,
            res.body
        );
    }
    assert_eq!(stored_answers(&app, &sid), 0);
}

#[actix_web::test]
async fn achievements_and_the_parents_notification_arrive_dated_when_played() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Hal").await;
    let mut feed = app.ws("/v1/parent/live", &parent.access).await;
    feed.until("hello").await;
    pack(&app, &parent.access, &child).await;
    let sid = new_id();
    let start = (Utc::now() - Duration::minutes(20)).trunc_subsecs_();
    let body = json!({"device_id": "d",
        "sessions": [played(&sid, "science-space-1", start, &space(), 7, &[], false)]});
    let res = app
        .post(&sync_path(&child), Some(&parent.access), &body)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        res.body["sessions"][0]["completed"]["stars"], 3,
        "every question answered completes it: {}",
        res.body
    );
    let told = feed.notification("activity_completed").await;
    assert_eq!(told["child_id"], child.as_str());
    assert_eq!(told["data"]["offline"], true);
    let at: DateTime<Utc> = told["created_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        at,
        start + Duration::minutes(7),
        "dated at the last answer: {told}"
    );
    feed.notification("achievement_unlocked").await;
    let res = app
        .get(
            &format!("/v1/learners/{child}/achievements"),
            Some(&parent.access),
        )
        .await;
    assert!(res.body.to_string().contains("first-steps"), "{}", res.body);
    // Sent again, the parent is not told twice.
    let res = app
        .post(&sync_path(&child), Some(&parent.access), &body)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let list = app.get("/v1/notifications", Some(&parent.access)).await;
    let completed = list.body.to_string().matches("activity_completed").count();
    assert_eq!(completed, 1, "{}", list.body);
}

/// A one-question quiz whose key is `key`, marked `offline` or not.
fn quiz(id: &str, offline: bool, key: i64) -> Value {
    json!({"id": id, "title": format!("Quiz {id}"), "category": "math",
        "sub_category": "offline-test", "difficulty": 1, "age_min": 5, "age_max": 9,
        "offline": offline,
        "questions": [{"id": "q1", "prompt": "1 + 1", "answer_type": "number",
            "correct_answer": key, "explanation": "two"}]})
}

async fn publish(app: &TestApp, admin: &Account, id: &str) {
    let res = app
        .post(
            &format!("/v1/activities/{id}/publish"),
            Some(&admin.access),
            &Value::Null,
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
}

/// "Play on this device": the child's access token.
async fn device_token(app: &TestApp, parent: &Account, child: &str) -> String {
    let res = app
        .post(
            &format!("/v1/children/{child}/device-session"),
            Some(&parent.access),
            &Value::Null,
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.body["access_token"].as_str().unwrap().to_string()
}

trait Trunc {
    fn trunc_subsecs_(self) -> Self;
}

impl Trunc for DateTime<Utc> {
    /// Whole seconds, as the database keeps notification times comparable.
    fn trunc_subsecs_(self) -> Self {
        use chrono::SubsecRound;
        self.trunc_subsecs(0)
    }
}

/// With nodes sharing Redis, offline time joins the shared day total: the live budget on the
/// node where the child plays keeps it across that node's settles with the other nodes.
#[actix_web::test]
async fn offline_time_stays_in_the_budget_of_nodes_sharing_redis() {
    let Some((app, _other, node_b)) = crate::redis_nodes::two_nodes().await else {
        return;
    };
    let (parent, child) = app.parent_with_child("Ivy").await;
    let mut ws = node_b
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    ws.expect("hello").await;
    // Two seconds counted live on node B: its reports have made the shared day counter.
    crate::common::wait::poll_until(
        std::time::Duration::from_secs(20),
        "two seconds counted live",
        || async {
            today(&app, &parent.access, &child).await["used_seconds"]
                .as_u64()
                .unwrap()
                >= 2
        },
    )
    .await;
    pack(&app, &parent.access, &child).await;
    backdate_packs(&app, &child, 60);
    let now = Utc::now();
    let span = json!({"from": now - Duration::minutes(30), "to": now - Duration::minutes(20)});
    let res = app
        .post(
            &sync_path(&child),
            Some(&parent.access),
            &json!({"device_id": "tablet", "time": [span]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // Node B hears it at once, and keeps it through its settles with the shared counter
    // (each tick while the child is connected): look again and again for a few seconds.
    loop {
        let t = ws.until("time").await;
        if t["used_seconds"].as_u64().unwrap() >= 600 {
            break;
        }
    }
    let until = std::time::Instant::now() + std::time::Duration::from_secs(4);
    while std::time::Instant::now() < until {
        let mut again = node_b
            .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
            .await;
        let hello = again.expect("hello").await;
        assert!(
            hello["time"]["used_seconds"].as_u64().unwrap() >= 600,
            "offline time kept by the live budget: {hello}"
        );
    }
}
