//! One learner of the connect bench, coming back the way a browser does: a ticket over
//! HTTP, the websocket upgrade with `?ticket=`, `hello`, `start` or `resume` (resending what
//! was not `saved`), and an answer with its `feedback`. Then it plays until told to stop.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// What a careful client keeps: its session, the highest seq sent, with feedback and saved.
#[derive(Clone, Default)]
pub struct Learner {
    pub id: String,
    pub token: Arc<str>,
    pub source: Option<Ipv4Addr>,
    pub session: Option<String>,
    pub sent: u32,
    pub fed: u32,
    pub saved: u32,
    /// Set when `hello` showed less saved than this client had seen: a lost answer.
    pub lost: bool,
}

pub type Ws = WebSocketStream<TcpStream>;

/// Reads an HTTP/1.1 response with a `Content-Length` body, nothing past it.
async fn read_response(stream: &mut TcpStream) -> Result<(u16, Vec<u8>), String> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("ticket read: {e}"))?;
        if n == 0 {
            return Err("ticket: connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or("ticket: bad status line")?;
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        while buf.len() < end + 4 + len {
            let n = stream
                .read(&mut chunk)
                .await
                .map_err(|e| format!("ticket read: {e}"))?;
            if n == 0 {
                return Err("ticket: connection closed".into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        return Ok((status, buf[end + 4..end + 4 + len].to_vec()));
    }
}

/// A ticket over HTTP, then the upgrade on the same connection.
async fn open(server: SocketAddr, l: &Learner) -> Result<Ws, String> {
    let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    if let Some(src) = l.source {
        socket
            .bind(SocketAddr::new(src.into(), 0))
            .map_err(|e| format!("bind: {e}"))?;
    }
    let mut stream = socket
        .connect(server)
        .await
        .map_err(|e| format!("connect: {}", e.kind()))?;
    stream.set_nodelay(true).ok();
    let body = json!({"learner_id": l.id}).to_string();
    let req = format!(
        "POST /v1/realtime/tickets HTTP/1.1\r\nHost: {server}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        l.token,
        body.len()
    );
    stream
        .write_all(req.as_bytes())
        .await
        .map_err(|e| format!("ticket write: {e}"))?;
    let (status, body) = read_response(&mut stream).await?;
    if status != 201 {
        return Err(format!("ticket {status}"));
    }
    let v: Value = serde_json::from_slice(&body).map_err(|_| "ticket: bad json")?;
    let ticket = v["ticket"].as_str().ok_or("ticket: none")?;
    let url = format!("ws://{server}/v1/play?learner_id={}&ticket={ticket}", l.id);
    let req = url.into_client_request().map_err(|e| e.to_string())?;
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::client_async_with_config(req, stream, Some(config))
        .await
        .map_err(|e| format!("upgrade: {e}"))?;
    Ok(ws)
}

/// The next text frame as JSON (pings are answered by tungstenite), bounded in time.
pub async fn next(ws: &mut Ws) -> Result<Value, String> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .map_err(|_| "no frame in 30 s".to_string())?;
        match msg {
            Some(Ok(Message::Text(t))) => {
                return serde_json::from_str(&t).map_err(|_| "bad json".into());
            }
            Some(Ok(Message::Close(c))) => {
                return Err(format!("closed {}", c.map_or(0, |c| u16::from(c.code))));
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("ws: {e}")),
            None => return Err("ws: gone".into()),
        }
    }
}

fn answer(session: &str, seq: u32) -> Message {
    Message::text(
        json!({"type": "answer", "session_id": session, "seq": seq, "question_id": "q1", "answer": 7})
            .to_string(),
    )
}

async fn send(ws: &mut Ws, m: Message) -> Result<(), String> {
    ws.send(m).await.map_err(|e| format!("send: {e}"))
}

/// Reads until `feedback` for `seq`, keeping `saved`; `busy` is waited out and sent again.
async fn until_feedback(ws: &mut Ws, l: &mut Learner, seq: u32) -> Result<(), String> {
    loop {
        let v = next(ws).await?;
        match v["type"].as_str().unwrap_or("") {
            "feedback" => {
                let s = v["seq"].as_u64().unwrap_or(0) as u32;
                l.fed = l.fed.max(s);
                if s >= seq {
                    return Ok(());
                }
            }
            "saved" => l.saved = l.saved.max(v["up_to_seq"].as_u64().unwrap_or(0) as u32),
            "error" if v["code"] == "busy" => {
                let wait = v["retry_after_ms"].as_u64().unwrap_or(500);
                tokio::time::sleep(Duration::from_millis(wait)).await;
                let s = v["seq"].as_u64().unwrap_or(0) as u32;
                let session = l.session.clone().unwrap_or_default();
                for q in s..=seq {
                    send(ws, answer(&session, q)).await?;
                }
            }
            "error" => return Err(format!("error {}", v["code"])),
            _ => {}
        }
    }
}

/// Back and playing: ticket, upgrade, `hello`, `start` or `resume` (resending what was not
/// saved), and one new answer with `feedback`.
pub async fn come_back(server: SocketAddr, l: &mut Learner) -> Result<Ws, String> {
    let mut ws = open(server, l).await?;
    let hello = next(&mut ws).await?;
    if hello["type"] != "hello" {
        return Err(format!("first frame {}", hello["type"]));
    }
    let open_session = &hello["open_session"];
    match (&l.session, open_session["session_id"].as_str()) {
        (Some(mine), Some(theirs)) if mine == theirs => {
            let stored = open_session["last_saved_seq"].as_u64().unwrap_or(0) as u32;
            if stored < l.saved {
                l.lost = true;
            }
            send(
                &mut ws,
                Message::text(json!({"type": "resume", "session_id": mine}).to_string()),
            )
            .await?;
            loop {
                let v = next(&mut ws).await?;
                if v["type"] == "started" {
                    let stored = v["last_saved_seq"].as_u64().unwrap_or(0) as u32;
                    l.saved = l.saved.max(stored);
                    // The server knows only what was stored: what this client sent after it
                    // is sent again (new answers to the new server).
                    l.fed = stored;
                    break;
                }
                if v["type"] == "error" {
                    return Err(format!("resume: {}", v["code"]));
                }
            }
            let mine = mine.clone();
            for seq in l.fed + 1..=l.sent {
                send(&mut ws, answer(&mine, seq)).await?;
            }
            if l.sent > l.fed {
                let sent = l.sent;
                until_feedback(&mut ws, l, sent).await?;
            }
        }
        (Some(_), _) => return Err("hello: the open session is gone".into()),
        (None, _) => {
            send(
                &mut ws,
                Message::text(
                    json!({"type": "start", "activity_id": "math-addition-1"}).to_string(),
                ),
            )
            .await?;
            loop {
                let v = next(&mut ws).await?;
                if v["type"] == "started" {
                    l.session = v["session_id"].as_str().map(String::from);
                    break;
                }
                if v["type"] == "error" {
                    // Busy: start again after the wait.
                    if v["code"] == "busy" {
                        let wait = v["retry_after_ms"].as_u64().unwrap_or(500);
                        tokio::time::sleep(Duration::from_millis(wait)).await;
                        send(
                            &mut ws,
                            Message::text(
                                json!({"type": "start", "activity_id": "math-addition-1"})
                                    .to_string(),
                            ),
                        )
                        .await?;
                        continue;
                    }
                    return Err(format!("start: {}", v["code"]));
                }
            }
        }
    }
    l.sent += 1;
    let (session, seq) = (l.session.clone().unwrap(), l.sent);
    send(&mut ws, answer(&session, seq)).await?;
    until_feedback(&mut ws, l, seq).await?;
    Ok(ws)
}

/// Plays one answer every `every` until the socket closes (the kill) or `stop` is set.
pub async fn play(mut ws: Ws, mut l: Learner, every: Duration, stop: Arc<AtomicBool>) -> Learner {
    let phase = Duration::from_millis(rand_u64() % every.as_millis().max(1) as u64);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + phase, every);
    let session = l.session.clone().unwrap();
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if stop.load(Ordering::Relaxed) {
                    return l;
                }
                l.sent += 1;
                if send(&mut ws, answer(&session, l.sent)).await.is_err() {
                    return l;
                }
            }
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).unwrap_or_default();
                    match v["type"].as_str() {
                        Some("feedback") => l.fed = l.fed.max(v["seq"].as_u64().unwrap_or(0) as u32),
                        Some("saved") => l.saved = l.saved.max(v["up_to_seq"].as_u64().unwrap_or(0) as u32),
                        // Past capacity: this seq was not kept; the next tick sends it again.
                        Some("error") if v["code"] == "busy" => l.sent = l.sent.min(v["seq"].as_u64().unwrap_or(1) as u32 - 1),
                        _ => {}
                    }
                }
                Some(Ok(_)) => {}
                _ => return l,
            }
        }
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(1);
    h.finish()
}
