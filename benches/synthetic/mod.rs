//! The synthetic data set the benchmarks share: generated deterministically, without an RNG
//! and without a committed blob. A 317 × 317 grid of concave 40-vertex regions, each with a
//! two-entry sourced history, and low-discrepancy points over it.

#![allow(dead_code, reason = "each benchmark uses a different subset")]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "small grid indices"
)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use frontline::model::LonLat;

/// Grid side: SIDE² regions.
pub const SIDE: usize = 317;
/// Vertices per region ring.
pub const VERTICES: usize = 40;
/// Degrees between region centres.
pub const STEP: f64 = 0.1;

/// The centre of the grid cell of region `r{row}-{col}`.
pub fn centre(col: usize, row: usize) -> (f64, f64) {
    (30.0 + col as f64 * STEP, 20.0 + row as f64 * STEP)
}

/// A ring of `VERTICES` points around a grid cell's centre, wobbling so it is concave.
pub fn ring(col: usize, row: usize) -> Vec<[f64; 2]> {
    let (cx, cy) = centre(col, row);
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
pub fn texts() -> (String, String) {
    grid_texts(SIDE)
}

/// A `side` × `side` grid of regions as the factions and regions file texts.
pub fn grid_texts(side: usize) -> (String, String) {
    let factions = r##"{"version":1,"factions":[
        {"id":"a","name":"A","color":"#d55e00","description":"Synthetic."},
        {"id":"b","name":"B","color":"#0072b2","description":"Synthetic."}]}"##
        .to_owned();
    let mut regions = String::from(r#"{"type":"FeatureCollection","features":["#);
    for row in 0..side {
        for col in 0..side {
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
pub fn points(n: usize) -> Vec<LonLat> {
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
pub fn median(runs: usize, mut f: impl FnMut()) -> Duration {
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

pub fn report(what: &str, total: Duration, per: usize) {
    let each_ns = total.as_nanos() as f64 / per as f64;
    println!(
        "{what:<48} {:>10.1} ms  {:>9.0} ns/item",
        total.as_secs_f64() * 1e3,
        each_ns
    );
}
