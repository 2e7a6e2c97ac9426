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

mod synthetic;

use frontline::answer::{Detail, PointAnswer};
use frontline::engine::Engine;
use frontline::geodata::{self, Texts};
use synthetic::{SIDE, VERTICES, median, points, report, texts};

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
        control: None,
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
                serde_json::to_vec(&PointAnswer::new(&engine, *p, at, Detail::BATCH))
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
