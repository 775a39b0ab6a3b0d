//! The bare actix-ws echo server the load bench measures the engine against: the same
//! transport (actix-web, tcp_nodelay) and the same generator, no engine behind it.

use futures_util::StreamExt;

use super::relay::{relay, watch};

/// Serves `/echo`, the relay's `/relay` and `/watch` on `port` until the process ends (the
/// load bench runs it in a process of its own, so its CPU is measured apart).
pub(crate) fn serve(port: u16) {
    use actix_web::{App, HttpRequest, HttpServer, web};
    async fn echo(
        req: HttpRequest,
        body: web::Payload,
    ) -> actix_web::Result<actix_web::HttpResponse> {
        let (res, mut session, stream) = actix_ws::handle(&req, body)?;
        let mut stream = stream.max_frame_size(16 * 1024);
        actix_web::rt::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                match msg {
                    #[allow(clippy::collapsible_match)] // the send must happen, not be a guard
                    actix_ws::Message::Text(t) => {
                        if session.text(t).await.is_err() {
                            break;
                        }
                    }
                    actix_ws::Message::Ping(p) => {
                        let _ = session.pong(&p).await;
                    }
                    actix_ws::Message::Close(_) => break,
                    _ => {}
                }
            }
            let _ = session.close(None).await;
        });
        Ok(res)
    }
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| {
            App::new()
                .route("/echo", web::get().to(echo))
                .route("/relay", web::get().to(relay))
                .route("/watch", web::get().to(watch))
        })
        // As the server does: the same transport.
        .tcp_nodelay(true)
        .bind(("127.0.0.1", port))
        .unwrap()
        .run()
        .await
        .unwrap();
    });
}
