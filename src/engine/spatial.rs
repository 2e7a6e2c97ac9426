//! An index built from geometry alone: prepared polygons, unit-sphere rings, geodesic areas and
//! the R-tree. The engine keeps one over the regions and one over the control areas; histories,
//! statements and events never touch them, so snapshots that differ only in those share each
//! [`Spatial`] through an `Arc`.

use std::sync::{Arc, OnceLock};

use geo::MultiPolygon;
use rayon::prelude::*;
use rstar::RTree;

use super::contains::PreparedPolygon;
use super::grid::{Grid, Lookup};
use super::index::{self, Entry, PolygonRef};
use super::{area, nearest};

/// What an index is for besides finding the polygons that contain a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Uses {
    /// Only that (the control areas).
    Containment,
    /// Also the nearest polygon to a point outside every one (the regions): keeps each ring as
    /// unit vectors and a tree of their arcs, about 24 bytes a vertex more.
    Nearest,
}

/// Everything derived from a list of geometries (regions' or control areas'), by position.
#[derive(Debug)]
pub struct Spatial {
    /// Per region, what point tests and the nearest-region search read.
    shapes: Vec<Arc<Shape>>,
    /// Every polygon's bounding box, bulk-loaded.
    pub(super) tree: RTree<Entry>,
    /// The cells of a flat grid, listing the polygons that may contain their points: what a
    /// point query reads instead of descending the tree.
    grid: Grid,
    /// Every polygon boundary's box on the unit sphere, for the nearest-region search.
    pub(super) sphere_tree: RTree<nearest::SphereEntry>,
    /// Per region, the km² where it is the smallest region; computed on first use, since
    /// only statistics need it and it costs polygon clipping.
    own_areas_km2: OnceLock<Vec<f64>>,
    /// What it was built for.
    uses: Uses,
}

/// One region's geometry, prepared.
#[derive(Debug)]
pub(super) struct Shape {
    /// Its polygons prepared for point tests, in geometry order. Boxed slices, not `Vec`s:
    /// collected through `filter_map`, a `Vec` keeps room for four polygons where almost
    /// every shape has one (50 MB at 100,000 regions and as many areas).
    pub(super) prepared: Box<[PreparedPolygon]>,
    /// Its polygons' rings as unit vectors, for the nearest-region search (none when the index
    /// is not for it).
    pub(super) spheres: Box<[nearest::SphereRings]>,
    /// Its geodesic area, km²: measured on first use, since the ellipsoidal polygon area costs
    /// a geodesic problem per vertex (most of building a large index) and a point query needs
    /// only the areas of the few shapes containing the point.
    area_km2: OnceLock<f64>,
}

impl Shape {
    fn new(geometry: &MultiPolygon<f64>, uses: Uses) -> Self {
        let spheres = match uses {
            Uses::Containment => Box::default(),
            Uses::Nearest => geometry.iter().map(nearest::SphereRings::new).collect(),
        };
        // `into_boxed_slice` gives back what `filter_map`'s guess at the length reserved.
        let prepared: Vec<PreparedPolygon> =
            geometry.iter().filter_map(PreparedPolygon::new).collect();
        Self {
            prepared: prepared.into_boxed_slice(),
            spheres,
            area_km2: OnceLock::new(),
        }
    }
}

