//! A CSV batch (RFC 4180, UTF-8): a header row naming the columns `id`, `lon`, `lat` and
//! optionally `date`, in any order (other columns are ignored), then one point per row.
//!
//! The body is read as it arrives and checked row by row while it is copied to an unnamed
//! temporary file (the spool), so memory stays bounded whatever its size. Only a body with no
//! problem is answered: every problem can still be a 4xx naming the row, the column and the
//! value, and a client that sends its whole body before reading the answer cannot deadlock
//! against the answer's back-pressure. The answer then reads the spool again, a chunk at a
//! time, no faster than the client takes the answer.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::num::NonZeroUsize;

use axum::body::{Body, Bytes};
use csv::ByteRecord;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::{CHUNK_POINTS, Chunks, PointId, Probe};
use crate::http::problem::{ApiError, RowProblem};
use crate::model::{CoordError, Date, LonLat, parse_date};

/// Most rows a CSV batch may have after its header, unless the server says otherwise
/// (`--batch-csv-rows`).
pub const DEFAULT_MAX_ROWS: usize = 1_000_000;
/// Bytes a CSV body may have per allowed row, on average: 256 MB for 1,000,000 rows.
pub const BYTES_PER_ROW: u64 = 256;
/// The longest row: a longer one is refused before it is held in memory whole.
pub const MAX_ROW_BYTES: u64 = 64 * 1024;
/// Problems listed before checking stops.
const MAX_LISTED: usize = 100;
/// Body frames read ahead of the check.
const FRAMES_AHEAD: usize = 8;
/// The columns a batch reads, in the order [`Columns`] keeps them.
const KNOWN: [&str; 4] = ["id", "lon", "lat", "date"];

/// The largest CSV body a batch of at most `max_rows` rows (and a header) may send.
#[must_use]
pub fn max_body_bytes(max_rows: NonZeroUsize) -> u64 {
    (max_rows.get() as u64)
        .saturating_add(1)
        .saturating_mul(BYTES_PER_ROW)
}

/// Reads and checks `body`, then answers with its points, read back from the spool as the
/// answer needs them. The row numbers in problems count the header as row 1.
pub async fn chunks(
    body: Body,
    max_rows: NonZeroUsize,
    default_at: Date,
) -> Result<Chunks, ApiError> {
    let max_bytes = max_body_bytes(max_rows);
    let (frames, feed) = mpsc::channel(FRAMES_AHEAD);
    let checked = tokio::task::spawn_blocking(move || check(feed, max_rows, default_at));
    pump(body, &frames, max_bytes).await;
    drop(frames);
    let spooled = checked
        .await
        .map_err(|e| ApiError::Internal(format!("the CSV check failed: {e}")))??;
    let (chunks, replayed) = mpsc::channel(1);
    tokio::task::spawn_blocking(move || replay(spooled, default_at, &chunks));
    Ok(ReceiverStream::new(replayed).boxed())
}

/// Why the body stopped: what [`pump`] tells [`Feed`].
#[derive(Debug, Clone, thiserror::Error)]
enum Stop {
    /// The body is larger than the server takes.
    #[error("the CSV body is larger than {0} bytes")]
    TooLarge(u64),
    /// The client's body could not be read (it went away, or sent a broken stream).
    #[error("{0}")]
    Broken(String),
    /// The client paused longer than the body timeout.
    #[error("the body stopped arriving")]
    Slow,
    /// A row is longer than [`MAX_ROW_BYTES`].
    #[error("a row is longer than {MAX_ROW_BYTES} bytes")]
    LongRow,
}

