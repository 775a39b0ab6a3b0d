//! Request bodies become typed, validated values at the edge ("parse, don't validate").
//!
//! [`ValidJson`] answers the contract's way: a body that is not JSON is 400
//! `malformed_json`; a body of the wrong shape (missing field, wrong type, unknown enum
//! value) or one that fails validation is 422 with `details.fields`; a body over the limit
//! is 413; a non-JSON content type is 415.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::infra::error::{AppError, Code};

/// Default limit for JSON bodies. Routes that take more set [`JsonLimit`] as app data.
pub const DEFAULT_JSON_LIMIT: usize = 64 * 1024;

#[derive(Clone, Copy)]
pub struct JsonLimit(pub usize);

pub struct ValidJson<T>(pub T);

impl<T> std::ops::Deref for ValidJson<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Reads the whole body, refusing more than `limit` bytes without buffering them.
pub async fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> Result<web::Bytes, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::bad_request(Code::BadBody, format!("could not read the body: {e}"))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn too_large(limit: usize) -> AppError {
    AppError::too_large(format!("the body is larger than {limit} bytes"))
}

/// JSON is expected, but clients that label it loosely (`text/plain`, curl's form default)
/// are still understood; only bodies that cannot be JSON at all (multipart, images) are 415.
pub fn check_content_type(req: &HttpRequest) -> Result<(), AppError> {
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let cannot_be_json = [
        "multipart/",
        "image/",
        "audio/",
        "video/",
        "application/octet-stream",
    ];
    if cannot_be_json.iter().any(|p| mime.starts_with(p)) {
        Err(AppError::unsupported_media(
            "send the body as application/json",
        ))
    } else {
        Ok(())
    }
}

/// Parses JSON, mapping serde's errors to the contract's 400 / 422.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // Syntax first, so a truncated body is 400 even when its start already has the wrong
    // shape. Bodies are small (bounded by the limit), so the second pass is cheap.
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(AppError::bad_request(
            Code::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        ));
    }
    let mut result = match refuse_nul(bytes)? {
        Some(cleaned) => serde_path_to_error::deserialize::<_, T>(cleaned),
        None => {
            let de = &mut serde_json::Deserializer::from_slice(bytes);
            serde_path_to_error::deserialize::<_, T>(de)
        }
    };
    if let Err(err) = &result {
        // JSON does not tell `2` from `2.0`, and JSON Schema calls both an integer: take an
        // integral number where an integer is wanted (the slow path, only when it matters).
        if err
            .inner()
            .to_string()
            .starts_with("invalid type: floating point")
            && let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes)
        {
            drop_nul_names(&mut value);
            integral_floats_to_integers(&mut value);
            result = serde_path_to_error::deserialize::<_, T>(value);
        }
    }
    match result {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let msg = strip_position(&inner.to_string());
                    let (field, reason) = match msg.strip_prefix("missing field `") {
                        Some(rest) => {
                            let name = rest.split('`').next().unwrap_or("");
                            let field = if path == "." {
                                name.to_string()
                            } else {
                                format!("{path}.{name}")
                            };
                            (field, "required".to_string())
                        }
                        None => (
                            if path == "." {
                                "body".to_string()
                            } else {
                                path
                            },
                            msg,
                        ),
                    };
                    Err(AppError::invalid_field(&field, reason))
                }
                _ => Err(AppError::bad_request(
                    Code::MalformedJson,
                    format!("the body is not valid JSON: {}", inner),
                )),
            }
        }
    }
}

fn integral_floats_to_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *n = serde_json::Number::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// Text with NUL cannot be stored by PostgreSQL (SQLite would take it, and a move between
/// them would then fail), so no body may carry it: 422 naming the field, on both backends.
/// Refuses a NUL in any string of the body (422 naming where), and drops members whose
/// *name* holds NUL: no field of ours has such a name, so they are unknown fields, ignored
/// as every unknown field is (request schemas allow additional properties). Dropped, not
/// passed on: a body read as free JSON never keeps them. `Some` is the body without them.
fn refuse_nul(bytes: &[u8]) -> Result<Option<serde_json::Value>, AppError> {
    // A JSON string can only hold NUL as the escape `\u0000`: parse further only then.
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return Ok(None);
    }
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(None);
    };
    let dropped = drop_nul_names(&mut value);
    match nul_path(&value, "") {
        Some(field) => Err(AppError::invalid_field(
            if field.is_empty() { "body" } else { &field },
            "must not contain the NUL character",
        )),
        None => Ok(dropped.then_some(value)),
    }
}

/// Removes object members whose name holds NUL, at any depth; whether any were.
fn drop_nul_names(v: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Array(items) => items.iter_mut().fold(false, |d, i| drop_nul_names(i) | d),
        Value::Object(map) => {
            let before = map.len();
            map.retain(|k, _| !k.contains('\0'));
            let dropped = map.len() != before;
            map.values_mut().fold(dropped, |d, i| drop_nul_names(i) | d)
        }
        _ => false,
    }
}

