//! Geodesic areas, and the area each region "owns": the land where it is the smallest region
//! covering it, so that sub-regions and overlaps are counted once.

use geo::orient::{Direction, Orient};
use geo::{BooleanOps, BoundingRect, GeodesicArea, MultiPolygon, Polygon, unary_union};
use rstar::RTree;

use super::index::{Entry, envelope};

/// Square metres per square kilometre.
const M2_PER_KM2: f64 = 1e6;

/// Geodesic (WGS84 ellipsoid) area of `shape` in km².
///
/// Rings are oriented first (clipping results come back in either winding), and each
/// polygon's signed area is taken as a magnitude: for a zero-area sliver, whose winding is
/// numerically undefined, geo's unsigned area would be the rest of the globe.
pub(crate) fn area_km2(shape: &MultiPolygon<f64>) -> f64 {
    shape.iter().map(polygon_km2).sum()
}

/// Geodesic area of one polygon in km², as [`area_km2`] takes it.
pub(crate) fn polygon_km2(polygon: &Polygon<f64>) -> f64 {
    polygon
        .orient(Direction::Default)
        .geodesic_area_signed()
        .abs()
        / M2_PER_KM2
}

/// For each region, the km² where no smaller region (by area, then by index) also lies.
/// These pieces partition the union of all regions, each with its smallest covering region.
pub(crate) fn own_areas_km2(
    regions: &[&MultiPolygon<f64>],
    areas_km2: &[f64],
    tree: &RTree<Entry>,
) -> Vec<f64> {
    let smaller = |j: usize, i: usize| (areas_km2[j], j) < (areas_km2[i], i);
    regions
        .iter()
        .enumerate()
        .map(|(i, region)| {
            let Some(bbox) = region.bounding_rect() else {
                return 0.0;
            };
            let mut inner: Vec<usize> = tree
                .locate_in_envelope_intersecting(&envelope(bbox))
                .map(|e| e.data.region)
                .filter(|&j| j != i && smaller(j, i))
                .collect();
            inner.sort_unstable();
            inner.dedup();
            if inner.is_empty() {
                return areas_km2[i];
            }
            // Smaller regions may overlap one another: merge them before clipping.
            let covered = unary_union(inner.iter().flat_map(|&j| regions[j].iter()));
            let clipped = region.intersection(&covered);
            (areas_km2[i] - area_km2(&clipped)).max(0.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    #[test]
    fn winding_does_not_change_the_area() {
        // One degree square on the equator: about 12,308 km² on WGS84.
        let ccw = LineString::from(vec![(0., 0.), (1., 0.), (1., 1.), (0., 1.), (0., 0.)]);
        let cw: LineString<f64> = ccw.clone().into_iter().rev().collect();
        let a = area_km2(&MultiPolygon::new(vec![Polygon::new(ccw, vec![])]));
        let b = area_km2(&MultiPolygon::new(vec![Polygon::new(cw, vec![])]));
        assert!((a - 12_308.0).abs() < 5.0, "{a}");
        assert_eq!(a, b);
    }
}