/// Sends the body's frames to the check until it ends, it is too large or the check stops.
async fn pump(body: Body, frames: &mpsc::Sender<Result<Bytes, Stop>>, max_bytes: u64) {
    let mut stream = body.into_data_stream();
    let mut total: u64 = 0;
    while let Some(frame) = stream.next().await {
        let frame = frame
            .map_err(|e| {
                if crate::http::limits::is_body_timeout(&e) {
                    Stop::Slow
                } else {
                    Stop::Broken(e.to_string())
                }
            })
            .and_then(|bytes| {
                total = total.saturating_add(bytes.len() as u64);
                if total > max_bytes {
                    Err(Stop::TooLarge(max_bytes))
                } else {
                    Ok(bytes)
                }
            });
        let last = frame.is_err();
        if frames.send(frame).await.is_err() || last {
            return;
        }
    }
}

/// The body as the CSV reader reads it: frames from [`pump`], each copied to the spool as it
/// is taken.
struct Feed {
    frames: mpsc::Receiver<Result<Bytes, Stop>>,
    current: Bytes,
    spool: BufWriter<File>,
    /// Bytes handed to the reader so far.
    read: u64,
    /// Where the row being read starts (the reader buffers a little ahead of it).
    row_start: u64,
}

impl Read for Feed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read - self.row_start > MAX_ROW_BYTES {
            return Err(io::Error::other(Stop::LongRow));
        }
        while self.current.is_empty() {
            let Some(bytes) = self.next_frame()? else {
                return Ok(0);
            };
            self.spool.write_all(&bytes)?;
            self.current = bytes;
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        self.read += n as u64;
        Ok(n)
    }
}

impl Feed {
    /// The next frame of the body; `None` at its end.
    fn next_frame(&mut self) -> io::Result<Option<Bytes>> {
        match self.frames.blocking_recv() {
            None => Ok(None),
            Some(Err(stop)) => Err(io::Error::other(stop)),
            Some(Ok(bytes)) => Ok(Some(bytes)),
        }
    }

    /// Drops a UTF-8 byte order mark (spreadsheets write one) from the start of the body, in
    /// whatever frames it comes, so that neither pass sees it.
    fn skip_bom(&mut self) -> io::Result<()> {
        const BOM: &[u8] = b"\xef\xbb\xbf";
        let mut head = Vec::new();
        while head.len() < BOM.len() {
            match self.next_frame()? {
                Some(bytes) => head.extend_from_slice(&bytes),
                None => break,
            }
        }
        let start = if head.starts_with(BOM) { BOM.len() } else { 0 };
        let rest = Bytes::from(head).slice(start..);
        self.spool.write_all(&rest)?;
        self.current = rest;
        Ok(())
    }

    /// Takes the rest of the body without reading it, so that the client, which may send
    /// everything before it reads the answer, gets the answer (up to the body limit).
    fn drain(&mut self) {
        while let Some(Ok(_)) = self.frames.blocking_recv() {}
    }
}

/// Where each column the batch reads is in a row.
#[derive(Debug, Clone, Copy)]
struct Columns {
    id: usize,
    lon: usize,
    lat: usize,
    date: Option<usize>,
    /// How many fields every row has: the header's.
    width: usize,
}

