//! Engine benchmarks on a deterministic synthetic data set: 100,000 regions of 40 vertices on a
//! grid, and 100,000-point batches. No RNG and no committed blob: the data is generated here.
//!
//! Run with `cargo bench --bench engine`; numbers go in BENCHMARKS.md.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "small grid indices"
)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use frontline::answer::PointAnswer;
use frontline::engine::Engine;
use frontline::geodata::{self, Texts};
use frontline::model::LonLat;

/// Grid side: SIDE² regions.
const SIDE: usize = 317;
/// Vertices per region ring.
const VERTICES: usize = 40;
/// Degrees between region centres.
const STEP: f64 = 0.1;

/// A ring of `VERTICES` points around a grid cell's centre, wobbling so it is concave.
fn ring(col: usize, row: usize) -> Vec<[f64; 2]> {
    let (cx, cy) = (30.0 + col as f64 * STEP, 20.0 + row as f64 * STEP);
    let mut ring: Vec<[f64; 2]> = (0..VERTICES)
        .map(|i| {
            let t = i as f64 / VERTICES as f64 * std::f64::consts::TAU;
            let r = STEP * if i % 2 == 0 { 0.45 } else { 0.38 };
            [
                ((cx + r * t.cos()) * 1e5).round() / 1e5,
                ((cy + r * t.sin()) * 1e5).round() / 1e5,
            ]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

/// The synthetic data set as the three file texts.
fn texts() -> (String, String) {
    let factions = r##"{"version":1,"factions":[
        {"id":"a","name":"A","color":"#d55e00","description":"Synthetic."},
        {"id":"b","name":"B","color":"#0072b2","description":"Synthetic."}]}"##
        .to_owned();
    let mut regions = String::from(r#"{"type":"FeatureCollection","features":["#);
    for row in 0..SIDE {
        for col in 0..SIDE {
            if row + col > 0 {
                regions.push(',');
            }
            let coords = serde_json::to_string(&ring(col, row)).unwrap();
            let holder = if (row + col) % 2 == 0 { "a" } else { "b" };
            write!(
                regions,
                r#"{{"type":"Feature","id":"r{row}-{col}","properties":{{"name":"R","history":[
                {{"from":"2011-03-01","status":"held","factions":["{holder}"],"note":"",
                  "sources":[{{"title":"S","url":"https://example.org","published":"2011-03-01"}}]}},
                {{"from":"2015-08-11","status":"contested","factions":["a","b"],"note":"",
                  "sources":[{{"title":"S","url":"https://example.org","published":"2015-08-11"}}]}}]}},
                "geometry":{{"type":"Polygon","coordinates":[{coords}]}}}}"#
            )
            .unwrap();
        }
    }
    regions.push_str("]}");
    (factions, regions)
}

/// Deterministic points over the grid and a margin around it (so some are outside).
fn points(n: usize) -> Vec<LonLat> {
    let span = SIDE as f64 * STEP;
    (0..n)
        .map(|i| {
            // A low-discrepancy sequence (golden ratio), not an RNG.
            let u = (i as f64 * 0.618_033_988_749_895).fract();
            let v = (i as f64 * 0.754_877_666_246_693).fract();
            LonLat::new(29.0 + u * (span + 2.0), 19.0 + v * (span + 2.0)).unwrap()
        })
        .collect()
}

/// Runs `f` `runs` times and returns the median duration.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn report(what: &str, total: Duration, per: usize) {
    let each_ns = total.as_nanos() as f64 / per as f64;
    println!(
        "{what:<48} {:>10.1} ms  {:>9.0} ns/item",
        total.as_secs_f64() * 1e3,
        each_ns
    );
}

fn main() {
    let (factions, regions) = texts();
    println!(
        "synthetic data: {} regions of {VERTICES} vertices, {:.1} MB of GeoJSON",
        SIDE * SIDE,
        regions.len() as f64 / 1e6
    );
    let texts = Texts {
        factions: &factions,
        regions: &regions,
        events: None,
        places: None,
    };

    let load = median(3, || {
        geodata::parse(texts).unwrap();
    });
    report("load + validate (parse, geo validation)", load, SIDE * SIDE);

    let dataset = geodata::parse(texts).unwrap().dataset;
    let build = median(3, || {
        drop(Engine::new(dataset.clone()));
    });
    report(
        "build engine (R-tree, edge bands, areas)",
        build,
        SIDE * SIDE,
    );

    let engine = Engine::new(dataset);
    let batch = points(100_000);
    let at = jiff::civil::date(2015, 8, 20);

    let locate = median(5, || {
        let found: usize = batch.iter().map(|p| engine.locate(*p).len()).sum();
        assert!(found > 0);
    });
    report("locate, 100,000 points", locate, batch.len());

    let query = median(5, || {
        let answered = batch
            .iter()
            .filter(|p| engine.query(**p, at).nearest.is_some())
            .count();
        assert!(answered > 0);
    });
    report(
        "query incl. nearest when outside, 100,000 points",
        query,
        batch.len(),
    );

    let json = median(3, || {
        let bytes: usize = batch
            .iter()
            .map(|p| {
                serde_json::to_vec(&PointAnswer::new(*p, at, &engine.query(*p, at)))
                    .unwrap()
                    .len()
            })
            .sum();
        assert!(bytes > 0);
    });
    report("query + JSON answer, 100,000 points", json, batch.len());

    let stats = median(1, || {
        let _ = engine.stats(at);
    });
    report("stats (first call clips overlaps)", stats, SIDE * SIDE);
}
