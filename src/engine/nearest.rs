//! The region nearest to a point outside every region, and how far away it is.
//!
//! Everything happens on the unit sphere, in 3-D: vertices are kept as unit vectors, and the
//! straight-line (chord) distance between two points of the sphere orders them exactly as the
//! great-circle distance does. The boundary is cut into runs of at most [`CHUNK`] arcs (a
//! polygon with no more arcs than that is one run); each run gets a 3-D box that holds every
//! point of its arcs (the vertices' box, grown by how far an arc bulges outside its chord), and
//! an R-tree over those boxes hands out runs in order of their chord distance to the point: a
//! lower bound that is tight on the sphere at every latitude, so the search stops as soon as
//! the next box is farther than the best boundary found, and a ring of 10,000 vertices costs
//! the few runs near the point, not 10,000 arcs.
//!
//! Within a run, each vertex is a candidate, and each arc's interior is one when the point's
//! projection onto the arc's plane falls inside the arc; that test and the squared chord to
//! the projection are a few products and one square root, no trigonometry.
//!
//! Only the winning arc's closest point is computed, then its distance measured on the WGS84
//! ellipsoid (geodesic).
//!
//! The unit vectors are kept in `f32` (12 bytes a vertex, not 24: 59 MB less at 100,000
//! regions of 50 vertices), which moves a vertex by at most 1.1·10⁻⁷ of the Earth's radius,
//! 0.7 m. The search is exact for those rounded vertices, and its boxes hold every point of
//! their arcs, so it misses nothing; but it can prefer, among boundaries within 1.4 m of
//! equally near, one that is not the very nearest, and the distance it gives is within 0.7 m
//! of the exact one to the boundary it chose. Answers give the distance to 10 m.

use geo::{Coord, Distance, Geodesic, Point, Polygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use super::index::PolygonRef;

/// The most arcs in one entry of the sphere tree.
const CHUNK: usize = 32;

/// Which arcs of which polygon an entry of the sphere tree stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    /// The polygon.
    pub(crate) at: PolygonRef,
    /// Which of its arcs.
    pub(crate) part: Part,
}

/// `None`: every ring of a polygon; otherwise one ring and its arcs `start..end` as
/// `(ring, (start, end))` (arc `i` runs from vertex `i` to vertex `i + 1`).
pub(crate) type Part = Option<(u32, (u32, u32))>;

/// An entry of the sphere tree: a run of a polygon boundary's arcs and its 3-D box.
pub(crate) type SphereEntry = GeomWithData<Rectangle<V3>, Run>;

/// A point on the unit sphere.
pub(crate) type V3 = [f64; 3];

/// A unit vector as kept: rounded to `f32`.
type Kept = [f32; 3];

/// The most a kept vertex lies from its exact unit vector, as a fraction of the radius, with
/// room to spare: each component is rounded by at most 2⁻²⁴ ≈ 6·10⁻⁸, so the vector moves by
/// at most 1.1·10⁻⁷, and its length differs from one by as much.
const KEPT_ERROR: f64 = 2e-7;

/// How far the distance the search gives may be from the exact one to the nearest boundary,
/// in km: the kept vectors move each by up to [`KEPT_ERROR`] (1.3 m on the Earth's 6,371 km),
/// so two boundaries can trade places when within twice that, and the one chosen is measured
/// from its kept vectors; with room for the ellipsoid, whose distances order points a little
/// differently from the sphere's chords.
#[cfg(test)]
pub(crate) const CHOICE_SLACK_KM: f64 = 3.0 * KEPT_ERROR * 6_371.0 * 1.01;

/// A polygon's rings as unit vectors rounded to `f32`, for the search on the sphere.
#[derive(Debug, Clone)]
pub(crate) struct SphereRings(Box<[Box<[Kept]>]>);

/// Where the closest boundary point found so far lies.
#[derive(Debug, Clone, Copy)]
enum Spot {
    /// On vertex `.1` of ring `.0`.
    Vertex(usize, usize),
    /// Inside the arc from vertex `.1` of ring `.0` to the next.
    Arc(usize, usize),
}

