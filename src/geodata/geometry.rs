//! `GeoJSON` geometry → `geo` polygons, checked on the raw positions first (`geo_types::Polygon::new`
//! silently closes rings, so closure must be checked before converting).

use geo::orient::{Direction, Orient};
use geo::{Coord, LineString, MultiPolygon, Polygon, Winding};
use geojson::{GeometryValue, Position};

use super::report::{ProblemKind, Sink, WarningKind};
use super::validity;
use crate::model::LonLat;

/// Decimals beyond which coordinates draw a warning (5 decimals is about 1 m).
const MAX_DECIMALS: usize = 5;

/// The polygons of a region's geometry, validated, with exterior rings counter-clockwise and
/// holes clockwise. `None` after recording every problem found.
pub(crate) fn region_polygons(
    geometry: Option<&geojson::Geometry>,
    sink: &mut Sink<'_>,
) -> Option<MultiPolygon<f64>> {
    let Some(geometry) = geometry else {
        sink.problem(ProblemKind::MissingGeometry);
        return None;
    };
    let (raw, multi): (Vec<&Vec<Vec<Position>>>, bool) = match &geometry.value {
        GeometryValue::Polygon { coordinates } => (vec![coordinates], false),
        GeometryValue::MultiPolygon { coordinates } => (coordinates.iter().collect(), true),
        other => {
            sink.problem(ProblemKind::GeometryType {
                expected: "Polygon or MultiPolygon",
                found: other.type_name().to_owned(),
            });
            return None;
        }
    };
    let before = sink.problem_count();
    let mut decimals = 0;
    let mut polygons = Vec::with_capacity(raw.len());
    for (p, rings) in raw.into_iter().enumerate() {
        let name = |r: usize| ring_name(multi.then_some(p), r);
        if rings.is_empty() {
            sink.problem(ProblemKind::NoRings {
                polygon: polygon_name(multi.then_some(p)),
            });
            continue;
        }
        let mut lines = Vec::with_capacity(rings.len());
        for (r, ring) in rings.iter().enumerate() {
            if !within_max_decimals(ring) {
                decimals = decimals.max(max_decimals(ring));
            }
            if let Some(line) = ring_line(ring, &name(r), sink) {
                lines.push(line);
            }
        }
        if lines.len() == rings.len() {
            let exterior = lines.remove(0);
            polygons.push(Polygon::new(exterior, lines));
        }
    }
    if decimals > MAX_DECIMALS {
        sink.warn(WarningKind::Precision(decimals));
    }
    if polygons.is_empty() && sink.problem_count() == before {
        sink.problem(ProblemKind::InvalidGeometry("it has no polygons".into()));
    }
    if sink.problem_count() > before {
        return None;
    }
    let shape = MultiPolygon::new(polygons);
    let errors = validity::errors(&shape, multi);
    for error in &errors {
        sink.problem(ProblemKind::InvalidGeometry(error.clone()));
    }
    if !errors.is_empty() {
        return None;
    }
    warn_winding(&shape, multi, sink);
    Some(shape.orient(Direction::Default))
}

/// An event's point, checked.
pub(crate) fn event_point(
    geometry: Option<&geojson::Geometry>,
    sink: &mut Sink<'_>,
) -> Option<LonLat> {
    let Some(geometry) = geometry else {
        sink.problem(ProblemKind::MissingGeometry);
        return None;
    };
    let GeometryValue::Point { coordinates } = &geometry.value else {
        sink.problem(ProblemKind::GeometryType {
            expected: "Point",
            found: geometry.value.type_name().to_owned(),
        });
        return None;
    };
    match position(coordinates) {
        Ok(pos) => Some(pos),
        Err(detail) => {
            sink.problem(ProblemKind::BadPoint(detail));
            None
        }
    }
}

/// `polygon`, or `polygon at index P` for part `P` of a `MultiPolygon`.
fn polygon_name(polygon: Option<usize>) -> String {
    match polygon {
        Some(p) => format!("polygon at index {p}"),
        None => "polygon".to_owned(),
    }
}

/// A ring in the words `geo`'s validation uses: ring 0 is the `exterior ring`, ring `r` the
/// `interior ring at index r - 1`; parts of a `MultiPolygon` add `polygon at index P: `.
fn ring_name(polygon: Option<usize>, ring: usize) -> String {
    let role = match ring {
        0 => "exterior ring".to_owned(),
        r => format!("interior ring at index {}", r - 1),
    };
    match polygon {
        Some(p) => format!("polygon at index {p}: {role}"),
        None => role,
    }
}

/// Checks one raw ring (positions in range, at least 4, closed) and converts it.
fn ring_line(ring: &[Position], name: &str, sink: &mut Sink<'_>) -> Option<LineString<f64>> {
    let mut ok = true;
    let mut coords = Vec::with_capacity(ring.len());
    for (index, pos) in ring.iter().enumerate() {
        match position(pos) {
            Ok(p) => coords.push(Coord {
                x: p.lon(),
                y: p.lat(),
            }),
            Err(detail) => {
                ok = false;
                sink.problem(ProblemKind::BadPosition {
                    ring: name.to_owned(),
                    index,
                    detail,
                });
            }
        }
    }
    if ring.len() < 4 {
        sink.problem(ProblemKind::ShortRing {
            ring: name.to_owned(),
            count: ring.len(),
        });
        return None;
    }
    let (first, last) = (&ring[0], &ring[ring.len() - 1]);
    if first.as_slice().get(..2) != last.as_slice().get(..2) {
        sink.problem(ProblemKind::UnclosedRing {
            ring: name.to_owned(),
        });
        return None;
    }
    ok.then(|| LineString::new(coords))
}

