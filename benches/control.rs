//! Flattening one date's control map (each statement's part in force, nothing overlapping) on a
//! fresh engine, so the map is computed, not taken from the engine's cache: on the bundled data
//! and on 1,000 synthetic regions with 1,000 overlapping control statements.
//!
//! Run with `cargo bench --bench control`; numbers go in BENCHMARKS.md.

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

mod support;

use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use frontline::engine::Engine;
use frontline::model::{Dataset, Date};
use support::{Clock, bundled, slow, synthetic, ticks};

fn flatten_on(c: &mut Criterion<Clock>, label: &str, dataset: &Dataset, date: Date) {
    let pieces = Engine::new(dataset.clone()).control_map(date).pieces.len();
    assert!(pieces > 0, "{label}: an empty map on {date}");
    let mut group = c.benchmark_group("flatten");
    slow(&mut group, Duration::from_secs(10));
    group.bench_function(
        BenchmarkId::new(label, format!("{date}, {pieces} pieces")),
        |b| {
            b.iter_batched(
                || Engine::new(dataset.clone()),
                |engine| engine.control_map(date),
                BatchSize::PerIteration,
            );
        },
    );
    group.finish();
}

fn flatten(c: &mut Criterion<Clock>) {
    let data = bundled().dataset;
    flatten_on(c, "bundled", &data, jiff::civil::date(2015, 8, 20));
    let data = synthetic(1_000, 50);
    let ticks = ticks(&data);
    // Halfway through the timeline, and at its end, when every statement is in force.
    flatten_on(c, "1k x 50", &data, ticks[ticks.len() / 2]);
    flatten_on(c, "1k x 50", &data, ticks[ticks.len() - 1]);
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = flatten
}
criterion_main!(benches);
