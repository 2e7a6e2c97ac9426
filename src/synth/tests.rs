use geo::{Area, BoundingRect, Distance, Relate, Validation, Winding};

use super::*;

fn spec(regions: usize, vertices: usize, statements: usize, seed: u64) -> Spec {
    Spec::new(regions, vertices, statements, seed).unwrap()
}

#[test]
fn specs_that_cannot_be_generated_are_named() {
    assert_eq!(
        Spec::new(0, 50, 0, 1).unwrap_err().to_string(),
        "regions 0: a data set needs at least 1 region"
    );
    assert_eq!(
        Spec::new(10, 5, 0, 1).unwrap_err().to_string(),
        "vertices 5: a region needs at least 6 vertices"
    );
    let too_large = Spec::new(100_000_000, 50, 0, 1).unwrap_err().to_string();
    assert!(
        too_large.starts_with("regions 100000000 of 50 vertices would span "),
        "{too_large}"
    );
    Spec::new(1_000_000, 50, 0, 1).unwrap();
    assert_eq!(spec(1, 50, 0, 1).vertices(), 48);
    assert_eq!(spec(1, 6, 0, 1).vertices(), 6);
    assert_eq!(spec(1, 10_000, 0, 1).vertices(), 10_002);
}

#[test]
fn the_same_spec_gives_the_same_data_and_another_seed_other_data() {
    let a = generate(&spec(50, 30, 40, 7));
    assert_eq!(a, generate(&spec(50, 30, 40, 7)));
    let b = generate(&spec(50, 30, 40, 8));
    assert_ne!(a.regions[0].geometry, b.regions[0].geometry);
    assert_ne!(a.areas[0].geometry, b.areas[0].geometry);
    // Regions do not depend on the number of statements.
    assert_eq!(a.regions, generate(&spec(50, 30, 3, 7)).regions);
}

#[test]
fn regions_are_valid_irregular_counter_clockwise_and_of_the_asked_size() {
    let data = generate(&spec(300, 50, 0, 3));
    assert_eq!(data.regions.len(), 300);
    let areas: Vec<f64> = data
        .regions
        .iter()
        .map(|r| r.geometry.unsigned_area())
        .collect();
    for region in &data.regions {
        assert_eq!(region.geometry.0.len(), 1);
        let polygon = &region.geometry.0[0];
        assert!(
            polygon.is_valid(),
            "{}: {:?}",
            region.id,
            polygon.validation_errors()
        );
        assert!(polygon.exterior().is_ccw(), "{}", region.id);
        assert_eq!(polygon.exterior().0.len(), 48 + 1, "{}", region.id);
        assert!(polygon.interiors().is_empty());
        // Concave: not equal to its convex hull.
        let hull = geo::ConvexHull::convex_hull(polygon).unsigned_area();
        assert!(
            hull > polygon.unsigned_area() * 1.001,
            "{} is convex",
            region.id
        );
        for c in polygon.exterior().coords() {
            assert_eq!(round5(c.x), c.x);
            assert_eq!(round5(c.y), c.y);
        }
    }
    // Irregular: the sizes vary.
    let (min, max) = areas
        .iter()
        .fold((f64::MAX, 0.0_f64), |(lo, hi), a| (lo.min(*a), hi.max(*a)));
    assert!(max > min * 1.3, "sizes {min} to {max}");
}

#[test]
fn regions_never_overlap_and_neighbours_share_their_boundary() {
    let data = generate(&spec(150, 24, 0, 11));
    let polygons: Vec<&Polygon<f64>> = data.regions.iter().map(|r| &r.geometry.0[0]).collect();
    let mut touching = 0;
    for (i, a) in polygons.iter().enumerate() {
        let a_box = a.bounding_rect().unwrap();
        for b in &polygons[i + 1..] {
            if !a_box.intersects(&b.bounding_rect().unwrap()) {
                continue;
            }
            let relation = a.relate(*b);
            assert!(
                relation.is_disjoint() || relation.is_touches(),
                "regions overlap: {relation:?}"
            );
            if relation.is_touches() {
                touching += 1;
                // They share a side, not just a point: some vertex of each is on the other.
                let shared = a
                    .exterior()
                    .coords()
                    .filter(|c| b.exterior().coords().any(|d| d == *c))
                    .count();
                assert!(shared >= 2, "touching regions share {shared} vertices");
            }
        }
    }
    // A honeycomb with one cell in eight left out: most regions have several neighbours.
    assert!(touching > 150 * 2, "only {touching} touching pairs");
}

