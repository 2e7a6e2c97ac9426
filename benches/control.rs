//! Control resolution: the point query (statement in force, no shares) on the bundled data and
//! on 100,000 synthetic control areas, flattening one date's control map, finding every
//! statement's periods, and `check`'s audit of what the rule makes of the statements (never in
//! force, masked by a region-wide entry).
//!
//! Run with `cargo bench --bench control` (a group alone: `cargo bench --bench control --
//! flatten`); numbers go in BENCHMARKS.md.

#![allow(
    clippy::print_stdout,
    reason = "a benchmark describes its data on stdout"
)]
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    reason = "small grid indices"
)]

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use frontline::engine::Engine;
use frontline::model::{
    AreaStatement, ControlEntry, ControlStatus, Dataset, Date, FactionId, Format, LonLat,
    Precision, Region, RegionId, Regions,
};
use geo::{MultiPolygon, Rect};
use support::{Clock, bundled, slow};

/// Queries per measurement.
const QUERIES: usize = 100_000;
/// Synthetic control areas.
const AREAS: usize = 100_000;

/// Deterministic points over `bbox` (golden-ratio sequence, no RNG), each with a date taken
/// from `ticks` in turn.
fn probes(bbox: Rect<f64>, ticks: &[Date], n: usize) -> Vec<(LonLat, Date)> {
    (0..n)
        .map(|i| {
            let u = (i as f64 * 0.618_033_988_749_895).fract();
            let v = (i as f64 * 0.754_877_666_246_693).fract();
            let lon = bbox.min().x + u * bbox.width();
            let lat = bbox.min().y + v * bbox.height();
            (
                LonLat::new(lon, lat).unwrap(),
                ticks[(i * 7919) % ticks.len()],
            )
        })
        .collect()
}

/// 100,000 rectangles of 0.01°–0.03° on a 0.02° grid, overlapping their neighbours, with dates
/// spread over ten years and two factions and `contested` in turn.
fn synthetic_areas() -> Dataset {
    let side = (AREAS as f64).sqrt().ceil() as usize;
    let start = jiff::civil::date(2012, 1, 1);
    let areas = (0..AREAS)
        .map(|i| {
            let (col, row) = (i % side, i / side);
            let (x, y) = (30.0 + col as f64 * 0.02, 20.0 + row as f64 * 0.02);
            let width = 0.01 + (i % 3) as f64 * 0.01;
            let from = start
                .checked_add(jiff::Span::new().days((i * 37 % 3650) as i64))
                .unwrap();
            let (status, factions) = match i % 3 {
                0 => (ControlStatus::Held, vec![FactionId::new("a")]),
                1 => (ControlStatus::Held, vec![FactionId::new("b")]),
                _ => (
                    ControlStatus::Contested,
                    vec![FactionId::new("a"), FactionId::new("b")],
                ),
            };
            AreaStatement {
                id: format!("area-{i}"),
                region: None,
                geometry: MultiPolygon::new(vec![
                    Rect::new((x, y), (x + width, y + width)).to_polygon(),
                ]),
                control: ControlEntry {
                    from,
                    precision: Precision::Day,
                    status,
                    factions,
                    note: String::new(),
                    sources: Vec::new(),
                },
            }
        })
        .collect::<Vec<_>>();
    Dataset {
        format: Format::V2,
        areas: areas.into(),
        ..Dataset::default()
    }
}

/// Four regions, the quadrants of the synthetic grid, each with a base entry of 2011 and a
/// region-wide entry of 8 December 2024 that ends every area statement under it.
fn quadrants(areas: &Dataset) -> Regions {
    let extent = Engine::new(areas.clone()).areas_extent().unwrap();
    let (mid_x, mid_y) = (
        extent.min().x + extent.width() / 2.0,
        extent.min().y + extent.height() / 2.0,
    );
    let entry = |from: Date, faction: &str| ControlEntry {
        from,
        precision: Precision::Day,
        status: ControlStatus::Held,
        factions: vec![FactionId::new(faction)],
        note: String::new(),
        sources: Vec::new(),
    };
    let regions = [0, 1, 2, 3]
        .into_iter()
        .map(|q| {
            let (x0, x1) = if q % 2 == 0 {
                (extent.min().x, mid_x)
            } else {
                (mid_x, extent.max().x)
            };
            let (y0, y1) = if q < 2 {
                (extent.min().y, mid_y)
            } else {
                (mid_y, extent.max().y)
            };
            Region {
                id: RegionId::new(format!("quadrant-{q}")),
                name: format!("Quadrant {q}"),
                name_ar: None,
                description: String::new(),
                parent: None,
                last_reviewed: None,
                geometry: MultiPolygon::new(vec![Rect::new((x0, y0), (x1, y1)).to_polygon()]),
                history: vec![
                    entry(jiff::civil::date(2011, 1, 1), "a"),
                    entry(jiff::civil::date(2024, 12, 8), "b"),
                ],
            }
        })
        .collect();
    Regions::new(regions)
}