impl Columns {
    /// Finds the columns in the header row (row 1): names are compared without surrounding
    /// spaces and case. Every problem is listed.
    fn of(header: &ByteRecord) -> Result<Self, Vec<RowProblem>> {
        let mut found: [Option<usize>; 4] = [None; 4];
        let mut problems = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.trim_ascii();
            let Some(k) = KNOWN
                .iter()
                .position(|c| name.eq_ignore_ascii_case(c.as_bytes()))
            else {
                continue;
            };
            match found[k] {
                Some(first) => problems.push(RowProblem::row(
                    1,
                    Some(KNOWN[k]),
                    &format!("named twice, by fields {} and {}", first + 1, i + 1),
                )),
                None => found[k] = Some(i),
            }
        }
        let [id, lon, lat, date] = found;
        for (column, at) in KNOWN.iter().zip([id, lon, lat]) {
            if at.is_none() {
                let names: Vec<String> = header
                    .iter()
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .collect();
                problems.push(RowProblem::row(
                    1,
                    Some(*column),
                    &format!(
                        "missing: the header row must name the columns id, lon, lat and \
                         optionally date; it has {:?}",
                        names.join(",")
                    ),
                ));
            }
        }
        match (id, lon, lat) {
            (Some(id), Some(lon), Some(lat)) if problems.is_empty() => Ok(Self {
                id,
                lon,
                lat,
                date,
                width: header.len(),
            }),
            _ => Err(problems),
        }
    }

    /// Checks row `row`; every problem is listed.
    fn probe(
        &self,
        record: &ByteRecord,
        row: u64,
        default_at: Date,
    ) -> Result<Probe, Vec<RowProblem>> {
        if record.len() != self.width {
            return Err(vec![RowProblem::row(
                row,
                None,
                &format!(
                    "has {} fields; the header row has {}",
                    record.len(),
                    self.width
                ),
            )]);
        }
        let mut why = Vec::new();
        let id = if let Ok(text) = std::str::from_utf8(&record[self.id]) {
            Some(PointId::Text(text.to_owned()))
        } else {
            why.push(RowProblem::value(
                row,
                "id",
                &record[self.id],
                "is not UTF-8 text",
            ));
            None
        };
        let lon = number(record, self.lon, "lon", row, &mut why);
        let lat = number(record, self.lat, "lat", row, &mut why);
        let pos = match (lon, lat) {
            (Some(lon), Some(lat)) => LonLat::new(lon, lat)
                .map_err(|e| {
                    let (column, at) = match e {
                        CoordError::Lon(_) => ("lon", self.lon),
                        CoordError::Lat(_) => ("lat", self.lat),
                    };
                    why.push(RowProblem::value(row, column, &record[at], &e.to_string()));
                })
                .ok(),
            _ => None,
        };
        let date = self
            .date
            .map(|at| record[at].trim_ascii())
            .filter(|d| !d.is_empty());
        let at = match date {
            None => Some(default_at),
            Some(text) => std::str::from_utf8(text)
                .ok()
                .and_then(parse_date)
                .or_else(|| {
                    let shown = String::from_utf8_lossy(text);
                    why.push(RowProblem::value(
                        row,
                        "date",
                        text,
                        &format!("{shown:?} is not a date (expected YYYY-MM-DD)"),
                    ));
                    None
                }),
        };
        match (id, pos, at) {
            (Some(id), Some(pos), Some(at)) if why.is_empty() => Ok(Probe {
                id: Some(id),
                pos,
                at,
            }),
            _ => Err(why),
        }
    }
}

/// The number in `record[at]` (surrounding spaces allowed), or a problem naming `column`.
fn number(
    record: &ByteRecord,
    at: usize,
    column: &'static str,
    row: u64,
    why: &mut Vec<RowProblem>,
) -> Option<f64> {
    let raw = &record[at];
    let text = raw.trim_ascii();
    if text.is_empty() {
        why.push(RowProblem::value(
            row,
            column,
            raw,
            "is empty; a number is needed",
        ));
        return None;
    }
    let parsed = std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<f64>().ok());
    if parsed.is_none() {
        let shown = String::from_utf8_lossy(text);
        why.push(RowProblem::value(
            row,
            column,
            raw,
            &format!("{shown:?} is not a number"),
        ));
    }
    parsed
}

/// The CSV dialect both passes read: RFC 4180, no header handling (the header is read as row
/// 1), rows of any length (checked against the header here, with the row number).
fn reader<R: Read>(from: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(from)
}

/// A body that passed the check, in its spool.
struct Spooled {
    file: File,
    columns: Columns,
}

