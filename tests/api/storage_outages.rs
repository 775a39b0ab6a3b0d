//! The object store failing under an upload: a clear 503 `storage_unavailable`, no partial
//! object, no database row pointing at nothing; `/health` says `storage: down` (200: the
//! database answers). On the local folder (its folder replaced by a file, as a failed disk
//! or a bad mount would leave it) and, when `STUDYHUB_TEST_S3_ENDPOINT` is set, on S3 cut
//! behind a test proxy (`common::proxy`).

use std::path::{Path, PathBuf};

use awc::http::StatusCode;
use studyhub::infra::storage::ObjectStore;

use crate::common::proxy::Proxy;
use crate::common::{Response, TestApp, spawn_app, spawn_app_with};
use crate::drawings::{PNG, upload};

async fn draw(app: &TestApp, token: &str, child: &str) -> Response {
    upload(
        app,
        token,
        child,
        &[
            ("title", None, b"Rocket"),
            ("category", None, b"space"),
            ("image", Some("rocket.png"), PNG),
        ],
    )
    .await
}

async fn drawings_listed(app: &TestApp, token: &str, child: &str) -> usize {
    let res = app
        .get(&format!("/v1/learners/{child}/drawings"), Some(token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body.as_array().unwrap().len()
}

async fn storage_health(app: &TestApp) -> String {
    let res = app.get("/health", None).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "the store alone never fails health"
    );
    res.body["services"]["storage"]
        .as_str()
        .unwrap()
        .to_string()
}

fn assert_refused(res: &Response) {
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert_eq!(res.code(), "storage_unavailable");
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[actix_web::test]
async fn a_failed_local_store_refuses_uploads_cleanly_and_recovers() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ivo").await;
    let tok = parent.access.as_str();
    let objects = app.db.data_dir().join("objects");
    assert_eq!(storage_health(&app).await, "local");

    // The folder is gone and a file sits where it was: nothing can be written below it.
    std::fs::remove_dir_all(&objects).unwrap();
    std::fs::write(&objects, b"not a folder").unwrap();
    assert_eq!(storage_health(&app).await, "down");
    assert_refused(&draw(&app, tok, &child).await);
    assert_eq!(drawings_listed(&app, tok, &child).await, 0, "no orphan row");

    std::fs::remove_file(&objects).unwrap();
    std::fs::create_dir(&objects).unwrap();
    assert_eq!(storage_health(&app).await, "local");
    let res = draw(&app, tok, &child).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(drawings_listed(&app, tok, &child).await, 1);
    // Exactly the one stored image: no partial or temporary file from the failed upload.
    assert_eq!(
        files_under(&objects).len(),
        1,
        "{:?}",
        files_under(&objects)
    );
}

#[actix_web::test]
async fn s3_cut_refuses_uploads_cleanly_and_recovers() {
    let Ok(endpoint) = std::env::var("STUDYHUB_TEST_S3_ENDPOINT") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set STUDYHUB_TEST_S3_ENDPOINT"
        );
        return;
    };
    let proxy = Proxy::in_front_of(&endpoint);
    let bucket = format!(
        "studyhub-test-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let (via_proxy, b) = (proxy.redirect(&endpoint), bucket.clone());
    let app = spawn_app_with(move |c| {
        c.s3_bucket = Some(b);
        c.s3_endpoint = Some(via_proxy);
        c.s3_region = Some("us-east-1".into());
        c.s3_path_style = true;
    })
    .await;
    let (parent, child) = app.parent_with_child("Uma").await;
    let tok = parent.access.as_str();
    assert_eq!(storage_health(&app).await, "s3");
    let res = draw(&app, tok, &child).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);

    proxy.cut();
    assert_eq!(storage_health(&app).await, "down");
    assert_refused(&draw(&app, tok, &child).await);
    assert_eq!(drawings_listed(&app, tok, &child).await, 1, "no orphan row");

    proxy.heal();
    assert_eq!(storage_health(&app).await, "s3");
    let ObjectStore::S3 { client, bucket, .. } = &*app.state.storage else {
        panic!("an S3 store")
    };
    let listed = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(format!("drawings/{child}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.contents().len(),
        1,
        "only the stored drawing's object"
    );
    let res = draw(&app, tok, &child).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(drawings_listed(&app, tok, &child).await, 2);
}
