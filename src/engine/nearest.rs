//! The region nearest to a point outside every region, and how far away it is.
//!
//! Everything happens on the unit sphere, in 3-D: vertices are kept as unit vectors, and the
//! straight-line (chord) distance between two points of the sphere orders them exactly as the
//! great-circle distance does. Each polygon's boundary gets a 3-D box that holds every point
//! of its arcs (the vertices' box, grown by how far an arc bulges outside its chord), and an
//! R-tree over those boxes hands out candidates in order of their chord distance to the point:
//! a lower bound that is tight on the sphere at every latitude, so the search stops as soon as
//! the next box is farther than the best boundary found. The closest point of a great-circle
//! arc is the point's projection onto the arc's plane when that falls inside the arc, else the
//! nearer end. The winner's distance is then measured on the WGS84 ellipsoid (geodesic).

use geo::{Coord, Distance, Geodesic, Point, Polygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use super::index::PolygonRef;

/// An entry of the sphere tree: a polygon boundary's 3-D box.
pub(crate) type SphereEntry = GeomWithData<Rectangle<V3>, PolygonRef>;

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

    /// A 3-D box holding every point of the rings' arcs; `None` for a polygon without vertices.
    pub(crate) fn bounds(&self) -> Option<(V3, V3)> {
        let mut lower = [f64::INFINITY; 3];
        let mut upper = [f64::NEG_INFINITY; 3];
        // An arc leaves its chord's box by at most its sagitta, 1 − cos(θ/2) for an arc of θ
        // radians, all of it along the radius through its midpoint.
        let mut sagitta: f64 = 0.0;
        for ring in &self.0 {
            for v in ring {
                for axis in 0..3 {
                    lower[axis] = lower[axis].min(v[axis]);
                    upper[axis] = upper[axis].max(v[axis]);
                }
            }
            for pair in ring.windows(2) {
                let half_chord2 = dist2(pair[0], pair[1]) / 4.0;
                sagitta = sagitta.max(1.0 - (1.0 - half_chord2.min(1.0)).sqrt());
            }
        }
        if lower[0] > upper[0] {
            return None;
        }
        // Rounding in the unit vectors is far below 1e-12; the margin keeps the bound sound.
        let grow = sagitta + 1e-12;
        Some((lower.map(|l| l - grow), upper.map(|u| u + grow)))
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

/// Bulk-loads the sphere tree from each polygon's rings.
pub(crate) fn build<'a>(
    rings: impl Iterator<Item = (&'a SphereRings, PolygonRef)>,
) -> RTree<SphereEntry> {
    let entries = rings
        .filter_map(|(r, at)| {
            let (lower, upper) = r.bounds()?;
            Some(GeomWithData::new(Rectangle::from_corners(lower, upper), at))
        })
        .collect();
    RTree::bulk_load(entries)
}

/// The nearest polygon's region index and the geodesic distance in km from `p` to its
/// boundary; `rings(region, polygon)` gives an entry's polygon on the sphere. Ties go to the
/// smaller region index.
pub(crate) fn nearest<'a>(
    tree: &RTree<SphereEntry>,
    p: Point<f64>,
    rings: impl Fn(usize, usize) -> &'a SphereRings,
) -> Option<(usize, f64)> {
    let pv = unit(p.0);
    // (region, closest point, squared chord)
    let mut best: Option<(usize, V3, f64)> = None;
    for (entry, box_chord2) in tree.nearest_neighbor_iter_with_distance_2(&pv) {
        if best.is_some_and(|(_, _, chord2)| box_chord2 > chord2) {
            break;
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

    /// Great-circle distance in km (mean Earth radius) between two unit vectors.
    fn arc_km(a: V3, b: V3) -> f64 {
        2.0 * (dist2(a, b).sqrt() / 2.0).min(1.0).asin() * 6371.0088
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
    fn the_sphere_box_holds_every_point_of_every_arc() {
        // Long arcs bulge far outside their chord: a quarter of the equator, a polar arc, and
        // a short one across the antimeridian.
        let rings = [
            vec![(0.0, 0.0), (90.0, 0.0), (45.0, 10.0), (0.0, 0.0)],
            vec![(-30.0, 80.0), (150.0, 80.0), (60.0, 70.0), (-30.0, 80.0)],
            vec![(179.5, -1.0), (-179.5, -1.0), (-179.5, 1.0), (179.5, -1.0)],
        ];
        for ring in rings {
            let polygon = Polygon::new(geo::LineString::from(ring.clone()), vec![]);
            let sphere = SphereRings::new(&polygon);
            let (lower, upper) = sphere.bounds().unwrap();
            for pair in sphere.0[0].windows(2) {
                for i in 0..=1000 {
                    let t = f64::from(i) / 1000.0;
                    let v: V3 = std::array::from_fn(|k| pair[0][k] * (1.0 - t) + pair[1][k] * t);
                    let len = dot(v, v).sqrt();
                    let v = v.map(|x| x / len);
                    assert!(
                        (0..3).all(|k| lower[k] <= v[k] && v[k] <= upper[k]),
                        "{ring:?}: arc point {v:?} outside {lower:?}..{upper:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_nearest_region_is_found_across_the_antimeridian_and_near_a_pole() {
        let east = geo::polygon![(x: 178.0, y: -1.0), (x: 179.9, y: -1.0), (x: 179.9, y: 1.0), (x: 178.0, y: 1.0), (x: 178.0, y: -1.0)];
        let west = geo::polygon![(x: -170.0, y: -1.0), (x: -165.0, y: -1.0), (x: -165.0, y: 1.0), (x: -170.0, y: 1.0), (x: -170.0, y: -1.0)];
        let polar = geo::polygon![(x: 0.0, y: 85.0), (x: 10.0, y: 85.0), (x: 10.0, y: 86.0), (x: 0.0, y: 86.0), (x: 0.0, y: 85.0)];
        let spheres = [
            SphereRings::new(&east),
            SphereRings::new(&west),
            SphereRings::new(&polar),
        ];
        let tree = build(
            spheres
                .iter()
                .enumerate()
                .map(|(region, s)| (s, PolygonRef { region, polygon: 0 })),
        );
        let find = |x: f64, y: f64| nearest(&tree, Point::new(x, y), |r, _| &spheres[r]).unwrap();
        // 0.3° east of the antimeridian the first region is 0.4° away, the second 9.7°.
        let (region, km) = find(-179.7, 0.0);
        assert_eq!(region, 0);
        assert!((km - 0.4 * 111.32).abs() < 0.5, "{km}");
        // Across the pole, 170° of longitude away on a map, 3° of latitude on the globe.
        let (region, km) = find(-175.0, 89.0);
        assert_eq!(region, 2);
        assert!(km < 600.0, "{km}");
    }
}
