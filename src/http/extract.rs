//! Extractors that turn bad input into our problems: query strings with unknown parameters
//! refused, and JSON bodies with their content type, size and syntax checked.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;

use super::problem::{ApiError, body_problem};

/// Query parameters as `T` (a struct of optional strings with `deny_unknown_fields`).
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match Query::<T>::try_from_uri(&parts.uri) {
            Ok(Query(params)) => Ok(Self(params)),
            Err(rejection) => {
                let text = rejection.body_text();
                let reason = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text)
                    .replace("unknown field", "unknown query parameter")
                    .replace("duplicate field", "repeated query parameter");
                Err(ApiError::UnknownParameter(reason))
            }
        }
    }
}

/// The route's path parameters as `T`. A segment that is not UTF-8 once percent-decoded, or
/// not what `T` takes, is a 400 problem naming the path.
#[derive(Debug)]
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(params)) => Ok(Self(params)),
            Err(rejection) => Err(ApiError::BadPath(format!(
                "path {}: {}",
                parts.uri.path(),
                rejection.body_text()
            ))),
        }
    }
}

/// A JSON request body (`application/json` or `application/geo+json`), parsed as `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = content_type(&req);
        if !JSON_TYPES.contains(&essence(content_type).as_str()) {
            return Err(unsupported(
                content_type,
                "application/geo+json or application/json",
            ));
        }
        let bytes = json_bytes(req, state).await?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let (path, error) = match serde_path_to_error::deserialize(&mut de) {
            Ok(value) => match de.end() {
                Ok(()) => return Ok(Self(value)),
                Err(e) => (String::new(), e),
            },
            Err(e) => (e.path().to_string(), e.into_inner()),
        };
        Err(json_problem("", &path, &error))
    }
}

/// The content types read as JSON.
const JSON_TYPES: [&str; 2] = ["application/json", "application/geo+json"];

/// The request's `Content-Type` as sent ("" when absent).
fn content_type(req: &Request) -> &str {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// A content type's `type/subtype`, in lower case, without parameters.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// 415 for `content_type`, saying what to send instead.
fn unsupported(content_type: &str, instead: &str) -> ApiError {
    let shown = if content_type.is_empty() {
        "none"
    } else {
        content_type
    };
    ApiError::UnsupportedMediaType(format!(
        "content type {shown:?} is not supported; send {instead}"
    ))
}

/// The whole body, within the router's body limit (413 beyond).
async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if super::limits::is_body_timeout(&rejection) {
            super::limits::slow_body()
        } else if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!(
                "request body is too large: {}",
                rejection.body_text()
            ))
        } else {
            ApiError::MalformedBody(rejection.body_text())
        }
    })
}

/// What a JSON body's `error` at `path` (serde's `a.b[3].c`, `.` for the value itself, below
/// the JSON Pointer `base`) answers: 400 when the body is not JSON at all, else 422 pointing at
/// the value.
pub(super) fn json_problem(base: &str, path: &str, error: &serde_json::Error) -> ApiError {
    if error.is_syntax() || error.is_eof() {
        return ApiError::MalformedBody(error.to_string());
    }
    let (at, pointer) = if path == "." || path.is_empty() {
        ("body".to_owned(), base.to_owned())
    } else {
        (path.to_owned(), crate::geodata::pointer(base, path))
    };
    ApiError::InvalidBody(vec![body_problem(
        pointer,
        format!("{at}: {}", plain(&error.to_string())),
    )])
}

/// A batch body: JSON (read whole, within the router's body limit) or CSV (left as a stream,
/// read as it arrives).
#[derive(Debug)]
pub enum BatchBody {
    /// `application/json` or `application/geo+json`.
    Json(Bytes),
    /// `text/csv`, UTF-8.
    Csv(axum::body::Body),
}

impl<S: Send + Sync> FromRequest<S> for BatchBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = content_type(&req);
        let essence = essence(content_type);
        let instead = "application/geo+json, application/json or text/csv";
        if essence == "text/csv" {
            let charset = content_type
                .split(';')
                .skip(1)
                .filter_map(|p| p.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
                .map(|(_, value)| value.trim().trim_matches('"').to_ascii_lowercase());
            if charset.is_some_and(|c| c != "utf-8" && c != "us-ascii") {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "content type {content_type:?} is not supported: CSV must be UTF-8"
                )));
            }
            return Ok(Self::Csv(req.into_body()));
        }
        if !JSON_TYPES.contains(&essence.as_str()) {
            return Err(unsupported(content_type, instead));
        }
        Ok(Self::Json(json_bytes(req, state).await?))
    }
}

/// serde's message without Rust type names (`expected struct Batch` → `expected a JSON object`).
pub(super) fn plain(message: &str) -> String {
    match message.split_once("expected struct ") {
        Some((head, tail)) => {
            let rest = tail.split_once(' ').map_or("", |(_, r)| r);
            format!("{head}expected a JSON object {rest}")
                .trim_end()
                .to_owned()
        }
        None => message.to_owned(),
    }
}

/// The scheme and authority the client used (`http://host:port`), for absolute links.
#[derive(Debug, Clone)]
pub struct BaseUrl(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v: &header::HeaderValue| v.to_str().ok())
        };
        let host = header(header::HOST)
            .or_else(|| {
                parts
                    .uri
                    .authority()
                    .map(axum::http::uri::Authority::as_str)
            })
            .unwrap_or("localhost");
        let host_ok = !host.is_empty()
            && host.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
            });
        if !host_ok {
            return Err(ApiError::parameter(
                "Host",
                format!("header {host:?} is not a host name"),
            ));
        }
        let scheme = match header(header::HeaderName::from_static("x-forwarded-proto")) {
            Some("https") => "https",
            _ => "http",
        };
        Ok(Self(format!("{scheme}://{host}")))
    }
}