/// What `engine.audit()` finds: statements never in force, region-wide entries that mask
/// others, and the statements they mask.
fn audit_counts(engine: &Engine) -> [usize; 3] {
    let audit = engine.audit();
    let masked = audit.masking.iter().map(|m| m.masked.len()).sum();
    [audit.never_in_force.len(), audit.masking.len(), masked]
}

/// One `control_at` per iteration, cycling through `points`.
fn bench_control_at(
    c: &mut Criterion<Clock>,
    label: &str,
    engine: &Engine,
    points: &[(LonLat, Date)],
) {
    let found = points
        .iter()
        .filter(|(p, d)| engine.control_at(*p, *d).is_some())
        .count();
    assert!(found > 0);
    let mut group = c.benchmark_group("control_at");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function(label, |b| {
        let mut next = points.iter().cycle();
        b.iter(|| {
            let &(p, at) = next.next().unwrap();
            black_box(engine.control_at(black_box(p), at).is_some())
        });
    });
    group.finish();
}

/// The bundled data: the point query, flattening a date's map, every statement's periods
/// (against flattening every tick's map instead) and the audit. What caches (maps, periods)
/// is timed on a fresh engine each iteration, built outside the timing.
fn bundled_data(c: &mut Criterion<Clock>) {
    let data = bundled().dataset;
    let engine = Engine::new(data.clone());
    let ticks = data.statement_dates();
    let points = probes(support::extent(&engine), &ticks, QUERIES);
    println!(
        "bundled data: {} areas, {} ticks; audit finds {:?} (never in force, masking, masked)",
        data.areas.len(),
        ticks.len(),
        audit_counts(&engine)
    );
    bench_control_at(c, "bundled", &engine, &points);
    let fresh = || Engine::new(data.clone());
    let mut group = c.benchmark_group("control");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.bench_function(BenchmarkId::new("bundled", "flatten 2015-08-20"), |b| {
        b.iter_batched(
            fresh,
            |e| {
                assert!(
                    !e.control_map(jiff::civil::date(2015, 8, 20))
                        .pieces
                        .is_empty()
                );
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function(BenchmarkId::new("bundled", "periods"), |b| {
        b.iter_batched(
            fresh,
            |e| assert!(!e.control_periods().is_empty()),
            BatchSize::PerIteration,
        );
    });
    group.bench_function(BenchmarkId::new("bundled", "flatten every tick"), |b| {
        b.iter_batched(
            fresh,
            |e| {
                for &tick in &ticks {
                    assert!(!e.control_map(tick).pieces.is_empty());
                }
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function(BenchmarkId::new("bundled", "audit"), |b| {
        b.iter(|| audit_counts(&engine));
    });
    group.finish();
}

/// The same figures on 100,000 synthetic areas, and the audit with masking region entries.
fn synthetic_data(c: &mut Criterion<Clock>) {
    let synthetic = synthetic_areas();
    let with_regions = Dataset {
        regions: quadrants(&synthetic),
        ..synthetic.clone()
    };
    let engine = Engine::new(synthetic.clone());
    let ticks = synthetic.statement_dates();
    let points = probes(engine.areas_extent().unwrap(), &ticks, QUERIES);
    bench_control_at(c, "100k areas", &engine, &points);
    let masking = Engine::new(with_regions);
    let [never, ..] = audit_counts(&engine);
    let [never_masked, masks, masked] = audit_counts(&masking);
    assert_eq!(never_masked, 0, "{never_masked}");
    println!(
        "100,000 synthetic areas: {} periods, {never} never in force; in 4 regions with an \
         entry of 2024-12-08, {masks} masking {masked}",
        engine.control_periods().len()
    );
    let mut group = c.benchmark_group("control");
    slow(&mut group, Duration::from_secs(20));
    group.bench_function(BenchmarkId::new("100k areas", "engine build"), |b| {
        b.iter_batched(|| synthetic.clone(), Engine::new, BatchSize::PerIteration);
    });
    group.bench_function(BenchmarkId::new("100k areas", "periods"), |b| {
        b.iter_batched(
            || Engine::new(synthetic.clone()),
            |e| e.control_periods().len(),
            BatchSize::PerIteration,
        );
    });
    group.bench_function(BenchmarkId::new("100k areas", "audit"), |b| {
        b.iter(|| audit_counts(&engine));
    });
    group.bench_function(BenchmarkId::new("100k areas in 4 regions", "audit"), |b| {
        b.iter(|| audit_counts(&masking));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = bundled_data, synthetic_data
}
criterion_main!(benches);