/// Reads the body from `frames`, checks every row and spools it. Stops at the first
/// [`MAX_LISTED`] problems, a header problem, or too many rows.
fn check(
    frames: mpsc::Receiver<Result<Bytes, Stop>>,
    max_rows: NonZeroUsize,
    default_at: Date,
) -> Result<Spooled, ApiError> {
    let spool = tempfile::tempfile().map_err(|e| {
        ApiError::Internal(format!("cannot create a spool file for a CSV batch: {e}"))
    })?;
    let mut feed = Feed {
        frames,
        current: Bytes::new(),
        spool: BufWriter::new(spool),
        read: 0,
        row_start: 0,
    };
    if let Err(e) = feed.skip_bom() {
        feed.drain();
        return Err(stopped(&e, 1));
    }
    let mut csv = reader(feed);
    let outcome = check_rows(&mut csv, max_rows, default_at);
    let mut feed = csv.into_inner();
    let columns = match outcome {
        Ok(columns) => columns,
        Err(e) => {
            feed.drain();
            return Err(e);
        }
    };
    let mut file = feed
        .spool
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("cannot write a CSV batch's spool: {e}")))?;
    file.rewind()
        .map_err(|e| ApiError::Internal(format!("cannot rewind a CSV batch's spool: {e}")))?;
    Ok(Spooled { file, columns })
}

/// The header and every row of `csv`.
fn check_rows(
    csv: &mut csv::Reader<Feed>,
    max_rows: NonZeroUsize,
    default_at: Date,
) -> Result<Columns, ApiError> {
    let mut record = ByteRecord::new();
    let invalid = |problems, unlisted| ApiError::InvalidRows { problems, unlisted };
    if !read(csv, &mut record, 1)? {
        let why = "the body is empty; the first row must be a header naming the columns id, lon, \
                   lat and optionally date";
        return Err(invalid(vec![RowProblem::row(1, None, why)], false));
    }
    let columns = Columns::of(&record).map_err(|problems| invalid(problems, false))?;
    let mut problems = Vec::new();
    for row in 2.. {
        csv.get_mut().row_start = csv.position().byte();
        if !read(csv, &mut record, row)? {
            break;
        }
        if row - 1 > max_rows.get() as u64 {
            return Err(ApiError::TooLarge(format!(
                "the CSV batch has more than {max} rows after its header (row {row} is one too \
                 many); at most {max} per request, as the server's --batch-csv-rows says",
                max = max_rows.get()
            )));
        }
        if let Err(why) = columns.probe(&record, row, default_at) {
            problems.extend(why);
            if problems.len() >= MAX_LISTED {
                return Err(invalid(problems, true));
            }
        }
    }
    if problems.is_empty() {
        Ok(columns)
    } else {
        Err(invalid(problems, false))
    }
}

/// Reads row `row` into `record`; `false` at the end of the body.
fn read(csv: &mut csv::Reader<Feed>, record: &mut ByteRecord, row: u64) -> Result<bool, ApiError> {
    csv.read_byte_record(record)
        .map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(io) => stopped(&io, row),
            // Reading bytes with rows of any length, only I/O can fail.
            other => {
                ApiError::Internal(format!("CSV row {row}: unexpected reader error {other:?}"))
            }
        })
}

/// What reading row `row` failing with `io` answers.
fn stopped(io: &io::Error, row: u64) -> ApiError {
    match io.get_ref().and_then(|e| e.downcast_ref::<Stop>()) {
        Some(Stop::TooLarge(max)) => ApiError::TooLarge(format!(
            "the CSV body is larger than {} MB, the most this server takes ({BYTES_PER_ROW} \
                 bytes a row for its row limit)",
            max / 1_000_000
        )),
        Some(Stop::LongRow) => ApiError::InvalidRows {
            problems: vec![RowProblem::row(
                row,
                None,
                &format!("is longer than {MAX_ROW_BYTES} bytes"),
            )],
            unlisted: true,
        },
        Some(Stop::Slow) => crate::http::limits::slow_body(),
        Some(Stop::Broken(why)) => {
            ApiError::UnreadableBody(format!("the body broke off at row {row}: {why}"))
        }
        None => ApiError::Internal(format!("cannot spool a CSV batch: {io}")),
    }
}