impl SphereRings {
    pub(crate) fn new(polygon: &Polygon<f64>) -> Self {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "rounding to f32 is the point; KEPT_ERROR bounds it"
        )]
        let keep = |c: &Coord<f64>| unit(*c).map(|x| x as f32);
        let rings = std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .map(|ring| ring.coords().map(keep).collect())
            .collect();
        Self(rings)
    }

    /// The arcs of the polygon in runs of at most [`CHUNK`] (the whole polygon when it has no
    /// more), each with a 3-D box holding every point of its arcs; no run for a polygon
    /// without vertices.
    fn runs(&self) -> Vec<(Part, (V3, V3))> {
        let arcs: usize = self.0.iter().map(|r| r.len().saturating_sub(1)).sum();
        if arcs <= CHUNK {
            let all = self.0.iter().map(|ring| &ring[..]);
            return bounds(all).map(|b| (None, b)).into_iter().collect();
        }
        let mut runs = Vec::new();
        for (r, ring) in self.0.iter().enumerate() {
            if ring.is_empty() {
                continue;
            }
            let n = ring.len().saturating_sub(1).max(1);
            for start in (0..n).step_by(CHUNK) {
                let end = (start + CHUNK).min(n);
                let vertices = &ring[start..=end.min(ring.len() - 1)];
                if let Some(b) = bounds(std::iter::once(vertices)) {
                    let part = (index_u32(r), (index_u32(start), index_u32(end)));
                    runs.push((Some(part), b));
                }
            }
        }
        runs
    }

    /// The closest point to `p` (a unit vector) of the arcs `part` names, if its squared chord
    /// is below `bound`: where it lies and the squared chord.
    fn closest_below(&self, p: V3, part: Part, bound: f64) -> Option<(Spot, f64)> {
        let mut best: Option<(Spot, f64)> = None;
        let mut limit = bound;
        let mut wide = [[0.0; 3]; CHUNK + 1];
        let mut visit = |ring: usize, kept: &[Kept], first: usize| {
            // Widened once each, CHUNK arcs at a time (a run has no more).
            for start in (0..kept.len().saturating_sub(1).max(1)).step_by(CHUNK) {
                let part = &kept[start..kept.len().min(start + CHUNK + 1)];
                let vertices = &mut wide[..part.len()];
                for (w, &k) in vertices.iter_mut().zip(part) {
                    *w = widen(k);
                }
                let first = first + start;
                for (i, &v) in vertices.iter().enumerate() {
                    let d2 = dist2(p, v);
                    if d2 < limit {
                        limit = d2;
                        best = Some((Spot::Vertex(ring, first + i), d2));
                    }
                }
                for (i, pair) in vertices.windows(2).enumerate() {
                    if let Some(d2) = interior_chord2(p, pair[0], pair[1])
                        && d2 < limit
                    {
                        limit = d2;
                        best = Some((Spot::Arc(ring, first + i), d2));
                    }
                }
            }
        };
        match part {
            None => {
                for (r, ring) in self.0.iter().enumerate() {
                    visit(r, ring, 0);
                }
            }
            Some((r, (start, end))) => {
                let (r, start, end) = (r as usize, start as usize, end as usize);
                let ring = &self.0[r];
                visit(r, &ring[start..=end.min(ring.len() - 1)], start);
            }
        }
        best
    }

    /// The point of the boundary at `spot`, closest to `p`.
    fn point(&self, p: V3, spot: Spot) -> V3 {
        let vertex = |r: usize, i: usize| widen(self.0[r][i]);
        match spot {
            Spot::Vertex(r, i) => vertex(r, i),
            Spot::Arc(r, i) => closest_on_arc(p, vertex(r, i), vertex(r, i + 1)),
        }
    }
}

