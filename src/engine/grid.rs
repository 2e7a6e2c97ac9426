//! A flat grid over the polygons for point location: the cell holding a point lists the
//! polygons that may contain it, and says of each whether the whole cell lies inside it, so
//! that most answers need no edge test at all.
//!
//! The R-tree answers the same question by descending a few levels of boxes, a cache miss at
//! each; a cell is one multiplication and two reads. The grid is sized by the number of
//! polygons over their common extent, and two escapes keep it sound on any data: a polygon
//! spanning too many cells is left to a small R-tree of its own ([`Grid::large`]), and a cell
//! crowded with more polygons than a list should hold is marked so that its points ask the
//! full R-tree instead.
//!
//! Soundness rests on one fact: [`Grid::col`] and [`Grid::row`] are monotone in the
//! coordinate, so the points the grid sends to one cell form a box (convex), and an edge
//! whose bounding box misses a cell's range of rows and columns has no point in that cell.
//! A cell that no edge of a polygon reaches is therefore wholly inside the polygon or wholly
//! outside it, and a point of the cell (its centre) says which.

use geo::{Coord, Rect};
use rayon::prelude::*;
use rstar::RTree;

use super::contains::PreparedPolygon;
use super::index::{self, Entry, PolygonRef};

/// Cells per polygon the grid aims for: enough that a typical polygon has cells wholly inside
/// it, few enough that the cell lists stay a small fraction of the polygons' own size.
const CELLS_PER_POLYGON: usize = 8;
/// At most this many cells in all (4M: 16 MiB of offsets).
const MAX_CELLS: usize = 1 << 22;
/// A polygon whose box spans more cells than this goes to [`Grid::large`] instead.
const MAX_CELLS_PER_POLYGON: usize = 1 << 12;
/// A cell listing more polygons than this is crowded: its points ask the full R-tree.
const MAX_PER_CELL: usize = 64;

/// The tag on an entry whose polygon holds the whole cell.
const INSIDE: u32 = 1;

/// A point-location grid over a list of polygons, built once.
#[derive(Debug)]
pub(crate) struct Grid {
    /// The common extent of the polygons; a point outside it is in none of them.
    min: Coord<f64>,
    max: Coord<f64>,
    /// Cells per degree, across and up (0 where the extent is flat).
    scale: Coord<f64>,
    cols: usize,
    rows: usize,
    /// Cell `c` lists `entries[starts[c]..starts[c + 1]]`.
    starts: Vec<u32>,
    /// A polygon's slot in `polygons`, shifted left once, tagged with [`INSIDE`].
    entries: Vec<u32>,
    /// One bit per cell: crowded, ask the full R-tree.
    crowded: Vec<u64>,
    /// The polygon in each slot, with its bounding box: a point outside the box is settled
    /// here, without reading the polygon (a cache miss of its own).
    polygons: Vec<(PolygonRef, Rect<f64>)>,
    /// The polygons that span too many cells to be listed in each.
    large: RTree<Entry>,
}

/// Where a cell lies against one polygon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Some edge may reach into the cell: its points need a test.
    Boundary,
    /// The whole cell is inside.
    Inside,
    /// The whole cell is outside.
    Outside,
}

/// Where a point may be found, for [`Grid::candidates`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Outside the extent: in no polygon.
    Nowhere,
    /// In a crowded cell: every polygon the full R-tree finds is a candidate.
    Tree,
    /// In an ordinary cell, whose list was given.
    Listed,
}

