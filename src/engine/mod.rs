//! The spatial engine: pure, with no I/O, no async and no HTTP types.
//!
//! An [`Engine`] is two halves:
//! 1. the [`Spatial`] half, built once from region geometry: a
//!    [`PreparedPolygon`](contains::PreparedPolygon) per polygon (edge bands for exact,
//!    boundary-inclusive point tests that stay fast on polygons with thousands of vertices),
//!    a flat [grid](grid::Grid) of cells listing the polygons that may contain their points
//!    (and which hold the whole cell), an R-tree over the polygons' bounding boxes,
//!    bulk-loaded, each polygon's rings on the unit sphere and each region's geodesic area;
//! 2. the [`Dataset`]: factions, histories and events, cheap to copy.
//!
//! A query reads one grid cell, and tests a polygon's edges only where its boundary crosses
//! the cell. An engine is `Send + Sync` and never mutated: an [`Edit`] changes histories and
//! events into a new engine that shares the first one's `Arc<Spatial>`, and
//! [`Engine::reloaded`] rebuilds only the shapes whose geometry changed. Control areas have a
//! [`Spatial`] of their own beside the regions'.

mod area;
pub mod batch;
mod contains;
mod control;
mod grid;
mod index;
mod nearest;
mod spatial;

use std::ops::Deref;
use std::sync::Arc;

use geo::{Intersects, Rect};

use crate::model::{
    AreaStatement, ControlEntry, ControlStatus, Dataset, Date, Event, Faction, LonLat, Region,
};
pub use control::{
    Audit, Change, ControlMap, ControlPeriod, FrontLine, Holder, Masking, NeverInForce, Piece,
    RegionStatus, Scope, Share, Statement, StatementId, StatementKey,
};
pub use spatial::Spatial;
use spatial::Uses;

/// A data set with its spatial indexes, ready for queries.
#[derive(Debug)]
pub struct Engine {
    /// Built from the regions' geometry; shared by every engine with the same geometry.
    spatial: Arc<Spatial>,
    /// Built from the control areas' geometry, apart from the regions' so that an edit of an
    /// area never touches the region index.
    areas: Arc<Spatial>,
    /// What the indexes were built for, with histories and events.
    dataset: Dataset,
    /// Each control area's `from`, by position: what a point query sorts its candidates by,
    /// kept apart from the areas themselves so that it reads a few cache lines, not one per
    /// area.
    area_from: Box<[Date]>,
    /// Flattened control maps of recent dates.
    maps: control::MapCache,
}

/// One region containing the queried point.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    /// Its position in the data set.
    pub index: usize,
    /// The region.
    pub region: &'a Region,
    /// Its geodesic area in km².
    pub area_km2: f64,
}

/// The region nearest to a point that no region contains.
#[derive(Debug, Clone, Copy)]
pub struct Nearest<'a> {
    /// The region's position in the data set.
    pub index: usize,
    /// The region.
    pub region: &'a Region,
    /// Geodesic distance from the point to the region's boundary, in km.
    pub distance_km: f64,
}

