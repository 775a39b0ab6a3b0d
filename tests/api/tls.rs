//! HTTPS and WSS served by the binary itself (`STUDYHUB_TLS_CERT`, `STUDYHUB_TLS_KEY`): a
//! parent signs up over HTTPS (answers carry HSTS), a child's play socket opens over WSS, the
//! certificate is renewed on disk and SIGHUP makes new connections get it while the open
//! socket goes on answering. Certificates come from `openssl` (a test CA and two leaves).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::TestDb;
use crate::common::process::Served;
use crate::common::wait::poll_until;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (Debian's openssl package)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA (`ca.pem`) in `dir`.
fn ca(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=studyhub test CA",
        ],
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
}

/// A certificate for localhost signed by the CA: `{name}.pem` and `{name}.key`.
fn leaf(dir: &Path, name: &str) {
    let (key, csr, pem) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            "/CN=localhost",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &pem,
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
        ],
    );
}

fn der(path: &Path) -> CertificateDer<'static> {
    CertificateDer::from_pem_file(path).unwrap()
}

/// Copies `{name}.pem`/`.key` over what the server reads, each by a rename (as certbot does).
fn install(dir: &Path, name: &str) {
    for ext in ["pem", "key"] {
        std::fs::copy(
            dir.join(format!("{name}.{ext}")),
            dir.join(format!("next.{ext}")),
        )
        .unwrap();
        std::fs::rename(
            dir.join(format!("next.{ext}")),
            dir.join(format!("served.{ext}")),
        )
        .unwrap();
    }
}

struct Client {
    tls: TlsConnector,
    port: u16,
}

impl Client {
    async fn connect(&self) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        self.tls
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .expect("the TLS handshake succeeds with the test CA")
    }

    /// The certificate a new connection is served.
    async fn served(&self) -> CertificateDer<'static> {
        let stream = self.connect().await;
        stream.get_ref().1.peer_certificates().unwrap()[0].clone()
    }

    /// One HTTP/1.1 request over a new TLS connection: (status, headers, JSON body).
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, String, Value) {
        let mut stream = self.connect().await;
        let body = body.map(Value::to_string).unwrap_or_default();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        // A server that closes without TLS close_notify is an error to rustls; what was read
        // before it still counts.
        let _ = stream.read_to_end(&mut raw).await;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (
            status,
            head.to_ascii_lowercase(),
            serde_json::from_str(body).unwrap_or(Value::Null),
        )
    }
}

#[actix_web::test]
async fn https_and_wss_with_a_certificate_renewed_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    ca(dir.path());
    leaf(dir.path(), "first");
    leaf(dir.path(), "renewed");
    install(dir.path(), "first");
    let cert = dir.path().join("served.pem");
    let key = dir.path().join("served.key");
    let db = TestDb::new();
    let server = Served::start(
        &db,
        &[
            ("STUDYHUB_TLS_CERT", cert.to_str().unwrap()),
            ("STUDYHUB_TLS_KEY", key.to_str().unwrap()),
        ],
    );

    let mut roots = RootCertStore::empty();
    roots.add(der(&dir.path().join("ca.pem"))).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = Client {
        tls: TlsConnector::from(Arc::new(config)),
        port: server.port,
    };
    assert_eq!(client.served().await, der(&dir.path().join("first.pem")));

    // HTTPS: health, a parent and a child; every answer says to stay on HTTPS.
    let (status, headers, health) = client.call("GET", "/health", None, None).await;
    assert_eq!(status, 200, "{health}");
    assert!(
        headers.contains("strict-transport-security: max-age=31536000"),
        "{headers}"
    );
    let email = format!("tls-{}@example.com", uuid::Uuid::new_v4().simple());
    let (status, headers, account) = client
        .call(
            "POST",
            "/v1/auth/register",
            None,
            Some(&json!({"email": email, "password": "correct horse battery", "name": "Tess", "role": "parent"})),
        )
        .await;
    assert_eq!(status, 201, "{account}");
    assert!(
        headers.contains("; secure"),
        "cookies are Secure over HTTPS: {headers}"
    );
    let token = account["access_token"].as_str().unwrap().to_string();
    let (status, _, child) = client
        .call(
            "POST",
            "/v1/children",
            Some(&token),
            Some(&json!({"name": "Wren", "age": 7, "interests": []})),
        )
        .await;
    assert_eq!(status, 201, "{child}");
    let child_id = child["id"].as_str().unwrap();

    // WSS: the child's play socket.
    let mut req = format!(
        "wss://localhost:{}/v1/play?learner_id={child_id}",
        server.port
    )
    .into_client_request()
    .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::client_async(req, client.connect().await)
        .await
        .expect("the play socket opens over WSS");
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["type"], "hello", "{hello}");

    // A renewed certificate, then SIGHUP: new connections get it.
    install(dir.path(), "renewed");
    assert_eq!(
        unsafe { libc::kill(server.pid() as libc::pid_t, libc::SIGHUP) },
        0
    );
    let renewed = der(&dir.path().join("renewed.pem"));
    poll_until(
        Duration::from_secs(20),
        "new connections get the renewed certificate",
        || async { client.served().await == renewed },
    )
    .await;

    // The socket opened before the reload still answers.
    ws.send(Message::text(
        json!({"type": "resume", "session_id": "00000000-0000-0000-0000-000000000000"}).to_string(),
    ))
    .await
    .unwrap();
    let answer = next_json(&mut ws).await;
    assert_eq!(answer["type"], "error", "{answer}");
}

/// The next text frame as JSON (pings are answered by the library).
async fn next_json<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>) -> Value
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("a frame within 20 s")
            .expect("the socket stays open")
            .unwrap();
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).unwrap();
        }
    }
}