#[test]
fn histories_and_statements_are_sourced_synthetic_and_in_range() {
    let data = generate(&spec(80, 12, 120, 5));
    let first = jiff::civil::date(2011, 3, 1);
    let last = jiff::civil::date(2025, 12, 31);
    let faction_ids: Vec<&FactionId> = data.factions.iter().map(|f| &f.id).collect();
    let entries = data
        .regions
        .iter()
        .flat_map(|r| r.history.iter())
        .chain(data.areas.iter().map(|a| &a.control));
    let mut precisions = Vec::new();
    for e in entries {
        assert!(first <= e.from && e.from <= last, "{}", e.from);
        assert!(e.precision.fits(e.from));
        if !precisions.contains(&e.precision) {
            precisions.push(e.precision);
        }
        assert!(e.status.accepts_faction_count(e.factions.len()));
        assert!(e.factions.iter().all(|f| faction_ids.contains(&f)));
        assert_eq!(e.sources.len(), 1);
        assert_eq!(e.sources[0].title, "synthetic");
        assert!(
            e.sources[0]
                .url
                .starts_with("https://example.org/synthetic/")
        );
    }
    assert_eq!(precisions.len(), 3, "day, month and year all occur");
    for region in &data.regions {
        assert!((1..=4).contains(&region.history.len()));
        assert!(region.history.windows(2).all(|w| w[0].from < w[1].from));
    }
    let mut named = 0;
    for area in data.areas.iter() {
        let polygon = &area.geometry.0[0];
        assert!(
            polygon.is_valid(),
            "{}: {:?}",
            area.id,
            polygon.validation_errors()
        );
        assert!(polygon.exterior().is_ccw());
        assert!((12..=40).contains(&(polygon.exterior().0.len() - 1)));
        if let Some(region) = &area.region {
            named += 1;
            let r = data.region(region.as_str()).unwrap();
            assert!(
                r.geometry.intersects(&area.geometry),
                "{} misses {region}",
                area.id
            );
        }
    }
    assert!(named > 120 / 2, "only {named} statements name a region");
    assert!(
        data.factions
            .iter()
            .all(|f| f.description.contains("synthetic")),
        "factions say they are synthetic"
    );
}

#[test]
fn the_day_range_ends_on_the_last_day_of_2025() {
    let (y, m, d) = FIRST_DAY;
    let days = i64::try_from(DAYS).unwrap() - 1;
    let last = jiff::civil::date(y, m, d)
        .checked_add(jiff::Span::new().days(days))
        .unwrap();
    assert_eq!(last, jiff::civil::date(2025, 12, 31));
}

#[test]
fn polynomial_cos_and_sin_match_the_library_ones() {
    for i in -400..=400 {
        let turns = f64::from(i) / 97.0;
        let (cos, sin) = cos_sin_turns(turns);
        let angle = turns * std::f64::consts::TAU;
        assert!((cos - angle.cos()).abs() < 1e-9, "cos at {turns} turns");
        assert!((sin - angle.sin()).abs() < 1e-9, "sin at {turns} turns");
    }
}

#[test]
fn points_fall_in_their_box_and_near_boundaries_stay_near() {
    let bbox = Rect::new((-36.0, 39.0), (-34.0, 41.0));
    let points = points_in(bbox, 500, 1);
    assert_eq!(points.len(), 500);
    assert!(points.iter().all(|p| bbox.intersects(&p.to_point())));
    assert_ne!(points, points_in(bbox, 500, 2));
    let data = generate(&spec(20, 12, 0, 1));
    let near = points_near_boundaries(&data, 200, 1e-4, 3);
    assert_eq!(near.len(), 200);
    for p in near {
        let closest = data
            .regions
            .iter()
            .map(|r| geo::Euclidean.distance(&p.to_point(), r.geometry.0[0].exterior()))
            .fold(f64::MAX, f64::min);
        assert!(closest <= 1.5e-4, "{p:?} is {closest}° from every boundary");
    }
}
