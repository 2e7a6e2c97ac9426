//! The region nearest to a point outside every region, and how far away it is.

use geo::{Closest, Distance, Geodesic, Haversine, HaversineClosestPoint, Point, Polygon};
use rstar::RTree;

use super::index::Entry;

/// Kilometres per degree of latitude, rounded down (the meridian degree is 110.57–111.69 km),
/// so bounds derived from it never exclude a closer region.
const KM_PER_DEGREE_LOWER: f64 = 110.0;

/// The nearest polygon's region index and the geodesic distance in km from `p` to its
/// boundary; `polygon(region, polygon)` gives the polygon for an entry.
pub(crate) fn nearest<'a>(
    tree: &RTree<Entry>,
    p: Point<f64>,
    polygon: impl Fn(usize, usize) -> &'a Polygon<f64>,
) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for (entry, box_distance_2) in tree.nearest_neighbor_iter_with_distance_2(&[p.x(), p.y()]) {
        if let Some((_, best_km)) = best
            && box_distance_2 > search_radius_degrees(p, best_km).powi(2)
        {
            break;
        }
        let r = entry.data;
        let km = boundary_distance_km(polygon(r.region, r.polygon), p);
        let better = match best {
            Some((region, km_best)) => km.total_cmp(&km_best).then(r.region.cmp(&region)).is_lt(),
            None => true,
        };
        if better {
            best = Some((r.region, km));
        }
    }
    best
}

/// A radius, in planar degrees around `p`, that holds every point within `km` of `p`.
fn search_radius_degrees(p: Point<f64>, km: f64) -> f64 {
    let dlat = km / KM_PER_DEGREE_LOWER;
    let highest = (p.y().abs() + dlat).to_radians();
    if highest >= std::f64::consts::FRAC_PI_2 * 0.999 {
        return f64::INFINITY;
    }
    // Along a parallel at latitude φ a great circle is at least (2/π)·R·cos φ·Δλ long.
    let dlon = km / (KM_PER_DEGREE_LOWER * highest.cos()) * std::f64::consts::FRAC_PI_2;
    dlat.hypot(dlon)
}

/// Geodesic distance from `p` to the nearest point of `polygon`'s rings, in km.
fn boundary_distance_km(polygon: &Polygon<f64>, p: Point<f64>) -> f64 {
    std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(|ring| {
            let closest = match ring.haversine_closest_point(&p) {
                Closest::Intersection(c) | Closest::SinglePoint(c) => c,
                Closest::Indeterminate => ring
                    .points()
                    .min_by(|a, b| {
                        Haversine
                            .distance(p, *a)
                            .total_cmp(&Haversine.distance(p, *b))
                    })
                    .unwrap_or(p),
            };
            Geodesic.distance(p, closest) / 1000.0
        })
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn distance_to_a_square_one_degree_east() {
        // Square from lon 1 to 2 on the equator; from (0, 0) the nearest edge is lon 1:
        // one degree of the equator is 111.32 km on WGS84.
        let sq = polygon![(x: 1., y: -0.5), (x: 2., y: -0.5), (x: 2., y: 0.5), (x: 1., y: 0.5), (x: 1., y: -0.5)];
        let km = boundary_distance_km(&sq, Point::new(0.0, 0.0));
        assert!((km - 111.32).abs() < 0.1, "{km}");
    }

    #[test]
    fn radius_grows_towards_the_poles() {
        let near_equator = search_radius_degrees(Point::new(0.0, 0.0), 100.0);
        let north = search_radius_degrees(Point::new(0.0, 60.0), 100.0);
        assert!(north > near_equator);
        assert!(search_radius_degrees(Point::new(0.0, 89.5), 100.0).is_infinite());
    }
}
