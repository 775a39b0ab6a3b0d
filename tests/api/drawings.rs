//! Drawings and content files, on the local folder store and, when
//! `STUDYHUB_TEST_S3_ENDPOINT` points at an S3-compatible server (CI starts moto), on S3.

use crate::common;
use crate::common::{TestApp, spawn_app, spawn_app_with};
use awc::http::StatusCode;

pub(crate) const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00";

pub(crate) fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("b{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (name, filename, data) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    learner: &str,
    fields: &[(&str, Option<&str>, &[u8])],
) -> common::Response {
    let (ct, body) = multipart(fields);
    let res = app
        .client
        .post(app.url(&format!("/v1/learners/{learner}/drawings")))
        .bearer_auth(token)
        .insert_header(("content-type", ct))
        .send_body(body)
        .await
        .unwrap();
    let mut res = res;
    let raw = res.body().limit(1 << 20).await.unwrap().to_vec();
    common::Response {
        status: res.status(),
        headers: res.headers().clone(),
        body: serde_json::from_slice(&raw).unwrap_or(serde_json::Value::Null),
        raw,
    }
}

async fn drawings_round_trip(app: &TestApp) {
    let (parent, child) = app.parent_with_child("Pia").await;
    let tok = parent.access.as_str();
    let res = upload(
        app,
        tok,
        &child,
        &[
            ("title", None, b"My cat"),
            ("category", None, b"Animals"),
            ("image", Some("cat.png"), PNG),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    assert_eq!(res.body["url"], format!("/v1/drawings/{id}/image"));
    assert_eq!(res.body["category"], "animals");
    let list = app
        .get(&format!("/v1/learners/{child}/drawings"), Some(tok))
        .await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let img = app
        .get(&format!("/v1/drawings/{id}/image"), Some(tok))
        .await;
    assert_eq!(img.status, StatusCode::OK);
    assert_eq!(img.headers.get("content-type").unwrap(), "image/png");
    assert_eq!(img.raw, PNG);

    // Wrong type by magic bytes, too big, missing fields, not multipart.
    let res = upload(
        app,
        tok,
        &child,
        &[
            ("title", None, b"x"),
            ("category", None, b"y"),
            ("image", Some("fake.png"), b"GIF89a...."),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big = vec![0x89u8; 5 * 1024 * 1024 + 10];
    let res = upload(
        app,
        tok,
        &child,
        &[
            ("title", None, b"x"),
            ("category", None, b"y"),
            ("image", Some("big.png"), &big),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    let res = upload(app, tok, &child, &[("image", Some("cat.png"), PNG)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body["error"]["details"]["fields"]["title"].is_string());
    let res = app
        .post(
            &format!("/v1/learners/{child}/drawings"),
            Some(tok),
            &serde_json::json!({"title": "x"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Another family sees nothing.
    let stranger = app.register("parent").await;
    assert_eq!(
        app.get(&format!("/v1/drawings/{id}/image"), Some(&stranger.access))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("/v1/drawings/{id}"), Some(&stranger.access))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let res = upload(
        app,
        &stranger.access,
        &child,
        &[
            ("title", None, b"x"),
            ("category", None, b"y"),
            ("image", Some("c.png"), PNG),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Deleting removes the object too.
    let key = format!("drawings/{child}/{id}.png");
    assert!(app.state.storage.get(&key).await.unwrap().is_some());
    assert_eq!(
        app.delete(&format!("/v1/drawings/{id}"), Some(tok))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert!(app.state.storage.get(&key).await.unwrap().is_none());
    assert_eq!(
        app.get(&format!("/v1/drawings/{id}/image"), Some(tok))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Both changes are in the audit log.
    let admin = app.admin().await;
    let log = app
        .get("/v1/audit?entity_type=drawing", Some(&admin.access))
        .await;
    let actions: Vec<&str> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "create"]);

    // Content files are served with their type and cache headers; missing ones are 404.
    app.state
        .storage
        .put(
            "content/narration/intro.mp3",
            bytes::Bytes::from_static(b"ID3audio"),
            "audio/mpeg",
        )
        .await
        .unwrap();
    let res = app.get("/v1/content/narration/intro.mp3", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.headers.get("content-type").unwrap(), "audio/mpeg");
    assert!(
        res.headers
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert_eq!(
        app.get("/v1/content/narration/missing.mp3", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/v1/content/../secrets", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/health", None).await.body["services"]["storage"],
        app.state.storage.kind()
    );
}

#[actix_web::test]
async fn drawings_on_the_local_store() {
    let app = spawn_app().await;
    assert_eq!(app.state.storage.kind(), "local");
    drawings_round_trip(&app).await;
}

#[actix_web::test]
async fn drawings_on_s3() {
    let Ok(endpoint) = std::env::var("STUDYHUB_TEST_S3_ENDPOINT") else {
        // Without an S3 server only the local store is tested here; .ci/run always sets one.
        assert!(
            std::env::var("CI").is_err(),
            "CI must set STUDYHUB_TEST_S3_ENDPOINT"
        );
        return;
    };
    let bucket = format!(
        "studyhub-test-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let app = spawn_app_with(move |c| {
        c.s3_bucket = Some(bucket);
        c.s3_endpoint = Some(endpoint);
        c.s3_region = Some("us-east-1".into());
        c.s3_path_style = true;
    })
    .await;
    assert_eq!(app.state.storage.kind(), "s3");
    drawings_round_trip(&app).await;
}

#[actix_rt::test]
async fn a_teacher_uploads_a_recording_and_a_picture_for_activities() {
    let app = spawn_app().await;
    let teacher = app.register("teacher").await;
    let send = |data: &'static [u8]| {
        let (ct, body) = multipart(&[("file", Some("f"), data)]);
        let req = app
            .client
            .post(app.url("/v1/content"))
            .bearer_auth(&teacher.access)
            .insert_header(("content-type", ct));
        async move {
            let mut res = req.send_body(body).await.unwrap();
            let raw = res.body().await.unwrap();
            (
                res.status(),
                serde_json::from_slice::<serde_json::Value>(&raw).unwrap_or_default(),
            )
        }
    };
    let (status, body) = send(b"ID3\x04\x00\x00\x00\x00\x00\x00 an mp3").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["content_type"], "audio/mpeg");
    let url = body["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with("/v1/content/") && url.ends_with(".mp3"),
        "{url}"
    );
    let read = app.get(&url, None).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.raw, b"ID3\x04\x00\x00\x00\x00\x00\x00 an mp3");

    // An SVG is served so that nothing in it runs.
    let svg: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let (status, body) = send(svg).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let res = app
        .client
        .get(app.url(body["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    let csp = res
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(
        res.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );

    // Anything else is refused by its bytes, whatever it claims.
    let (status, body) = send(b"MZ\x90\x00 not a picture").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let (ct, body) = multipart(&[]);
    let mut res = app
        .client
        .post(app.url("/v1/content"))
        .bearer_auth(&teacher.access)
        .insert_header(("content-type", ct))
        .send_body(body)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let raw = res.body().await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(body["error"]["details"]["fields"]["file"], "required");
}

/// `STUDYHUB_S3_SSE`: every object written asks S3 for server-side encryption, and S3 (moto
/// here) says it applied it.
#[actix_web::test]
async fn objects_on_s3_ask_for_server_side_encryption() {
    let Ok(endpoint) = std::env::var("STUDYHUB_TEST_S3_ENDPOINT") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set STUDYHUB_TEST_S3_ENDPOINT"
        );
        return;
    };
    let bucket = format!(
        "studyhub-sse-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let (b, e) = (bucket.clone(), endpoint.clone());
    let app = spawn_app_with(move |c| {
        c.s3_bucket = Some(b);
        c.s3_endpoint = Some(e);
        c.s3_region = Some("us-east-1".into());
        c.s3_path_style = true;
        c.s3_sse = Some("AES256".into());
    })
    .await;
    let storage = &app.state.storage;
    storage
        .put("sse/one.txt", "hello".into(), "text/plain")
        .await
        .unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), b"a larger file").unwrap();
    storage
        .put_file("sse/two.bin", file.path(), "application/octet-stream")
        .await
        .unwrap();
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .load()
        .await;
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build(),
    );
    for key in ["sse/one.txt", "sse/two.bin"] {
        let head = client
            .head_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.server_side_encryption(),
            Some(&aws_sdk_s3::types::ServerSideEncryption::Aes256),
            "{key}"
        );
    }
}
