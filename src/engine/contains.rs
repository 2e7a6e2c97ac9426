//! Exact, boundary-inclusive point-in-polygon with a per-polygon edge index.
//!
//! The polygon's y-range is cut into horizontal bands; each band lists the edges whose y-span
//! reaches into it. A query looks at one band only, so a test on a polygon with thousands of
//! vertices reads a handful of edges. Orientation uses geo's robust (exact) predicate, so a
//! point exactly on an edge or vertex is always found to be on the boundary.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{BoundingRect, Coord, Polygon, Rect};

use super::index::in_box;

/// Average number of edges per band we aim for.
const EDGES_PER_BAND: usize = 4;
/// Upper bound on bands per polygon, so that one huge polygon stays within memory.
const MAX_BANDS: usize = 1 << 16;

/// A polygon prepared for fast repeated point tests, in two allocations: a point test reads
/// its band in one and the band's edges' ends in the other.
#[derive(Debug, Clone)]
pub(crate) struct PreparedPolygon {
    bbox: Rect<f64>,
    band_height: f64,
    /// Every ring's vertices, one ring after the other, each closed (its last vertex repeats
    /// its first). Edge `i` runs from vertex `i` to vertex `i + 1`; the step from one ring's
    /// last vertex to the next ring's first is not an edge and is in no band. Keeping vertices
    /// rather than (start, end) pairs halves what the polygon holds.
    vertices: Box<[Coord<f64>]>,
    /// Three lists one after the other: where each band's edges start in this table
    /// (`bands + 1` entries: band `b` holds the edges `table[table[b]..table[b + 1]]`), the
    /// edges of every band, and where each ring ends in `vertices` (exclusive: the next ring
    /// starts there; the last `rings` entries).
    table: Box<[u32]>,
    bands: u32,
    rings: u32,
}

impl PreparedPolygon {
    /// Indexes `polygon`'s edges. `None` for a polygon with no extent (no coordinates), or
    /// with more vertices or edge entries than a `u32` numbers.
    pub(crate) fn new(polygon: &Polygon<f64>) -> Option<Self> {
        let bbox = polygon.bounding_rect()?;
        let rings = || std::iter::once(polygon.exterior()).chain(polygon.interiors());
        let mut vertices = Vec::with_capacity(rings().map(|r| r.0.len()).sum());
        let mut ring_ends = Vec::new();
        for ring in rings() {
            vertices.extend_from_slice(&ring.0);
            ring_ends.push(u32::try_from(vertices.len()).ok()?);
        }
        let edges = edge_ids(&ring_ends).count();
        let bands = (edges / EDGES_PER_BAND).clamp(1, MAX_BANDS);
        let band_height = bbox.height() / bands as f64;
        let mut prepared = Self {
            bbox,
            band_height,
            vertices: vertices.into_boxed_slice(),
            table: Box::default(),
            bands: u32::try_from(bands).ok()?,
            rings: u32::try_from(ring_ends.len()).ok()?,
        };
        prepared.table = prepared.fill_bands(&ring_ends)?;
        Some(prepared)
    }

    /// Where each ring ends in `vertices`.
    fn ring_ends(&self) -> &[u32] {
        &self.table[self.table.len() - self.rings as usize..]
    }

    /// Edge `id`'s ends.
    fn edge(&self, id: u32) -> (Coord<f64>, Coord<f64>) {
        let i = id as usize;
        (self.vertices[i], self.vertices[i + 1])
    }

    /// The table: a counting sort of edge ids into bands (compressed rows), then `ring_ends`.
    /// `None` if it has more entries than a `u32` numbers.
    fn fill_bands(&self, ring_ends: &[u32]) -> Option<Box<[u32]>> {
        let bands = self.bands as usize;
        let spans: Vec<(u32, usize, usize)> = edge_ids(ring_ends)
            .map(|id| {
                let (a, b) = self.edge(id);
                (
                    id,
                    self.band(a.y.min(b.y), bands),
                    self.band(a.y.max(b.y), bands),
                )
            })
            .collect();
        // The band list's entries count from the table's start, after the band starts.
        let mut counts = vec![0u32; bands + 1];
        counts[0] = u32::try_from(bands + 1).ok()?;
        for &(_, lo, hi) in &spans {
            for c in &mut counts[lo + 1..=hi + 1] {
                *c = c.checked_add(1)?;
            }
        }
        for b in 0..bands {
            counts[b + 1] = counts[b + 1].checked_add(counts[b])?;
        }
        let mut table = counts.clone();
        table.resize(counts[bands] as usize, 0);
        let mut next = counts;
        for &(edge, lo, hi) in &spans {
            for slot in &mut next[lo..=hi] {
                table[*slot as usize] = edge;
                *slot += 1;
            }
        }
        table.extend_from_slice(ring_ends);
        Some(table.into_boxed_slice())
    }

