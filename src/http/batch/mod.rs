//! The batch query's pipeline, behind `POST /api/query`.
//!
//! 1. The points are read and checked at the edge: a JSON `FeatureCollection`
//!    ([`from_json`], parsed on every core, checked whole) or CSV rows ([`from_csv`], read as
//!    they arrive, in bounded memory). A batch with any invalid point is refused before
//!    anything is answered.
//! 2. [`respond`] answers them on every core and writes the answers in the asked format
//!    ([`encode`]), streaming them out in input order as they are ready, a chunk of
//!    [`CHUNK_POINTS`] at a time. The engine answers points faster in an order that keeps
//!    neighbours together ([`batch::z_order`]: twice as fast on 10,000 regions as in a
//!    random order), so a JSON batch, all at hand, is answered in that order as a whole
//!    before its answers are written; CSV rows, read as the answer goes, are ordered within
//!    each chunk.
//! 3. A chunk is only written when the body has room for it, so a slow client slows the
//!    workers (and, for CSV, the reading of the spooled input) down instead of letting
//!    written answers pile up in memory.

pub mod encode;
pub mod from_csv;
pub mod from_json;
pub mod json;
mod scan;

use std::io;
use std::num::NonZeroUsize;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

pub use encode::{Encoder, Format};
pub use json::FragmentPool;

use crate::engine::batch;
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
    /// All of them (a JSON batch).
    Ready(Vec<Probe>),
    /// Read as the answer goes (a CSV batch).
    Streamed(Chunks),
}

/// What every batch answer is written with: the served data, the format and detail asked
/// for, and the fragments earlier batches wrote from the same data.
#[derive(Clone)]
pub struct Writer {
    /// The data the points are answered from.
    pub snapshot: Arc<Snapshot>,
    /// How the answers are written.
    pub encoder: Encoder,
    /// Where the batch's workers take their [`json::Fragments`] from and give them back.
    pub pool: Arc<FragmentPool>,
}

impl Writer {
    /// Answers and writes `probes` as [`Encoder::chunk`] does, with fragments from the pool.
    fn chunk(&self, probes: &[Probe], first: bool) -> io::Result<Vec<u8>> {
        let mut fragments = self.pool.take(&self.snapshot);
        let written = self
            .encoder
            .chunk(&self.snapshot.engine, probes, first, &mut fragments);
        self.pool.give(&self.snapshot, fragments);
        written
    }
}

/// Answers `points` with `writer`, streaming the body (see the module doc).
#[must_use]
pub fn respond(writer: Writer, points: Points) -> Response {
    match points {
        Points::Ready(probes) => {
            if probes.len() <= INLINE_POINTS {
                inline(&writer, &probes)
            } else {
                ready(writer, probes)
            }
        }
        Points::Streamed(chunks) => streamed(writer, chunks),
    }
}

/// A batch read as the answer goes: each chunk answered and written by a task on the blocking
/// pool, one per core plus one at a time, in input order.
fn streamed(writer: Writer, chunks: Chunks) -> Response {
    let encoder = writer.encoder;
    let answers = chunks
        .enumerate()
        .map(move |(i, chunk)| {
            let writer = writer.clone();
            let task = chunk
                .map(|probes| tokio::task::spawn_blocking(move || writer.chunk(&probes, i == 0)));
            async move {
                match task?.await {
                    Ok(written) => written.map(Bytes::from),
                    Err(e) => Err(io::Error::other(format!("a batch task failed: {e}"))),
                }
            }
        })
        .buffered(workers() + 1);
    stream_out(encoder, answers.boxed())
}

/// The body: the format's head, the written chunks, its tail. An error ends the body there,
/// without the tail (the client sees a cut answer), and is logged.
fn stream_out(encoder: Encoder, chunks: BoxStream<'static, io::Result<Bytes>>) -> Response {
    let head = stream::once(async move { Ok(Bytes::from(encoder.head())) });
    let tail = stream::once(async move { Ok(Bytes::from_static(encoder.tail())) });
    let chunks = chunks.inspect(|chunk| {
        if let Err(e) = chunk {
            tracing::error!(error = %e, "batch answer cut short");
        }
    });
    let body = head
        .chain(chunks)
        .chain(tail)
        .filter(|frame| std::future::ready(frame.as_ref().map_or(true, |b| !b.is_empty())));
    reply(encoder.format, Body::from_stream(body))
}

/// Threads a batch works on: one per core.
pub(crate) fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, NonZeroUsize::get)
}

/// A batch whose points are all at hand: answered and written on the blocking pool by
/// [`answer_all`], the written chunks passed to the body as it takes them.
fn ready(writer: Writer, probes: Vec<Probe>) -> Response {
    let encoder = writer.encoder;
    let (chunks, written) = mpsc::channel(1);
    tokio::task::spawn_blocking(move || {
        let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            answer_all(&writer, &probes, &chunks);
        }));
        if answered.is_err() {
            let _ = chunks.blocking_send(Err(io::Error::other("a batch worker panicked")));
        }
    });
    stream_out(encoder, ReceiverStream::new(written).boxed())
}

/// Answers every point on every core in [`batch::z_order`], then writes the answers in input
/// order, a chunk per task on every core, and sends the chunks to `out` in order. A worker
/// hands its chunk over only when `out` takes it, so at most one chunk per worker waits.
fn answer_all(writer: &Writer, probes: &[Probe], out: &mpsc::Sender<io::Result<Bytes>>) {
    let (engine, encoder) = (&writer.snapshot.engine, writer.encoder);
    let workers = workers();
    let mut answers =
        batch::answer_all(probes, |p| p.pos, |p| encoder.answer(engine, p)).into_iter();
    // Chunk c goes to worker c % workers, and comes back through its own rendezvous channel.
    let mut queues: Vec<Vec<_>> = (0..workers).map(|_| Vec::new()).collect();
    let mut handed = Vec::new();
    for (c, chunk) in probes.chunks(CHUNK_POINTS).enumerate() {
        let answers: Vec<_> = answers.by_ref().take(chunk.len()).collect();
        let (give, take) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(0);
        queues[c % workers].push((c, chunk, answers, give));
        handed.push(take);
    }
    std::thread::scope(|scope| {
        for queue in queues {
            scope.spawn(move || {
                // What this worker's chunks repeat, written once for all of them (or by an
                // earlier batch).
                let mut fragments = writer.pool.take(&writer.snapshot);
                for (c, chunk, answers, give) in queue {
                    let written = encoder.write(engine, chunk, answers, c == 0, &mut fragments);
                    if give.send(written).is_err() {
                        // The answer stopped: the client went away or a chunk failed.
                        break;
                    }
                }
                writer.pool.give(&writer.snapshot, fragments);
            });
        }
        for take in handed {
            let chunk = take
                .recv()
                .unwrap_or_else(|_| Err(io::Error::other("a batch worker stopped")))
                .map(Bytes::from);
            let failed = chunk.is_err();
            if out.blocking_send(chunk).is_err() || failed {
                // Dropping the other channels stops the workers.
                break;
            }
        }
    });
}

/// A small batch answered on the spot, in one body.
fn inline(writer: &Writer, probes: &[Probe]) -> Response {
    let encoder = writer.encoder;
    let mut body = encoder.head();
    match writer.chunk(probes, true) {
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
