//! The engine against brute force on synthetic data: for a few seeds and small sizes, at random
//! points inside regions, outside every region, near boundaries and exactly on them, the regions
//! containing a point and the statement in force there are what a scan over every region and
//! every statement finds with geo's `Intersects` and the rule of `geodata/README.md`.

#![allow(
    clippy::unwrap_used,
    reason = "a test should fail loudly at the first surprise"
)]

use std::cmp::Ordering;

use frontline::engine::Engine;
use frontline::model::{Dataset, Date, LonLat};
use frontline::synth::{self, Rng, Spec};
use geo::{BoundingRect, GeodesicArea, Intersects, MultiPolygon, Point, Rect};

/// Geodesic area in km², as the rule compares it.
fn km2(shape: &MultiPolygon<f64>) -> f64 {
    shape
        .iter()
        .map(|p| p.geodesic_area_signed().abs())
        .sum::<f64>()
        / 1e6
}

/// A statement as the rule sees it: `(from, km², scope (0 area, 1 region), id)`.
type Candidate = (Date, f64, u8, String);

/// The rule: the latest `from` wins, then the smaller area, then an area statement before a
/// region-wide one, then the smaller id.
fn wins(a: &Candidate, b: &Candidate) -> Ordering {
    b.0.cmp(&a.0)
        .then(a.1.total_cmp(&b.1))
        .then(a.2.cmp(&b.2))
        .then_with(|| a.3.cmp(&b.3))
}

struct Brute<'a> {
    data: &'a Dataset,
    region_km2: Vec<f64>,
    area_km2: Vec<f64>,
}

impl<'a> Brute<'a> {
    fn new(data: &'a Dataset) -> Self {
        Self {
            data,
            region_km2: data.regions.iter().map(|r| km2(&r.geometry)).collect(),
            area_km2: data.areas.iter().map(|a| km2(&a.geometry)).collect(),
        }
    }

    /// Every region containing `p` (boundary included), smallest first, then by position.
    fn regions(&self, p: Point<f64>) -> Vec<usize> {
        let mut found: Vec<usize> = (0..self.data.regions.len())
            .filter(|&i| self.data.regions[i].geometry.intersects(&p))
            .collect();
        found.sort_by(|&a, &b| {
            self.region_km2[a]
                .total_cmp(&self.region_km2[b])
                .then(a.cmp(&b))
        });
        found
    }

    /// The id of the statement in force at `p` on `date`.
    fn in_force(&self, p: Point<f64>, date: Date) -> Option<String> {
        let areas = self
            .data
            .areas
            .iter()
            .enumerate()
            .filter(|(_, a)| a.control.from <= date && a.geometry.intersects(&p))
            .map(|(i, a)| (a.control.from, self.area_km2[i], 0, a.id.clone()));
        let regions = self.regions(p).into_iter().filter_map(|i| {
            let region = &self.data.regions[i];
            let entry = region.history.iter().rev().find(|e| e.from <= date)?;
            Some((
                entry.from,
                self.region_km2[i],
                1,
                format!("{}@{}", region.id, entry.from),
            ))
        });
        areas.chain(regions).min_by(wins).map(|c| c.3)
    }
}

/// What kinds of places and answers a run met, so the test shows it covered them.
#[derive(Default, Debug)]
struct Seen {
    outside: usize,
    inside_one: usize,
    on_shared_boundary: usize,
    unknown: usize,
    area_wins: usize,
    region_wins: usize,
}

/// Random points of every kind for `data`: uniform over its box and a margin (inside and
/// outside), near the region boundaries, exactly on region and statement vertices.
fn probes(data: &Dataset, extent: Rect<f64>, seed: u64) -> Vec<LonLat> {
    let margin = extent.width().max(extent.height()) * 0.05;
    let wide = Rect::new(
        (extent.min().x - margin, extent.min().y - margin),
        (extent.max().x + margin, extent.max().y + margin),
    );
    let mut points = synth::points_in(wide, 400, seed);
    points.extend(synth::points_near_boundaries(data, 200, 1e-4, seed));
    points.extend(synth::points_near_boundaries(data, 100, 0.0, seed + 1));
    let mut rng = Rng::new(seed);
    let vertices = |shape: &MultiPolygon<f64>, rng: &mut Rng| {
        let outline = &shape.0[0].exterior().0;
        let c = outline[rng.below(outline.len())];
        LonLat::new(c.x, c.y).unwrap()
    };
    for _ in 0..100 {
        let region = &data.regions[rng.below(data.regions.len())];
        points.push(vertices(&region.geometry, &mut rng));
        if !data.areas.is_empty() {
            let area = &data.areas[rng.below(data.areas.len())];
            points.push(vertices(&area.geometry, &mut rng));
        }
    }
    points
}