impl Grid {
    /// Builds the grid over `polygons`, on every core.
    pub(crate) fn new(polygons: Vec<(PolygonRef, &PreparedPolygon)>) -> Self {
        let extent = polygons
            .iter()
            .map(|(_, p)| p.bbox())
            .reduce(|a, b| {
                Rect::new(
                    Coord {
                        x: a.min().x.min(b.min().x),
                        y: a.min().y.min(b.min().y),
                    },
                    Coord {
                        x: a.max().x.max(b.max().x),
                        y: a.max().y.max(b.max().y),
                    },
                )
            })
            .unwrap_or_else(|| Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 0.0, y: 0.0 }));
        let mut grid = Self::empty(extent, polygons.len());
        let placed: Vec<Option<Vec<(u32, u32)>>> = polygons
            .par_iter()
            .enumerate()
            .map(|(slot, (_, polygon))| grid.place(slot, polygon))
            .collect();
        let large = polygons
            .iter()
            .zip(&placed)
            .filter(|(_, cells)| cells.is_none())
            .map(|((r, p), _)| (p.bbox(), *r));
        grid.large = index::build(large);
        grid.fill(placed.iter().flatten().flatten().copied());
        grid.polygons = polygons.into_iter().map(|(r, p)| (r, p.bbox())).collect();
        grid
    }

    /// A grid of the right size over `extent`, with no entries yet.
    fn empty(extent: Rect<f64>, polygons: usize) -> Self {
        let (width, height) = (extent.width(), extent.height());
        let target = polygons
            .saturating_mul(CELLS_PER_POLYGON)
            .clamp(1, MAX_CELLS);
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a positive count well under 2^52, clamped to 1..=target"
        )]
        let (cols, rows) = if width > 0.0 && height > 0.0 {
            let cols = ((target as f64 * width / height).sqrt().round() as usize).clamp(1, target);
            (cols, (target / cols).max(1))
        } else if width > 0.0 {
            (target, 1)
        } else if height > 0.0 {
            (1, target)
        } else {
            (1, 1)
        };
        #[expect(
            clippy::cast_precision_loss,
            reason = "at most MAX_CELLS, exact in an f64"
        )]
        let scale = |cells: usize, span: f64| {
            if span > 0.0 { cells as f64 / span } else { 0.0 }
        };
        Self {
            min: extent.min(),
            max: extent.max(),
            scale: Coord {
                x: scale(cols, width),
                y: scale(rows, height),
            },
            cols,
            rows,
            starts: Vec::new(),
            entries: Vec::new(),
            crowded: Vec::new(),
            polygons: Vec::new(),
            large: RTree::new(),
        }
    }

    /// The column of longitude `x`, which must lie in the extent; monotone in `x`.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a float cast to usize saturates at 0; the result is clamped to the columns"
    )]
    fn col(&self, x: f64) -> usize {
        (((x - self.min.x) * self.scale.x) as usize).min(self.cols - 1)
    }

    /// The row of latitude `y`, which must lie in the extent; monotone in `y`.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a float cast to usize saturates at 0; the result is clamped to the rows"
    )]
    fn row(&self, y: f64) -> usize {
        (((y - self.min.y) * self.scale.y) as usize).min(self.rows - 1)
    }

    /// The cell's centre, if the grid sends it to that cell (a cell narrower than a float's
    /// step has none).
    #[expect(
        clippy::cast_precision_loss,
        reason = "cell numbers are at most MAX_CELLS, exact in an f64"
    )]
    fn centre(&self, col: usize, row: usize) -> Option<Coord<f64>> {
        let at = |min: f64, max: f64, scale: f64, i: usize| {
            if scale > 0.0 {
                (min + (i as f64 + 0.5) / scale).clamp(min, max)
            } else {
                min
            }
        };
        let c = Coord {
            x: at(self.min.x, self.max.x, self.scale.x, col),
            y: at(self.min.y, self.max.y, self.scale.y, row),
        };
        (self.col(c.x) == col && self.row(c.y) == row).then_some(c)
    }

    /// The cells of one polygon as `(cell, entry)` pairs, leaving out the cells wholly outside
    /// it; `None` when it spans too many cells to list.
    fn place(&self, slot: usize, polygon: &PreparedPolygon) -> Option<Vec<(u32, u32)>> {
        let bbox = polygon.bbox();
        let (c0, c1) = (self.col(bbox.min().x), self.col(bbox.max().x));
        let (r0, r1) = (self.row(bbox.min().y), self.row(bbox.max().y));
        let width = c1 - c0 + 1;
        if width.saturating_mul(r1 - r0 + 1) > MAX_CELLS_PER_POLYGON {
            return None;
        }
        let mut sides = vec![Side::Outside; width * (r1 - r0 + 1)];
        for (a, b) in polygon.edges() {
            for row in self.row(a.y.min(b.y))..=self.row(a.y.max(b.y)) {
                for col in self.col(a.x.min(b.x))..=self.col(a.x.max(b.x)) {
                    sides[(row - r0) * width + col - c0] = Side::Boundary;
                }
            }
        }
        let slot = u32::try_from(slot).ok()? << 1;
        let mut cells = Vec::new();
        for row in r0..=r1 {
            // The cells of a row between two boundary cells form one box that no edge
            // reaches: one test settles them all.
            let mut run: Option<Side> = None;
            for col in c0..=c1 {
                let side = &mut sides[(row - r0) * width + col - c0];
                if *side == Side::Boundary {
                    run = None;
                } else {
                    *side = *run.get_or_insert_with(|| match self.centre(col, row) {
                        Some(c) if polygon.contains(c) => Side::Inside,
                        Some(_) => Side::Outside,
                        None => Side::Boundary,
                    });
                }
                let cell = u32::try_from(row * self.cols + col).ok()?;
                match *side {
                    Side::Boundary => cells.push((cell, slot)),
                    Side::Inside => cells.push((cell, slot | INSIDE)),
                    Side::Outside => {}
                }
            }
        }
        Some(cells)
    }

    /// Sorts `(cell, entry)` pairs into the cells' lists, marking the crowded cells.
    fn fill(&mut self, pairs: impl Iterator<Item = (u32, u32)> + Clone) {
        let cells = self.cols * self.rows;
        let mut counts = vec![0u32; cells + 1];
        for (cell, _) in pairs.clone() {
            counts[cell as usize + 1] += 1;
        }
        self.crowded = vec![0; cells.div_ceil(64)];
        for (cell, count) in counts[1..].iter_mut().enumerate() {
            if *count as usize > MAX_PER_CELL {
                self.crowded[cell / 64] |= 1 << (cell % 64);
                *count = 0;
            }
        }
        for c in 0..cells {
            counts[c + 1] += counts[c];
        }
        let mut next = counts.clone();
        self.entries = vec![0; counts[cells] as usize];
        for (cell, entry) in pairs {
            let cell = cell as usize;
            if self.crowded[cell / 64] & (1 << (cell % 64)) == 0 {
                self.entries[next[cell] as usize] = entry;
                next[cell] += 1;
            }
        }
        self.starts = counts;
    }

    /// Calls `visit` with each polygon the cell of `p` lists and whether the whole cell is
    /// inside it, and with each large polygon whose box holds `p` (never known inside).
    /// [`Lookup::Tree`] asks the caller to search the full R-tree instead.
    pub(crate) fn candidates(
        &self,
        p: Coord<f64>,
        mut visit: impl FnMut(PolygonRef, bool),
    ) -> Lookup {
        if !index::in_box(self.min, self.max, p) {
            return Lookup::Nowhere;
        }
        let cell = self.row(p.y) * self.cols + self.col(p.x);
        if self.crowded[cell / 64] & (1 << (cell % 64)) != 0 {
            return Lookup::Tree;
        }
        let listed = &self.entries[self.starts[cell] as usize..self.starts[cell + 1] as usize];
        for &entry in listed {
            let (polygon, bbox) = &self.polygons[(entry >> 1) as usize];
            let inside = entry & INSIDE != 0;
            if inside || index::in_box(bbox.min(), bbox.max(), p) {
                visit(*polygon, inside);
            }
        }
        if self.large.size() > 0 {
            let _ = self.large.locate_in_envelope_intersecting_int(
                &rstar::AABB::from_point([p.x, p.y]),
                |e| {
                    visit(e.data, false);
                    std::ops::ControlFlow::<()>::Continue(())
                },
            );
        }
        Lookup::Listed
    }

    /// Entries listed, cells, crowded cells and large polygons: what the grid costs.
    #[cfg(test)]
    pub(crate) fn counts(&self) -> (usize, usize, usize, usize) {
        let crowded = self.crowded.iter().map(|w| w.count_ones() as usize).sum();
        (
            self.entries.len(),
            self.cols * self.rows,
            crowded,
            self.large.size(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Intersects, Point, Polygon, polygon};
    use proptest::prelude::*;

    /// The polygons containing `p` by the grid (testing only what it does not know).
    fn located(grid: &Grid, prepared: &[PreparedPolygon], p: Coord<f64>) -> Vec<usize> {
        let mut found = Vec::new();
        let mut visit = |r: PolygonRef, inside: bool| {
            if inside || prepared[r.region].contains(p) {
                found.push(r.region);
            }
        };
        match grid.candidates(p, &mut visit) {
            Lookup::Tree => {
                for (i, poly) in prepared.iter().enumerate() {
                    if poly.contains(p) {
                        found.push(i);
                    }
                }
            }
            Lookup::Nowhere | Lookup::Listed => {}
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    fn build(polygons: &[Polygon<f64>]) -> (Grid, Vec<PreparedPolygon>) {
        let prepared: Vec<PreparedPolygon> =
            polygons.iter().filter_map(PreparedPolygon::new).collect();
        let refs = prepared
            .iter()
            .enumerate()
            .map(|(region, p)| (PolygonRef { region, polygon: 0 }, p))
            .collect();
        (Grid::new(refs), prepared)
    }

    fn brute(polygons: &[Polygon<f64>], p: Coord<f64>) -> Vec<usize> {
        (0..polygons.len())
            .filter(|&i| polygons[i].intersects(&Point::from(p)))
            .collect()
    }

    #[test]
    fn boundary_points_of_a_polygon_wholly_inside_cells_are_found() {
        // A square with a hole, and a small square in the hole: vertices, edges, interiors
        // and the hole, on a grid fine enough to have cells wholly inside.
        let outer = polygon!(
            exterior: [(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.), (x: 0., y: 0.)],
            interiors: [[(x: 4., y: 4.), (x: 4., y: 6.), (x: 6., y: 6.), (x: 6., y: 4.), (x: 4., y: 4.)]],
        );
        let inner = polygon![(x: 4.5, y: 4.5), (x: 5.5, y: 4.5), (x: 5.5, y: 5.5), (x: 4.5, y: 5.5), (x: 4.5, y: 4.5)];
        let polygons = [outer, inner];
        let (grid, prepared) = build(&polygons);
        for i in -4..=44 {
            for j in -4..=44 {
                let p = Coord {
                    x: f64::from(i) / 4.0,
                    y: f64::from(j) / 4.0,
                };
                assert_eq!(located(&grid, &prepared, p), brute(&polygons, p), "{p:?}");
            }
        }
    }

    #[test]
    fn many_small_squares_have_cells_wholly_inside() {
        let squares: Vec<Polygon<f64>> = (0..400)
            .map(|k| {
                let (x, y) = (f64::from(k % 20), f64::from(k / 20));
                polygon![(x: x, y: y), (x: x + 1.0, y: y), (x: x + 1.0, y: y + 1.0), (x: x, y: y + 1.0), (x: x, y: y)]
            })
            .collect();
        let (grid, prepared) = build(&squares);
        let (entries, cells, crowded, large) = grid.counts();
        assert!(
            cells >= 400 && crowded == 0 && large == 0,
            "{:?}",
            grid.counts()
        );
        let inside = grid.entries.iter().filter(|e| *e & INSIDE != 0).count();
        assert!(
            inside > 0 && entries < 400 * 16,
            "{inside} inside of {entries}"
        );
        for i in 0..=80 {
            for j in 0..=80 {
                let p = Coord {
                    x: f64::from(i) / 4.0 + 0.01,
                    y: f64::from(j) / 4.0,
                };
                assert_eq!(located(&grid, &prepared, p), brute(&squares, p), "{p:?}");
            }
        }
    }

    #[test]
    fn crowded_cells_and_large_polygons_are_still_answered() {
        // 100 nested squares around one point (crowded), one huge square (large, once 600
        // tiny squares along the diagonal make the cells small) and one tiny square far away.
        let square = |x0: f64, y0: f64, s: f64| polygon![(x: x0, y: y0), (x: x0 + s, y: y0), (x: x0 + s, y: y0 + s), (x: x0, y: y0 + s), (x: x0, y: y0)];
        let mut polygons: Vec<Polygon<f64>> = (1..=100)
            .map(|k| {
                square(
                    -f64::from(k) * 1e-3,
                    -f64::from(k) * 1e-3,
                    f64::from(k) * 2e-3,
                )
            })
            .collect();
        polygons.push(square(-50.0, -50.0, 100.0));
        polygons.push(square(49.0, 49.0, 1e-4));
        polygons.extend((0..600).map(|k| {
            let at = f64::from(k) / 6.0 - 50.0;
            square(at, at, 1e-3)
        }));
        let (grid, prepared) = build(&polygons);
        let (_, _, crowded, large) = grid.counts();
        assert!(crowded > 0 && large > 0, "{:?}", grid.counts());
        for p in [
            (0.0, 0.0),
            (0.05, 0.05),
            (0.1, 0.1),
            (49.00005, 49.00005),
            (-50.0, 0.0),
            (50.0, 50.0),
        ] {
            let p = Coord { x: p.0, y: p.1 };
            assert_eq!(located(&grid, &prepared, p), brute(&polygons, p), "{p:?}");
        }
    }

    #[test]
    fn flat_and_empty_extents() {
        let sliver = polygon![(x: 0., y: 0.), (x: 3., y: 0.), (x: 3., y: 1e-12), (x: 0., y: 0.)];
        let (grid, prepared) = build(std::slice::from_ref(&sliver));
        assert_eq!(located(&grid, &prepared, Coord { x: 1.5, y: 0.0 }), vec![0]);
        assert!(located(&grid, &prepared, Coord { x: 1.5, y: 1.0 }).is_empty());
        let (empty, _) = build(&[]);
        assert_eq!(
            empty.candidates(Coord { x: 0.0, y: 0.0 }, |_, _| {}),
            Lookup::Listed
        );
        assert_eq!(
            empty.candidates(
                Coord {
                    x: f64::NAN,
                    y: 0.0
                },
                |_, _| {}
            ),
            Lookup::Nowhere
        );
    }

    /// A star-shaped polygon around `(cx, cy)` with radii from `radii`.
    fn star(cx: f64, cy: f64, radii: &[f64]) -> Polygon<f64> {
        #[expect(clippy::cast_precision_loss, reason = "a handful of vertices")]
        let n = radii.len() as f64;
        let ring: Vec<Coord<f64>> = radii
            .iter()
            .enumerate()
            .map(|(i, r)| {
                #[expect(clippy::cast_precision_loss, reason = "a handful of vertices")]
                let t = i as f64 / n * std::f64::consts::TAU;
                Coord {
                    x: cx + r * t.cos(),
                    y: cy + r * t.sin(),
                }
            })
            .collect();
        Polygon::new(ring.into(), vec![])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Overlapping star polygons of every size; points anywhere, and on their vertices.
        #[test]
        fn agrees_with_a_scan(
            stars in prop::collection::vec(
                (-10.0..10.0f64, -10.0..10.0f64, prop::collection::vec(0.01..5.0f64, 3..24)),
                1..60,
            ),
            points in prop::collection::vec((-16.0..16.0f64, -16.0..16.0f64), 50),
        ) {
            let polygons: Vec<Polygon<f64>> =
                stars.iter().map(|(x, y, radii)| star(*x, *y, radii)).collect();
            let (grid, prepared) = build(&polygons);
            let vertices = polygons.iter().flat_map(|p| p.exterior().0.iter().copied());
            for p in points.into_iter().map(|(x, y)| Coord { x, y }).chain(vertices) {
                prop_assert_eq!(located(&grid, &prepared, p), brute(&polygons, p), "{:?}", p);
            }
        }
    }
}
