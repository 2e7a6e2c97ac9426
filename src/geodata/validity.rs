//! Polygon validity as geo's [`Validation`](geo::Validation) defines it, with the same errors in
//! the same order, but with the ring self-intersection test done by a sweep over the edges'
//! x-ranges instead of geo's comparison of every pair of edges (quadratic in a ring's vertices:
//! most of the time of loading 100,000 regions, and 7 s for ten rings of 10,000 vertices).
//!
//! Everything else is geo's own: the pair test is geo's `Line::intersects` with geo's rule for
//! which touching edges count, and the relations between rings and between polygons are geo's
//! `Relate`, as geo's validation uses them. A property test holds the two to the same answers.

use geo::algorithm::validation::{GeometryIndex, InvalidMultiPolygon, InvalidPolygon, RingRole};
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::{Coord, Intersects, Line, LineString, MultiPolygon, Polygon, PreparedGeometry, Relate};

/// What geo's `validation_errors` says of `shape`, in its words and order: of the
/// multipolygon when `multi`, else of its only polygon.
pub(crate) fn errors(shape: &MultiPolygon<f64>, multi: bool) -> Vec<String> {
    if !multi {
        let mut errors = Vec::new();
        if let Some(polygon) = shape.0.first() {
            polygon_errors(polygon, &mut |e| errors.push(e.to_string()));
        }
        return errors;
    }
    let mut errors = Vec::new();
    for (i, polygon) in shape.0.iter().enumerate() {
        polygon_errors(polygon, &mut |e| {
            errors.push(InvalidMultiPolygon::InvalidPolygon(GeometryIndex(i), e).to_string());
        });
        for (j, other) in shape.0.iter().enumerate().skip(i + 1) {
            let matrix = polygon.relate(other);
            if matrix.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                let e = InvalidMultiPolygon::ElementsOverlaps(GeometryIndex(i), GeometryIndex(j));
                errors.push(e.to_string());
            }
            if matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
            {
                let e =
                    InvalidMultiPolygon::ElementsTouchOnALine(GeometryIndex(i), GeometryIndex(j));
                errors.push(e.to_string());
            }
        }
    }
    errors
}

/// geo's checks of one polygon, in geo's order: each ring's point count, self-intersection
/// and finiteness, then how the holes lie against the exterior and one another.
fn polygon_errors(polygon: &Polygon<f64>, report: &mut dyn FnMut(InvalidPolygon)) {
    if polygon.exterior().0.is_empty() {
        return;
    }
    let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
    for (r, ring) in rings.enumerate() {
        if ring.0.is_empty() {
            continue;
        }
        let role = role(r);
        if distinct_in_a_row(ring) < 4 {
            report(InvalidPolygon::TooFewPointsInRing(role));
        }
        if self_intersects(&ring.0) {
            report(InvalidPolygon::SelfIntersection(role));
        }
        for (index, c) in ring.0.iter().enumerate() {
            if !(c.x.is_finite() && c.y.is_finite()) {
                report(InvalidPolygon::NonFiniteCoord(
                    role,
                    geo::algorithm::validation::CoordIndex(index),
                ));
            }
        }
    }
    if polygon.interiors().iter().all(|ring| ring.0.is_empty()) {
        return;
    }
    let exterior = Polygon::new(polygon.exterior().clone(), vec![]);
    let exterior = PreparedGeometry::from(&exterior);
    for (h, hole) in polygon.interiors().iter().enumerate() {
        if hole.0.is_empty() {
            continue;
        }
        let role = RingRole::Interior(h);
        let hole_polygon = Polygon::new(hole.clone(), vec![]);
        let prepared = PreparedGeometry::from(&hole_polygon);
        let matrix = exterior.relate(&prepared);
        if !matrix.is_contains() {
            report(InvalidPolygon::InteriorRingNotContainedInExteriorRing(role));
        }
        if matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
            report(InvalidPolygon::IntersectingRingsOnALine(
                RingRole::Exterior,
                role,
            ));
        }
        for (k, other) in polygon.interiors().iter().enumerate().skip(h + 1) {
            if other.0.is_empty() {
                continue;
            }
            let other_role = RingRole::Interior(k);
            let matrix = prepared.relate(&Polygon::new(other.clone(), vec![]));
            if matrix.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                report(InvalidPolygon::IntersectingRingsOnAnArea(role, other_role));
            }
            if matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
            {
                report(InvalidPolygon::IntersectingRingsOnALine(role, other_role));
            }
        }
    }
}

