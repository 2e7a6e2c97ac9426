//! The server's limits: how much a request may send, how long it may take, and how many may be
//! served at once. Every limit is configurable (`frontline serve --help`) and refused requests
//! get a problem that names the limit and the flag that sets it.

use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::timeout::TimeoutBody;

use super::problem::ApiError;

/// The change stream's path: its connections are counted apart and never time out.
pub(super) const STREAM_PATH: &str = "/api/changes/stream";
/// Paths outside every limit on concurrency: the health and readiness checks must answer when
/// the server is busy (they do no I/O).
const UNLIMITED_PATHS: [&str; 2] = ["/healthz", "/readyz"];

/// Every limit of the server, with the defaults `frontline serve` starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body in bytes, except a CSV batch's (413 beyond; refused from its
    /// `Content-Length` before it is read when it declares one). The default takes a
    /// 100,000-point JSON batch with ids and dates.
    pub body_bytes: usize,
    /// Most points a JSON batch may have (413 beyond).
    pub batch_points: NonZeroUsize,
    /// Most rows a CSV batch may have after its header; its body may average 256 bytes a row.
    pub csv_rows: NonZeroUsize,
    /// Longest time from a request's arrival to its response's head (503 beyond).
    pub request_timeout: Duration,
    /// Longest a request body may pause between two pieces (408 beyond): slow senders.
    pub body_timeout: Duration,
    /// Longest a client may take to send a request's head (the connection is closed beyond).
    pub header_timeout: Duration,
    /// Most requests served at once, change streams apart (503 with `Retry-After` beyond).
    pub in_flight: NonZeroUsize,
    /// Most change streams (`/api/changes/stream`) open at once (503 beyond).
    pub streams: NonZeroUsize,
    /// Longest the server waits, once told to stop, for requests in flight to finish.
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 32 * 1024 * 1024,
            batch_points: NonZeroUsize::new(super::batch::from_json::MAX_BATCH_POINTS)
                .expect("the default is not zero"),
            csv_rows: NonZeroUsize::new(super::batch::from_csv::DEFAULT_MAX_ROWS)
                .expect("the default is not zero"),
            request_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            in_flight: NonZeroUsize::new(256).expect("not zero"),
            streams: NonZeroUsize::new(1024).expect("not zero"),
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

impl Limits {
    /// The largest body `req` may send: a CSV batch's follows its row limit.
    fn body_limit(&self, req: &Request) -> u64 {
        let csv = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/csv"));
        if csv && req.method() == Method::POST {
            super::batch::from_csv::max_body_bytes(self.csv_rows)
        } else {
            self.body_bytes as u64
        }
    }
}

/// What the admission middleware counts with.
#[derive(Debug, Clone)]
pub(super) struct Gates {
    limits: Arc<Limits>,
    requests: Arc<Semaphore>,
    streams: Arc<Semaphore>,
}

impl Gates {
    pub(super) fn new(limits: &Limits) -> Self {
        Self {
            limits: Arc::new(limits.clone()),
            requests: Arc::new(Semaphore::new(limits.in_flight.get())),
            streams: Arc::new(Semaphore::new(limits.streams.get())),
        }
    }
}

/// Admits a request, or refuses it at once: a body declared larger than the limit (413), or
/// too many requests or streams already (503). An admitted request's body times out when the
/// client pauses too long, and it holds its place until its response's body is sent. An answer
/// given before the request's body was read to its end says `Connection: close`.
pub(super) async fn admit(State(gates): State<Gates>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if UNLIMITED_PATHS.contains(&path) {
        return next.run(req).await;
    }
    let limit = gates.limits.body_limit(&req);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let has_body =
        declared.is_some_and(|n| n > 0) || req.headers().contains_key(header::TRANSFER_ENCODING);
    if let Some(declared) = declared.filter(|&n| n > limit) {
        let too_large = ApiError::TooLarge(format!(
            "request body is too large: its Content-Length is {declared} bytes and this server \
             takes at most {limit} (--max-body-bytes; a CSV batch: --batch-csv-rows)"
        ));
        return unread(too_large.into_response());
    }
    let (semaphore, max, what) = if path == STREAM_PATH {
        (
            &gates.streams,
            gates.limits.streams,
            "change streams are open (--max-streams)",
        )
    } else {
        (
            &gates.requests,
            gates.limits.in_flight,
            "requests are being served (--max-in-flight)",
        )
    };
    let Ok(permit) = semaphore.clone().try_acquire_owned() else {
        let busy = ApiError::Unavailable(format!(
            "the server is busy: {max} {what}; try again shortly"
        ))
        .into_response();
        return if has_body { unread(busy) } else { busy };
    };
    let timeout = gates.limits.body_timeout;
    let finished = Arc::new(AtomicBool::new(!has_body));
    let req = req.map(|body| {
        Body::new(Reading {
            body: Body::new(TimeoutBody::new(timeout, body)),
            finished: Arc::clone(&finished),
        })
    });
    let response = next.run(req).await;
    let response = if finished.load(Ordering::Acquire) {
        response
    } else {
        unread(response)
    };
    response.map(|body| {
        Body::new(Holding {
            body,
            _permit: permit,
        })
    })
}

/// `response` to a request whose body the server did not read to its end: the rest of the
/// body may still be arriving and is not read, so the connection cannot carry another request.
/// `Connection: close` tells the client so, instead of it finding the connection closed when it
/// sends the next one.
fn unread(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A request body that records when it has been read to its end.
struct Reading {
    body: Body,
    finished: Arc<AtomicBool>,
}

impl http_body::Body for Reading {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let frame = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(frame, Poll::Ready(None)) || self.body.is_end_stream() {
            self.finished.store(true, Ordering::Release);
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Whether `error`, from reading a request body, is the client pausing longer than the body
/// timeout.
pub(super) fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// The problem for a body whose client paused longer than the body timeout.
pub(super) fn slow_body() -> ApiError {
    ApiError::SlowBody(
        "the request body stopped arriving for longer than the server waits (--body-timeout); \
         send it without pauses"
            .to_owned(),
    )
}

/// A response body that keeps its request's place until it is sent or dropped.
struct Holding {
    body: Body,
    _permit: OwnedSemaphorePermit,
}

impl http_body::Body for Holding {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
