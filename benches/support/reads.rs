//! Progress reads while learners play: `GET /v1/learners/{id}/progress` at a fixed rate, as
//! parents opening the dashboard, timed from the request to the whole body.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// What a reader saw: latencies (µs) of the reads answered 200 while measuring, and the
/// reads that failed (any other status or no answer).
pub(crate) struct Reads {
    pub latency: Arc<Mutex<Histogram<u64>>>,
    pub failed: Arc<AtomicU64>,
    /// The server's `studyhub_progress_summaries_total` lines after the run (kept in memory
    /// or read from the database).
    pub sources: Arc<Mutex<String>>,
}

/// Starts reading on its own thread (awc needs an actix runtime) until `stopped`; records
/// while `measuring`. `targets` are (learner id, a token that may read it).
pub(crate) fn start(
    port: u16,
    targets: Vec<(String, String)>,
    per_second: f64,
    measuring: impl Fn() -> bool + Send + Sync + 'static,
    stopped: impl Fn() -> bool + Send + 'static,
) -> (Reads, std::thread::JoinHandle<()>) {
    let reads = Reads {
        latency: Arc::new(Mutex::new(super::hist())),
        failed: Arc::new(AtomicU64::new(0)),
        sources: Arc::default(),
    };
    let (latency, failed) = (reads.latency.clone(), reads.failed.clone());
    let sources = reads.sources.clone();
    let handle = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let client = awc::Client::builder()
                .timeout(Duration::from_secs(10))
                .finish();
            let measuring = Arc::new(measuring);
            let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
            let mut i = 0usize;
            while !stopped() && !targets.is_empty() {
                every.tick().await;
                // A stride that is prime to the count visits every learner, spread out.
                let (id, token) = targets[(i * 7_919) % targets.len()].clone();
                i += 1;
                let (client, latency, failed, measuring) = (
                    client.clone(),
                    latency.clone(),
                    failed.clone(),
                    measuring.clone(),
                );
                actix_web::rt::spawn(async move {
                    let at = Instant::now();
                    let url = format!("http://127.0.0.1:{port}/v1/learners/{id}/progress");
                    let ok = match client.get(url).bearer_auth(token).send().await {
                        Ok(mut res) => res.status().is_success() && res.body().await.is_ok(),
                        Err(_) => false,
                    };
                    if !measuring() {
                        return;
                    }
                    if ok {
                        let us = at.elapsed().as_micros() as u64;
                        let _ = latency.lock().unwrap().record(us.max(1));
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            let url = format!("http://127.0.0.1:{port}/metrics");
            if let Ok(mut res) = client.get(url).send().await
                && let Ok(body) = res.body().limit(8 << 20).await
            {
                let text = String::from_utf8_lossy(&body);
                *sources.lock().unwrap() = text
                    .lines()
                    .filter(|l| l.starts_with("studyhub_progress_summaries_total"))
                    .collect::<Vec<_>>()
                    .join(", ");
            }
        })
    });
    (reads, handle)
}