/// The closest boundary point of `polygon` to `p` (a unit vector) and its squared chord
/// length, arc by arc in `f64`: the plain scan the search is checked against.
#[cfg(test)]
pub(crate) fn scan_closest(polygon: &Polygon<f64>, p: V3) -> Option<(V3, f64)> {
    let mut best: Option<(V3, f64)> = None;
    for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
        let vertices: Vec<V3> = ring.coords().map(|c| unit(*c)).collect();
        for pair in vertices.windows(2) {
            let q = closest_on_arc(p, pair[0], pair[1]);
            let d2 = dist2(p, q);
            if best.is_none_or(|(_, b)| d2 < b) {
                best = Some((q, d2));
            }
        }
        if let [only] = vertices.as_slice() {
            let d2 = dist2(p, *only);
            if best.is_none_or(|(_, b)| d2 < b) {
                best = Some((*only, d2));
            }
        }
    }
    best
}

/// A kept unit vector, widened for arithmetic.
fn widen(v: Kept) -> V3 {
    v.map(f64::from)
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "a ring with 2^32 vertices does not fit in memory as unit vectors anyway"
)]
fn index_u32(i: usize) -> u32 {
    i as u32
}

/// A 3-D box holding every point of the arcs between consecutive vertices of each list;
/// `None` when there are no vertices.
fn bounds<'a>(lists: impl Iterator<Item = &'a [Kept]>) -> Option<(V3, V3)> {
    let mut lower = [f64::INFINITY; 3];
    let mut upper = [f64::NEG_INFINITY; 3];
    // An arc leaves its chord's box by at most its sagitta, 1 − cos(θ/2) for an arc of θ
    // radians, all of it along the radius through its midpoint.
    let mut sagitta: f64 = 0.0;
    for vertices in lists {
        for &v in vertices {
            let v = widen(v);
            for axis in 0..3 {
                lower[axis] = lower[axis].min(v[axis]);
                upper[axis] = upper[axis].max(v[axis]);
            }
        }
        for pair in vertices.windows(2) {
            let half_chord2 = dist2(widen(pair[0]), widen(pair[1])) / 4.0;
            sagitta = sagitta.max(1.0 - (1.0 - half_chord2.min(1.0)).sqrt());
        }
    }
    if lower[0] > upper[0] {
        return None;
    }
    // The arcs the search measures run on the unit sphere between the directions of the kept
    // vertices, which lie up to KEPT_ERROR off it; the margin holds them, and keeps the bound
    // sound against rounding in the arithmetic (far below that).
    let grow = sagitta + 2.0 * KEPT_ERROR;
    Some((lower.map(|l| l - grow), upper.map(|u| u + grow)))
}

/// Bulk-loads the sphere tree from each polygon's rings, a run of arcs per entry.
pub(crate) fn build<'a>(
    rings: impl Iterator<Item = (&'a SphereRings, PolygonRef)>,
) -> RTree<SphereEntry> {
    let entries = rings
        .flat_map(|(r, at)| {
            r.runs().into_iter().map(move |(part, (lower, upper))| {
                GeomWithData::new(Rectangle::from_corners(lower, upper), Run { at, part })
            })
        })
        .collect();
    super::index::packed(entries)
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
    // (polygon, where on it, squared chord)
    let mut best: Option<(PolygonRef, Spot, f64)> = None;
    for (entry, box_chord2) in tree.nearest_neighbor_iter_with_distance_2(&pv) {
        let bound = best.map_or(f64::INFINITY, |(_, _, chord2)| chord2);
        if box_chord2 > bound {
            break;
        }
        let Run { at, part } = entry.data;
        // Strictly closer, or as close (found again by the next bit up) from a smaller region.
        let Some((spot, d2)) = rings(at.region, at.polygon).closest_below(pv, part, next_up(bound))
        else {
            continue;
        };
        let better = match best {
            Some((b, _, chord2)) => d2.total_cmp(&chord2).then(at.region.cmp(&b.region)).is_lt(),
            None => true,
        };
        if better {
            best = Some((at, spot, d2));
        }
    }
    best.map(|(at, spot, _)| {
        let q = rings(at.region, at.polygon).point(pv, spot);
        (at.region, geodesic_km(p, q))
    })
}

/// The smallest float above `x` (itself for infinity), so that a strict comparison admits ties.
fn next_up(x: f64) -> f64 {
    if x.is_finite() {
        f64::from_bits(x.to_bits() + 1)
    } else {
        x
    }
}

