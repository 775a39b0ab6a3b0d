//! A minimal HTTP/1.0 client on tokio for the soak's REST calls through nginx (one
//! connection per request, no pool to go stale when a node dies): status and JSON body.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request to `127.0.0.1:port`; `None` when there was no answer (refused, reset, or
/// nothing within `timeout`). HTTP/1.0, so nginx answers without chunking and closes.
pub(crate) async fn request(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
    timeout: Duration,
) -> Option<(u16, Value)> {
    tokio::time::timeout(timeout, async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        let mut head = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
        if let Some(t) = token {
            head.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        let (kind, bytes) = body.unwrap_or(("application/json", Vec::new()));
        if method != "GET" {
            head.push_str(&format!(
                "Content-Type: {kind}\r\nContent-Length: {}\r\n",
                bytes.len()
            ));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&bytes);
        stream.write_all(&out).await.ok()?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await.ok()?;
        let split = reply.windows(4).position(|w| w == b"\r\n\r\n")?;
        let status_line = std::str::from_utf8(&reply[..split]).ok()?.lines().next()?;
        let status: u16 = status_line.split_whitespace().nth(1)?.parse().ok()?;
        let json = serde_json::from_slice(&reply[split + 4..]).unwrap_or(Value::Null);
        Some((status, json))
    })
    .await
    .ok()
    .flatten()
}

/// `request` with a JSON body.
pub(crate) async fn json(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> Option<(u16, Value)> {
    let bytes = serde_json::to_vec(body).unwrap();
    request(
        port,
        method,
        path,
        token,
        Some(("application/json", bytes)),
        Duration::from_secs(30),
    )
    .await
}

/// A GET without a runtime (the fault thread, the checker): status and JSON body, 10 s at most.
pub(crate) fn get_blocking(port: u16, path: &str, token: Option<&str>) -> Option<(u16, Value)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{auth}\r\n").as_bytes())
        .ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    let split = out.windows(4).position(|w| w == b"\r\n\r\n")?;
    let status = std::str::from_utf8(&out[..split])
        .ok()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((
        status,
        serde_json::from_slice(&out[split + 4..]).unwrap_or(Value::Null),
    ))
}