/// Reads the checked rows back from the spool and sends them in chunks, as fast as the answer
/// takes them.
fn replay(spooled: Spooled, default_at: Date, chunks: &mpsc::Sender<io::Result<Vec<Probe>>>) {
    let Spooled { file, columns } = spooled;
    let mut csv = reader(io::BufReader::new(file));
    let mut record = ByteRecord::new();
    let mut chunk = Vec::with_capacity(CHUNK_POINTS);
    // Row 1 is the header.
    for row in 1.. {
        let probe = match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) if row == 1 => continue,
            Ok(true) => columns.probe(&record, row, default_at).map_err(|why| {
                let detail = why.first().map_or("", |p| p.detail.as_str());
                io::Error::other(format!("the spooled CSV batch changed: {detail}"))
            }),
            Err(e) => Err(io::Error::other(format!("cannot read the CSV spool: {e}"))),
        };
        match probe {
            Ok(probe) => chunk.push(probe),
            Err(e) => {
                let _ = chunks.blocking_send(Err(e));
                return;
            }
        }
        if chunk.len() == CHUNK_POINTS {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_POINTS));
            if chunks.blocking_send(Ok(full)).is_err() {
                // The client went away.
                return;
            }
        }
    }
    if !chunk.is_empty() {
        let _ = chunks.blocking_send(Ok(chunk));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Date {
        jiff::civil::date(2015, 8, 20)
    }

    /// Runs the check on `body` fed in pieces of `piece` bytes.
    fn check_text(body: &str, piece: usize, max_rows: usize) -> Result<Vec<Probe>, ApiError> {
        let (frames, feed) = mpsc::channel(body.len() / piece + 2);
        for part in body.as_bytes().chunks(piece) {
            frames.try_send(Ok(Bytes::copy_from_slice(part))).unwrap();
        }
        drop(frames);
        let spooled = check(feed, NonZeroUsize::new(max_rows).unwrap(), at())?;
        let (chunks, mut replayed) = mpsc::channel(64);
        replay(spooled, at(), &chunks);
        drop(chunks);
        let mut probes = Vec::new();
        while let Some(chunk) = replayed.blocking_recv() {
            probes.extend(chunk.unwrap());
        }
        Ok(probes)
    }

    /// One line per `i`.
    fn lines(range: std::ops::Range<usize>, line: impl Fn(usize) -> String) -> String {
        range.map(|i| line(i) + "\n").collect()
    }

    fn rows_problems(result: Result<Vec<Probe>, ApiError>) -> (Vec<String>, bool) {
        match result {
            Err(ApiError::InvalidRows { problems, unlisted }) => {
                (problems.into_iter().map(|p| p.detail).collect(), unlisted)
            }
            other => panic!("expected invalid rows, got {other:?}"),
        }
    }

    #[test]
    fn columns_in_any_order_quoted_fields_and_a_bom() {
        let body = "\u{feff}Date, LAT ,extra,lon,id\r\n\
                    2011-06-01,35.5,x,36.1,\"a, \"\"b\"\"\"\n\
                    ,35.6,,36.2,\"multi\nline\"\n\
                    \n\
                    2016-01-01,  35.7 ,,36.3,c\n";
        for piece in [1, 3, 7, body.len()] {
            let probes =
                check_text(body, piece, 10).unwrap_or_else(|e| panic!("piece {piece}: {e}"));
            let ids: Vec<_> = probes
                .iter()
                .map(|p| p.id.as_ref().unwrap().as_text().into_owned())
                .collect();
            assert_eq!(ids, ["a, \"b\"", "multi\nline", "c"], "piece {piece}");
            assert_eq!(probes[0].at, jiff::civil::date(2011, 6, 1));
            assert_eq!(probes[1].at, at(), "an empty date is the batch's");
            assert_eq!((probes[2].pos.lon(), probes[2].pos.lat()), (36.3, 35.7));
        }
    }

    #[test]
    fn every_bad_row_is_named_with_its_column_and_value() {
        let body = "id,lon,lat,date\n\
                    a,36,35,\n\
                    b,abc,95,2015-02-30\n\
                    c,36\n\
                    d,,35,\n\
                    e,200,35,\n";
        let (details, unlisted) = rows_problems(check_text(body, 5, 10));
        assert_eq!(
            details,
            [
                "row 3, column lon: \"abc\" is not a number",
                "row 3, column date: \"2015-02-30\" is not a date (expected YYYY-MM-DD)",
                "row 4: has 2 fields; the header row has 4",
                "row 5, column lon: is empty; a number is needed",
                "row 6, column lon: longitude 200 is outside [-180, 180]",
            ]
        );
        assert!(!unlisted);
        let Err(ApiError::InvalidRows { problems, .. }) = check_text(body, 5, 10) else {
            unreachable!()
        };
        assert_eq!(
            (
                problems[0].row,
                problems[0].column,
                problems[0].value.as_deref()
            ),
            (3, Some("lon"), Some("abc"))
        );
    }

    #[test]
    fn header_problems_name_the_column() {
        let (details, _) = rows_problems(check_text("id,lng,lat,lat\n1,2,3,4\n", 4, 10));
        assert_eq!(
            details,
            [
                "row 1, column lat: named twice, by fields 3 and 4",
                "row 1, column lon: missing: the header row must name the columns id, lon, lat \
                 and optionally date; it has \"id,lng,lat,lat\"",
            ]
        );
        let (details, _) = rows_problems(check_text("", 1, 10));
        assert!(
            details[0].starts_with("row 1: the body is empty"),
            "{details:?}"
        );
    }

    #[test]
    fn limits_stop_the_check() {
        let rows = lines(0..5, |i| format!("{i},36,35"));
        let body = format!("id,lon,lat\n{rows}");
        assert_eq!(check_text(&body, 4, 5).unwrap().len(), 5);
        let Err(ApiError::TooLarge(why)) = check_text(&body, 4, 4) else {
            panic!("expected 413");
        };
        assert!(why.contains("row 6 is one too many"), "{why}");
        let bad = lines(0..150, |i| format!("{i},x,35"));
        let (details, unlisted) =
            rows_problems(check_text(&format!("id,lon,lat\n{bad}"), 64, 1000));
        assert_eq!(details.len(), MAX_LISTED);
        assert!(unlisted);
        let long = format!("id,lon,lat\n{},36,35\n", "x".repeat(100_000));
        let (details, _) = rows_problems(check_text(&long, 4096, 10));
        assert_eq!(details, ["row 2: is longer than 65536 bytes"]);
    }

    #[test]
    fn chunks_hold_a_few_thousand_rows_in_order() {
        let rows = lines(0..CHUNK_POINTS + 3, |i| {
            format!("{i},{},35", 36.0 + i as f64 * 1e-5)
        });
        let body = format!("id,lon,lat\n{rows}");
        let spooled = {
            let (frames, feed) = mpsc::channel(2);
            frames.try_send(Ok(Bytes::from(body))).unwrap();
            drop(frames);
            check(feed, NonZeroUsize::new(10_000).unwrap(), at()).unwrap()
        };
        let (chunks, mut replayed) = mpsc::channel(8);
        replay(spooled, at(), &chunks);
        drop(chunks);
        let first = replayed.blocking_recv().unwrap().unwrap();
        let second = replayed.blocking_recv().unwrap().unwrap();
        assert!(replayed.blocking_recv().is_none());
        assert_eq!((first.len(), second.len()), (CHUNK_POINTS, 3));
        assert_eq!(
            second[2].id,
            Some(PointId::Text((CHUNK_POINTS + 2).to_string()))
        );
    }
}