impl Spatial {
    /// Prepares every geometry for `uses`, on every core.
    pub(super) fn new<'a>(
        geometries: impl Iterator<Item = &'a MultiPolygon<f64>>,
        uses: Uses,
    ) -> Self {
        let geometries: Vec<&MultiPolygon<f64>> = geometries.collect();
        Self::from_shapes(
            geometries
                .par_iter()
                .map(|g| Arc::new(Shape::new(g, uses)))
                .collect(),
            uses,
        )
    }

    /// Prepares `items` (id and geometry), reusing the work done for `old` for every item whose
    /// id `old_item` finds (its position and geometry in `old`) with the same geometry; only
    /// the R-tree is always rebuilt.
    pub(super) fn rebuilt<'a, 'b>(
        items: impl Iterator<Item = (&'a str, &'a MultiPolygon<f64>)>,
        old: &Self,
        old_item: impl Fn(&str) -> Option<(usize, &'b MultiPolygon<f64>)>,
    ) -> Self {
        Self::from_shapes(
            items
                .map(|(id, geometry)| {
                    old_item(id)
                        .filter(|(_, old_geometry)| *old_geometry == geometry)
                        .map_or_else(
                            || Arc::new(Shape::new(geometry, old.uses)),
                            |(j, _)| Arc::clone(&old.shapes[j]),
                        )
                })
                .collect(),
            old.uses,
        )
    }

    fn from_shapes(shapes: Vec<Arc<Shape>>, uses: Uses) -> Self {
        let boxes = shapes.iter().enumerate().flat_map(|(region, shape)| {
            shape
                .prepared
                .iter()
                .enumerate()
                .map(move |(polygon, p)| (p.bbox(), PolygonRef { region, polygon }))
        });
        let rings = shapes.iter().enumerate().flat_map(|(region, shape)| {
            shape
                .spheres
                .iter()
                .enumerate()
                .map(move |(polygon, r)| (r, PolygonRef { region, polygon }))
        });
        let polygons = shapes
            .iter()
            .enumerate()
            .flat_map(|(region, shape)| {
                shape
                    .prepared
                    .iter()
                    .enumerate()
                    .map(move |(polygon, p)| (PolygonRef { region, polygon }, p))
            })
            .collect();
        let ((tree, grid), sphere_tree) = rayon::join(
            || rayon::join(|| index::build(boxes), || Grid::new(polygons)),
            || nearest::build(rings),
        );
        Self {
            tree,
            grid,
            sphere_tree,
            shapes,
            own_areas_km2: OnceLock::new(),
            uses,
        }
    }

    /// Calls `visit` with every polygon that may contain `p` (boundary included) and whether
    /// it is known to: the polygons still in doubt are for [`Spatial::polygon_contains`].
    pub(super) fn candidates(&self, p: geo::Coord<f64>, mut visit: impl FnMut(PolygonRef, bool)) {
        if self.grid.candidates(p, &mut visit) == Lookup::Tree {
            let _ = self.tree.locate_in_envelope_intersecting_int(
                &rstar::AABB::from_point([p.x, p.y]),
                |e| {
                    visit(e.data, false);
                    std::ops::ControlFlow::<()>::Continue(())
                },
            );
        }
    }

    /// Whether the polygon `r` contains `p` (boundary included).
    pub(super) fn polygon_contains(&self, r: PolygonRef, p: geo::Coord<f64>) -> bool {
        self.shapes[r.region].prepared[r.polygon].contains(p)
    }

    /// Calls `found` with the position of each item containing `p` (boundary included); an
    /// item with several polygons containing it is found once per polygon.
    pub(super) fn locate_with(&self, p: geo::Coord<f64>, mut found: impl FnMut(usize)) {
        self.candidates(p, |r, inside| {
            if inside || self.polygon_contains(r, p) {
                found(r.region);
            }
        });
    }

    /// The bounding box of every item, `None` when there are none.
    pub(super) fn extent(&self) -> Option<geo::Rect<f64>> {
        let envelope = self.tree.root().envelope();
        let (min, max) = (envelope.lower(), envelope.upper());
        (min[0] <= max[0]).then(|| geo::Rect::new((min[0], min[1]), (max[0], max[1])))
    }

    /// The geodesic area of the item at `index`, whose geometry is `geometry` (the one this
    /// was built from), km².
    pub(super) fn area_km2(&self, index: usize, geometry: &MultiPolygon<f64>) -> f64 {
        *self.shapes[index]
            .area_km2
            .get_or_init(|| area::area_km2(geometry))
    }

    /// The prepared shape of the region at `index`.
    pub(super) fn shape(&self, index: usize) -> &Shape {
        &self.shapes[index]
    }

    /// Per item, the km² where it is the smallest item covering the land; `geometries` must be
    /// the ones this was built from.
    pub(super) fn own_areas_km2(&self, geometries: &[&MultiPolygon<f64>]) -> &[f64] {
        self.own_areas_km2.get_or_init(|| {
            let areas: Vec<f64> = geometries
                .iter()
                .enumerate()
                .map(|(i, g)| self.area_km2(i, g))
                .collect();
            area::own_areas_km2(geometries, &areas, &self.tree)
        })
    }

    /// Whether two lists of (id, geometry) are the same, in the same order, so that a
    /// [`Spatial`] built on one serves the other unchanged.
    pub(super) fn same_geometry<'a>(
        mut a: impl ExactSizeIterator<Item = (&'a str, &'a MultiPolygon<f64>)>,
        b: impl ExactSizeIterator<Item = (&'a str, &'a MultiPolygon<f64>)>,
    ) -> bool {
        a.len() == b.len() && b.into_iter().all(|item| a.next() == Some(item))
    }

    /// Whether the item at `index` shares its prepared shape with `other`'s at `other_index`
    /// (for tests of the reuse on reload).
    #[cfg(test)]
    pub(super) fn shares_shape(&self, index: usize, other: &Self, other_index: usize) -> bool {
        Arc::ptr_eq(&self.shapes[index], &other.shapes[other_index])
    }
}
