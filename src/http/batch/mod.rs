//! The batch query's pipeline, behind `POST /api/query`.
//!
//! 1. The points are read and checked at the edge: a JSON `FeatureCollection`
//!    ([`from_json`], parsed on every core, checked whole) or CSV rows ([`from_csv`], read as
//!    they arrive, in bounded memory). A batch with any invalid point is refused before
//!    anything is answered.
//! 2. They come out in chunks of [`CHUNK_POINTS`], in input order.
//! 3. [`respond`] answers each chunk on the blocking pool and writes it in the asked format
//!    ([`encode`]), several chunks at once (one per core, plus one), and streams the chunks
//!    out in input order as they are ready. A chunk is only started when the body has room
//!    for it, so a slow client slows the workers (and, for CSV, the reading of the spooled
//!    input) down instead of letting answers pile up in memory.

pub mod encode;
pub mod from_csv;
pub mod from_json;

use std::io;
use std::num::NonZeroUsize;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::value::RawValue;

pub use encode::{Encoder, Format};

use crate::live::Snapshot;
use crate::model::{Date, LonLat};

/// Points answered per task: enough that a task's work dwarfs its scheduling, few enough that
/// a chunk's answer stays around a megabyte.
pub const CHUNK_POINTS: usize = 4096;
/// Batches up to this size are answered at once, off the blocking pool, in one body.
const INLINE_POINTS: usize = 64;

/// An input point's id, echoed in its answer.
#[derive(Debug, Clone)]
pub enum PointId {
    /// A JSON feature's `id`, exactly as sent.
    Json(Box<RawValue>),
    /// A CSV row's `id`.
    Text(String),
}

impl PartialEq for PointId {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Json(a), Self::Json(b)) => a.get() == b.get(),
            (Self::Text(a), Self::Text(b)) => a == b,
            _ => false,
        }
    }
}

/// One checked point: what it is called, where it is and the date to answer for.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The input's id, if it had one.
    pub id: Option<PointId>,
    /// The position.
    pub pos: LonLat,
    /// The date: the point's own, or the batch's `at`.
    pub at: Date,
}

/// Chunks of checked points, in input order, as they become available. An error ends the
/// answer (it can only be ours: the input was checked before).
pub type Chunks = BoxStream<'static, io::Result<Vec<Probe>>>;

/// A batch's points, ready to answer.
pub enum Points {
    /// All of them, already in chunks (a JSON batch).
    Ready(Vec<Vec<Probe>>),
    /// Read as the answer goes (a CSV batch).
    Streamed(Chunks),
}

/// Answers `points` from `snapshot` with `encoder`, streaming the body (see the module doc).
#[must_use]
pub fn respond(snapshot: Arc<Snapshot>, points: Points, encoder: Encoder) -> Response {
    let chunks = match points {
        Points::Ready(chunks) if chunks.iter().map(Vec::len).sum::<usize>() <= INLINE_POINTS => {
            return inline(&snapshot, &chunks.concat(), encoder);
        }
        Points::Ready(chunks) => stream::iter(chunks.into_iter().map(Ok)).boxed(),
        Points::Streamed(chunks) => chunks,
    };
    let workers = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
    let answers = chunks
        .enumerate()
        .map(move |(i, chunk)| {
            let snapshot = Arc::clone(&snapshot);
            let task = chunk.map(|probes| {
                tokio::task::spawn_blocking(move || {
                    encoder.chunk(&snapshot.engine, &probes, i == 0)
                })
            });
            async move {
                match task?.await {
                    Ok(written) => written.map(Bytes::from),
                    Err(e) => Err(io::Error::other(format!("a batch task failed: {e}"))),
                }
            }
        })
        .buffered(workers + 1)
        .inspect(|chunk| {
            if let Err(e) = chunk {
                tracing::error!(error = %e, "batch answer cut short");
            }
        });
    let head = stream::once(async move { Ok(Bytes::from(encoder.head())) });
    let tail = stream::once(async move { Ok(Bytes::from_static(encoder.tail())) });
    let body = head
        .chain(answers)
        .chain(tail)
        .filter(|frame| std::future::ready(frame.as_ref().map_or(true, |b| !b.is_empty())));
    reply(encoder.format, Body::from_stream(body))
}

/// A small batch answered on the spot, in one body.
fn inline(snapshot: &Snapshot, probes: &[Probe], encoder: Encoder) -> Response {
    let mut body = encoder.head();
    match encoder.chunk(&snapshot.engine, probes, true) {
        Ok(written) => body.extend(written),
        Err(e) => {
            return super::ApiError::Internal(format!("batch answer: {e}")).into_response();
        }
    }
    body.extend_from_slice(encoder.tail());
    reply(encoder.format, Body::from(body))
}

/// The response: the format's content type, and `Vary: Accept` since `Accept` picks it.
fn reply(format: Format, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, format.content_type()),
            (header::VARY, "accept"),
        ],
        body,
    )
        .into_response()
}
