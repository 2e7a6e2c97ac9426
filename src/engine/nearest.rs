//! The region nearest to a point outside every region, and how far away it is.
//!
//! Candidates come from the R-tree in order of bounding-box distance. For each, the closest
//! point of its boundary is found on the sphere with vector arithmetic only: vertices are kept
//! as unit vectors, and the closest point of a great-circle arc is the point's projection onto
//! the arc's plane when that falls inside the arc, else the nearer end. Chord length orders
//! points exactly as great-circle distance does. The winner's distance is then measured on the
//! WGS84 ellipsoid (geodesic).

use geo::{Coord, Distance, Geodesic, Point, Polygon};
use rstar::RTree;

use super::index::Entry;

/// Kilometres per degree of latitude, rounded down (the meridian degree is 110.57–111.69 km),
/// so bounds derived from it never exclude a closer region.
const KM_PER_DEGREE_LOWER: f64 = 110.0;
/// Mean Earth radius (IUGG), km: converts chord lengths on the unit sphere to a distance bound.
const EARTH_RADIUS_KM: f64 = 6371.0088;
/// Spherical and ellipsoidal distances differ by under 0.5 %; bounds allow 1 %.
const ELLIPSOID_SLACK: f64 = 1.01;

/// A point on the unit sphere.
pub(crate) type V3 = [f64; 3];

/// A polygon's rings as unit vectors, for distance computations on the sphere.
#[derive(Debug, Clone)]
pub(crate) struct SphereRings(Vec<Vec<V3>>);

impl SphereRings {
    pub(crate) fn new(polygon: &Polygon<f64>) -> Self {
        let rings = std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .map(|ring| ring.coords().map(|c| unit(*c)).collect())
            .collect();
        Self(rings)
    }

    /// The closest boundary point to `p` (a unit vector) and its squared chord length.
    pub(crate) fn closest(&self, p: V3) -> Option<(V3, f64)> {
        let mut best: Option<(V3, f64)> = None;
        for ring in &self.0 {
            for pair in ring.windows(2) {
                let q = closest_on_arc(p, pair[0], pair[1]);
                let d2 = dist2(p, q);
                if best.is_none_or(|(_, b)| d2 < b) {
                    best = Some((q, d2));
                }
            }
            if let [only] = ring.as_slice() {
                let d2 = dist2(p, *only);
                if best.is_none_or(|(_, b)| d2 < b) {
                    best = Some((*only, d2));
                }
            }
        }
        best
    }
}

/// The nearest polygon's region index and the geodesic distance in km from `p` to its
/// boundary; `rings(region, polygon)` gives an entry's polygon on the sphere.
pub(crate) fn nearest<'a>(
    tree: &RTree<Entry>,
    p: Point<f64>,
    rings: impl Fn(usize, usize) -> &'a SphereRings,
) -> Option<(usize, f64)> {
    let pv = unit(p.0);
    // (region, closest point, squared chord)
    let mut best: Option<(usize, V3, f64)> = None;
    for (entry, box_distance_2) in tree.nearest_neighbor_iter_with_distance_2(&[p.x(), p.y()]) {
        if let Some((_, _, chord2)) = best {
            let km = chord_to_km(chord2) * ELLIPSOID_SLACK;
            if box_distance_2 > search_radius_degrees(p, km).powi(2) {
                break;
            }
        }
        let r = entry.data;
        let Some((q, d2)) = rings(r.region, r.polygon).closest(pv) else {
            continue;
        };
        let better = match best {
            Some((region, _, b)) => d2.total_cmp(&b).then(r.region.cmp(&region)).is_lt(),
            None => true,
        };
        if better {
            best = Some((r.region, q, d2));
        }
    }
    best.map(|(region, q, _)| (region, geodesic_km(p, q)))
}