    /// The band holding latitude `y`; monotone in `y`, so an edge spanning `y` is always in it.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "the value is clamped to 0..bands before the cast"
    )]
    fn band(&self, y: f64, bands: usize) -> usize {
        if self.band_height <= 0.0 {
            return 0;
        }
        let b = ((y - self.bbox.min().y) / self.band_height).floor();
        b.clamp(0.0, (bands - 1) as f64) as usize
    }

    /// The polygon's bounding box.
    pub(crate) fn bbox(&self) -> Rect<f64> {
        self.bbox
    }

    /// Every edge of every ring, as (start, end).
    pub(crate) fn edges(&self) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
        edge_ids(self.ring_ends()).map(|id| self.edge(id))
    }

    /// Whether `p` is inside the polygon or on its boundary (a hole's edge is boundary too).
    pub(crate) fn contains(&self, p: Coord<f64>) -> bool {
        if !in_box(self.bbox.min(), self.bbox.max(), p) {
            return false;
        }
        let b = self.band(p.y, self.bands as usize);
        let ids = &self.table[self.table[b] as usize..self.table[b + 1] as usize];
        let mut inside = false;
        for &id in ids {
            let (a, c) = self.edge(id);
            let in_y = a.y.min(c.y) <= p.y && p.y <= a.y.max(c.y);
            if !in_y {
                continue;
            }
            // Half-open rule: an edge counts when exactly one end is strictly above `p`.
            let straddles = (a.y > p.y) != (c.y > p.y);
            // Wholly to one side of `p`: `p` is not on it, and where it crosses `p`'s latitude
            // is known without the orientation test (exact comparisons).
            if p.x < a.x.min(c.x) {
                inside ^= straddles;
                continue;
            }
            if p.x > a.x.max(c.x) {
                continue;
            }
            let orientation = RobustKernel::orient2d(a, c, p);
            if orientation == Orientation::Collinear {
                // On the edge's line and within its box: on the edge.
                return true;
            }
            if straddles {
                let crosses_right = if c.y > a.y {
                    orientation == Orientation::CounterClockwise
                } else {
                    orientation == Orientation::Clockwise
                };
                inside ^= crosses_right;
            }
        }
        inside
    }
}

