//! The engine: the point query (`query`, with control resolution, without shares) on the bundled
//! data and on synthetic data sets of 1,000 to 100,000 regions, points inside, outside and near
//! boundaries apart; loading and indexing each data set; a 100,000-point batch in process.
//!
//! Run with `cargo bench --bench engine` (a group alone: `cargo bench --bench engine -- query`);
//! numbers go in BENCHMARKS.md.

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]
#![allow(
    clippy::print_stdout,
    reason = "a benchmark describes its data on stdout"
)]

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use frontline::answer::{Detail, PointAnswer};
use frontline::engine::batch::answer_all;
use frontline::engine::{Engine, Scope};
use frontline::geodata;
use frontline::synth;
use support::{Clock, Probe, Probes, SEED, SIZES, TempDir, bundled, bundled_dir, slow, synthetic};

/// Query points of each kind per data set.
const PROBES: usize = 10_000;
/// Points in the batch.
const BATCH: usize = 100_000;

/// One query per iteration, cycling through `probes`.
fn bench_queries(c: &mut Criterion<Clock>, label: &str, engine: &Engine) {
    let probes = Probes::new(engine, PROBES);
    // How deep the control statements lie: what a query has to sort through.
    let covering = |list: &[Probe]| {
        let areas: usize = list
            .iter()
            .map(|&(p, _)| {
                let all = engine.history_at(p);
                all.iter().filter(|s| s.scope() == Scope::Area).count()
            })
            .sum();
        areas as f64 / list.len().max(1) as f64
    };
    println!(
        "{label}: {} regions, {} control areas; {} points inside (covered by {:.1} areas on \
         average), {} outside ({:.1}), {} near a boundary ({:.1})",
        engine.dataset().regions.len(),
        engine.dataset().areas.len(),
        probes.inside.len(),
        covering(&probes.inside),
        probes.outside.len(),
        covering(&probes.outside),
        probes.near.len(),
        covering(&probes.near),
    );
    let mut group = c.benchmark_group("query");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (kind, list) in probes.kinds() {
        assert!(!list.is_empty(), "{label}: no {kind} points");
        group.bench_function(BenchmarkId::new(label, kind), |b| {
            let mut next = list.iter().cycle();
            b.iter(|| {
                let &(p, at) = next.next().unwrap();
                black_box(engine.query(black_box(p), at))
            });
        });
    }
    // What an outside point's answer spends on the nearest-region search alone.
    group.bench_function(BenchmarkId::new(label, "outside, nearest alone"), |b| {
        let mut next = probes.outside.iter().cycle();
        b.iter(|| {
            let &(p, _) = next.next().unwrap();
            black_box(engine.nearest(black_box(p)))
        });
    });
    group.finish();
}

fn query(c: &mut Criterion<Clock>) {
    bench_queries(c, "bundled", &Engine::new(bundled().dataset));
    for (label, regions, vertices) in SIZES {
        bench_queries(c, label, &Engine::new(synthetic(regions, vertices)));
    }
}

/// Reading and validating the files (`load`), then building the indexes (`index`): together,
/// what start-up costs.
fn load_index(c: &mut Criterion<Clock>) {
    let mut group = c.benchmark_group("load_index");
    let dir = bundled_dir();
    group.bench_function(BenchmarkId::new("bundled", "load"), |b| {
        b.iter(|| geodata::load(&dir).unwrap());
    });
    let data = geodata::load(&dir).unwrap().dataset;
    group.bench_function(BenchmarkId::new("bundled", "index"), |b| {
        b.iter(|| Engine::new(data.clone()));
    });
    // Not 100 regions of 10,000 vertices: geo's polygon validation is quadratic in a ring's
    // vertices, so one load of those takes 80 s (BENCHMARKS.md); ten take 8 s.
    let sizes = [SIZES[0], SIZES[1], SIZES[2], ("10 x 10k", 10, 10_000)];
    for (label, regions, vertices) in sizes {
        let dir = TempDir::new("load");
        geodata::write_dir(&synthetic(regions, vertices), &dir.0).unwrap();
        if regions >= 10_000 || vertices >= 10_000 {
            slow(&mut group, Duration::from_secs(20));
        } else {
            group
                .sample_size(20)
                .measurement_time(Duration::from_secs(5));
        }
        group.bench_function(BenchmarkId::new(label, "load"), |b| {
            b.iter(|| geodata::load(&dir.0).unwrap());
        });
        let data = geodata::load(&dir.0).unwrap().dataset;
        group.bench_function(BenchmarkId::new(label, "index"), |b| {
            b.iter(|| Engine::new(data.clone()));
        });
    }
    group.finish();
}

/// 100,000 seeded random points over the box of 10,000 regions (inside and outside mixed, as
/// a real batch is), each on a date drawn from the data's ticks: the engine's answers point by
/// point in input order on one thread, then as a batch (Z-order, every core), then the answers
/// as the batch endpoint serialises them.
fn batch(c: &mut Criterion<Clock>) {
    let engine = Engine::new(synthetic(10_000, 50));
    let ticks = engine.dataset().statement_dates();
    let mut rng = synth::Rng::new(SEED);
    let probes: Vec<Probe> = synth::points_in(support::extent(&engine), BATCH, SEED)
        .into_iter()
        .map(|p| (p, ticks[rng.below(ticks.len())]))
        .collect();
    let mut group = c.benchmark_group("batch");
    slow(&mut group, Duration::from_secs(15));
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(BenchmarkId::new("10k x 50", "query"), |b| {
        b.iter(|| {
            probes
                .iter()
                .map(|&(p, at)| engine.query(p, at).regions.len())
                .sum::<usize>()
        });
    });
    let points: Vec<_> = probes.iter().map(|&(p, _)| p).collect();
    group.bench_function(BenchmarkId::new("10k x 50", "locate_all"), |b| {
        b.iter(|| engine.locate_all(&points).len());
    });
    group.bench_function(
        BenchmarkId::new("10k x 50", "query, Z-order, every core"),
        |b| {
            b.iter(|| answer_all(&probes, |p| p.0, |&(p, at)| engine.query(p, at)).len());
        },
    );
    group.bench_function(BenchmarkId::new("10k x 50", "query + JSON"), |b| {
        b.iter(|| {
            let answers: Vec<PointAnswer<'_>> = probes
                .iter()
                .map(|&(p, at)| PointAnswer::new(&engine, p, at, Detail::BATCH))
                .collect();
            serde_json::to_vec(&answers).unwrap().len()
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = query, load_index, batch
}
criterion_main!(benches);