/// Geodesic (WGS84) distance from `p` to the point `q` on the sphere, in km.
pub(crate) fn geodesic_km(p: Point<f64>, q: V3) -> f64 {
    Geodesic.distance(p, Point(lon_lat(q))) / 1000.0
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

fn chord_to_km(chord2: f64) -> f64 {
    2.0 * (chord2.sqrt() / 2.0).min(1.0).asin() * EARTH_RADIUS_KM
}

/// The unit vector of a lon/lat position.
pub(crate) fn unit(c: Coord<f64>) -> V3 {
    let (lon, lat) = (c.x.to_radians(), c.y.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

fn lon_lat(v: V3) -> Coord<f64> {
    Coord {
        x: v[1].atan2(v[0]).to_degrees(),
        y: v[2].clamp(-1.0, 1.0).asin().to_degrees(),
    }
}

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dist2(a: V3, b: V3) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    dot(d, d)
}

/// The point of the minor great-circle arc from `a` to `b` closest to `p` (all unit vectors).
fn closest_on_arc(p: V3, a: V3, b: V3) -> V3 {
    let nearer_end = if dist2(p, a) <= dist2(p, b) { a } else { b };
    let n = cross(a, b);
    let nn = dot(n, n);
    if nn < 1e-30 {
        return nearer_end; // a and b coincide (or are antipodal): no unique arc
    }
    let k = dot(p, n) / nn;
    let q = [p[0] - k * n[0], p[1] - k * n[1], p[2] - k * n[2]];
    let len = dot(q, q).sqrt();
    if len < 1e-15 {
        return nearer_end; // p is a pole of the arc's great circle: every point is as far
    }
    let q = [q[0] / len, q[1] / len, q[2] / len];
    let inside = dot(cross(a, q), n) >= 0.0 && dot(cross(q, b), n) >= 0.0;
    if inside { q } else { nearer_end }
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
        let (q, _) = SphereRings::new(&sq)
            .closest(unit(Coord { x: 0.0, y: 0.0 }))
            .unwrap();
        let km = Geodesic.distance(Point::new(0.0, 0.0), Point(lon_lat(q))) / 1000.0;
        assert!((km - 111.32).abs() < 0.1, "{km}");
    }

    /// Great-circle distance in km between two unit vectors.
    fn arc_km(a: V3, b: V3) -> f64 {
        chord_to_km(dist2(a, b))
    }

    #[test]
    fn arc_projection_is_the_true_minimum_on_the_sphere() {
        // Oracle: 20,001 points spread along each arc. The projection must be at least as
        // close as every sample, and no more than the sample spacing closer than the best one.
        let arcs = [
            ((10.0, 40.0), (30.0, 55.0)),
            ((-70.0, -10.0), (-60.0, 5.0)),
            ((170.0, 10.0), (179.0, -5.0)),
        ];
        let points = [
            (20.0, 60.0),
            (0.0, 0.0),
            (35.0, 40.0),
            (5.0, 45.0),
            (20.0, 47.0),
            (-65.0, 0.0),
            (175.0, 30.0),
        ];
        for ((ax, ay), (bx, by)) in arcs {
            let (a, b) = (unit(Coord { x: ax, y: ay }), unit(Coord { x: bx, y: by }));
            for (x, y) in points {
                let p = unit(Coord { x, y });
                let got = arc_km(p, closest_on_arc(p, a, b));
                let sampled = (0..=20_000)
                    .map(|i| {
                        let t = f64::from(i) / 20_000.0;
                        let v = [
                            a[0] * (1.0 - t) + b[0] * t,
                            a[1] * (1.0 - t) + b[1] * t,
                            a[2] * (1.0 - t) + b[2] * t,
                        ];
                        let len = dot(v, v).sqrt();
                        arc_km(p, [v[0] / len, v[1] / len, v[2] / len])
                    })
                    .fold(f64::INFINITY, f64::min);
                assert!(
                    got <= sampled + 1e-9,
                    "({x}, {y}): {got} km, but a sample is {sampled} km"
                );
                assert!(
                    got >= sampled - 0.2,
                    "({x}, {y}): {got} km, best sample {sampled} km"
                );
            }
        }
    }

    #[test]
    fn radius_grows_towards_the_poles() {
        let near_equator = search_radius_degrees(Point::new(0.0, 0.0), 100.0);
        let north = search_radius_degrees(Point::new(0.0, 60.0), 100.0);
        assert!(north > near_equator);
        assert!(search_radius_degrees(Point::new(0.0, 89.5), 100.0).is_infinite());
    }
}