/// The squared chord from `p` to the closest point of the arc from `a` to `b` when that point
/// is inside the arc (its ends are candidates of their own); all unit vectors.
fn interior_chord2(p: V3, a: V3, b: V3) -> Option<f64> {
    let n = cross(a, b);
    let nn = dot(n, n);
    if nn < 1e-30 {
        return None; // a and b coincide (or are antipodal): no unique arc
    }
    // The projection of `p` onto the arc's plane lies between `a` and `b` when it is on the
    // inner side of the planes through `a` and through `b` perpendicular to the arc's.
    if dot(cross(a, p), n) < 0.0 || dot(cross(p, b), n) < 0.0 {
        return None;
    }
    // sin² of p's angle θ to the plane; chord² = 2 − 2 cos θ = 2 sin²θ / (1 + cos θ).
    let s = dot(p, n);
    let sin2 = (s * s / nn).min(1.0);
    if sin2 >= 1.0 - 1e-30 {
        return None; // p is a pole of the arc's great circle: the ends are as close
    }
    Some(2.0 * sin2 / (1.0 + (1.0 - sin2).sqrt()))
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

/// The lon/lat of the direction of `v`, which need not be of unit length: `atan2`, not
/// `asin(z)`, which near a pole turns the rounding of a kept vector (3·10⁻⁸) into a kilometre.
fn lon_lat(v: V3) -> Coord<f64> {
    Coord {
        x: v[1].atan2(v[0]).to_degrees(),
        y: v[2].atan2(v[0].hypot(v[1])).to_degrees(),
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
        let (q, _) = scan_closest(&sq, unit(Coord { x: 0.0, y: 0.0 })).unwrap();
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
        // a short one across the antimeridian; and a ring of 100 arcs, cut into runs.
        let mut rings = vec![
            vec![(0.0, 0.0), (90.0, 0.0), (45.0, 10.0), (0.0, 0.0)],
            vec![(-30.0, 80.0), (150.0, 80.0), (60.0, 70.0), (-30.0, 80.0)],
            vec![(179.5, -1.0), (-179.5, -1.0), (-179.5, 1.0), (179.5, -1.0)],
        ];
        let mut circle: Vec<(f64, f64)> = (0..100)
            .map(|i| {
                let t = f64::from(i) / 100.0 * std::f64::consts::TAU;
                (120.0 * t.cos(), 60.0 * t.sin())
            })
            .collect();
        circle.push(circle[0]);
        rings.push(circle);
        for ring in rings {
            let polygon = Polygon::new(geo::LineString::from(ring.clone()), vec![]);
            let sphere = SphereRings::new(&polygon);
            let runs = sphere.runs();
            let mut covered = 0;
            for (part, (lower, upper)) in runs {
                let arcs: Vec<(V3, V3)> = match part {
                    None => sphere.0[0]
                        .windows(2)
                        .map(|w| (widen(w[0]), widen(w[1])))
                        .collect(),
                    Some((r, (start, end))) => (start..end)
                        .map(|i| {
                            let ring = &sphere.0[r as usize];
                            (widen(ring[i as usize]), widen(ring[i as usize + 1]))
                        })
                        .collect(),
                };
                covered += arcs.len();
                for (a, b) in arcs {
                    for i in 0..=1000 {
                        let t = f64::from(i) / 1000.0;
                        let v: V3 = std::array::from_fn(|k| a[k] * (1.0 - t) + b[k] * t);
                        let len = dot(v, v).sqrt();
                        let v = v.map(|x| x / len);
                        assert!(
                            (0..3).all(|k| lower[k] <= v[k] && v[k] <= upper[k]),
                            "{ring:?}: arc point {v:?} outside {lower:?}..{upper:?}"
                        );
                    }
                }
            }
            assert_eq!(covered, ring.len() - 1, "every arc is in exactly one run");
        }
    }

    #[test]
    fn the_nearest_region_is_found_across_the_antimeridian_and_near_a_pole() {
        let east = geo::polygon![(x: 178.0, y: -1.0), (x: 179.9, y: -1.0), (x: 179.9, y: 1.0), (x: 178.0, y: 1.0), (x: 178.0, y: -1.0)];
        let west = geo::polygon![(x: -170.0, y: -1.0), (x: -165.0, y: -1.0), (x: -165.0, y: 1.0), (x: -170.0, y: 1.0), (x: -170.0, y: -1.0)];
        let polar = geo::polygon![(x: 0.0, y: 85.0), (x: 10.0, y: 85.0), (x: 10.0, y: 86.0), (x: 0.0, y: 86.0), (x: 0.0, y: 85.0)];
        let polygons = [east, west, polar];
        let spheres = polygons.each_ref().map(SphereRings::new);
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

    /// A star-shaped ring of `radii.len()` vertices around (`lon`, `lat`), `size` degrees
    /// across, longitudes wrapped into ±180° (so rings near the antimeridian cross it) and
    /// latitudes clamped at the poles.
    fn star(lon: f64, lat: f64, radii: &[f64], size: f64) -> Polygon<f64> {
        let n = radii.len();
        let mut ring: Vec<(f64, f64)> = radii
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                let x = lon + size * r * t.cos();
                let y = (lat + size * r * t.sin()).clamp(-90.0, 90.0);
                ((x + 540.0).rem_euclid(360.0) - 180.0, y)
            })
            .collect();
        ring.push(ring[0]);
        Polygon::new(geo::LineString::from(ring), vec![])
    }

    proptest::prop_compose! {
        /// A polygon anywhere, often near a pole or the antimeridian, of 3 to 300 vertices
        /// (so some are cut into runs).
        fn shape()(
            lon in proptest::prop_oneof![-180.0f64..180.0, 175.0f64..185.0],
            lat in proptest::prop_oneof![-89.0f64..89.0, 80.0f64..89.5, -89.5f64..-80.0],
            radii in proptest::collection::vec(0.3f64..1.0, 3..300),
            size in 0.01f64..8.0,
        ) -> Polygon<f64> {
            star(lon, lat, &radii, size)
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// The search against a scan of every arc of every polygon in `f64` (`scan_closest`,
        /// which projects onto each arc and normalises): the same distance from points
        /// anywhere, near the shapes and on their vertices, to what the kept `f32` vectors can
        /// confuse (two boundaries within 1.4 m of equally near: `SLACK_KM`).
        #[test]
        fn the_search_finds_what_a_scan_of_every_arc_finds(
            shapes in proptest::collection::vec(shape(), 1..6),
            probes in proptest::collection::vec((-180.0f64..180.0, -90.0f64..=90.0), 1..20),
            near in proptest::collection::vec((0usize..6, 0usize..300, -0.05f64..0.05, -0.05f64..0.05), 1..20),
        ) {
            let spheres: Vec<SphereRings> = shapes.iter().map(SphereRings::new).collect();
            let tree = build(spheres.iter().enumerate().map(|(region, s)| (s, PolygonRef { region, polygon: 0 })));
            let mut points = probes;
            for (s, v, dx, dy) in near {
                let ring = shapes[s % shapes.len()].exterior();
                let c = ring.0[v % ring.0.len()];
                points.push((c.x, c.y));
                points.push((((c.x + dx) + 540.0).rem_euclid(360.0) - 180.0, (c.y + dy).clamp(-90.0, 90.0)));
            }
            for (x, y) in points {
                let p = Point::new(x, y);
                let pv = unit(p.0);
                let (region, km) = nearest(&tree, p, |r, _| &spheres[r]).unwrap();
                let scanned: Vec<(V3, f64)> = shapes.iter().map(|s| scan_closest(s, pv).unwrap()).collect();
                let best = scanned.iter().map(|c| c.1).fold(f64::INFINITY, f64::min);
                let want = geodesic_km(p, scanned.iter().find(|c| c.1 == best).unwrap().0);
                let mine = geodesic_km(p, scanned[region].0);
                proptest::prop_assert!((km - want).abs() <= CHOICE_SLACK_KM,
                    "at ({}, {}): {} km, the scan {} km", x, y, km, want);
                proptest::prop_assert!(mine - want <= CHOICE_SLACK_KM,
                    "at ({}, {}): region {} is {} km away, the nearest {} km", x, y, region, mine, want);
            }
        }
    }
}
