//! The spatial engine: pure, with no I/O, no async and no HTTP types.
//!
//! [`Engine::new`] builds, once per data set:
//! 1. a [`PreparedPolygon`](contains::PreparedPolygon) per polygon (edge bands for exact,
//!    boundary-inclusive point tests that stay fast on polygons with thousands of vertices);
//! 2. an R-tree over the polygons' bounding boxes, bulk-loaded;
//! 3. each region's geodesic area.
//!
//! A query then costs one tree descent plus a few edge tests. The engine is `Send + Sync` and
//! never mutated: to change the data, build a new one and swap the `Arc`.

mod area;
mod contains;
mod index;
mod nearest;

use std::sync::OnceLock;

use rstar::{AABB, RTree};

use crate::model::{ControlEntry, ControlStatus, Dataset, Date, Faction, LonLat, Region};
use contains::PreparedPolygon;
use index::{Entry, PolygonRef};

/// A data set with its spatial index, ready for queries.
#[derive(Debug)]
pub struct Engine {
    dataset: Dataset,
    /// Per region, its polygons prepared for point tests (same order as the geometry).
    prepared: Vec<Vec<PreparedPolygon>>,
    /// Geodesic area of each region, km².
    areas_km2: Vec<f64>,
    /// Per region, the km² where it is the smallest region; computed on first use, since only
    /// statistics need it and it costs polygon clipping.
    own_areas_km2: OnceLock<Vec<f64>>,
    tree: RTree<Entry>,
}

/// One region containing the queried point, with its control on the queried date.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    /// The region.
    pub region: &'a Region,
    /// Its geodesic area in km².
    pub area_km2: f64,
    /// The history entry in force on the date; `None` means unknown (before the first entry).
    pub control: Option<&'a ControlEntry>,
}

/// The region nearest to a point that no region contains.
#[derive(Debug, Clone, Copy)]
pub struct Nearest<'a> {
    /// The region.
    pub region: &'a Region,
    /// Geodesic distance from the point to the region's boundary, in km.
    pub distance_km: f64,
}

/// The answer to "who controlled this place on that day?".
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    /// Every region containing the point (boundary included), smallest area first.
    pub regions: Vec<Hit<'a>>,
    /// When `regions` is empty: the nearest region, if the data set has any.
    pub nearest: Option<Nearest<'a>>,
}

/// How much land each party held on a date, counting every piece of land once, with the status
/// of the smallest region covering it.
#[derive(Debug, Clone)]
pub struct Stats<'a> {
    /// Every faction of the data set in file order, with the km² it held alone.
    pub factions: Vec<(&'a Faction, f64)>,
    /// km² under `contested` status.
    pub contested_km2: f64,
    /// km² whose status is unknown (before the first history entry).
    pub unknown_km2: f64,
    /// km² covered by any region.
    pub total_km2: f64,
}

impl Engine {
    /// Indexes `dataset` (already validated by [`crate::geodata`]).
    #[must_use]
    pub fn new(dataset: Dataset) -> Self {
        let prepared: Vec<Vec<PreparedPolygon>> = dataset
            .regions
            .iter()
            .map(|r| r.geometry.iter().filter_map(PreparedPolygon::new).collect())
            .collect();
        let boxes = prepared.iter().enumerate().flat_map(|(region, polys)| {
            polys
                .iter()
                .enumerate()
                .map(move |(polygon, p)| (p.bbox(), PolygonRef { region, polygon }))
        });
        let tree = index::build(boxes);
        let areas_km2 = dataset.regions.iter().map(|r| area::area_km2(&r.geometry)).collect();
        Self {
            dataset,
            prepared,
            areas_km2,
            own_areas_km2: OnceLock::new(),
            tree,
        }
    }

    /// The data set the engine was built from.
    #[must_use]
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// Geodesic area of the region at `index` (data-set order), in km².
    #[must_use]
    pub fn area_km2(&self, index: usize) -> f64 {
        self.areas_km2[index]
    }

    /// Indices of every region containing `pos` (boundary included), smallest area first
    /// (ties in data-set order).
    #[must_use]
    pub fn locate(&self, pos: LonLat) -> Vec<usize> {
        let p = pos.to_point();
        let mut found: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point([p.x(), p.y()]))
            .map(|e| e.data)
            .filter(|r| self.prepared[r.region][r.polygon].contains(p.0))
            .map(|r| r.region)
            .collect();
        found.sort_unstable_by(|&a, &b| self.areas_km2[a].total_cmp(&self.areas_km2[b]).then(a.cmp(&b)));
        found.dedup();
        found
    }

    /// Every region containing `pos` with its control on `date`; when there is none, the
    /// nearest region and its distance.
    #[must_use]
    pub fn query(&self, pos: LonLat, date: Date) -> Answer<'_> {
        let regions: Vec<Hit<'_>> = self
            .locate(pos)
            .into_iter()
            .map(|i| {
                let region = &self.dataset.regions[i];
                Hit {
                    region,
                    area_km2: self.areas_km2[i],
                    control: region.control_at(date),
                }
            })
            .collect();
        let nearest = if regions.is_empty() { self.nearest(pos) } else { None };
        Answer { regions, nearest }
    }

    /// The region whose boundary is nearest to `pos`, by geodesic distance. `None` only for an
    /// empty data set. Longitudes do not wrap at ±180°.
    #[must_use]
    pub fn nearest(&self, pos: LonLat) -> Option<Nearest<'_>> {
        let regions = &self.dataset.regions;
        nearest::nearest(&self.tree, pos.to_point(), |r, p| &regions[r].geometry.0[p]).map(
            |(i, distance_km)| Nearest {
                region: &regions[i],
                distance_km,
            },
        )
    }

    /// Area held by each faction, contested and unknown on `date`.
    #[must_use]
    pub fn stats(&self, date: Date) -> Stats<'_> {
        let own = self
            .own_areas_km2
            .get_or_init(|| area::own_areas_km2(&self.dataset.regions, &self.areas_km2, &self.tree));
        let mut factions: Vec<(&Faction, f64)> = self.dataset.factions.iter().map(|f| (f, 0.0)).collect();
        let (mut contested_km2, mut unknown_km2, mut total_km2) = (0.0, 0.0, 0.0);
        for (region, &km2) in self.dataset.regions.iter().zip(own) {
            total_km2 += km2;
            match region.control_at(date) {
                None => unknown_km2 += km2,
                Some(e) if e.status == ControlStatus::Contested => contested_km2 += km2,
                Some(e) => {
                    if let Some(slot) = factions.iter_mut().find(|(f, _)| f.id == e.factions[0]) {
                        slot.1 += km2;
                    }
                }
            }
        }
        Stats {
            factions,
            contested_km2,
            unknown_km2,
            total_km2,
        }
    }
}