/// A raw position as a checked lon/lat (a third value, altitude, is ignored).
fn position(pos: &Position) -> Result<LonLat, String> {
    match pos.as_slice() {
        [lon, lat, ..] => LonLat::new(*lon, *lat).map_err(|e| e.to_string()),
        values => Err(format!(
            "has {} number(s), needs longitude and latitude",
            values.len()
        )),
    }
}

/// Whether every coordinate of the ring is written with at most [`MAX_DECIMALS`] decimals in
/// its shortest round-trip form, without formatting it: [`max_decimals`] costs a sixth of
/// loading, and is needed only to say how many decimals a ring that has too many uses.
fn within_max_decimals(ring: &[Position]) -> bool {
    ring.iter()
        .flat_map(|p| p.as_slice().iter().take(2))
        .all(|&v| has_decimals_within(v, MAX_DECIMALS))
}

/// Whether some number of at most `decimals` decimals reads back as `v`, which is exactly
/// when `v`'s shortest round-trip form has at most that many.
///
/// The candidate is `k / 10^decimals` with `k` the integer nearest `v · 10^decimals`; reading
/// it rounds the exact quotient to the nearest `f64`, as the division of the two exactly
/// represented numbers `k` and `10^decimals` does. Below 2^50, `v`'s own spacing times
/// `10^decimals` is at most 1/4 and the product is off by at most 1/16, so a `k` that reads
/// back lies within 0.19 of the product and rounding finds it: the test is exact. Larger
/// products are formatted (a product near 2^52 rounded to a half, then away from zero, once
/// gave a `k` one too far).
fn has_decimals_within(v: f64, decimals: usize) -> bool {
    const POWERS: [f64; 8] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7];
    let Some(&scale) = POWERS.get(decimals) else {
        return decimal_count(v) <= decimals;
    };
    let k = (v * scale).round();
    if k.abs() >= 1_125_899_906_842_624.0 {
        return decimal_count(v) <= decimals;
    }
    k / scale == v
}

/// The decimals `v` is written with in its shortest round-trip form.
fn decimal_count(v: f64) -> usize {
    let text = v.to_string();
    text.split_once('.').map_or(0, |(_, frac)| frac.len())
}

/// The most decimals any coordinate of the ring is written with (shortest round-trip form).
fn max_decimals(ring: &[Position]) -> usize {
    ring.iter()
        .flat_map(|p| p.as_slice().iter().take(2))
        .map(|&v| decimal_count(v))
        .max()
        .unwrap_or(0)
}

fn warn_winding(shape: &MultiPolygon<f64>, multi: bool, sink: &mut Sink<'_>) {
    for (p, polygon) in shape.iter().enumerate() {
        let name = |r| ring_name(multi.then_some(p), r);
        if polygon.exterior().is_cw() {
            sink.warn(WarningKind::Winding {
                ring: name(0),
                found: "clockwise",
                wanted: "counter-clockwise",
            });
        }
        for (h, hole) in polygon.interiors().iter().enumerate() {
            if hole.is_ccw() {
                sink.warn(WarningKind::Winding {
                    ring: name(h + 1),
                    found: "counter-clockwise",
                    wanted: "clockwise",
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decimals_of_plain_numbers() {
        assert!(has_decimals_within(36.35, 2));
        assert!(!has_decimals_within(36.35, 1));
        assert!(has_decimals_within(-180.0, 0));
        assert!(has_decimals_within(0.00001, 5));
        assert!(!has_decimals_within(0.000_001, 5));
        assert!(!has_decimals_within(0.1 + 0.2, 5));
        assert!(has_decimals_within(1e300, 5));
        // A product of 4.02e15, where the spacing of floats is 1/2: found by the property
        // test below.
        let v = f64::from_bits(14_033_859_400_456_469_411);
        assert_eq!(decimal_count(v), 2, "{v}");
        assert!(has_decimals_within(v, 2));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// A number with `d` decimals as written in a file, then any `f64` at all.
        #[test]
        fn the_test_agrees_with_formatting(
            units in -18_000_000_000i64..18_000_000_000,
            d in 0u32..10,
            bits in any::<u64>(),
            limit in 0usize..9,
        ) {
            let written: f64 = format!("{units}e-{d}").parse().unwrap();
            prop_assert_eq!(has_decimals_within(written, limit), decimal_count(written) <= limit, "{}", written);
            let any = f64::from_bits(bits);
            if any.is_finite() {
                prop_assert_eq!(has_decimals_within(any, limit), decimal_count(any) <= limit, "{}", any);
            }
        }
    }
}
