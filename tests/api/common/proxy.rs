//! A TCP proxy in front of PostgreSQL, Redis or S3 that a test can cut (every connection
//! dropped at once, new ones closed as soon as they are accepted) and heal, or slow down
//! (a delay before every chunk it forwards), without touching the machine's services. It runs
//! on a thread of its own, so a test that blocks (a direct database query, joining a server's
//! thread) does not stall it. The chaos soak (`benches/soak.rs`) uses the same file.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

#[derive(Default)]
struct State {
    cut: bool,
    conns: Vec<AbortHandle>,
}

pub struct Proxy {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    /// Added to every chunk forwarded, either way, in ms (0: none).
    latency_ms: Arc<AtomicU64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// `host:port` of a URL (`scheme://[user@]host[:port][/…]`), with the scheme's default port.
pub fn authority(url: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host_port = &rest[..end];
    let host_port = host_port.rsplit_once('@').map_or(host_port, |(_, h)| h);
    let with_port = if host_port.contains(':') {
        host_port.to_string()
    } else {
        let port = match scheme {
            "postgres" | "postgresql" => 5432,
            "redis" => 6379,
            "https" => 443,
            _ => 80,
        };
        format!("{host_port}:{port}")
    };
    (host_port.to_string(), with_port)
}

impl Proxy {
    /// A proxy forwarding to `target` (`host:port`).
    pub fn start(target: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (target, shared) = (target.to_string(), state.clone());
        let latency_ms = Arc::new(AtomicU64::new(0));
        let delay = latency_ms.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                let accept = async {
                    loop {
                        let Ok((client, _)) = listener.accept().await else {
                            continue;
                        };
                        // Checked and registered under one lock, so `cut` misses none.
                        let mut state = shared.lock().unwrap();
                        if state.cut {
                            drop(client);
                            continue;
                        }
                        let (target, delay) = (target.clone(), delay.clone());
                        let task = tokio::spawn(async move {
                            if let Ok(server) = TcpStream::connect(&target).await {
                                let (cr, cw) = client.into_split();
                                let (sr, sw) = server.into_split();
                                tokio::select! {
                                    () = forward(cr, sw, delay.clone()) => {}
                                    () = forward(sr, cw, delay) => {}
                                }
                            }
                        });
                        state.conns.retain(|c| !c.is_finished());
                        state.conns.push(task.abort_handle());
                    }
                };
                tokio::select! {
                    () = accept => {}
                    _ = stopped => {}
                }
            });
        });
        Proxy {
            addr,
            state,
            latency_ms,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// A proxy in front of the service `url` names.
    pub fn in_front_of(url: &str) -> Self {
        Self::start(&authority(url).1)
    }

    /// `url` (of the service behind the proxy), pointed at the proxy instead.
    pub fn redirect(&self, url: &str) -> String {
        url.replacen(&authority(url).0, &self.addr.to_string(), 1)
    }

    /// Drops every open connection and refuses new ones until [`Proxy::heal`].
    pub fn cut(&self) {
        let mut state = self.state.lock().unwrap();
        state.cut = true;
        for c in state.conns.drain(..) {
            c.abort();
        }
    }

    pub fn heal(&self) {
        self.state.lock().unwrap().cut = false;
    }

    /// Delays every chunk forwarded (both ways) by `latency` from now on; zero for none.
    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms
            .store(latency.as_millis() as u64, Ordering::Relaxed);
    }
}

/// Copies one direction until either side closes, each chunk after the current delay.
async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Arc<AtomicU64>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let ms = delay.load(Ordering::Relaxed);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn authorities_of_urls() {
    assert_eq!(
        authority("postgres://postgres@127.0.0.1:5432/db?sslmode=disable").1,
        "127.0.0.1:5432"
    );
    assert_eq!(authority("redis://localhost").1, "localhost:6379");
    assert_eq!(
        authority("http://127.0.0.1:9000"),
        ("127.0.0.1:9000".into(), "127.0.0.1:9000".into())
    );
}
