//! `POST /api/query` end to end against the real release binary, over loopback: a
//! 100,000-point JSON batch on the bundled data and on 10,000 synthetic regions of 50 vertices
//! (from the first request byte to the last response byte, with the server's CPU time per
//! batch), and the server's peak resident memory while it answers a 1,000,000-row CSV batch
//! with CSV.
//!
//! Run with `cargo bench --bench batch`; numbers go in BENCHMARKS.md. Points are seeded random
//! positions over each data set's bounding box (`frontline::synth::points_in`), each on a date
//! drawn from 2011–2024. Criterion times the JSON batches by wall time (they include I/O); the
//! server's CPU time and peak memory are printed beside.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    reason = "small indices and day counts"
)]

mod support;

#[allow(dead_code, reason = "the benchmark uses a few of the test helpers")]
#[path = "../tests/common/server.rs"]
mod server;

use std::cell::Cell;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use frontline::synth::{self, Rng};
use geo::Rect;
use server::{HttpReply, Server, post_batch};
use support::{Clock, SEED, TempDir, bundled_dir, slow, synthetic};

/// Points per JSON batch.
const POINTS: usize = 100_000;
/// Rows of the CSV batch.
const CSV_ROWS: usize = 1_000_000;

/// `n` seeded points over `bbox`, each with a date in 2011–2024, as `(lon, lat, date)`; six
/// decimals (~0.1 m), as an event database would give.
fn points(n: usize, bbox: Rect<f64>, seed: u64) -> Vec<(f64, f64, String)> {
    let mut rng = Rng::new(seed);
    let first = jiff::civil::date(2011, 1, 1);
    synth::points_in(bbox, n, seed)
        .into_iter()
        .map(|p| {
            let days = rng.below(14 * 365) as i64;
            let date = first.checked_add(jiff::Span::new().days(days)).unwrap();
            let round = |v: f64| (v * 1e6).round() / 1e6;
            (round(p.lon()), round(p.lat()), date.to_string())
        })
        .collect()
}

/// A GeoJSON `FeatureCollection` of the points, each with an id and its date.
fn json_body(points: &[(f64, f64, String)]) -> Vec<u8> {
    let mut body = String::from(r#"{"type":"FeatureCollection","features":["#);
    for (i, (lon, lat, date)) in points.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        write!(
            body,
            r#"{{"type":"Feature","id":"p{i}","geometry":{{"type":"Point","coordinates":[{lon},{lat}]}},"properties":{{"date":"{date}"}}}}"#
        )
        .unwrap();
    }
    body.push_str("]}");
    body.into_bytes()
}

/// The points as CSV with a header row.
fn csv_body(points: &[(f64, f64, String)]) -> Vec<u8> {
    let mut body = String::from("id,lon,lat,date\n");
    for (i, (lon, lat, date)) in points.iter().enumerate() {
        writeln!(body, "p{i},{lon},{lat},{date}").unwrap();
    }
    body.into_bytes()
}

/// The bounding box of a served data set, from its `regions` collection.
fn extent(server: &Server) -> Rect<f64> {
    let collection = server.get_json("/api/collections/regions");
    let bbox = &collection["extent"]["spatial"]["bbox"][0];
    let at = |i: usize| bbox[i].as_f64().unwrap();
    Rect::new((at(0), at(1)), (at(2), at(3)))
}

/// One batch: the time from the first request byte to the last response byte, and the reply.
fn timed(server: &Server, content_type: &str, accept: &str, body: &[u8]) -> (Duration, HttpReply) {
    let start = Instant::now();
    let reply = post_batch(server.port, "/api/query", content_type, Some(accept), body).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    (elapsed, reply)
}

/// The CPU time (user and system) a process has used, in ms.
fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields 14 and 15 (utime, stime) in clock ticks, counted after the command's ")".
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks * 10.0
}

/// `VmHWM` (peak resident set) and `VmRSS` of a process, in MB.
fn memory_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap()
            / 1024.0
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Times 100,000-point JSON batches (wall time, after a warm-up batch that checks the answer)
/// and prints the server's CPU time per batch: on a shared machine the wall time depends on the
/// load, the CPU time much less.
fn json_batches(c: &mut Criterion<Clock>, label: &str, server: &Server, body: &[u8]) {
    let (_, reply) = timed(server, "application/json", "application/json", body);
    let results = reply.json()["results"].as_array().unwrap().len();
    assert_eq!(results, POINTS);
    let mut group = c.benchmark_group("http_batch");
    slow(&mut group, Duration::from_secs(15));
    group.throughput(Throughput::Elements(POINTS as u64));
    let sent = Cell::new(0_u32);
    let cpu_before = cpu_ms(server.pid());
    group.bench_function(BenchmarkId::new(label, "JSON in and out"), |b| {
        b.iter(|| {
            sent.set(sent.get() + 1);
            timed(server, "application/json", "application/json", body).0
        });
    });
    group.finish();
    let cpu = (cpu_ms(server.pid()) - cpu_before) / f64::from(sent.get());
    println!(
        "http_batch/{label}: JSON in ({:.1} MB) and out ({:.1} MB); server CPU {cpu:.0} ms a \
         batch (mean of {} batches)",
        body.len() as f64 / 1e6,
        reply.body.len() as f64 / 1e6,
        sent.get(),
    );
}

fn http_batch(c: &mut Criterion<Clock>) {
    let bundled = Server::start_with(&bundled_dir());
    let body = json_body(&points(POINTS, extent(&bundled), SEED));
    json_batches(c, "bundled", &bundled, &body);
    drop(bundled);

    let dir = TempDir::new("batch");
    frontline::geodata::write_dir(&synthetic(10_000, 50), &dir.0).unwrap();
    let grid = Server::start_with(&dir.0);
    let body = json_body(&points(POINTS, extent(&grid), SEED + 1));
    json_batches(c, "10k x 50", &grid, &body);
}

/// A 1,000,000-row CSV batch on a fresh server: the time and the server's peak resident memory
/// (printed: one run, as memory does not need statistics).
fn csv_memory(_: &mut Criterion<Clock>) {
    let server = Server::start_with(&bundled_dir());
    let (idle_peak, _) = memory_mb(server.pid());
    let body = csv_body(&points(CSV_ROWS, extent(&server), SEED + 2));
    let (elapsed, reply) = timed(&server, "text/csv", "text/csv", &body);
    let (peak, now) = memory_mb(server.pid());
    let rows = reply.body.split(|&b| b == b'\n').count() - 2;
    assert_eq!(rows, CSV_ROWS);
    println!(
        "csv_batch: {CSV_ROWS} rows in ({:.1} MB), CSV out ({:.1} MB) in {:.2} s; server peak \
         RSS {peak:.0} MB (after start-up {idle_peak:.0} MB, after the batch {now:.0} MB)",
        body.len() as f64 / 1e6,
        reply.body.len() as f64 / 1e6,
        elapsed.as_secs_f64(),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(Clock::wall());
    targets = http_batch, csv_memory
}
criterion_main!(benches);