/// Ring 0 is the exterior, ring `r` the hole `r - 1`.
fn role(ring: usize) -> RingRole {
    match ring {
        0 => RingRole::Exterior,
        r => RingRole::Interior(r - 1),
    }
}

/// The ring's points once runs of equal points are merged (what geo counts).
fn distinct_in_a_row(ring: &LineString<f64>) -> usize {
    let merged = ring.0.windows(2).filter(|w| w[0] != w[1]).count();
    usize::from(!ring.0.is_empty()) + merged
}

/// Whether two edges of the line through `coords` meet, other than an edge's end meeting the
/// next one's start: geo's test for every ordered pair of distinct edges, which is symmetric,
/// made on the pairs whose boxes overlap, found by sorting the edges by their least x.
fn self_intersects(coords: &[Coord<f64>]) -> bool {
    let edges: Vec<Line<f64>> = coords.windows(2).map(|w| Line::new(w[0], w[1])).collect();
    let min_x = |l: &Line<f64>| l.start.x.min(l.end.x);
    let mut order: Vec<(f64, usize)> = edges
        .iter()
        .enumerate()
        .map(|(i, e)| (min_x(e), i))
        .collect();
    order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    for (k, &(_, i)) in order.iter().enumerate() {
        let a = edges[i];
        let max_x = a.start.x.max(a.end.x);
        let (a_low, a_high) = (a.start.y.min(a.end.y), a.start.y.max(a.end.y));
        for &(b_min_x, j) in &order[k + 1..] {
            if b_min_x > max_x {
                break;
            }
            let b = edges[j];
            if b.start.y.max(b.end.y) < a_low || b.start.y.min(b.end.y) > a_high {
                continue;
            }
            if a.intersects(&b) && a.start != b.end && a.end != b.start {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;
    use proptest::prelude::*;

    /// What geo itself says, as the loader said it before.
    fn geo_errors(shape: &MultiPolygon<f64>, multi: bool) -> Vec<String> {
        if multi {
            shape
                .validation_errors()
                .iter()
                .map(ToString::to_string)
                .collect()
        } else {
            let errors = shape.0[0].validation_errors();
            errors.iter().map(ToString::to_string).collect()
        }
    }

    fn polygon(rings: &[&[(f64, f64)]]) -> Polygon<f64> {
        let line = |r: &[(f64, f64)]| LineString::from(r.to_vec());
        Polygon::new(line(rings[0]), rings[1..].iter().map(|r| line(r)).collect())
    }

    #[test]
    fn a_bow_tie_crosses_itself() {
        let bow = polygon(&[&[(0., 0.), (2., 2.), (2., 0.), (0., 2.), (0., 0.)]]);
        let shape = MultiPolygon::new(vec![bow]);
        assert_eq!(
            errors(&shape, false),
            ["exterior ring has a self-intersection"]
        );
        assert_eq!(errors(&shape, false), geo_errors(&shape, false));
    }

    #[test]
    fn a_square_with_a_hole_is_valid() {
        let square = [(0., 0.), (4., 0.), (4., 4.), (0., 4.), (0., 0.)];
        let hole = [(1., 1.), (1., 2.), (2., 2.), (2., 1.), (1., 1.)];
        let shape = MultiPolygon::new(vec![polygon(&[&square, &hole])]);
        assert!(errors(&shape, false).is_empty());
        assert!(errors(&shape, true).is_empty());
    }

    #[test]
    fn a_spike_back_along_an_edge_intersects() {
        // The ring runs out to (3, 0) and back over the same edge.
        let spike = [(0., 0.), (3., 0.), (1., 0.), (1., 1.), (0., 1.), (0., 0.)];
        let shape = MultiPolygon::new(vec![polygon(&[&spike])]);
        assert_eq!(errors(&shape, false), geo_errors(&shape, false));
        assert_eq!(
            errors(&shape, false),
            ["exterior ring has a self-intersection"]
        );
    }

    #[test]
    fn overlapping_parts_and_repeated_points() {
        let a = [(0., 0.), (2., 0.), (2., 2.), (0., 2.), (0., 0.)];
        let b = [(1., 1.), (3., 1.), (3., 3.), (1., 3.), (1., 1.)];
        let thin = [(5., 5.), (5., 5.), (6., 5.), (6., 5.), (5., 5.)];
        let shape = MultiPolygon::new(vec![polygon(&[&a]), polygon(&[&b]), polygon(&[&thin])]);
        let found = errors(&shape, true);
        assert_eq!(found, geo_errors(&shape, true));
        assert!(
            found.contains(&"polygons at indices 0 and 1 overlap".to_owned()),
            "{found:?}"
        );
        assert!(
            found.contains(
                &"polygon at index 2 is invalid: exterior ring must have at least 3 distinct points"
                    .to_owned()
            ),
            "{found:?}"
        );
    }

    /// A closed ring of 3 to 9 points on a small grid, so that points repeat, edges overlap
    /// and touch, and rings cross one another often.
    fn ring() -> impl Strategy<Value = Vec<(f64, f64)>> {
        prop::collection::vec((0..5i32, 0..5i32), 3..10).prop_map(|points| {
            let mut ring: Vec<(f64, f64)> = points
                .into_iter()
                .map(|(x, y)| (f64::from(x), f64::from(y)))
                .collect();
            ring.push(ring[0]);
            ring
        })
    }

    /// A ring with two distinct points at least: geo's `Relate`, which relates holes and parts,
    /// asserts (in debug builds) that no polygon is a single point.
    fn not_a_point() -> impl Strategy<Value = Vec<(f64, f64)>> {
        ring().prop_filter("a single point", |r| r.iter().any(|p| *p != r[0]))
    }

    /// Half-unit offsets as well, so that crossings off the grid's points occur.
    fn fine_ring() -> impl Strategy<Value = Vec<(f64, f64)>> {
        prop::collection::vec((0..9i32, 0..9i32), 3..14).prop_map(|points| {
            let mut ring: Vec<(f64, f64)> = points
                .into_iter()
                .map(|(x, y)| (f64::from(x) / 2.0, f64::from(y) / 2.0))
                .collect();
            ring.push(ring[0]);
            ring
        })
    }

    fn shape_of(rings: &[Vec<Vec<(f64, f64)>>]) -> MultiPolygon<f64> {
        MultiPolygon::new(
            rings
                .iter()
                .map(|p| {
                    let refs: Vec<&[(f64, f64)]> = p.iter().map(Vec::as_slice).collect();
                    polygon(&refs)
                })
                .collect(),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn one_ring_as_geo_says(ring in ring()) {
            let shape = shape_of(&[vec![ring]]);
            prop_assert_eq!(errors(&shape, false), geo_errors(&shape, false));
        }

        #[test]
        fn one_fine_ring_as_geo_says(ring in fine_ring()) {
            let shape = shape_of(&[vec![ring]]);
            prop_assert_eq!(errors(&shape, false), geo_errors(&shape, false));
            prop_assert_eq!(errors(&shape, true), geo_errors(&shape, true));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn holes_and_parts_as_geo_says(
            polygons in prop::collection::vec(prop::collection::vec(not_a_point(), 1..4), 1..4),
        ) {
            let shape = shape_of(&polygons);
            prop_assert_eq!(errors(&shape, true), geo_errors(&shape, true));
            let first = MultiPolygon::new(vec![shape.0[0].clone()]);
            prop_assert_eq!(errors(&first, false), geo_errors(&first, false));
        }
    }
}