fn nul_path(v: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    let join = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    match v {
        Value::String(s) => s.contains('\0').then(|| at.to_string()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| nul_path(item, &join(k))),
        _ => None,
    }
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Turns validator's errors into `field → reason`.
pub fn validation_error(errors: &ValidationErrors) -> AppError {
    let mut fields = BTreeMap::new();
    collect(errors, "", &mut fields);
    AppError::validation(fields)
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut BTreeMap<String, String>) {
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(errs) => {
                if let Some(e) = errs.first() {
                    let reason = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| e.code.to_string());
                    out.insert(name, reason);
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &name, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(inner, &format!("{name}[{i}]"), out);
                }
            }
        }
    }
}

/// Bodies that need a clean-up step (trimming, lower-casing) before validation.
pub trait Normalize {
    fn normalize(&mut self) {}
}

/// A whole body checked as [`ValidJson`] checks it once read: not empty, JSON of the right
/// shape, normalized, validated.
pub fn parse_valid<T: DeserializeOwned + Validate + Normalize>(
    bytes: &[u8],
) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::bad_request(
            Code::MalformedJson,
            "the body is empty; send a JSON object",
        ));
    }
    let mut value: T = parse_json(bytes)?;
    value.normalize();
    value.validate().map_err(|e| validation_error(&e))?;
    Ok(value)
}

impl<T> FromRequest for ValidJson<T>
where
    T: DeserializeOwned + Validate + Normalize + 'static,
{
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            check_content_type(&req)?;
            let limit = req
                .app_data::<JsonLimit>()
                .map_or(DEFAULT_JSON_LIMIT, |l| l.0);
            let bytes = read_body(&req, &mut payload, limit).await?;
            Ok(ValidJson(parse_valid(&bytes)?))
        })
    }
}

/// A multipart upload's form: 413 when the declared length is already past `max` (and some
/// room for the form's other parts), 415 when the body is not `multipart/form-data`.
pub fn multipart_form(
    req: &HttpRequest,
    payload: web::Payload,
    max: usize,
    too_large: &str,
    what: &str,
) -> Result<actix_multipart::Multipart, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max + 64 * 1024) {
        return Err(AppError::too_large(too_large));
    }
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(AppError::unsupported_media(format!(
            "send multipart/form-data with {what}"
        )));
    }
    Ok(actix_multipart::Multipart::new(req.headers(), payload))
}

/// One multipart field, at most `limit` bytes: past it, 413 with `too_large` for the file
/// field (`file` names it) and 422 for a text field.
pub async fn read_field(
    field: &mut actix_multipart::Field,
    limit: usize,
    name: &str,
    too_large: &str,
) -> Result<bytes::BytesMut, AppError> {
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| AppError::bad_request(Code::BadMultipart, e.to_string()))?;
        if buf.len() + chunk.len() > limit {
            return Err(if too_large.is_empty() {
                AppError::invalid_field(name, "too long")
            } else {
                AppError::too_large(too_large)
            });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        age: u8,
    }

    fn fields(e: &AppError) -> serde_json::Value {
        e.details.as_ref().unwrap()["fields"].clone()
    }

    #[test]
    fn nul_anywhere_in_a_string_is_422_naming_the_field() {
        let e = parse_json::<Body>(br#"{"email": "a\u0000@b.c", "age": 3}"#).unwrap_err();
        assert_eq!(fields(&e)["email"], "must not contain the NUL character");
        let e = parse_json::<serde_json::Value>(br#"{"a": [{"b": "ok"}, {"b": "\u0000"}]}"#)
            .unwrap_err();
        assert!(fields(&e).get("a[1].b").is_some(), "{:?}", e.details);
        // An escaped backslash followed by the letters is not NUL.
        assert!(parse_json::<serde_json::Value>(br#"{"a": "\\u0000"}"#).is_ok());
    }

    /// A member whose name holds NUL is an unknown field: ignored, and gone from free JSON.
    #[test]
    fn a_name_with_nul_is_an_unknown_field() {
        let b = parse_json::<Body>(br#"{"email": "a@b.c", "age": 3, "x\u0000y": "z"}"#).unwrap();
        assert_eq!(b.age, 3);
        let v = parse_json::<serde_json::Value>(br#"{"a": {"\u0000": 1, "b": 2}}"#).unwrap();
        assert_eq!(v, serde_json::json!({"a": {"b": 2}}));
    }

    #[test]
    fn integral_floats_are_integers_but_fractions_are_not() {
        #[derive(serde::Deserialize)]
        struct Age {
            age: i32,
        }
        assert_eq!(parse_json::<Age>(br#"{"age": 8.0}"#).unwrap().age, 8);
        let e = parse_json::<Age>(br#"{"age": 8.5}"#).err().unwrap();
        assert!(
            fields(&e)["age"]
                .as_str()
                .unwrap()
                .contains("floating point")
        );
    }

    #[test]
    fn syntax_errors_are_400() {
        let e = parse_json::<Body>(b"{\"email\": ").unwrap_err();
        assert_eq!(e.code, "malformed_json");
    }

    #[test]
    fn missing_and_wrong_fields_are_422_with_names() {
        let e = parse_json::<Body>(br#"{"age": 3}"#).unwrap_err();
        assert_eq!(fields(&e)["email"], "required");
        let e = parse_json::<Body>(br#"{"email": "a@b.c", "age": "x"}"#).unwrap_err();
        assert!(
            fields(&e)["age"]
                .as_str()
                .unwrap()
                .starts_with("invalid type")
        );
    }
}
