//! The load bench's people, made over HTTP before the run: parents with their children,
//! and classes with their teachers, as the engine's learners and observers need them.

use std::time::Duration;

use serde_json::{Value, json};

/// A parent's token and its children's learner ids.
pub(crate) struct Fixture {
    pub token: String,
    pub children: Vec<String>,
}

/// One parent per `per_parent` children (tokens are per parent), all limits at 24 h.
pub(crate) fn make_children(port: u16, n: usize, per_parent: usize) -> Vec<Fixture> {
    actix_web::rt::System::new().block_on(async move {
        let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
        let base = format!("http://127.0.0.1:{port}");
        let mut out = Vec::new();
        let mut left = n;
        let mut p = 0;
        while left > 0 {
            let k = left.min(per_parent.max(1));
            let mut res = client
                .post(format!("{base}/v1/auth/register"))
                .send_json(&json!({"email": format!("bench{p}@example.com"), "password": "bench-password", "name": "Bench Parent", "role": "parent"}))
                .await
                .unwrap();
            let body: Value = res.json().await.unwrap();
            let token = body["access_token"].as_str().expect("registered").to_string();
            let mut children = Vec::with_capacity(k);
            for chunk in (0..k).collect::<Vec<_>>().chunks(32) {
                let futs = chunk.iter().map(|i| {
                    let client = client.clone();
                    let token = token.clone();
                    let base = base.clone();
                    async move {
                        let mut res = client
                            .post(format!("{base}/v1/children"))
                            .bearer_auth(&token)
                            .send_json(&json!({"name": format!("Kid {i}"), "age": 8}))
                            .await
                            .unwrap();
                        let body: Value = res.json().await.unwrap();
                        let id = body["id"].as_str().expect("child made").to_string();
                        client
                            .put(format!("{base}/v1/children/{id}/settings"))
                            .bearer_auth(&token)
                            .send_json(&json!({"daily_time_limit_seconds": 86400}))
                            .await
                            .unwrap();
                        id
                    }
                });
                children.extend(futures_util::future::join_all(futs).await);
            }
            out.push(Fixture { token, children });
            left -= k;
            p += 1;
        }
        out
    })
}

/// Classes of `size` over all children (enrolled by their parents), one teacher per 10
/// classes. Returns (teacher token, class id) per class.
pub(crate) fn make_classes(port: u16, fixtures: &[Fixture], size: usize) -> Vec<(String, String)> {
    if size == 0 {
        return Vec::new();
    }
    let jobs: Vec<(String, Vec<String>)> = fixtures
        .iter()
        .flat_map(|f| {
            f.children
                .chunks(size)
                .map(move |c| (f.token.clone(), c.to_vec()))
        })
        .collect();
    actix_web::rt::System::new().block_on(async move {
        let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
        let base = format!("http://127.0.0.1:{port}");
        let mut out = Vec::new();
        let mut teacher = String::new();
        for (i, (parent_token, children)) in jobs.into_iter().enumerate() {
            if i % 10 == 0 {
                let mut res = client
                    .post(format!("{base}/v1/auth/register"))
                    .send_json(&json!({"email": format!("teacher{i}@example.com"), "password": "bench-password", "name": "Bench Teacher", "role": "teacher"}))
                    .await
                    .unwrap();
                teacher = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
            }
            let mut res = client.post(format!("{base}/v1/classes")).bearer_auth(&teacher).send_json(&json!({"name": format!("Class {i}")})).await.unwrap();
            let class: Value = res.json().await.unwrap();
            let code = class["join_code"].as_str().unwrap().to_string();
            for chunk in children.chunks(32) {
                let futs = chunk.iter().map(|child| {
                    let (client, base, token, code) = (client.clone(), base.clone(), parent_token.clone(), code.clone());
                    async move {
                        client.post(format!("{base}/v1/children/{child}/classes")).bearer_auth(&token).send_json(&json!({"join_code": code})).await.unwrap();
                    }
                });
                futures_util::future::join_all(futs).await;
            }
            out.push((teacher.clone(), class["id"].as_str().unwrap().to_string()));
        }
        out
    })
}
