//! Pupils without an email: their teacher makes them (one by one, or from a CSV), they sign
//! in with the class code, their name and two pictures, or with a printed card; a renewed card
//! stops working at once; registration may join a class by its code.

use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{Account, Api, Response, TestApp, spawn_app, spawn_app_with};

/// A teacher with a class: (teacher, class id, join code).
async fn teacher_with_class(app: &TestApp) -> (Account, String, String) {
    let teacher = app.register("teacher").await;
    let res = app
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": "Class 1A"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    let code = res.body["join_code"].as_str().unwrap().to_string();
    (teacher, id, code)
}

async fn add_pupil(app: &TestApp, teacher: &Account, class: &str, name: &str) -> Value {
    let res = app
        .post(
            &format!("/v1/classes/{class}/students"),
            Some(&teacher.access),
            &json!({"name": name}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.body
}

async fn import_csv(api: &Api, token: &str, class: &str, csv: &str) -> Response {
    let res = api
        .client
        .post(api.url(&format!("/v1/classes/{class}/students/import")))
        .bearer_auth(token)
        .insert_header(("content-type", "text/csv"))
        .send_body(csv.to_string())
        .await
        .unwrap();
    finish(res).await
}

async fn finish(
    mut res: awc::ClientResponse<
        impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
        + Unpin,
    >,
) -> Response {
    let raw = res.body().limit(16 * 1024 * 1024).await.unwrap().to_vec();
    Response {
        status: res.status(),
        headers: res.headers().clone(),
        body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
        raw,
    }
}

async fn class_login(api: &Api, code: &str, pupil: &Value, picture: &Value) -> Response {
    api.post(
        "/v1/auth/class-login",
        None,
        &json!({"join_code": code, "learner_id": pupil["learner_id"], "picture": picture}),
    )
    .await
}

/// Two pictures that are not the pupil's (the right ones swapped).
fn wrong_pictures(pupil: &Value) -> Value {
    json!([pupil["picture"][1], pupil["picture"][0]])
}

/// The card token of a pupil, read from the sign-in cards' PDF would need a QR reader: the
/// test reads it as the server makes it, from the pupil's nonce and the test's secret.
/// A pupil of the class as the teacher's list has them.
async fn listed_pupil(app: &TestApp, teacher: &Account, class: &str, name: &str) -> Value {
    let listed = app
        .get(
            &format!("/v1/classes/{class}/students"),
            Some(&teacher.access),
        )
        .await;
    listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {}", listed.body))
        .clone()
}

fn card_token(app: &TestApp, learner_id: &str) -> String {
    use diesel::prelude::*;
    use studyhub::infra::db::schema::pupils;
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    let nonce: String = pupils::table
        .find(learner_id)
        .select(pupils::card_nonce)
        .first(&mut conn)
        .unwrap();
    app.state.card_key.token(learner_id, &nonce)
}

#[actix_rt::test]
async fn a_pupil_made_by_the_teacher_signs_in_with_the_class_code_and_pictures() {
    let app = spawn_app().await;
    let (teacher, class, code) = teacher_with_class(&app).await;
    let ada = add_pupil(&app, &teacher, &class, " Ada ").await;
    assert_eq!(ada["name"], "Ada");
    let pictures = ada["picture"].as_array().unwrap();
    assert_eq!(pictures.len(), 2);
    assert_ne!(pictures[0], pictures[1]);
    // The same name twice in one class is refused.
    let again = app
        .post(
            &format!("/v1/classes/{class}/students"),
            Some(&teacher.access),
            &json!({"name": "ada"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    // The pupil is on the roster, and in the sign-in list (with the sixteen pictures).
    let detail = app
        .get(&format!("/v1/classes/{class}"), Some(&teacher.access))
        .await;
    assert_eq!(detail.body["students"][0]["learner_id"], ada["learner_id"]);
    let list = app.get(&format!("/v1/auth/class-login/{code}"), None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["class_name"], "Class 1A");
    assert_eq!(list.body["pupils"][0]["name"], "Ada");
    assert_eq!(list.body["pictures"].as_array().unwrap().len(), 16);
    let lower = app
        .get(
            &format!("/v1/auth/class-login/{}", code.to_lowercase()),
            None,
        )
        .await;
    assert_eq!(lower.status, StatusCode::OK);
    let unknown = app.get("/v1/auth/class-login/NOSUCH", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let res = class_login(&app, &code, &ada, &ada["picture"]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["user"]["role"], "student");
    assert_eq!(res.body["user"]["id"], ada["user_id"]);
    let access = res.body["access_token"].as_str().unwrap();
    assert!(res.body["refresh_token"].is_string());
    let me = app.get("/v1/auth/me", Some(access)).await;
    assert_eq!(me.body["learner"]["id"], ada["learner_id"]);
    // An ordinary student: the play socket opens for their learner.
    let mut ws = app
        .ws(
            &format!(
                "/v1/play?learner_id={}",
                ada["learner_id"].as_str().unwrap()
            ),
            access,
        )
        .await;
    ws.expect("hello").await;

    // Wrong pictures, or another class's code, are refused alike.
    let res = class_login(&app, &code, &ada, &wrong_pictures(&ada)).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.code(), "invalid_credentials");
    let (_, _, other_code) = teacher_with_class(&app).await;
    let res = class_login(&app, &other_code, &ada, &ada["picture"]).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    // No password signs a pupil in by email, and no password erases their account.
    let res = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": format!("pupil:{}", ada["user_id"].as_str().unwrap()), "password": "!pupil-without-password"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    // The audit log has the pupil's making, without the pictures.
    let admin = app.admin().await;
    let log = app
        .get("/v1/audit?entity_type=pupil", Some(&admin.access))
        .await;
    let entries = log.body["entries"].as_array().cloned().unwrap_or_default();
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "create" && e["entity_id"] == ada["learner_id"]),
        "{}",
        log.body
    );
    assert!(!log.body.to_string().contains("picture"));
    // The refused tries are there too: the wrong pictures with Ada's account, a card that
    // signs no one in without one; never the pictures or the token tried.
    let res = app
        .post(
            "/v1/auth/card-login",
            None,
            &json!({"token": "not-a-card-of-anyone"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let entries = app
        .audit_entries(&admin.access, "action=login_failed")
        .await;
    assert!(
        entries.iter().any(|e| e["user_id"] == ada["user_id"]
            && e["new_values"]["method"] == "class"
            && e["new_values"]["learner_id"] == ada["learner_id"]),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["user_id"].is_null() && e["new_values"]["method"] == "card"),
        "{entries:?}"
    );
    let text = serde_json::to_string(&entries).unwrap();
    assert!(
        !text.contains("picture") && !text.contains("not-a-card-of-anyone"),
        "{text}"
    );
}

#[actix_rt::test]
async fn five_wrong_tries_for_one_pupil_are_429_and_others_still_sign_in() {
    let app = spawn_app().await;
    let (teacher, class, code) = teacher_with_class(&app).await;
    let ada = add_pupil(&app, &teacher, &class, "Ada").await;
    let bo = add_pupil(&app, &teacher, &class, "Bo").await;
    for i in 0..5 {
        let res = class_login(&app, &code, &ada, &wrong_pictures(&ada)).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "try {i}");
    }
    // The sixth, even the right one, waits.
    let res = class_login(&app, &code, &ada, &ada["picture"]).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    assert!(res.headers.contains_key("retry-after"));
    // Another pupil of the class, from the same address, is not locked out.
    let res = class_login(&app, &code, &bo, &bo["picture"]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[actix_rt::test]
async fn five_wrong_tries_are_counted_across_nodes_sharing_redis() {
    let Some((app, other, node_b)) = crate::redis_nodes::two_nodes().await else {
        return;
    };
    let (teacher, class, code) = teacher_with_class(&app).await;
    let ada = add_pupil(&app, &teacher, &class, "Ada").await;
    for i in 0..5 {
        let api: &Api = if i % 2 == 0 { &app.api } else { &node_b };
        let res = class_login(api, &code, &ada, &wrong_pictures(&ada)).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "try {i}");
    }
    for api in [&app.api, &node_b] {
        let res = class_login(api, &code, &ada, &ada["picture"]).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    }
    other.kill();
}

#[actix_rt::test]
async fn a_csv_makes_whole_pupils_and_skips_bad_lines_with_their_numbers() {
    let app = spawn_app().await;
    let (teacher, class, code) = teacher_with_class(&app).await;
    add_pupil(&app, &teacher, &class, "Ada").await;
    let taken = app.register("parent").await;
    let csv = format!(
        "name,email\nBo,\n\"Smith, Jo\",jo@school.example\n,\nada,\nCy,not-an-email\nDee,{}\nBo,\nEve,x,y\n",
        taken.email
    );
    let res = import_csv(&app, &teacher.access, &class, &csv).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let created: Vec<&str> = res.body["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(created, ["Bo", "Smith, Jo"]);
    let skipped: Vec<u64> = res.body["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    // Line 4 (`,`) is blank and passed over; 5 is Ada again, 6 a bad email, 7 a taken one,
    // 8 Bo twice in the file, 9 a field too many.
    assert_eq!(skipped, [5, 6, 7, 8, 9], "{}", res.body);
    assert!(
        res.body["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("name")
    );

    // Nothing of a skipped row exists: the sign-in list has exactly the three pupils.
    let list = app.get(&format!("/v1/auth/class-login/{code}"), None).await;
    let names: Vec<&str> = list.body["pupils"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ada", "Bo", "Smith, Jo"]);
    let listed = app
        .get(
            &format!("/v1/classes/{class}/students"),
            Some(&teacher.access),
        )
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 3);

    // 501 rows are refused whole; 500 are fine.
    let mut big = String::from("name\n");
    for i in 0..501 {
        big.push_str(&format!("Pupil {i}\n"));
    }
    let res = import_csv(&app, &teacher.access, &class, &big).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body["error"]["details"]["fields"]["body"].is_string());
    let listed = app
        .get(
            &format!("/v1/classes/{class}/students"),
            Some(&teacher.access),
        )
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 3, "nothing was made");
    // A bad header is refused whole too; JSON is not a CSV.
    let res = import_csv(&app, &teacher.access, &class, "first,last\nA,B\n").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post(
            &format!("/v1/classes/{class}/students/import"),
            Some(&teacher.access),
            &json!({"name": "x"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[actix_rt::test]
async fn a_card_signs_in_until_it_is_renewed_and_the_pdf_has_every_pupil() {
    let app = spawn_app().await;
    let (teacher, class, code) = teacher_with_class(&app).await;
    let res = import_csv(&app, &teacher.access, &class, "name\nAda\nBo\nCy\n").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let ada = res.body["created"][0].clone();
    let lid = ada["learner_id"].as_str().unwrap();

    let pdf = app
        .get(
            &format!("/v1/classes/{class}/sign-in-cards.pdf"),
            Some(&teacher.access),
        )
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers.get("content-type").unwrap(), "application/pdf");
    assert!(pdf.raw.starts_with(b"%PDF-"));
    let doc = lopdf::Document::load_mem(&pdf.raw).unwrap();
    assert_eq!(doc.get_pages().len(), 1, "eight cards to a page");
    let text = doc.extract_text(&[1]).unwrap();
    for name in ["Ada", "Bo", "Cy"] {
        assert_eq!(text.matches(name).count(), 1, "{name} once: {text}");
    }
    let first = ada["picture"][0].as_str().unwrap();
    assert!(text.contains(first), "the pictures are on the card: {text}");

    let token = card_token(&app, lid);
    let res = app
        .post("/v1/auth/card-login", None, &json!({"token": token}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["user"]["id"], ada["user_id"]);

    // Renewed: new pictures and card; the old card and the old pictures stop at once.
    let renewed = app
        .post(
            &format!("/v1/classes/{class}/students/{lid}/renew"),
            Some(&teacher.access),
            &json!({}),
        )
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    let res = app
        .post("/v1/auth/card-login", None, &json!({"token": token}))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let new_token = card_token(&app, lid);
    assert_ne!(new_token, token);
    let res = app
        .post("/v1/auth/card-login", None, &json!({"token": new_token}))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let res = class_login(&app, &code, &renewed.body, &renewed.body["picture"]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // Bo taken off the roster signs in no more, by card or by pictures, and is not listed.
    let bo = listed_pupil(&app, &teacher, &class, "Bo").await;
    let bo_id = bo["learner_id"].as_str().unwrap();
    let bo_card = card_token(&app, bo_id);
    let off = app
        .delete(
            &format!("/v1/classes/{class}/members/{bo_id}"),
            Some(&teacher.access),
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT);
    let res = app
        .post("/v1/auth/card-login", None, &json!({"token": bo_card}))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        class_login(&app, &code, &bo, &bo["picture"]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let list = app.get(&format!("/v1/auth/class-login/{code}"), None).await;
    assert!(!list.body.to_string().contains(bo_id), "{}", list.body);

    // The teacher erases a pupil (who has no password for DELETE /v1/me).
    let gone = app
        .delete(
            &format!("/v1/classes/{class}/students/{lid}"),
            Some(&teacher.access),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
    let res = app
        .post("/v1/auth/card-login", None, &json!({"token": new_token}))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let listed = app
        .get(
            &format!("/v1/classes/{class}/students"),
            Some(&teacher.access),
        )
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
}

#[actix_rt::test]
async fn another_teacher_gets_404_and_a_parent_403() {
    let app = spawn_app().await;
    let (teacher, class, _) = teacher_with_class(&app).await;
    let ada = add_pupil(&app, &teacher, &class, "Ada").await;
    let lid = ada["learner_id"].as_str().unwrap();
    let other = app.register("teacher").await;
    let parent = app.register("parent").await;
    for (who, status) in [
        (&other, StatusCode::NOT_FOUND),
        (&parent, StatusCode::FORBIDDEN),
    ] {
        let t = Some(who.access.as_str());
        let add = app
            .post(
                &format!("/v1/classes/{class}/students"),
                t,
                &json!({"name": "Eve"}),
            )
            .await;
        assert_eq!(add.status, status, "{}", add.body);
        let list = app.get(&format!("/v1/classes/{class}/students"), t).await;
        assert_eq!(list.status, status);
        let pdf = app
            .get(&format!("/v1/classes/{class}/sign-in-cards.pdf"), t)
            .await;
        assert_eq!(pdf.status, status);
        let renew = app
            .post(
                &format!("/v1/classes/{class}/students/{lid}/renew"),
                t,
                &json!({}),
            )
            .await;
        assert_eq!(renew.status, status);
        let csv = import_csv(&app, &who.access, &class, "name\nEve\n").await;
        assert_eq!(csv.status, status);
    }
    let listed = app
        .get(
            &format!("/v1/classes/{class}/students"),
            Some(&teacher.access),
        )
        .await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        1,
        "nobody else added one"
    );
}

#[actix_rt::test]
async fn registering_with_a_join_code_joins_and_counts_against_the_class() {
    let app = spawn_app_with(|c| c.register_limit_per_hour = 10).await;
    let (teacher, class, code) = teacher_with_class(&app).await;
    let register = |n: usize, code: Option<String>| {
        let mut body = json!({"email": format!("s{n}-{}@example.com", uuid::Uuid::new_v4().simple()),
            "password": "correct horse battery", "name": format!("Student {n}"), "role": "student"});
        if let Some(code) = code {
            body["join_code"] = json!(code);
        }
        body
    };
    // The teacher's registration was one of this address's ten.
    for n in 0..11 {
        let res = app
            .post(
                "/v1/auth/register",
                None,
                &register(n, Some(code.to_lowercase())),
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::CREATED,
            "registration {n}: {}",
            res.body
        );
    }
    let detail = app
        .get(&format!("/v1/classes/{class}"), Some(&teacher.access))
        .await;
    assert_eq!(detail.body["students"].as_array().unwrap().len(), 11);
    let res = app
        .post(
            "/v1/auth/register",
            None,
            &register(99, Some("NOSUCH".into())),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body["error"]["details"]["fields"]["join_code"].is_string());
    // A parent does not join a class by registering.
    let mut parent = register(98, Some(code.clone()));
    parent["role"] = json!("parent");
    let res = app.post("/v1/auth/register", None, &parent).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Without a code, the address's limit still holds (the teacher plus nine more).
    let mut last = StatusCode::CREATED;
    for n in 0..10 {
        last = app
            .post("/v1/auth/register", None, &register(200 + n, None))
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}
