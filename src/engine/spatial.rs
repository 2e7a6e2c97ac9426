//! The half of the engine built from region geometry alone: prepared polygons, unit-sphere
//! rings, geodesic areas and the R-tree. Histories and events never touch it, so snapshots
//! that differ only in those share one [`Spatial`] through an `Arc`.

use std::sync::{Arc, OnceLock};

use geo::MultiPolygon;
use rstar::RTree;

use super::contains::PreparedPolygon;
use super::index::{self, Entry, PolygonRef};
use super::{area, nearest};
use crate::model::Regions;

/// Everything derived from the geometry of a list of regions, by region position.
#[derive(Debug)]
pub struct Spatial {
    /// Per region, what point tests and the nearest-region search read.
    shapes: Vec<Arc<Shape>>,
    /// Every polygon's bounding box, bulk-loaded.
    pub(super) tree: RTree<Entry>,
    /// Per region, the km² where it is the smallest region; computed on first use, since
    /// only statistics need it and it costs polygon clipping.
    own_areas_km2: OnceLock<Vec<f64>>,
}

/// One region's geometry, prepared.
#[derive(Debug)]
pub(super) struct Shape {
    /// Its polygons prepared for point tests, in geometry order.
    pub(super) prepared: Vec<PreparedPolygon>,
    /// Its polygons' rings as unit vectors, for the nearest-region search.
    pub(super) spheres: Vec<nearest::SphereRings>,
    /// Its geodesic area, km².
    pub(super) area_km2: f64,
}

impl Shape {
    fn new(geometry: &MultiPolygon<f64>) -> Self {
        Self {
            prepared: geometry.iter().filter_map(PreparedPolygon::new).collect(),
            spheres: geometry.iter().map(nearest::SphereRings::new).collect(),
            area_km2: area::area_km2(geometry),
        }
    }
}

impl Spatial {
    /// Prepares every region of `regions`.
    pub(super) fn new(regions: &Regions) -> Self {
        Self::from_shapes(
            regions
                .iter()
                .map(|r| Arc::new(Shape::new(&r.geometry)))
                .collect(),
        )
    }

    /// Prepares `regions`, reusing the work done for `old` (built on `old_regions`) for every
    /// region that kept its id and its geometry; only the R-tree is always rebuilt.
    pub(super) fn rebuilt(regions: &Regions, old: &Self, old_regions: &Regions) -> Self {
        Self::from_shapes(
            regions
                .iter()
                .map(|r| {
                    old_regions
                        .index_of(r.id.as_str())
                        .filter(|&j| old_regions[j].geometry == r.geometry)
                        .map_or_else(
                            || Arc::new(Shape::new(&r.geometry)),
                            |j| Arc::clone(&old.shapes[j]),
                        )
                })
                .collect(),
        )
    }

    fn from_shapes(shapes: Vec<Arc<Shape>>) -> Self {
        let boxes = shapes.iter().enumerate().flat_map(|(region, shape)| {
            shape
                .prepared
                .iter()
                .enumerate()
                .map(move |(polygon, p)| (p.bbox(), PolygonRef { region, polygon }))
        });
        Self {
            tree: index::build(boxes),
            shapes,
            own_areas_km2: OnceLock::new(),
        }
    }

    /// The prepared shape of the region at `index`.
    pub(super) fn shape(&self, index: usize) -> &Shape {
        &self.shapes[index]
    }

    /// Per region, the km² where it is the smallest region covering the land (`regions` must
    /// be the list this was built for).
    pub(super) fn own_areas_km2(&self, regions: &Regions) -> &[f64] {
        self.own_areas_km2.get_or_init(|| {
            let areas: Vec<f64> = self.shapes.iter().map(|s| s.area_km2).collect();
            area::own_areas_km2(regions, &areas, &self.tree)
        })
    }

    /// Whether `regions` has exactly the ids, order and geometry of `old_regions`, so that a
    /// [`Spatial`] built on one serves the other unchanged.
    pub(super) fn same_geometry(regions: &Regions, old_regions: &Regions) -> bool {
        regions.len() == old_regions.len()
            && regions
                .iter()
                .zip(old_regions.iter())
                .all(|(a, b)| a.id == b.id && a.geometry == b.geometry)
    }

    /// Whether the region at `index` shares its prepared shape with `other`'s at `other_index`
    /// (for tests of the reuse on reload).
    #[cfg(test)]
    pub(super) fn shares_shape(&self, index: usize, other: &Self, other_index: usize) -> bool {
        Arc::ptr_eq(&self.shapes[index], &other.shapes[other_index])
    }
}
