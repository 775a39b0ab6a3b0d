//! A path or query that carries NUL (`%00`) is refused before any handler sees it: a path
//! names something that cannot exist (404), a query parameter is invalid (422). PostgreSQL
//! cannot hold NUL in text, and without this guard such a request reached the database and
//! came back as a 503 that told clients to retry what can never work.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::middleware::Next;

use crate::infra::error::AppError;

pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Some(err) = nul_in(req.uri()) {
        tracing::info!(path = %req.path(), "refused a request whose address carries NUL");
        return Ok(req.error_response(err).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn has_nul(s: &str) -> bool {
    s.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

fn nul_in(uri: &Uri) -> Option<AppError> {
    if has_nul(uri.path()) {
        return Some(AppError::not_found("resource"));
    }
    let query = uri.query()?;
    let pair = query.split('&').find(|p| has_nul(p))?;
    let name = pair.split('=').next().unwrap_or("query");
    let name = if has_nul(name) { "query" } else { name };
    Some(AppError::invalid_field(
        name,
        "must not contain the NUL character",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_in_a_path_is_404_and_in_a_query_422_naming_the_parameter() {
        let uri: Uri = "/v1/children/ab%00cd".parse().unwrap();
        assert_eq!(nul_in(&uri).unwrap().code, "not_found");
        let uri: Uri = "/v1/audit?limit=5&user_id=a%00".parse().unwrap();
        let e = nul_in(&uri).unwrap();
        assert!(e.details.unwrap()["fields"].get("user_id").is_some());
        let uri: Uri = "/v1/audit?user_id=a%2500".parse().unwrap();
        assert!(nul_in(&uri).is_none(), "an escaped percent sign is not NUL");
        assert!(nul_in(&"/v1/children/1000".parse().unwrap()).is_none());
    }
}
