//! `/v1/admin/users`: an administrator finds accounts and deactivates them (every session
//! ends at once: tokens refused, sockets closed with 4003, signing in refused) and reactivates
//! them (they sign in again); each change is in the audit log, and only admins may do it.

use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{TEST_PASSWORD, spawn_app};

#[actix_web::test]
async fn a_deactivated_account_is_signed_out_everywhere_at_once_and_back_when_reactivated() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (parent, child) = app.parent_with_child("Ada").await;
    let mut play = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    play.expect("hello").await;
    let mut feed = app.ws("/v1/parent/live", &parent.access).await;
    feed.expect("hello").await;

    // Found by part of the email, in any case; the page says how many there are.
    let local = parent.email.split('@').next().unwrap().to_uppercase();
    let found = app
        .get(&format!("/v1/admin/users?q={local}"), Some(&admin.access))
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(found.body["total"], 1, "{}", found.body);
    assert_eq!(found.body["page"], 1);
    let account = &found.body["accounts"][0];
    assert_eq!(account["id"], parent.id.as_str());
    assert_eq!(account["role"], "parent");
    assert_eq!(account["active"], true);
    assert!(account.get("password_hash").is_none(), "{account}");

    let deactivate = format!("/v1/admin/users/{}/deactivate", parent.id);
    let res = app.post(&deactivate, Some(&admin.access), &json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["active"], false);
    // At once: the open sockets close with 4003, the access token and the refresh token are
    // refused, and so is signing in.
    assert_eq!(play.expect_close().await, Some(4003));
    assert_eq!(feed.expect_close().await, Some(4003));
    let me = app.get("/v1/auth/me", Some(&parent.access)).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{}", me.body);
    assert_eq!(me.code(), "token_revoked");
    let refreshed = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": parent.refresh}),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED);
    let login = json!({"email": parent.email, "password": TEST_PASSWORD});
    let refused = app.post("/v1/auth/login", None, &login).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.code(), "invalid_credentials");
    // Deactivating again changes nothing.
    let again = app.post(&deactivate, Some(&admin.access), &json!({})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["active"], false);

    let reactivate = format!("/v1/admin/users/{}/reactivate", parent.id);
    let res = app.post(&reactivate, Some(&admin.access), &json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["active"], true);
    // The old tokens stay dead; a new sign-in works, and with it the family.
    let me = app.get("/v1/auth/me", Some(&parent.access)).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    let back = app.post("/v1/auth/login", None, &login).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    let token = back.body["access_token"].as_str().unwrap();
    let kids = app.get("/v1/children", Some(token)).await;
    assert_eq!(kids.status, StatusCode::OK);
    assert_eq!(kids.body[0]["id"], child.as_str());

    // The audit log has both, by the admin, with the old and new state.
    let log = app
        .get(
            &format!("/v1/audit?entity_type=account&user_id={}", admin.id),
            Some(&admin.access),
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let actions: Vec<(&str, &Value, &Value)> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["entity_id"], parent.id.as_str());
            (
                e["action"].as_str().unwrap(),
                &e["old_values"]["active"],
                &e["new_values"]["active"],
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("reactivate", &json!(false), &json!(true)),
            ("deactivate", &json!(true), &json!(false)),
        ]
    );
    let only = app
        .get("/v1/audit?action=deactivate", Some(&admin.access))
        .await;
    assert_eq!(only.body["entries"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn only_admins_manage_accounts_and_bad_input_is_refused_clearly() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let teacher = app.register("teacher").await;
    let parent = app.register("parent").await;

    let deactivate = format!("/v1/admin/users/{}/deactivate", parent.id);
    for (token, status) in [
        (Some(teacher.access.as_str()), StatusCode::FORBIDDEN),
        (Some(parent.access.as_str()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let res = app.post(&deactivate, token, &json!({})).await;
        assert_eq!(res.status, status, "{}", res.body);
        let res = app.get("/v1/admin/users", token).await;
        assert_eq!(res.status, status, "{}", res.body);
    }
    assert_eq!(
        app.get("/v1/auth/me", Some(&parent.access)).await.status,
        StatusCode::OK,
        "still signed in"
    );

    // An admin cannot lock themselves out; unknown accounts are 404.
    let own = format!("/v1/admin/users/{}/deactivate", admin.id);
    let res = app.post(&own, Some(&admin.access), &json!({})).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    let res = app
        .post(
            "/v1/admin/users/no-such-account/reactivate",
            Some(&admin.access),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);

    for bad in ["page=0", "page=-3", "page=10001", "page=x"] {
        let res = app
            .get(&format!("/v1/admin/users?{bad}"), Some(&admin.access))
            .await;
        assert!(res.status.is_client_error(), "{bad}: {}", res.status);
        assert_ne!(res.status, StatusCode::NOT_FOUND, "{bad}");
    }
    let long = "x".repeat(201);
    let res = app
        .get(&format!("/v1/admin/users?q={long}"), Some(&admin.access))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Wildcards are searched for as themselves; an empty search lists everyone, by email.
    let res = app
        .get("/v1/admin/users?q=%25%25", Some(&admin.access))
        .await;
    assert_eq!(res.body["total"], 0, "{}", res.body);
    let all = app.get("/v1/admin/users?q=", Some(&admin.access)).await;
    assert_eq!(all.body["total"], 3, "{}", all.body);
    let emails: Vec<&str> = all.body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    let mut sorted = emails.clone();
    sorted.sort();
    assert_eq!(emails, sorted);
}
