//! Conditional GETs: a weak `ETag` from the data version, the request and today's date, so
//! `If-None-Match` answers 304 without doing the work again.

use std::hash::{DefaultHasher, Hash, Hasher};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::state::AppState;
use crate::model::today_utc;

/// How long clients and caches may reuse a response before revalidating.
const CACHE_CONTROL: &str = "public, max-age=60";

/// Paths that are never cached (health checks, streams).
pub(super) fn uncached(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/readyz" | "/api/whoami" | "/api/changes" | "/api/changes/stream"
    )
}

/// Whether `If-None-Match` in `headers` matches `tag` (weak comparison, `*` matches all).
pub(super) fn if_none_match(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || weak_eq(candidate, tag))
}

/// The middleware. The handler always runs first, so a request that would fail still fails
/// (a matching `If-None-Match` never hides a 400 or 404).
pub async fn etag(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) || uncached(req.uri().path()) {
        return next.run(req).await;
    }
    let tag = {
        let mut hasher = DefaultHasher::new();
        let header = |name| {
            req.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .unwrap_or("")
        };
        // Bodies hold absolute links built from Host and X-Forwarded-Proto; today's date stands
        // in for the default `at`, which changes at UTC midnight.
        (
            state.snapshot().version.as_str(),
            req.uri().path(),
            req.uri().query(),
            header(header::HOST),
            header(header::HeaderName::from_static("x-forwarded-proto")),
            today_utc(),
        )
            .hash(&mut hasher);
        format!("W/\"{:016x}\"", hasher.finish())
    };
    let tag = HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""));
    let matches = if_none_match(req.headers(), tag.to_str().unwrap_or(""));
    let response = next.run(req).await;
    // Errors are not cached; files of the map carry their own content-hash ETag.
    if response.status() != StatusCode::OK || response.headers().contains_key(header::ETAG) {
        return response;
    }
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, tag);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}

/// Weak comparison (RFC 9110 §8.8.3.2): equal once any `W/` prefix is dropped.
fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}
