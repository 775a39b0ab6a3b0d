//! The relay: the echo sending the frames the engine sends for an answer, without doing its
//! work, so the load bench can show the transport's floor for this protocol.

use std::time::Duration;

use futures_util::StreamExt;

/// The relay's class watchers, by class number.
static WATCHERS: std::sync::Mutex<Vec<(usize, actix_ws::Session)>> =
    std::sync::Mutex::new(Vec::new());

fn class_of(req: &actix_web::HttpRequest) -> usize {
    req.query_string()
        .strip_prefix("class=")
        .and_then(|k| k.parse().ok())
        .unwrap_or(0)
}

/// A learner's socket on the relay: the frames the engine sends for one answer, without the
/// engine (no parsing, grading, storage): the answer back at once (`feedback`), a copy to
/// the class's watcher (the teacher's event), and the latest answer again 20 ms after the
/// first one not yet repeated (`saved` after a group commit); and the protocol's ping every
/// 10 s.
pub(crate) async fn relay(
    req: actix_web::HttpRequest,
    body: actix_web::web::Payload,
) -> actix_web::Result<actix_web::HttpResponse> {
    let class = class_of(&req);
    let (res, mut session, stream) = actix_ws::handle(&req, body)?;
    let mut stream = stream.max_frame_size(16 * 1024);
    actix_web::rt::spawn(async move {
        let mut unsaved = None;
        let commit = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(commit);
        // The protocol's heartbeat: a ping every 10 s, on the server's own schedule.
        use studyhub::web::socket::{PING_EVERY, first_ping};
        let mut heartbeat = tokio::time::interval_at(first_ping(), PING_EVERY);
        loop {
            tokio::select! {
                _ = heartbeat.tick() => {
                    if session.ping(b"").await.is_err() {
                        break;
                    }
                }
                msg = stream.next() => match msg {
                    Some(Ok(actix_ws::Message::Text(t))) => {
                        if session.text(t.clone()).await.is_err() {
                            break;
                        }
                        let watcher = WATCHERS.lock().unwrap().iter().find(|(k, _)| *k == class).map(|(_, w)| w.clone());
                        if let Some(mut w) = watcher {
                            let _ = w.text(t.clone()).await;
                        }
                        if unsaved.is_none() {
                            commit.as_mut().reset(tokio::time::Instant::now() + Duration::from_millis(20));
                        }
                        unsaved = Some(t);
                    }
                    Some(Ok(actix_ws::Message::Ping(p))) => {
                        let _ = session.pong(&p).await;
                    }
                    Some(Ok(actix_ws::Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => {}
                },
                () = &mut commit, if unsaved.is_some() => {
                    if let Some(t) = unsaved.take()
                        && session.text(t).await.is_err()
                    {
                        break;
                    }
                }
            }
        }
        let _ = session.close(None).await;
    });
    Ok(res)
}

/// A class's watcher on the relay: hears a copy of every answer of its class.
pub(crate) async fn watch(
    req: actix_web::HttpRequest,
    body: actix_web::web::Payload,
) -> actix_web::Result<actix_web::HttpResponse> {
    let class = class_of(&req);
    let (res, session, mut stream) = actix_ws::handle(&req, body)?;
    WATCHERS.lock().unwrap().push((class, session));
    actix_web::rt::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
    Ok(res)
}