/// The answer to "who controlled this place on that day?".
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    /// The statement in force at the point on the date; `None`: control unknown.
    pub control: Option<Statement<'a>>,
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
    /// Indexes `dataset` (already validated by [`crate::geodata`]). CPU-bound: for large data,
    /// call it from a blocking thread.
    #[must_use]
    pub fn new(dataset: Dataset) -> Self {
        // Each index is built on every core, and the two side by side: their serial parts
        // (bulk loading the trees) overlap.
        let (spatial, areas) = rayon::join(
            || Spatial::new(dataset.regions.iter().map(|r| &r.geometry), Uses::Nearest),
            || Spatial::new(dataset.areas.iter().map(|a| &a.geometry), Uses::Containment),
        );
        Self {
            spatial: Arc::new(spatial),
            areas: Arc::new(areas),
            area_from: area_from(&dataset),
            dataset,
            maps: control::MapCache::default(),
        }
    }

    /// An engine for `dataset` (a reload of the files) that reuses this one's work: the whole
    /// spatial index when every region kept its id, place and geometry, otherwise the prepared
    /// shape of each region whose geometry is unchanged.
    #[must_use]
    pub fn reloaded(&self, dataset: Dataset) -> Self {
        let old = &self.dataset;
        let spatial = if Spatial::same_geometry(region_items(&dataset), region_items(old)) {
            Arc::clone(&self.spatial)
        } else {
            Arc::new(Spatial::rebuilt(
                region_items(&dataset),
                &self.spatial,
                |id| {
                    let j = old.regions.index_of(id)?;
                    Some((j, &old.regions[j].geometry))
                },
            ))
        };
        let areas = reindexed_areas(&dataset, old, &self.areas);
        Self {
            spatial,
            areas,
            area_from: area_from(&dataset),
            dataset,
            maps: control::MapCache::default(),
        }
    }

    /// A copy of the data to change histories and events on (cheap: regions are shared until
    /// one is changed). [`Edit::finish`] makes it an engine sharing this one's spatial index.
    #[must_use]
    pub fn edit(&self) -> Edit {
        Edit {
            dataset: self.dataset.clone(),
            base: self.dataset.clone(),
            spatial: Arc::clone(&self.spatial),
            areas: Arc::clone(&self.areas),
        }
    }

    /// The data set the engine was built from.
    #[must_use]
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// The spatial half, shared between engines with the same geometry.
    #[must_use]
    pub fn spatial(&self) -> &Arc<Spatial> {
        &self.spatial
    }

    /// Geodesic area of the region at `index` (data-set order), in km².
    #[must_use]
    pub fn area_km2(&self, index: usize) -> f64 {
        self.spatial
            .area_km2(index, &self.dataset.regions[index].geometry)
    }

    /// Indices of every region containing `pos` (boundary included), smallest area first
    /// (ties in data-set order). Reads the regions' areas only when there are several.
    #[must_use]
    pub fn locate(&self, pos: LonLat) -> Vec<usize> {
        let mut found: Vec<usize> = Vec::new();
        self.spatial
            .locate_with(pos.to_point().0, |index| found.push(index));
        self.smallest_first(&mut found, |&index| index);
        found
    }

    /// Every region containing `pos`, smallest area first (ties in data-set order). Allocates
    /// only when there is one.
    fn hits(&self, pos: LonLat) -> Vec<Hit<'_>> {
        let mut hits: Vec<Hit<'_>> = Vec::new();
        self.spatial.locate_with(pos.to_point().0, |index| {
            hits.push(Hit {
                index,
                region: &self.dataset.regions[index],
                area_km2: self.area_km2(index),
            });
        });
        self.smallest_first(&mut hits, |hit| hit.index);
        hits
    }

    /// Sorts regions found at a point (a region with several polygons there may be found more
    /// than once) smallest area first, ties in data-set order, each once.
    fn smallest_first<T>(&self, found: &mut Vec<T>, index: impl Fn(&T) -> usize) {
        if found.len() > 1 {
            found.sort_unstable_by(|a, b| {
                let (a, b) = (index(a), index(b));
                self.area_km2(a)
                    .total_cmp(&self.area_km2(b))
                    .then(a.cmp(&b))
            });
            found.dedup_by_key(|item| index(item));
        }
    }

    /// Indices of every region whose geometry meets `rect` (boundary included), in data-set
    /// order.
    #[must_use]
    pub fn regions_intersecting(&self, rect: Rect<f64>) -> Vec<usize> {
        let mut found: Vec<usize> = self
            .spatial
            .tree
            .locate_in_envelope_intersecting(&index::envelope(rect))
            .map(|e| e.data)
            .filter(|r| self.dataset.regions[r.region].geometry.0[r.polygon].intersects(&rect))
            .map(|r| r.region)
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The bounding box of all regions, `None` for an empty data set.
    #[must_use]
    pub fn extent(&self) -> Option<Rect<f64>> {
        self.spatial.extent()
    }

    /// The bounding box of all control areas, `None` when there are none.
    #[must_use]
    pub fn areas_extent(&self) -> Option<Rect<f64>> {
        self.areas.extent()
    }

    /// The statement in force at `pos` on `date` and every region containing the point; when
    /// there is none, the nearest region and its distance.
    #[must_use]
    pub fn query(&self, pos: LonLat, date: Date) -> Answer<'_> {
        let mut answer = self.query_inside(pos, date);
        if answer.regions.is_empty() {
            answer.nearest = self.nearest(pos);
        }
        answer
    }

    /// [`Engine::query`] without the nearest-region search, for answers that do not give it:
    /// `nearest` is always `None`, so a point outside every region costs no more than one
    /// inside.
    #[must_use]
    pub fn query_inside(&self, pos: LonLat, date: Date) -> Answer<'_> {
        let regions = self.hits(pos);
        let control = self.control_among(regions.iter().map(|h| h.index), pos, date);
        Answer {
            control,
            regions,
            nearest: None,
        }
    }

    /// The region whose boundary is nearest to `pos`, by geodesic distance. `None` only for an
    /// empty data set. Distances run across ±180° and the poles like anywhere else.
    #[must_use]
    pub fn nearest(&self, pos: LonLat) -> Option<Nearest<'_>> {
        let regions = &self.dataset.regions;
        nearest::nearest(&self.spatial.sphere_tree, pos.to_point(), |r, p| {
            &self.spatial.shape(r).spheres[p]
        })
        .map(|(index, distance_km)| Nearest {
            index,
            region: &regions[index],
            distance_km,
        })
    }

    /// Area held by each faction, contested and unknown on `date`.
    #[must_use]
    pub fn stats(&self, date: Date) -> Stats<'_> {
        let geometries: Vec<&geo::MultiPolygon<f64>> =
            self.dataset.regions.iter().map(|r| &r.geometry).collect();
        let own = self.spatial.own_areas_km2(&geometries);
        let mut factions: Vec<(&Faction, f64)> =
            self.dataset.factions.iter().map(|f| (f, 0.0)).collect();
        let (mut contested_km2, mut unknown_km2, mut total_km2) = (0.0, 0.0, 0.0);
        for (region, &km2) in self.dataset.regions.iter().zip(own) {
            total_km2 += km2;
            let entry = region.control_at(date);
            match ControlStatus::of(entry) {
                ControlStatus::Unknown => unknown_km2 += km2,
                ControlStatus::Contested => contested_km2 += km2,
                ControlStatus::Held => {
                    let holder = entry.and_then(ControlEntry::holder);
                    if let Some(slot) = factions.iter_mut().find(|(f, _)| Some(&f.id) == holder) {
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

/// A copy of an engine's data whose histories, control areas and events can change; the
/// regions' geometry cannot, so the region index stays valid. Reads go through `Deref` to the
/// [`Dataset`].
#[derive(Debug)]
pub struct Edit {
    dataset: Dataset,
    /// The data the edit started from (cheap: shared), to reuse its area index.
    base: Dataset,
    spatial: Arc<Spatial>,
    areas: Arc<Spatial>,
}

impl Deref for Edit {
    type Target = Dataset;

    fn deref(&self) -> &Dataset {
        &self.dataset
    }
}

impl Edit {
    /// See [`Dataset::upsert_control`].
    pub fn upsert_control(&mut self, region: &str, entry: ControlEntry) -> Option<ControlEntry> {
        self.dataset.upsert_control(region, entry)
    }

    /// See [`Dataset::remove_control`].
    pub fn remove_control(&mut self, region: &str, from: Date) -> Option<ControlEntry> {
        self.dataset.remove_control(region, from)
    }

    /// See [`Dataset::upsert_event`].
    pub fn upsert_event(&mut self, event: Event) -> Option<Event> {
        self.dataset.upsert_event(event)
    }

    /// See [`Dataset::remove_event`].
    pub fn remove_event(&mut self, id: &str) -> Option<Event> {
        self.dataset.remove_event(id)
    }

    /// See [`Dataset::upsert_area`].
    pub fn upsert_area(&mut self, area: AreaStatement) -> Option<AreaStatement> {
        self.dataset.upsert_area(area)
    }

    /// See [`Dataset::remove_area`].
    pub fn remove_area(&mut self, id: &str) -> Option<AreaStatement> {
        self.dataset.remove_area(id)
    }

    /// The engine over the changed data. It shares the region index it was copied from, and
    /// the area index too unless areas changed; then only the changed areas are prepared again.
    #[must_use]
    pub fn finish(self) -> Engine {
        let areas = reindexed_areas(&self.dataset, &self.base, &self.areas);
        Engine {
            spatial: self.spatial,
            areas,
            area_from: area_from(&self.dataset),
            dataset: self.dataset,
            maps: control::MapCache::default(),
        }
    }
}

/// Each control area's `from`, by position.
fn area_from(d: &Dataset) -> Box<[Date]> {
    d.areas.iter().map(|a| a.control.from).collect()
}

/// Each region's id and geometry.
fn region_items(d: &Dataset) -> impl ExactSizeIterator<Item = (&str, &geo::MultiPolygon<f64>)> {
    d.regions.iter().map(|r| (r.id.as_str(), &r.geometry))
}

/// Each control area's id and geometry.
fn area_items(d: &Dataset) -> Vec<(&str, &geo::MultiPolygon<f64>)> {
    d.areas
        .iter()
        .map(|a| (a.id.as_str(), &a.geometry))
        .collect()
}

/// The area index for `dataset`, given `old_index` built for `old`: the same `Arc` when the
/// areas are the same list, otherwise rebuilt reusing every unchanged area's shape.
fn reindexed_areas(dataset: &Dataset, old: &Dataset, old_index: &Arc<Spatial>) -> Arc<Spatial> {
    if Arc::ptr_eq(&dataset.areas, &old.areas) {
        return Arc::clone(old_index);
    }
    let (new, before) = (area_items(dataset), area_items(old));
    if Spatial::same_geometry(new.iter().copied(), before.iter().copied()) {
        return Arc::clone(old_index);
    }
    let positions: std::collections::HashMap<&str, usize> = before
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    Arc::new(Spatial::rebuilt(new.into_iter(), old_index, |id| {
        positions.get(id).map(|&j| (j, before[j].1))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FactionId, RegionId};
    use geo::{Intersects, LineString, MultiPolygon, Polygon};
    use jiff::civil::date;
    use proptest::prelude::*;

    fn held(from: Date, faction: &str) -> ControlEntry {
        ControlEntry::held_by(from, faction)
    }

    fn region(id: &str, polygons: Vec<Polygon<f64>>, history: Vec<ControlEntry>) -> Region {
        Region {
            id: RegionId::new(id),
            name: id.to_uppercase(),
            name_ar: None,
            description: String::new(),
            parent: None,
            last_reviewed: None,
            geometry: MultiPolygon::new(polygons),
            history,
        }
    }

    fn square(x0: f64, y0: f64, side: f64) -> Polygon<f64> {
        let ring = vec![
            (x0, y0),
            (x0 + side, y0),
            (x0 + side, y0 + side),
            (x0, y0 + side),
            (x0, y0),
        ];
        Polygon::new(LineString::from(ring), vec![])
    }

    fn faction(id: &str) -> Faction {
        Faction {
            id: FactionId::new(id),
            name: id.into(),
            color: crate::model::Color::parse("#000000").unwrap(),
            description: String::new(),
            sources: Vec::new(),
        }
    }

    fn engine(regions: Vec<Region>) -> Engine {
        Engine::new(Dataset {
            factions: vec![faction("red"), faction("blue")],
            regions: regions.into(),
            ..Dataset::default()
        })
    }

    fn at(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn empty_dataset_answers_nothing() {
        let e = engine(Vec::new());
        let answer = e.query(at(36.0, 35.0), date(2015, 8, 20));
        assert!(answer.regions.is_empty());
        assert!(answer.nearest.is_none());
        let stats = e.stats(date(2015, 8, 20));
        assert_eq!(
            (stats.total_km2, stats.unknown_km2, stats.contested_km2),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn boundary_points_are_inside_and_nested_regions_come_smallest_first() {
        let e = engine(vec![
            region("big", vec![square(0.0, 0.0, 2.0)], vec![]),
            region("small", vec![square(0.5, 0.5, 0.5)], vec![]),
        ]);
        assert_eq!(e.locate(at(0.75, 0.75)), [1, 0]);
        assert_eq!(
            e.locate(at(0.5, 0.5)),
            [1, 0],
            "shared corner of small, inside big"
        );
        assert_eq!(e.locate(at(2.0, 1.0)), [0], "edge of big");
        assert_eq!(e.locate(at(2.0, 2.0)), [0], "corner of big");
        assert_eq!(e.locate(at(2.000_001, 1.0)), Vec::<usize>::new());
    }

    #[test]
    fn bbox_search_and_extent() {
        let e = engine(vec![
            region("a", vec![square(0.0, 0.0, 1.0)], vec![]),
            region("b", vec![square(5.0, 5.0, 1.0)], vec![]),
        ]);
        assert_eq!(
            e.regions_intersecting(Rect::new((0.5, 0.5), (5.5, 5.5))),
            [0, 1]
        );
        assert_eq!(
            e.regions_intersecting(Rect::new((1.0, 1.0), (2.0, 2.0))),
            [0],
            "touching a corner"
        );
        assert_eq!(
            e.regions_intersecting(Rect::new((2.0, 2.0), (3.0, 3.0))),
            Vec::<usize>::new()
        );
        let extent = e.extent().unwrap();
        assert_eq!(
            (
                extent.min().x,
                extent.min().y,
                extent.max().x,
                extent.max().y
            ),
            (0.0, 0.0, 6.0, 6.0)
        );
        assert!(engine(Vec::new()).extent().is_none());
    }

    #[test]
    fn control_is_unknown_before_the_first_entry_and_changes_on_the_day() {
        let e = engine(vec![region(
            "r",
            vec![square(0.0, 0.0, 1.0)],
            vec![
                held(date(2012, 1, 1), "red"),
                held(date(2015, 8, 11), "blue"),
            ],
        )]);
        let control = |d| {
            e.query(at(0.5, 0.5), d)
                .control
                .map(|c| c.control.factions[0].as_str().to_owned())
        };
        assert_eq!(control(date(2011, 12, 31)), None);
        assert_eq!(control(date(2012, 1, 1)).as_deref(), Some("red"));
        assert_eq!(control(date(2015, 8, 10)).as_deref(), Some("red"));
        assert_eq!(control(date(2015, 8, 11)).as_deref(), Some("blue"));
    }

    #[test]
    fn western_and_southern_coordinates_work() {
        // Around Manhattan (-73.98, 40.75) and Buenos Aires (-58.38, -34.6).
        let e = engine(vec![
            region("nyc", vec![square(-74.1, 40.6, 0.3)], vec![]),
            region("ba", vec![square(-58.5, -34.7, 0.2)], vec![]),
        ]);
        assert_eq!(e.locate(at(-73.98, 40.75)), [0]);
        assert_eq!(e.locate(at(-58.38, -34.6)), [1]);
        let far = e.query(at(-58.38, -33.6), date(2020, 1, 1));
        let nearest = far.nearest.unwrap();
        assert_eq!(nearest.region.id.as_str(), "ba");
        // From -33.6 to the square's north edge at -34.5: 0.9° of latitude ≈ 99.8 km.
        assert!(
            (nearest.distance_km - 99.8).abs() < 0.5,
            "{}",
            nearest.distance_km
        );
    }

    #[test]
    fn nearest_is_measured_to_the_boundary_geodesically() {
        // One degree of longitude on the equator is 111.32 km (WGS84).
        let e = engine(vec![
            region("r", vec![square(1.0, -0.5, 1.0)], vec![]),
            region("far", vec![square(10.0, 0.0, 1.0)], vec![]),
        ]);
        let n = e.nearest(at(0.0, 0.0)).unwrap();
        assert_eq!(n.region.id.as_str(), "r");
        assert!((n.distance_km - 111.32).abs() < 0.1, "{}", n.distance_km);
    }

    #[test]
    fn stats_count_nested_land_once_with_the_smallest_region() {
        let e = engine(vec![
            region(
                "big",
                vec![square(0.0, 0.0, 2.0)],
                vec![held(date(2011, 1, 1), "red")],
            ),
            region(
                "small",
                vec![square(0.5, 0.5, 0.5)],
                vec![held(date(2012, 1, 1), "blue")],
            ),
        ]);
        let (big, small) = (e.area_km2(0), e.area_km2(1));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6 * b.max(1.0);
        let s = e.stats(date(2011, 6, 1));
        assert!(close(s.total_km2, big), "{} vs {big}", s.total_km2);
        assert!(
            close(s.factions[0].1, big - small),
            "red holds the big square less the small one"
        );
        assert!(close(s.unknown_km2, small), "small is unknown before 2012");
        let s = e.stats(date(2013, 1, 1));
        assert!(close(s.factions[1].1, small));
        assert!(close(s.factions[0].1 + s.factions[1].1, big));
        assert_eq!(s.contested_km2, 0.0);
    }

    #[test]
    fn an_edit_shares_the_spatial_index_and_changes_only_histories() {
        let e = engine(vec![
            region(
                "a",
                vec![square(0.0, 0.0, 1.0)],
                vec![held(date(2012, 1, 1), "red")],
            ),
            region("b", vec![square(2.0, 0.0, 1.0)], vec![]),
        ]);
        let mut edit = e.edit();
        edit.upsert_control("b", held(date(2015, 8, 11), "blue"));
        let edited = edit.finish();
        assert!(Arc::ptr_eq(e.spatial(), edited.spatial()));
        let holder = |e: &Engine, d| {
            e.query(at(2.5, 0.5), d)
                .control
                .and_then(|s| s.control.holder())
                .map(|f| f.as_str().to_owned())
        };
        assert_eq!(
            holder(&e, date(2016, 1, 1)),
            None,
            "the original is untouched"
        );
        assert_eq!(holder(&edited, date(2016, 1, 1)).as_deref(), Some("blue"));
        assert_eq!(edited.dataset().regions.index_of("b"), Some(1));
    }

    #[test]
    fn a_reload_reuses_the_shapes_whose_geometry_did_not_change() {
        let e = engine(vec![
            region("a", vec![square(0.0, 0.0, 1.0)], vec![]),
            region("b", vec![square(2.0, 0.0, 1.0)], vec![]),
        ]);
        let same = e.reloaded(e.dataset().clone());
        assert!(Arc::ptr_eq(e.spatial(), same.spatial()), "nothing moved");
        // b is redrawn and a new region c comes first.
        let moved = e.reloaded(Dataset {
            regions: vec![
                region("c", vec![square(5.0, 5.0, 1.0)], vec![]),
                region("a", vec![square(0.0, 0.0, 1.0)], vec![]),
                region("b", vec![square(2.0, 0.0, 2.0)], vec![]),
            ]
            .into(),
            ..e.dataset().clone()
        });
        assert!(!Arc::ptr_eq(e.spatial(), moved.spatial()));
        assert!(
            moved.spatial().shares_shape(1, e.spatial(), 0),
            "a kept its shape"
        );
        assert!(
            !moved.spatial().shares_shape(2, e.spatial(), 1),
            "b was rebuilt"
        );
        assert_eq!(moved.locate(at(3.5, 1.5)), [2], "the new b is indexed");
        assert_eq!(moved.locate(at(5.5, 5.5)), [0]);
        assert!((moved.area_km2(2) - 4.0 * e.area_km2(1)).abs() < 0.01 * moved.area_km2(2));
    }

    // --- Property tests: the index against a brute-force scan with geo's `Intersects` ---------

    /// A star-shaped (so simple, often concave) ring around `(cx, cy)` on an integer grid, so
    /// that edge midpoints are exactly representable and exactly on their edge.
    fn star(cx: f64, cy: f64, radii: &[f64], scale: f64) -> LineString<f64> {
        let n = radii.len();
        let mut coords: Vec<(f64, f64)> = radii
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                (
                    (cx + scale * r * t.cos()).round(),
                    (cy + scale * r * t.sin()).round(),
                )
            })
            .collect();
        coords.push(coords[0]);
        LineString::from(coords)
    }

    prop_compose! {
        /// A polygon, sometimes with a hole, sometimes with a second part.
        fn shape()(cx in -60i32..60, cy in -60i32..60,
                   radii in prop::collection::vec(0.5f64..1.0, 3..24),
                   scale in 4.0f64..30.0, hole in any::<bool>(), second in any::<bool>())
                   -> MultiPolygon<f64> {
            let (cx, cy) = (f64::from(cx), f64::from(cy));
            let hole = if hole { vec![star(cx, cy, &[0.2, 0.15, 0.2, 0.1, 0.2], scale).into_iter().rev().collect()] } else { vec![] };
            let mut parts = vec![Polygon::new(star(cx, cy, &radii, scale), hole)];
            if second {
                parts.push(Polygon::new(star(cx + 3.0 * scale, cy, &radii, scale * 0.5), vec![]));
            }
            MultiPolygon::new(parts)
        }
    }

    fn brute_force(regions: &[Region], p: geo::Point<f64>) -> Vec<usize> {
        (0..regions.len())
            .filter(|&i| regions[i].geometry.intersects(&p))
            .collect()
    }

    /// Every polygon of every region, no index: the closest boundary point on the sphere, then
    /// its geodesic distance.
    fn brute_nearest_km(regions: &[Region], p: geo::Point<f64>) -> f64 {
        let pv = nearest::unit(p.0);
        let best = regions
            .iter()
            .flat_map(|r| r.geometry.iter())
            .filter_map(|poly| nearest::scan_closest(poly, pv))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        nearest::geodesic_km(p, best.0)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn index_agrees_with_brute_force(
            shapes in prop::collection::vec(shape(), 1..8),
            probes in prop::collection::vec((-180.0f64..=180.0, -90.0f64..=90.0), 1..40),
        ) {
            use geo::Validation;
            let shapes: Vec<MultiPolygon<f64>> = shapes.into_iter().filter(Validation::is_valid).collect();
            prop_assume!(!shapes.is_empty());
            let regions: Vec<Region> = shapes.iter().enumerate()
                .map(|(i, s)| region(&format!("r{i}"), s.0.clone(), vec![]))
                .collect();
            let e = engine(regions.clone());
            // Random points, every vertex, and every edge midpoint (exactly on the boundary).
            let mut points: Vec<(f64, f64)> = probes;
            for s in &shapes {
                for poly in s {
                    for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                        for line in ring.lines() {
                            points.push((line.start.x, line.start.y));
                            points.push((f64::midpoint(line.start.x, line.end.x), f64::midpoint(line.start.y, line.end.y)));
                        }
                    }
                }
            }
            for (x, y) in points {
                let Ok(pos) = LonLat::new(x, y) else { continue };
                let mut found = e.locate(pos);
                let areas: Vec<f64> = found.iter().map(|&i| e.area_km2(i)).collect();
                prop_assert!(areas.windows(2).all(|w| w[0] <= w[1]), "not smallest first: {areas:?}");
                found.sort_unstable();
                prop_assert_eq!(&found, &brute_force(&regions, pos.to_point()), "at ({}, {})", x, y);
                if found.is_empty() {
                    let n = e.nearest(pos).unwrap();
                    let best = brute_nearest_km(&regions, pos.to_point());
                    prop_assert!((n.distance_km - best).abs() <= nearest::CHOICE_SLACK_KM,
                        "nearest {} km, brute force {} km at ({}, {})", n.distance_km, best, x, y);
                }
            }
        }
    }
}
