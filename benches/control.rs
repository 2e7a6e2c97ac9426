//! Control resolution: the point query (statement in force, no shares) on the bundled data and
//! on 100,000 synthetic control areas, flattening one date's control map, finding every
//! statement's periods, and `check`'s audit of what the rule makes of the statements (never in
//! force, masked by a region-wide entry).
//!
//! Run with `cargo bench --bench control`; numbers go in BENCHMARKS.md.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    reason = "small grid indices"
)]

mod synthetic;

use std::time::{Duration, Instant};

use frontline::engine::Engine;
use frontline::model::{
    AreaStatement, ControlEntry, ControlStatus, Dataset, Date, FactionId, Format, LonLat,
    Precision, Region, RegionId, Regions,
};
use geo::{MultiPolygon, Rect};
use synthetic::median;

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

/// Median nanoseconds per `control_at` over `probes`.
fn per_query(engine: &Engine, probes: &[(LonLat, Date)]) -> f64 {
    let total = median(5, || {
        let found = probes
            .iter()
            .filter(|(p, d)| engine.control_at(*p, *d).is_some())
            .count();
        assert!(found > 0);
    });
    total.as_nanos() as f64 / probes.len() as f64
}

fn dates_of(engine: &Engine) -> Vec<Date> {
    let data = engine.dataset();
    let mut ticks: Vec<Date> = data
        .areas
        .iter()
        .map(|a| a.control.from)
        .chain(
            data.regions
                .iter()
                .flat_map(|r| r.history.iter().map(|e| e.from)),
        )
        .collect();
    ticks.sort_unstable();
    ticks.dedup();
    ticks
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

/// Median time of `engine.audit()` over 3 runs, with what it found: statements never in
/// force, region-wide entries that mask others, and the statements they mask.
fn audit(engine: &Engine) -> (Duration, [usize; 3]) {
    let mut found = [0; 3];
    let time = median(3, || {
        let audit = engine.audit();
        let masked = audit.masking.iter().map(|m| m.masked.len()).sum();
        found = [audit.never_in_force.len(), audit.masking.len(), masked];
    });
    (time, found)
}

fn report(what: &str, value: &str) {
    println!("{what:<64} {value}");
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let loaded = frontline::geodata::load(&dir).unwrap();
    let engine = Engine::new(loaded.dataset.clone());
    let bbox = [engine.extent(), engine.areas_extent()]
        .into_iter()
        .flatten()
        .reduce(|a, b| {
            Rect::new(
                (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
            )
        })
        .unwrap();
    let ticks = dates_of(&engine);
    let points = probes(bbox, &ticks, QUERIES);
    report(
        &format!(
            "bundled data ({} areas, {} ticks): control_at, per query",
            engine.dataset().areas.len(),
            ticks.len()
        ),
        &format!("{:.0} ns", per_query(&engine, &points)),
    );
    // A fresh engine each run, so the map is computed, not taken from the cache.
    let mut flatten: Vec<Duration> = (0..5)
        .map(|_| {
            let cold = Engine::new(loaded.dataset.clone());
            let start = Instant::now();
            let map = cold.control_map(jiff::civil::date(2015, 8, 20));
            assert!(!map.pieces.is_empty());
            start.elapsed()
        })
        .collect();
    flatten.sort();
    report(
        "bundled data: flatten the map of 2015-08-20",
        &ms(flatten[2]),
    );
    let (time, [never, masking, masked]) = audit(&engine);
    report(
        &format!("bundled data: audit ({never} never in force, {masking} masking {masked})"),
        &ms(time),
    );
    // Every statement's periods, against flattening the map of every tick from scratch; each
    // on a fresh engine, timed without building it.
    let cold = |work: &dyn Fn(&Engine)| {
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let engine = Engine::new(loaded.dataset.clone());
                let start = Instant::now();
                work(&engine);
                start.elapsed()
            })
            .collect();
        times.sort();
        times[2]
    };
    let periods = cold(&|e| assert!(!e.control_periods().is_empty()));
    report("bundled data: every statement's periods", &ms(periods));
    let every_map = cold(&|e| {
        for &tick in &ticks {
            assert!(!e.control_map(tick).pieces.is_empty());
        }
    });
    report(
        "bundled data: flatten the map of every tick instead",
        &ms(every_map),
    );

    synthetic_data();
}

/// The same figures on 100,000 synthetic areas, and the audit with masking region entries.
fn synthetic_data() {
    let synthetic = synthetic_areas();
    let with_regions = Dataset {
        regions: quadrants(&synthetic),
        ..synthetic.clone()
    };
    let start = Instant::now();
    let engine = Engine::new(synthetic);
    report(
        "100,000 synthetic areas: engine build",
        &ms(start.elapsed()),
    );
    let ticks = dates_of(&engine);
    let points = probes(engine.areas_extent().unwrap(), &ticks, QUERIES);
    report(
        "100,000 synthetic areas: control_at, per query",
        &format!("{:.0} ns", per_query(&engine, &points)),
    );
    let start = Instant::now();
    let periods = engine.control_periods().len();
    report(
        &format!("100,000 synthetic areas: every statement's periods ({periods})"),
        &ms(start.elapsed()),
    );
    let (time, [never, ..]) = audit(&engine);
    report(
        &format!("100,000 synthetic areas: audit ({never} never in force)"),
        &ms(time),
    );
    let engine = Engine::new(with_regions);
    let (time, [never, masking, masked]) = audit(&engine);
    report(
        &format!(
            "same, in 4 regions with an entry of 2024-12-08: audit ({masking} masking {masked})"
        ),
        &ms(time),
    );
    assert_eq!(never, 0, "{never}");
}
