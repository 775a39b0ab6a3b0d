//! The push sender: every stored notification of a user goes to each of their
//! subscriptions, off the live engine's path. The engine hands a notification over with a
//! `try_send` into a bounded queue (full: dropped, counted and logged, never waited for); one
//! thread of its own drains it with at most [`CONCURRENCY`] pushes in flight, each with a
//! deadline, so a slow or silent push service costs that thread a waiting request and
//! nothing else. An endpoint whose service answers 404 or 410 is forgotten.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use studyhub_actors::parents::NotificationSink;
use studyhub_actors::store::Notification;
use tokio::sync::{Semaphore, mpsc};

use super::address;
use super::payload;
use super::subscriptions::{self, Subscription};
use super::vapid::Vapid;
use crate::infra::db::Db;

/// Notifications waiting to be pushed; past this they are dropped (and counted).
const QUEUE: usize = 1024;
/// Pushes in flight at once.
const CONCURRENCY: usize = 8;
/// The most one push may take, connection and answer included.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a push service keeps a push for a browser that is away (RFC 8030 `TTL`).
const TTL_SECS: u64 = 24 * 60 * 60;

/// What the engine holds: the queue's sending end.
pub struct PushSender {
    tx: mpsc::Sender<Notification>,
}

impl NotificationSink for PushSender {
    fn stored(&self, notification: &Notification) {
        match self.tx.try_send(notification.clone()) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(n)) => {
                metrics::counter!("studyhub_push_dropped_total").increment(1);
                tracing::warn!(notification = %n.id, "push queue full: notification not pushed");
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

struct Sender {
    db: Db,
    vapid: Arc<Vapid>,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector<CheckedResolver>>, Full<Bytes>>,
    allow_insecure: bool,
}

impl PushSender {
    /// Starts the sender's thread; pushes go out as long as the returned sender lives.
    pub fn start(db: Db, vapid: Arc<Vapid>, allow_insecure: bool) -> anyhow::Result<Arc<Self>> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("push-sender".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let sender = Sender {
                        client: client(allow_insecure),
                        db,
                        vapid,
                        allow_insecure,
                    };
                    run(Arc::new(sender), rx).await
                })
            })?;
        Ok(Arc::new(Self { tx }))
    }
}

/// Notifications taken from the queue at once: their users' subscriptions are read in one
/// query. One read a notification was most of the database's commits under load (a
/// completion or an unlock a few answers apart, issue #31).
const READ_TOGETHER: usize = 256;

async fn run(sender: Arc<Sender>, mut rx: mpsc::Receiver<Notification>) {
    let in_flight = Arc::new(Semaphore::new(CONCURRENCY));
    let mut taken = Vec::with_capacity(READ_TOGETHER);
    while rx.recv_many(&mut taken, READ_TOGETHER).await > 0 {
        let mut users: Vec<String> = taken.iter().map(|n| n.parent_id.clone()).collect();
        users.sort_unstable();
        users.dedup();
        let subs = match sender
            .db
            .run(move |conn| subscriptions::of_users(conn, &users))
            .await
        {
            Ok(subs) => subs,
            Err(e) => {
                tracing::warn!(notifications = taken.len(), error = %e, "push: cannot read subscriptions");
                taken.clear();
                continue;
            }
        };
        for n in taken.drain(..) {
            let Some(subs) = subs.get(&n.parent_id) else {
                continue;
            };
            let body: Arc<str> = payload::for_notification(&n).into();
            let urgency = payload::urgency(n.kind);
            for sub in subs.clone() {
                // Waiting here fills the queue instead of memory when the services are slow.
                let Ok(permit) = in_flight.clone().acquire_owned().await else {
                    return;
                };
                let (sender, body) = (sender.clone(), body.clone());
                tokio::spawn(async move {
                    sender.push(sub, &body, urgency).await;
                    drop(permit);
                });
            }
        }
    }
}

/// How one push went.
enum Outcome {
    Delivered,
    /// 404 or 410: the subscription is no more.
    Gone,
    Failed(String),
}

