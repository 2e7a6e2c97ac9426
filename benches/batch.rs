//! `POST /api/query` end to end against the real release binary, over loopback: a
//! 100,000-point JSON batch on the bundled data and on a 100 × 100 grid of synthetic regions
//! (from the first request byte to the last response byte), and the server's peak resident
//! memory while it answers a 1,000,000-row CSV batch with CSV.
//!
//! Run with `cargo bench --bench batch`; numbers go in BENCHMARKS.md. Points are seeded
//! pseudo-random positions over each data set's bounding box, each on a date drawn from
//! 2011–2024 (seeds are fixed, so runs are comparable).

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "small indices and day counts"
)]

mod synthetic;

#[allow(dead_code, reason = "the benchmark uses a few of the test helpers")]
#[path = "../tests/common/server.rs"]
mod server;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use server::{HttpReply, Server, post_batch};

/// Points per JSON batch.
const POINTS: usize = 100_000;
/// Rows of the CSV batch.
const CSV_ROWS: usize = 1_000_000;
/// Timed runs per figure (after one warm-up run).
const RUNS: usize = 7;

/// A seeded pseudo-random sequence (`SplitMix64`): reproducible without an RNG crate.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` points over `bbox` (`[min lon, min lat, max lon, max lat]`), each with a date in
/// 2011–2024, as `(lon, lat, date)`.
fn points(n: usize, bbox: [f64; 4], seed: u64) -> Vec<(f64, f64, String)> {
    let mut rng = Seeded(seed);
    let first = jiff::civil::date(2011, 1, 1);
    (0..n)
        .map(|_| {
            let lon = bbox[0] + rng.unit() * (bbox[2] - bbox[0]);
            let lat = bbox[1] + rng.unit() * (bbox[3] - bbox[1]);
            let days = (rng.unit() * 14.0 * 365.0) as i64;
            let date = first.checked_add(jiff::Span::new().days(days)).unwrap();
            // Six decimals (~0.1 m), as an event database would give.
            let round = |v: f64| (v * 1e6).round() / 1e6;
            (round(lon), round(lat), date.to_string())
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
fn extent(server: &Server) -> [f64; 4] {
    let collection = server.get_json("/api/collections/regions");
    let bbox = &collection["extent"]["spatial"]["bbox"][0];
    std::array::from_fn(|i| bbox[i].as_f64().unwrap())
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

/// Times `RUNS` JSON batches after a warm-up and prints median, min and max, and the CPU
/// time the server spent on each (on a shared machine the wall time depends on the load; the
/// CPU time much less).
fn json_batches(label: &str, server: &Server, body: &[u8]) {
    let (_, reply) = timed(server, "application/json", "application/json", body);
    let results = reply.json()["results"].as_array().unwrap().len();
    assert_eq!(results, POINTS);
    let cpu_before = cpu_ms(server.pid());
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| timed(server, "application/json", "application/json", body).0)
        .collect();
    let cpu = (cpu_ms(server.pid()) - cpu_before) / RUNS as f64;
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{label}: {POINTS} points, JSON in ({:.1} MB) and out ({:.1} MB): median {:.0} ms, \
         min {:.0} ms, max {:.0} ms ({RUNS} runs); server CPU {cpu:.0} ms a batch",
        body.len() as f64 / 1e6,
        reply.body.len() as f64 / 1e6,
        ms(times[RUNS / 2]),
        ms(times[0]),
        ms(times[RUNS - 1]),
    );
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

/// The CPU time this thread spends in `f` (from the scheduler's own count, in ns), median of
/// `runs`: unlike the wall time, it hardly depends on what else the machine runs.
fn thread_cpu(runs: usize, mut f: impl FnMut()) -> Duration {
    let on_cpu = || {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
        Duration::from_nanos(text.split_whitespace().next().unwrap().parse().unwrap())
    };
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = on_cpu();
            f();
            on_cpu().saturating_sub(start)
        })
        .collect();
    times.sort();
    times[runs / 2]
}

/// The same points answered in process on one thread, split into the engine's query and the
/// JSON answer, to say what an HTTP batch is made of (CPU time).
fn in_process(label: &str, texts: frontline::geodata::Texts<'_>, points: &[(f64, f64, String)]) {
    use frontline::answer::{Detail, PointAnswer};
    use frontline::engine::Engine;
    let engine = Engine::new(frontline::geodata::parse(texts).unwrap().dataset);
    let probes: Vec<_> = points
        .iter()
        .map(|(lon, lat, date)| {
            let pos = frontline::model::LonLat::new(*lon, *lat).unwrap();
            (pos, frontline::model::parse_date(date).unwrap())
        })
        .collect();
    let query = thread_cpu(5, || {
        let outside = probes
            .iter()
            .filter(|(pos, at)| engine.query(*pos, *at).nearest.is_some())
            .count();
        assert!(outside < probes.len());
    });
    let inside_only = thread_cpu(5, || {
        let found: usize = probes
            .iter()
            .map(|(pos, at)| engine.query_inside(*pos, *at).regions.len())
            .sum();
        assert!(found > 0);
    });
    let mut out = Vec::with_capacity(64 << 20);
    let answer = thread_cpu(5, || {
        out.clear();
        for (pos, at) in &probes {
            let answer = PointAnswer::new(&engine, *pos, *at, Detail::BATCH);
            serde_json::to_writer(&mut out, &answer).unwrap();
        }
    });
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{label}, in process on one thread, CPU time: query {:.0} ms (without the nearest \
         region {:.0} ms), query + JSON answer {:.0} ms",
        ms(query),
        ms(inside_only),
        ms(answer),
    );
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

fn main() {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));

    // The bundled data.
    let bundled = Server::start_with(&manifest.join("geodata"));
    let bbox = extent(&bundled);
    json_batches(
        "bundled data",
        &bundled,
        &json_body(&points(POINTS, bbox, 1)),
    );

    // 10,000 synthetic regions of 40 vertices.
    let side = 100;
    let dir = std::env::temp_dir().join(format!("frontline-bench-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (factions, regions) = synthetic::grid_texts(side);
    std::fs::write(dir.join("factions.json"), &factions).unwrap();
    std::fs::write(dir.join("regions.geojson"), &regions).unwrap();
    let grid = Server::start_with(&dir);
    let bbox = extent(&grid);
    let label = format!("{} synthetic regions", side * side);
    let batch = points(POINTS, bbox, 2);
    json_batches(&label, &grid, &json_body(&batch));
    drop(grid);
    let texts = frontline::geodata::Texts {
        factions: &factions,
        regions: &regions,
        events: None,
        places: None,
        control: None,
    };
    in_process(&label, texts, &batch);
    let _ = std::fs::remove_dir_all(&dir);

    // A 1,000,000-row CSV batch on a fresh server: its peak resident memory.
    drop(bundled);
    let server = Server::start_with(&manifest.join("geodata"));
    let bbox = extent(&server);
    let (idle_peak, _) = memory_mb(server.pid());
    let body = csv_body(&points(CSV_ROWS, bbox, 3));
    let (elapsed, reply) = timed(&server, "text/csv", "text/csv", &body);
    let (peak, now) = memory_mb(server.pid());
    let rows = reply.body.split(|&b| b == b'\n').count() - 2;
    assert_eq!(rows, CSV_ROWS);
    println!(
        "CSV batch: {CSV_ROWS} rows in ({:.1} MB), CSV out ({:.1} MB) in {:.2} s; server peak \
         RSS {peak:.0} MB (after start-up {idle_peak:.0} MB, after the batch {now:.0} MB)",
        body.len() as f64 / 1e6,
        reply.body.len() as f64 / 1e6,
        elapsed.as_secs_f64(),
    );
}