/// The number of every edge of rings ending at `ring_ends`: every vertex but each ring's last.
fn edge_ids(ring_ends: &[u32]) -> impl Iterator<Item = u32> + '_ {
    let starts = std::iter::once(0).chain(ring_ends.iter().copied());
    starts
        .zip(ring_ends)
        .flat_map(|(start, &end)| start..end.saturating_sub(1).max(start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Intersects, Point, polygon};

    /// Checks the prepared `polygon` against geo on every point `(i / per_unit, j / per_unit)`.
    fn agrees_with_geo(
        polygon: &Polygon<f64>,
        is: std::ops::RangeInclusive<i32>,
        js: std::ops::RangeInclusive<i32>,
        per_unit: f64,
    ) {
        let p = PreparedPolygon::new(polygon).unwrap();
        for i in is {
            for j in js.clone() {
                let c = Coord {
                    x: f64::from(i) / per_unit,
                    y: f64::from(j) / per_unit,
                };
                assert_eq!(p.contains(c), polygon.intersects(&Point::from(c)), "{c:?}");
            }
        }
    }

    fn square_with_hole() -> Polygon<f64> {
        polygon!(
            exterior: [(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.), (x: 0., y: 0.)],
            interiors: [[(x: 4., y: 4.), (x: 4., y: 6.), (x: 6., y: 6.), (x: 6., y: 4.), (x: 4., y: 4.)]],
        )
    }

    #[test]
    fn boundary_counts_as_inside_hole_interior_does_not() {
        let p = PreparedPolygon::new(&square_with_hole()).unwrap();
        let at = |x, y| p.contains(Coord { x, y });
        assert!(at(0.0, 0.0), "vertex");
        assert!(at(5.0, 0.0), "edge");
        assert!(at(10.0, 7.5), "right edge");
        assert!(at(2.0, 2.0), "interior");
        assert!(at(4.0, 5.0), "hole edge");
        assert!(at(6.0, 6.0), "hole vertex");
        assert!(!at(5.0, 5.0), "inside the hole");
        assert!(!at(10.000_001, 5.0), "just outside");
        assert!(!at(-1.0, 10.0), "left of a vertex, on its latitude");
    }

    #[test]
    fn the_step_from_one_ring_to_the_next_is_no_edge() {
        // A C open to the right, starting at its upper tip, with a hole in its lower arm: the
        // segment from the exterior's last vertex (the upper tip) to the hole's first crosses
        // the gap of the C, which is outside.
        let c = polygon!(
            exterior: [(x: 10., y: 10.), (x: 0., y: 10.), (x: 0., y: 0.), (x: 10., y: 0.),
                       (x: 10., y: 3.), (x: 3., y: 3.), (x: 3., y: 7.), (x: 10., y: 7.),
                       (x: 10., y: 10.)],
            interiors: [[(x: 6., y: 1.), (x: 8., y: 1.), (x: 8., y: 2.), (x: 6., y: 2.), (x: 6., y: 1.)]],
        );
        let p = PreparedPolygon::new(&c).unwrap();
        // On the segment from (10, 10) to (6, 1), inside the gap.
        let on_step = Coord { x: 8.0, y: 5.5 };
        assert!(!p.contains(on_step));
        assert!(!c.intersects(&Point::from(on_step)));
        assert!(p.contains(Coord { x: 7.0, y: 1.0 }), "the hole's edge");
        assert!(!p.contains(Coord { x: 7.0, y: 1.5 }), "inside the hole");
        assert_eq!(p.edges().count(), 8 + 4);
    }

    #[test]
    fn points_on_vertices_and_axis_aligned_edges_agree_with_geo() {
        // A comb (teeth up) with a hole and a slanted edge, and every point of a half-unit
        // grid over it: many lie exactly on a vertex, on a horizontal or vertical edge, or on
        // a vertex's latitude left and right of edges.
        let comb = polygon!(
            exterior: [(x: 0., y: 0.), (x: 9., y: 0.), (x: 9., y: 6.), (x: 8., y: 6.),
                       (x: 8., y: 2.), (x: 6., y: 2.), (x: 6., y: 6.), (x: 5., y: 6.),
                       (x: 3., y: 2.), (x: 2., y: 6.), (x: 0., y: 6.), (x: 0., y: 0.)],
            interiors: [[(x: 1., y: 0.5), (x: 1., y: 1.5), (x: 4., y: 1.5), (x: 4., y: 0.5),
                         (x: 1., y: 0.5)]],
        );
        agrees_with_geo(&comb, -2..=20, -2..=14, 2.0);
    }

    #[test]
    fn flat_polygon_in_one_band() {
        // A horizontal sliver: band height is tiny but positive.
        let poly = polygon![(x: 0., y: 0.), (x: 3., y: 0.), (x: 3., y: 1e-12), (x: 0., y: 0.)];
        let p = PreparedPolygon::new(&poly).unwrap();
        assert!(p.contains(Coord { x: 1.5, y: 0.0 }));
        assert!(!p.contains(Coord { x: 1.5, y: 1e-12 }));
    }

    #[test]
    fn many_vertices_agree_with_geo() {
        // A 2,000-vertex star: concave everywhere, many bands.
        let n = 2000;
        let ring: Vec<Coord<f64>> = (0..n)
            .map(|i| {
                let t = f64::from(i) / f64::from(n) * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 1.0 } else { 0.6 };
                Coord {
                    x: r * t.cos(),
                    y: r * t.sin(),
                }
            })
            .collect();
        let poly = Polygon::new(ring.into(), vec![]);
        agrees_with_geo(&poly, -50..=50, -50..=50, 45.0);
    }
}