/// Every statement date, the day before each, and a day before them all.
fn dates(data: &Dataset) -> Vec<Date> {
    let mut ticks: Vec<Date> = data
        .areas
        .iter()
        .map(|a| a.control.from)
        .chain(
            data.regions
                .iter()
                .flat_map(|r| r.history.iter().map(|e| e.from)),
        )
        .flat_map(|d| [d, d.yesterday().unwrap()])
        .collect();
    ticks.push(jiff::civil::date(2000, 1, 1));
    ticks.sort_unstable();
    ticks.dedup();
    ticks
}

fn check(spec: Spec, seen: &mut Seen) {
    let data = synth::generate(&spec);
    let engine = Engine::new(data.clone());
    let brute = Brute::new(&data);
    let extent = engine.extent().unwrap();
    let dates = dates(&data);
    let mut rng = Rng::new(spec.seed() ^ 0x5eed);
    let probes = probes(&data, extent, spec.seed());
    // The batch, answered in another order on every core, gives each point its own answer.
    let batch = engine.locate_all(&probes);
    assert_eq!(batch.len(), probes.len());
    for (p, located) in probes.into_iter().zip(batch.iter()) {
        let point = p.to_point();
        let expected = brute.regions(point);
        assert_eq!(located, expected, "{spec:?}: locate_all at {p:?}");
        let on = dates[rng.below(dates.len())];
        let answer = engine.query(p, on);
        let found: Vec<usize> = answer.regions.iter().map(|h| h.index).collect();
        assert_eq!(found, expected, "{spec:?}: regions at {p:?}");
        assert_eq!(engine.locate(p), expected, "{spec:?}: locate at {p:?}");
        assert_eq!(
            answer.nearest.is_some(),
            expected.is_empty(),
            "{spec:?}: nearest only outside every region, at {p:?}"
        );
        let in_force = brute.in_force(point, on);
        assert_eq!(
            answer.control.map(|s| s.id.to_string()),
            in_force,
            "{spec:?}: statement in force at {p:?} on {on}"
        );
        assert_eq!(
            engine.control_at(p, on).map(|s| s.id.to_string()),
            in_force,
            "{spec:?}: control_at {p:?} on {on}"
        );
        match expected.len() {
            0 => seen.outside += 1,
            1 => seen.inside_one += 1,
            _ => seen.on_shared_boundary += 1,
        }
        match in_force {
            None => seen.unknown += 1,
            Some(id) if id.contains('@') => seen.region_wins += 1,
            Some(_) => seen.area_wins += 1,
        }
    }
    assert!(
        data.regions
            .iter()
            .all(|r| extent.intersects(&r.geometry.bounding_rect().unwrap())),
        "the extent covers every region"
    );
}

#[test]
fn points_and_statements_in_force_match_a_brute_force_scan() {
    let mut seen = Seen::default();
    for (regions, vertices, statements, seed) in [
        (60, 24, 80, 1),
        (150, 48, 250, 2),
        (30, 120, 60, 3),
        (12, 6, 40, 4),
    ] {
        check(
            Spec::new(regions, vertices, statements, seed).unwrap(),
            &mut seen,
        );
    }
    // The run met every case the comparison is about.
    assert!(seen.outside > 200, "{seen:?}");
    assert!(seen.inside_one > 1000, "{seen:?}");
    assert!(seen.on_shared_boundary > 100, "{seen:?}");
    assert!(seen.unknown > 100, "{seen:?}");
    assert!(seen.area_wins > 500, "{seen:?}");
    assert!(seen.region_wins > 200, "{seen:?}");
}