impl Sender {
    async fn push(&self, sub: Subscription, body: &str, urgency: &'static str) {
        let origin = address::parse(&sub.endpoint, true)
            .map(|e| e.origin)
            .unwrap_or_default();
        let outcome = match tokio::time::timeout(SEND_TIMEOUT, self.send(&sub, body, urgency)).await
        {
            Ok(outcome) => outcome,
            Err(_) => Outcome::Failed("no answer in time".into()),
        };
        let label = match &outcome {
            Outcome::Delivered => "delivered",
            Outcome::Gone => "gone",
            Outcome::Failed(_) => "failed",
        };
        metrics::counter!("studyhub_push_sent_total", "outcome" => label).increment(1);
        match outcome {
            Outcome::Delivered => {}
            Outcome::Gone => {
                tracing::info!(subscription = %sub.id, %origin, "push endpoint gone: subscription forgotten");
                let id = sub.id.clone();
                if let Err(e) = self
                    .db
                    .transaction(move |conn| subscriptions::forget(conn, &id))
                    .await
                {
                    tracing::warn!(subscription = %sub.id, error = %e, "cannot forget a gone push subscription");
                }
            }
            // The endpoint's path is the browser's secret: only its origin is logged.
            Outcome::Failed(why) => {
                tracing::warn!(subscription = %sub.id, %origin, reason = %why, "push failed")
            }
        }
    }

    async fn send(&self, sub: &Subscription, body: &str, urgency: &'static str) -> Outcome {
        // Checked again: the rules may have changed since it was subscribed. A host name is
        // resolved and checked by the connector (`CheckedResolver`), which connects only to
        // the addresses it let through.
        let endpoint = match address::parse(&sub.endpoint, self.allow_insecure) {
            Ok(e) => e,
            Err(e) => return Outcome::Failed(format!("endpoint refused: {}", e.reason())),
        };
        let Some((key, auth)) = browser_keys(sub) else {
            return Outcome::Failed("stored keys unreadable".into());
        };
        let encrypted = match web_push_native::encrypt(body.as_bytes().to_vec(), &key, &auth) {
            Ok(b) => b,
            Err(e) => return Outcome::Failed(format!("encryption: {e}")),
        };
        let authorization = match self.vapid.authorization(&endpoint.origin) {
            Ok(a) => a,
            Err(e) => return Outcome::Failed(format!("VAPID token: {e}")),
        };
        let request = http::Request::post(endpoint.uri)
            .header("TTL", TTL_SECS)
            .header("Urgency", urgency)
            .header(http::header::CONTENT_ENCODING, "aes128gcm")
            .header(http::header::CONTENT_TYPE, "application/octet-stream")
            .header(http::header::AUTHORIZATION, authorization)
            .body(Full::new(Bytes::from(encrypted)));
        let request = match request {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(format!("request: {e}")),
        };
        match self.client.request(request).await {
            Ok(res) if res.status().is_success() => Outcome::Delivered,
            Ok(res) if matches!(res.status().as_u16(), 404 | 410) => Outcome::Gone,
            Ok(res) => Outcome::Failed(format!("push service answered {}", res.status())),
            Err(e) => Outcome::Failed(connect_error(&e)),
        }
    }
}

/// The browser's key and secret, as stored (checked when subscribed).
fn browser_keys(sub: &Subscription) -> Option<(p256::PublicKey, web_push_native::Auth)> {
    let key = URL_SAFE_NO_PAD.decode(&sub.p256dh).ok()?;
    let auth = URL_SAFE_NO_PAD.decode(&sub.auth).ok()?;
    let key = p256::PublicKey::from_sec1_bytes(&key).ok()?;
    let auth: [u8; 16] = auth.try_into().ok()?;
    Some((key, web_push_native::Auth::from(auth)))
}

/// The innermost cause: a refused address reads as such.
fn connect_error(e: &hyper_util::client::legacy::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut last = e.to_string();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

fn client(
    allow_insecure: bool,
) -> Client<hyper_rustls::HttpsConnector<HttpConnector<CheckedResolver>>, Full<Bytes>> {
    let mut http = HttpConnector::new_with_resolver(CheckedResolver { allow_insecure });
    http.enforce_http(false);
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let builder =
        match hyper_rustls::HttpsConnectorBuilder::new().with_provider_and_native_roots(provider) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "no CA certificates found: https pushes will fail");
                let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                    rustls::crypto::aws_lc_rs::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .expect("the provider supports the default versions")
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
            }
        };
    let builder = if allow_insecure {
        builder.https_or_http()
    } else {
        builder.https_only()
    };
    let https = builder.enable_http1().wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(https)
}

/// Resolves a push endpoint's host and hands the connector only the addresses
/// `address::resolve` allows: the connection goes to an address that was checked, whatever
/// the name resolves to a moment later.
#[derive(Clone)]
struct CheckedResolver {
    allow_insecure: bool,
}

impl tower_service::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_insecure = self.allow_insecure;
        Box::pin(async move {
            let ips = address::resolve(name.as_str(), allow_insecure)
                .await
                .map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        format!("push endpoint refused: needs {}", e.reason()),
                    )
                })?;
            let addrs: Vec<SocketAddr> = ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect();
            Ok(addrs.into_iter())
        })
    }
}
