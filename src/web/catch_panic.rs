//! A handler that panics answers 500 `internal_error`, like any other failure on our side,
//! with the panic's message in the log: without this the connection's task ends without an
//! answer and the client sees a reset (ASVS 7.4.1). Nothing here makes a panic safe to have;
//! it only makes it answer.

use std::panic::AssertUnwindSafe;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use futures_util::FutureExt;

use crate::infra::error::AppError;

/// The request is not kept for the answer (actix routes it only while nothing else holds
/// it): the panic becomes an error, which the layers above answer with its JSON body and
/// the security headers.
pub async fn answer_500(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(res) => res,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            // Logged inside the request's span (its id, route and path).
            tracing::error!(panic = %what, "a handler panicked");
            Err(AppError::internal(anyhow::anyhow!("a handler panicked: {what}")).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{App, http::StatusCode, middleware::from_fn, test, web};

    #[actix_web::test]
    async fn a_panicking_handler_answers_500_and_the_next_request_is_served() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(super::answer_500))
                .route(
                    "/boom",
                    web::get().to(|| async {
                        let fail = true;
                        if fail {
                            panic!("boom");
                        }
                        "never"
                    }),
                )
                .route("/fine", web::get().to(|| async { "fine" })),
        )
        .await;
        let err = test::try_call_service(&app, test::TestRequest::get().uri("/boom").to_request())
            .await
            .err()
            .expect("the panic is an error");
        let res = err.error_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal_error", "{body}");
        let res =
            test::call_service(&app, test::TestRequest::get().uri("/fine").to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}
