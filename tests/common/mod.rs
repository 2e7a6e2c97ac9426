//! Helpers shared by the in-process API tests: build the app on a data set, send a request,
//! read the body, and fail with status, headers and body printed.

#![allow(dead_code, reason = "each test crate uses a different subset")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

pub mod postgres;
pub mod raw;
pub mod server;

use std::path::Path;
use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use frontline::http::{AppState, Tokens, app};
use frontline::live::Live;
use frontline::store::SqliteStore;

/// State over the bundled `geodata/`, loaded once per test binary.
static SHIPPED: LazyLock<AppState> = LazyLock::new(|| state_from("geodata"));
/// State over the tiny `tests/fixtures/valid/` data set (two squares), for readable snapshots.
static TINY: LazyLock<AppState> = LazyLock::new(|| state_from("tests/fixtures/valid"));

fn state_from(dir: &str) -> AppState {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let loaded =
        frontline::geodata::load(&path).unwrap_or_else(|r| panic!("{dir} is invalid:\n{r}"));
    AppState::new(Live::new(loaded), Tokens::default())
}

/// An editable server over the bundled `geodata/` with an empty in-memory change log; its
/// editors are `editor` (token `t0ken`) and `alice` (token `a-token`).
pub async fn editable() -> AppState {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let loaded = frontline::geodata::load(&dir).unwrap();
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let tokens = Tokens::new(Some("t0ken"), Some("alice:a-token\n")).unwrap();
    AppState::new(Live::open(loaded, store).await.unwrap(), tokens)
}

/// The router over the shipped data.
pub fn shipped() -> Router {
    app(SHIPPED.clone())
}

/// The router over the two-square fixture.
pub fn tiny() -> Router {
    app(TINY.clone())
}

/// A GET request with a Host header, as clients send.
pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::HOST, "example.test")
        .body(Body::empty())
        .unwrap()
}

/// A POST with a body and content type.
pub fn post(uri: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header(header::HOST, "example.test")
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

/// A response read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header as text ("" when absent).
    pub fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts the status, printing everything when it differs.
    pub fn expect(self, status: StatusCode) -> Self {
        assert_eq!(
            self.status,
            status,
            "headers: {:?}\nbody: {}",
            self.headers,
            self.text()
        );
        self
    }

    /// Asserts an RFC 9457 problem with this status whose detail contains `needle`.
    pub fn expect_problem(self, status: StatusCode, needle: &str) -> serde_json::Value {
        let reply = self.expect(status);
        assert_eq!(
            reply.header(header::CONTENT_TYPE),
            "application/problem+json"
        );
        let body = reply.json();
        assert_eq!(body["status"], status.as_u16());
        assert_eq!(body["type"], "about:blank");
        assert_eq!(body["title"], status.canonical_reason().unwrap());
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains(needle),
            "detail {detail:?} should contain {needle:?}"
        );
        body
    }
}

/// Sends `req` to `app` and reads the whole response.
pub async fn send(app: Router, req: Request<Body>) -> Reply {
    let res: Response<Body> = app.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// The ids of a `GET /api/changes` answer's changes, in the order listed.
pub fn change_ids(log: &serde_json::Value) -> Vec<i64> {
    log["changes"]
        .as_array()
        .expect("a list of changes")
        .iter()
        .map(|c| c["id"].as_i64().expect("a change id"))
        .collect()
}
