//! `GET /v1/me/export` holds everything the account's data is: grants, class memberships and
//! what the audit log says about the account and its children included.

use awc::http::StatusCode;
use serde_json::json;

use crate::common::spawn_app;

#[actix_web::test]
async fn the_export_has_grants_class_memberships_and_the_audit_trail() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Noor").await;
    let res = app
        .post(
            &format!("/v1/children/{child}/screen-time/grant"),
            Some(&parent.access),
            &json!({"seconds": 600}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    let teacher = app.register("teacher").await;
    let class = app
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": "Year 4"}),
        )
        .await
        .body;
    let res = app
        .post(
            &format!("/v1/children/{child}/classes"),
            Some(&parent.access),
            &json!({"join_code": class["join_code"]}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);

    let export = app.get("/v1/me/export", Some(&parent.access)).await;
    assert_eq!(export.status, StatusCode::OK);
    let kid = &export.body["learners"][0];
    assert_eq!(kid["screen_time_grants"][0]["seconds"], 600, "{kid}");
    assert_eq!(kid["classes"][0]["id"], class["id"], "{kid}");
    assert_eq!(kid["classes"][0]["name"], "Year 4");
    let audit = export.body["audit"].as_array().unwrap();
    let has = |kind: &str| {
        audit.iter().any(|a| {
            a["entity_type"] == kind
                && (a["entity_id"] == child.as_str()
                    || a["new_values"]["learner_id"] == child.as_str())
        })
    };
    assert!(
        has("child") && has("grant") && has("membership"),
        "{audit:?}"
    );
    // Nothing about other accounts: the teacher's class creation is the teacher's.
    assert!(
        audit.iter().all(|a| a["entity_type"] != "class"),
        "{audit:?}"
    );
}
