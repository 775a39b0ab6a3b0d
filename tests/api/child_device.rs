//! A child's device: "Play on this device" gives tokens that only play as that child; the
//! parent's PIN (or password) gets the parent back, with a lockout shared by every node; and
//! a child whose time is up asks for more over REST and plays again once it is approved.

use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{Account, Api, TestApp, spawn_app};

/// "Play on this device" for `child`: the device's access and refresh tokens.
pub async fn hand_over(api: &Api, parent: &Account, child: &str) -> (String, String) {
    let res = api
        .post(
            &format!("/v1/children/{child}/device-session"),
            Some(&parent.access),
            &Value::Null,
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["learner_id"], child);
    // The device's cookies are the child's now (the parent's are replaced).
    let cookies: Vec<String> = res
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok().map(String::from))
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("refresh_token=")
            && c.contains(res.body["refresh_token"].as_str().unwrap())),
        "{cookies:?}"
    );
    (
        res.body["access_token"].as_str().unwrap().to_string(),
        res.body["refresh_token"].as_str().unwrap().to_string(),
    )
}

async fn add_child(app: &TestApp, parent: &Account, name: &str) -> String {
    let res = app
        .post(
            "/v1/children",
            Some(&parent.access),
            &json!({"name": name, "age": 6}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.body["id"].as_str().unwrap().to_string()
}

async fn unlock(api: &Api, device: &str, body: Value) -> crate::common::Response {
    api.post("/v1/auth/parent-unlock", Some(device), &body)
        .await
}

#[actix_web::test]
async fn a_childs_device_plays_as_that_child_and_nothing_else() {
    let app = spawn_app().await;
    let (parent, ada) = app.parent_with_child("Ada").await;
    let ben = add_child(&app, &parent, "Ben").await;
    let (device, refresh) = hand_over(&app, &parent, &ada).await;

    // Who the device is: the parent's account as role child, and the one child.
    let me = app.get("/v1/auth/me", Some(&device)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["user"]["role"], "child");
    assert_eq!(me.body["learner"]["id"], ada.as_str());
    assert!(me.body.get("children").is_none(), "{}", me.body);

    // Play as Ada: yes. Ben (a sibling) or the family's pages: no.
    for ok in [
        format!("/v1/learners/{ada}/progress"),
        format!("/v1/learners/{ada}/next"),
        format!("/v1/learners/{ada}/achievements"),
        format!("/v1/activities?learner_id={ada}"),
        format!("/v1/children/{ada}/settings"),
    ] {
        let res = app.get(&ok, Some(&device)).await;
        assert_eq!(res.status, StatusCode::OK, "{ok}: {}", res.body);
    }
    for (path, want) in [
        (format!("/v1/learners/{ben}/progress"), 404),
        (format!("/v1/children/{ben}/settings"), 404),
        ("/v1/children".to_string(), 403),
        (format!("/v1/children/{ada}"), 403),
        (format!("/v1/children/{ada}/screen-time/today"), 403),
        ("/v1/notifications".to_string(), 403),
        ("/v1/parent/dashboard".to_string(), 403),
    ] {
        let res = app.get(&path, Some(&device)).await;
        assert_eq!(res.status.as_u16(), want, "{path}: {}", res.body);
        assert!(res.body["error"]["code"].is_string(), "{path}");
    }
    let grant = app
        .post(
            &format!("/v1/children/{ada}/screen-time/grant"),
            Some(&device),
            &json!({"seconds": 900}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::FORBIDDEN, "{}", grant.body);
    assert_eq!(grant.body["error"]["code"], "forbidden");
    let other = app
        .post(
            &format!("/v1/children/{ben}/device-session"),
            Some(&device),
            &Value::Null,
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    // Signing the parent out everywhere is not the device's to do.
    let out = app.post("/v1/auth/logout", Some(&device), &json!({})).await;
    assert_eq!(out.status, StatusCode::FORBIDDEN);

    // Tickets and the play socket: Ada's only.
    let t = app
        .post(
            "/v1/realtime/tickets",
            Some(&device),
            &json!({"learner_id": ben}),
        )
        .await;
    assert_eq!(t.status, StatusCode::NOT_FOUND);
    let play = |id: &str| format!("/v1/play?learner_id={id}");
    assert_eq!(
        app.ws_status(&play(&ben), Some(&device)).await,
        StatusCode::FORBIDDEN
    );
    let t = app
        .post("/v1/realtime/tickets", Some(&device), &json!({}))
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    let url = format!(
        "{}&ticket={}",
        play(&ada),
        t.body["ticket"].as_str().unwrap()
    );
    assert_eq!(
        app.ws_status(&url, None).await,
        StatusCode::SWITCHING_PROTOCOLS
    );
    let mut ws = app.ws(&play(&ada), &device).await;
    assert_eq!(ws.expect("hello").await["learner_id"], ada.as_str());
    // The parent feed is the parent's.
    assert_eq!(
        app.ws_status("/v1/parent/live", Some(&device)).await,
        StatusCode::FORBIDDEN
    );

    // A refresh keeps the device the child's (a reload of the page).
    let next = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
    let again = next.body["access_token"].as_str().unwrap();
    let me = app.get("/v1/auth/me", Some(again)).await;
    assert_eq!(me.body["user"]["role"], "child");
    assert_eq!(
        app.get("/v1/children", Some(again)).await.status,
        StatusCode::FORBIDDEN
    );

    // Another parent's child, or a student: no device session.
    let (stranger, _) = app.parent_with_child("Cy").await;
    let res = app
        .post(
            &format!("/v1/children/{ada}/device-session"),
            Some(&stranger.access),
            &Value::Null,
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let student = app.register("student").await;
    let res = app
        .post(
            &format!("/v1/children/{ada}/device-session"),
            Some(&student.access),
            &Value::Null,
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn a_deleted_child_signs_its_device_out_and_never_into_the_parent() {
    let app = spawn_app().await;
    let (parent, ada) = app.parent_with_child("Ada").await;
    let (_, refresh) = hand_over(&app, &parent, &ada).await;
    let (device, _) = hand_over(&app, &parent, &ada).await;
    let res = app
        .delete(&format!("/v1/children/{ada}"), Some(&parent.access))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    // Its access token no longer says who plays: signed out, not an error.
    let me = app.get("/v1/auth/me", Some(&device)).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{}", me.body);
    let next = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(next.status, StatusCode::UNAUTHORIZED, "{}", next.body);
}

#[actix_web::test]
async fn the_parents_pin_unlocks_the_device_and_five_wrong_ones_lock_it() {
    let app = spawn_app().await;
    let (parent, ada) = app.parent_with_child("Ada").await;
    let (device, _) = hand_over(&app, &parent, &ada).await;

    // Without a PIN, the password (also typed where the PIN goes).
    let res = unlock(
        &app,
        &device,
        json!({"password": crate::common::TEST_PASSWORD}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["user"]["role"], "parent");
    let res = unlock(&app, &device, json!({"pin": crate::common::TEST_PASSWORD})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let back = res.body["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        app.get("/v1/children", Some(&back)).await.status,
        StatusCode::OK
    );

    // Setting a PIN takes the password, and 4 to 8 digits.
    let pin = |pin: &str, password: &str| json!({"pin": pin, "password": password});
    let res = app
        .put(
            "/v1/me/pin",
            Some(&parent.access),
            &pin("2468", "wrong-password"),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    for bad in ["123", "123456789", "12a4"] {
        let res = app
            .put(
                "/v1/me/pin",
                Some(&parent.access),
                &pin(bad, crate::common::TEST_PASSWORD),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(res.body["error"]["details"]["fields"]["pin"].is_string());
    }
    let res = app
        .put(
            "/v1/me/pin",
            Some(&parent.access),
            &pin("2468", crate::common::TEST_PASSWORD),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    // Only its hash is kept, and the change is in the audit log.
    {
        use diesel::prelude::*;
        use studyhub::infra::db::schema::{audit_logs, parent_pins};
        let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
        let hash: String = parent_pins::table
            .find(&parent.id)
            .select(parent_pins::pin_hash)
            .first(&mut conn)
            .unwrap();
        assert!(!hash.contains("2468"));
        let audited: i64 = audit_logs::table
            .filter(audit_logs::entity_type.eq("parent_pin"))
            .filter(audit_logs::user_id.eq(&parent.id))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(audited, 1);
    }
    // A parent's own token does not unlock (there is nothing to unlock).
    let res = unlock(&app, &parent.access, json!({"pin": "2468"})).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let res = unlock(&app, &device, json!({"pin": "2468"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["user"]["id"], parent.id.as_str());

    // Five wrong: the sixth is 429, even with the right PIN.
    for n in 0..5 {
        let res = unlock(&app, &device, json!({"pin": "1111"})).await;
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "try {n}: {}",
            res.body
        );
        assert_eq!(res.body["error"]["code"], "invalid_credentials");
    }
    let res = unlock(&app, &device, json!({"pin": "2468"})).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    let wait: u64 = res
        .headers
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
}

#[actix_web::test]
async fn the_lockout_holds_across_two_nodes() {
    let Some((app, _other, node_b)) = crate::redis_nodes::two_nodes().await else {
        return;
    };
    let (parent, ada) = app.parent_with_child("Ada").await;
    let (device, _) = hand_over(&app, &parent, &ada).await;
    for n in 0..5 {
        let api = if n % 2 == 0 { &app.api } else { &node_b };
        let res = unlock(api, &device, json!({"pin": "9999"})).await;
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "try {n}: {}",
            res.body
        );
    }
    for api in [&app.api, &node_b] {
        let res = unlock(
            api,
            &device,
            json!({"password": crate::common::TEST_PASSWORD}),
        )
        .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    }
}

#[actix_web::test]
async fn a_child_whose_time_is_up_asks_over_rest_and_plays_again_once_approved() {
    let app = spawn_app().await;
    let (parent, ada) = app.parent_with_child("Ada").await;
    let res = app
        .put(
            &format!("/v1/children/{ada}/settings"),
            Some(&parent.access),
            &json!({"daily_time_limit_seconds": 0}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let (device, _) = hand_over(&app, &parent, &ada).await;
    let play = format!("/v1/play?learner_id={ada}");
    let mut ws = app.ws(&play, &device).await;
    assert_eq!(ws.expect("hello").await["time"]["left_seconds"], 0);
    ws.expect("time_up").await;
    assert_eq!(ws.expect_close().await, Some(4001));

    let mut feed = app.ws("/v1/parent/live", &parent.access).await;
    feed.until("hello").await;
    let path = format!("/v1/learners/{ada}/time-requests");
    for (body, field) in [
        (json!({"seconds": 299}), "seconds"),
        (json!({"seconds": 3601}), "seconds"),
        (json!({"seconds": 600, "reason": "x".repeat(501)}), "reason"),
    ] {
        let res = app.post(&path, Some(&device), &body).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(res.body["error"]["details"]["fields"][field].is_string());
    }
    let res = app
        .post(
            &path,
            Some(&device),
            &json!({"seconds": 600, "reason": "one more song"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["status"], "pending");
    let id = res.body["request_id"].as_str().unwrap().to_string();
    // The parent hears at once; one pending at a time.
    let told = feed.notification("time_request").await;
    assert_eq!(told["data"]["request_id"], id.as_str());
    assert_eq!(told["body"], "one more song");
    let again = app
        .post(&path, Some(&device), &json!({"seconds": 600}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["error"]["code"], "time_request_pending");
    // It names the one that waits, so a device that forgot it can follow it.
    assert_eq!(again.body["error"]["details"]["request_id"], id.as_str());

    let status = format!("{path}/{id}");
    let res = app.get(&status, Some(&device)).await;
    assert_eq!(res.body, json!({"request_id": id, "status": "pending"}));
    let res = app
        .post(
            &format!("/v1/time-requests/{id}"),
            Some(&parent.access),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = app.get(&status, Some(&device)).await;
    assert_eq!(
        res.body,
        json!({"request_id": id, "status": "approved", "seconds": 600})
    );
    // Back in: time left, no time_up.
    let mut ws = app.ws(&play, &device).await;
    let hello = ws.expect("hello").await;
    let left = hello["time"]["left_seconds"].as_u64().unwrap();
    assert!((590..=600).contains(&left), "{hello}");
    let catalog = app
        .get(&format!("/v1/activities?learner_id={ada}"), Some(&device))
        .await;
    let activity = catalog.body[0]["id"].as_str().unwrap();
    ws.send(json!({"type": "start", "activity_id": activity}))
        .await;
    // `started`, not `time_up` (which `expect` would not skip).
    ws.expect("started").await;

    // Three a day (the third is the last), and a student's own learner has nobody to ask.
    for _ in 0..2 {
        let res = app
            .post(&path, Some(&parent.access), &json!({"seconds": 300}))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let id = res.body["request_id"].as_str().unwrap();
        let res = app
            .post(
                &format!("/v1/time-requests/{id}"),
                Some(&parent.access),
                &json!({"approve": false}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
    }
    let res = app
        .post(&path, Some(&device), &json!({"seconds": 300}))
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(res.body["error"]["code"], "time_request_limit");
    let student = app.register("student").await;
    let me = app.get("/v1/auth/me", Some(&student.access)).await;
    let lid = me.body["learner"]["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/v1/learners/{lid}/time-requests"),
            Some(&student.access),
            &json!({"seconds": 300}),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
}
