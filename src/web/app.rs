//! Building and running the server: `Application::build(settings)` binds (port 0 in tests),
//! migrates, seeds an empty database and returns a server ready to run.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_cors::Cors;
use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue, STRICT_TRANSPORT_SECURITY};
use actix_web::{App, HttpMessage, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::infra::config::{Settings, redact_url};
use crate::infra::error::AppError;
use crate::web::routes;
use crate::web::state::AppState;

/// Blocking threads a worker may have beyond the database pool's connections (password
/// hashing, files, reports).
const BLOCKING_SPARE: usize = 8;

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        let state = web::Data::new(AppState::start(settings.clone()).await?);
        crate::features::backup::schedule::spawn(
            crate::features::backup::schedule::SystemBackups {
                db: state.db.clone(),
                storage: state.storage.clone(),
                cipher: state.backup_cipher.clone(),
                data_dir: settings.data_dir.clone(),
                interval: settings.backup_interval_secs,
            },
            state.redis.clone(),
        );
        crate::features::retention::spawn(state.db.clone(), settings.retention);
        crate::features::mail::digest::spawn(
            state.db.clone(),
            crate::features::mail::digest::DigestSetup::of(&settings),
            state.mailer.clone(),
        );

        let listener =
            listen(&settings.bind).with_context(|| format!("cannot bind {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let tls = match &settings.tls {
            Some(files) => {
                let cert = crate::web::tls::Certificate::load(&files.cert, &files.key)?;
                crate::web::tls::reload_on_sighup(cert.clone())?;
                Some(cert)
            }
            None => None,
        };
        let hsts = tls.is_some();
        let server_state = state.clone();
        // One budget for every worker of this node.
        let rest_budget = web::Data::new(crate::web::rest_budget::RestBudget::new(
            &settings.rest_budget,
        ));
        let workers = settings
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(server_state.clone())
                .app_data(rest_budget.clone())
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    AppError::invalid_field("query", e.to_string()).into()
                }))
                .app_data(web::PathConfig::default().error_handler(|_, _| AppError::not_found("resource").into()))
                // Innermost: a handler's panic becomes a 500 (an error, answered by the layer
                // just above with the request id, and counted).
                .wrap(actix_web::middleware::from_fn(crate::web::catch_panic::answer_500))
                .wrap_fn(move |req, srv| {
                    // Request id header and HTTP metrics, labelled by route pattern (not by
                    // raw path, which would make one series per id).
                    let started = Instant::now();
                    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                    let method = req.method().to_string();
                    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
                    let fut = srv.call(req);
                    async move {
                        let result = fut.await;
                        let status = match &result {
                            Ok(res) => res.status(),
                            Err(e) => e.as_response_error().status_code(),
                        };
                        metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.as_u16().to_string()).increment(1);
                        metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
                            .record(started.elapsed().as_secs_f64());
                        let decorate = |headers: &mut actix_web::http::header::HeaderMap| {
                            if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                                headers.insert(HeaderName::from_static("x-request-id"), id);
                            }
                            if hsts {
                                headers.insert(
                                    STRICT_TRANSPORT_SECURITY,
                                    HeaderValue::from_static(crate::web::tls::HSTS),
                                );
                            }
                        };
                        match result {
                            Ok(mut res) => {
                                decorate(res.headers_mut());
                                Ok(res)
                            }
                            // An error from the layer below (`catch_panic`): answered with the
                            // same headers, and counted, as any answer.
                            Err(e) => {
                                let mut answer = e.error_response();
                                decorate(answer.headers_mut());
                                Err(actix_web::error::InternalError::from_response(e, answer).into())
                            }
                        }
                    }
                })
                .wrap(actix_web::middleware::from_fn(crate::web::uri_guard::refuse_nul))
                .wrap(actix_web::middleware::from_fn(crate::web::rest_budget::limit))
                .wrap(cors(&server_state.settings.cors_origins))
                .wrap(TracingLogger::default())
                // Outermost: every answer, errors of the layers above included.
                .wrap(actix_web::middleware::from_fn(crate::web::security_headers::add))
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        })
        // Live frames are small and must leave at once: with Nagle's algorithm a `saved`
        // written just after its `feedback` waited for the client's delayed ACK (up to 40 ms).
        .tcp_nodelay(true)
        .workers(workers)
        // Blocking work is mostly database calls, which wait for one of the pool's
        // connections anyway. Unbounded (512 a worker), a connect storm started hundreds of
        // threads whose heaps kept what they had loaded: 50 KiB of RSS a learner.
        .worker_max_blocking_threads(settings.database_pool_size as usize + BLOCKING_SPARE)
        // Stops are ours (`crate::web::shutdown`): the engine drains before sockets close.
        .disable_signals()
        .shutdown_timeout(crate::web::shutdown::WORKERS_WAIT_SECS);
        let server = match &tls {
            Some(cert) => server.listen_rustls_0_23(listener, cert.server_config()?)?,
            None => server.listen(listener)?,
        }
        .run();
        tracing::info!(
            address = %settings.bind, port, tls = hsts, backend = settings.backend.name(),
            database = %redact_url(&settings.database_url), "studyhub is listening"
        );
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGTERM or Ctrl-C, then stops gracefully (see `crate::web::shutdown`).
    pub async fn run_until_signal(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let mut server = actix_web::rt::spawn(self.server);
        tokio::select! {
            done = &mut server => return done.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            () = crate::web::shutdown::signal() => {}
        }
        crate::web::shutdown::graceful(&self.state, handle).await;
        server
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    pub fn into_server(self) -> Server {
        self.server
    }
}

/// Connections the kernel may hold for us before they are accepted. The standard library
/// listens with 128: when thousands of clients reconnect at once (a restart), the rest of
/// their connects were dropped and retried a second or more later.
const ACCEPT_BACKLOG: i32 = 4096;

/// Binds the HTTP listener with a deep accept queue (see [`ACCEPT_BACKLOG`]; the kernel caps
/// it at `net.core.somaxconn`) and `SO_REUSEADDR`, so a restarted node can bind its port
/// while the old one's connections linger in TIME_WAIT.
fn listen(bind: &str) -> std::io::Result<TcpListener> {
    use std::net::ToSocketAddrs;
    let addr = bind.to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to bind")
    })?;
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(ACCEPT_BACKLOG)?;
    Ok(socket.into())
}

/// Cross-origin requests: the listed origins may send credentials (the refresh cookie of a
/// front end on another site); `*` lets any origin read the API without credentials, never
/// with them (a browser would then send any site's visitors' cookies along).
fn cors(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allow_any_method()
        .allow_any_header()
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        return cors.allow_any_origin();
    }
    origins
        .iter()
        .fold(cors.supports_credentials(), |cors, origin| {
            cors.allowed_origin(origin)
        })
}
