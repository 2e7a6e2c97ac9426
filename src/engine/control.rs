//! Statements of control and how they resolve.
//!
//! A statement is a control area of the data set, or one entry of a region's history (a
//! statement about the region's whole polygon). **The rule** (format 2): at a point on a date,
//! the statement in force is the latest one (`from` ≤ date) among those whose area covers the
//! point, boundary included; on the same `from` the smaller geodesic area wins, then an area
//! statement before a region-wide one, then the smaller id. Format 1 data keeps the rule it was
//! written for: the smallest region containing the point, with that region's own history.
//!
//! From the rule follow the flattened control map of a date (each statement's in-force part,
//! nothing overlapping), the front lines between different holders, each region's shares and
//! the statistics; [`MapCache`] keeps the maps of recent dates. [`periods`] follows the map
//! through time: each statement's in-force part, period by period.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::hash::BuildHasherDefault;
use std::sync::{Arc, Mutex, OnceLock};

use geo::{
    Area, BooleanOps, BoundingRect, Buffer, CoordsIter, Intersects, LineString, MultiLineString,
    MultiPolygon, unary_union,
};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

pub use audit::{Audit, Masking, NeverInForce};

use super::Engine;
use super::area::{area_km2, polygon_km2};
use super::index::PolygonRef;
use crate::hash::WordHasher;
use crate::model::{ControlEntry, Date, FactionId, Format, LonLat, RegionId};

mod periods;

pub use periods::ControlPeriod;

thread_local! {
    /// A point query's candidate control areas (their `from`, polygon and whether the point's
    /// grid cell lies wholly inside it), kept between queries so that a query allocates
    /// nothing.
    static CANDIDATES: std::cell::RefCell<Vec<(Date, PolygonRef, bool)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// How many vertices the flattened maps an engine keeps may have together (16 bytes each):
/// every map of data sets a hundred times the bundled one (whose maps of all its ticks have
/// under 100,000 vertices together), so that questions on random dates cost no flattening; and
/// always the last map made, however large.
const CACHED_VERTICES: usize = 8_000_000;
/// A polygon whose area over its squared perimeter is below this is a sliver that clipping
/// left along a shared boundary (a strip of width w and length l scores w / 4l: under 40 cm
/// wide per km), not land.
const SLIVER_SHAPE: f64 = 1e-4;
/// A polygon left by clipping that is smaller than this (km²: 1 m²) is a speck of rounding
/// where boundaries nearly meet: coordinates written to 5 decimals (about 1 m) draw nothing
/// that small.
const SPECK_KM2: f64 = 1e-6;
/// Shares smaller than this fraction of their region are clipping slivers, not land.
const SLIVER: f64 = 1e-4;
/// Two pieces closer than this (degrees, about 1 cm) touch: their shared edge is a front line.
const TOUCH_DEGREES: f64 = 1e-7;

/// Which statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatementKey {
    /// The control area at this position of the data set's areas.
    Area(usize),
    /// Entry `entry` of the history of the region at position `region`.
    Region {
        /// The region's position.
        region: usize,
        /// The entry's position in its history.
        entry: usize,
    },
}

/// Whether a statement is about a drawn area or a region's whole polygon.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// A control area.
    Area,
    /// A region-wide history entry.
    Region,
}

/// A statement's id: an area's own, or `<region>@<from>` for a history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementId<'a> {
    /// A control area's id.
    Area(&'a str),
    /// A region's id and the entry's `from`.
    Region(&'a RegionId, Date),
}

impl fmt::Display for StatementId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Area(id) => f.write_str(id),
            Self::Region(region, from) => write!(f, "{region}@{from}"),
        }
    }
}

/// A statement with what the rule compares.
#[derive(Debug, Clone, Copy)]
pub struct Statement<'a> {
    /// Which one.
    pub key: StatementKey,
    /// Its id.
    pub id: StatementId<'a>,
    /// What it says.
    pub control: &'a ControlEntry,
    /// Geodesic area of its whole geometry, km².
    pub area_km2: f64,
}

impl<'a> Statement<'a> {
    /// Area or region-wide.
    #[must_use]
    pub fn scope(&self) -> Scope {
        match self.key {
            StatementKey::Area(_) => Scope::Area,
            StatementKey::Region { .. } => Scope::Region,
        }
    }

    /// Who holds the ground it covers.
    #[must_use]
    pub fn holder(&self) -> Holder<'a> {
        match self.control.holder() {
            Some(faction) => Holder::Faction(faction),
            None => Holder::Contested,
        }
    }

    /// The rule's order: `Less` when `self` wins over `other` where both cover a point.
    #[must_use]
    pub fn precedence(&self, other: &Self) -> Ordering {
        other
            .control
            .from
            .cmp(&self.control.from)
            .then(self.area_km2.total_cmp(&other.area_km2))
            .then(self.scope().cmp(&other.scope()))
            .then_with(|| self.id.to_string().cmp(&other.id.to_string()))
    }
}

/// Who holds a piece of land on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Holder<'a> {
    /// One faction.
    Faction(&'a FactionId),
    /// Fought over by two or more.
    Contested,
    /// No statement covers it.
    Unknown,
}

impl<'a> Holder<'a> {
    /// A faction id, `contested` or `unknown` (both reserved as faction ids).
    #[must_use]
    pub fn as_str(self) -> &'a str {
        match self {
            Self::Faction(f) => f.as_str(),
            Self::Contested => "contested",
            Self::Unknown => "unknown",
        }
    }
}

/// The part of one statement in force on a date.
#[derive(Debug, Clone)]
pub struct Piece {
    /// The statement.
    pub key: StatementKey,
    /// Where it is in force: its geometry less that of every statement that wins over it.
    pub geometry: MultiPolygon<f64>,
    /// Geodesic area of `geometry`, km².
    pub km2: f64,
}

/// The control map of a date: one piece per statement in force, none overlapping another.
#[derive(Debug, Default)]
pub struct ControlMap {
    /// The last date any statement starts on or before the date asked (`None`: before all).
    pub tick: Option<Date>,
    /// In the rule's order, winner first.
    pub pieces: Vec<Piece>,
    /// Per region (by position), the km² each piece has of it: clipped once per map, not once
    /// per request that asks for the region's shares. Positions are hashed without the
    /// standard hasher's defence against chosen keys.
    overlaps: Mutex<HashMap<usize, Overlaps, BuildHasherDefault<WordHasher>>>,
    /// How many vertices the pieces have: what the map costs the cache.
    vertices: usize,
    /// The pieces' bounding boxes, by position in `pieces`: built on the first request for a
    /// region's shares, so finding the pieces over a region does not scan the whole map.
    boxes: OnceLock<RTree<Boxed>>,
}

/// A bounding box and the position of what it bounds.
type Boxed = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// An R-tree of the bounding boxes of `geometries`, each with its position.
fn box_tree<'a>(geometries: impl Iterator<Item = &'a MultiPolygon<f64>>) -> RTree<Boxed> {
    let boxes = geometries
        .enumerate()
        .filter_map(|(i, g)| {
            let b = g.bounding_rect()?;
            Some(GeomWithData::new(
                Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                i,
            ))
        })
        .collect();
    super::index::packed(boxes)
}

/// The km² each piece of a control map has of one region.
type Overlaps = Arc<[(StatementKey, f64)]>;

/// A front line: where pieces of two different holders meet.
#[derive(Debug, Clone)]
pub struct FrontLine<'a> {
    /// The two holders, ordered.
    pub sides: [Holder<'a>; 2],
    /// The shared edges.
    pub geometry: MultiLineString<f64>,
}

/// What each holder has of a region on a date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share<'a> {
    /// A faction, contested or unknown (land of the region no statement covers).
    pub holder: Holder<'a>,
    /// Geodesic area, km².
    pub km2: f64,
    /// Percentage of the region, to 0.1; the shares of a region sum to exactly 100.0.
    pub percent: f64,
}

/// A region's control on a date, summed up from its shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RegionStatus {
    /// One faction holds all the known land.
    Held,
    /// Some of it is contested.
    Contested,
    /// Two or more factions hold parts, none contested.
    Divided,
    /// No statement covers any of it.
    Unknown,
}

impl RegionStatus {
    /// The status `shares` add up to.
    #[must_use]
    pub fn of(shares: &[Share<'_>]) -> Self {
        let known: Vec<&Share<'_>> = shares
            .iter()
            .filter(|s| s.holder != Holder::Unknown && s.km2 > 0.0)
            .collect();
        if known.is_empty() {
            Self::Unknown
        } else if known.iter().any(|s| s.holder == Holder::Contested) {
            Self::Contested
        } else if known.len() == 1 {
            Self::Held
        } else {
            Self::Divided
        }
    }
}

/// Land that changed hands between two dates, per holder (unknown included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change<'a> {
    /// The holder.
    pub holder: Holder<'a>,
    /// km² it held at the later date and not the earlier.
    pub gained_km2: f64,
    /// km² it held at the earlier date and not the later.
    pub lost_km2: f64,
}

/// The flattened maps an engine computed, by tick, most recent use last.
#[derive(Debug, Default)]
pub(crate) struct MapCache {
    maps: Mutex<VecDeque<(Option<Date>, Arc<ControlMap>)>>,
    /// Every date a statement starts on, ascending.
    ticks: OnceLock<Vec<Date>>,
    /// The union of all regions.
    regions_union: OnceLock<MultiPolygon<f64>>,
    /// Every statement's periods, found once.
    periods: OnceLock<Vec<ControlPeriod>>,
}

impl Engine {
    /// The statement `key` names.
    ///
    /// # Panics
    /// When `key` is not a statement of this engine's data.
    #[must_use]
    pub fn statement(&self, key: StatementKey) -> Statement<'_> {
        let data = &self.dataset;
        match key {
            StatementKey::Area(i) => {
                let area = &data.areas[i];
                Statement {
                    key,
                    id: StatementId::Area(&area.id),
                    control: &area.control,
                    area_km2: self.areas.area_km2(i, &area.geometry),
                }
            }
            StatementKey::Region { region, entry } => {
                let r = &data.regions[region];
                let control = &r.history[entry];
                Statement {
                    key,
                    id: StatementId::Region(&r.id, control.from),
                    control,
                    area_km2: self.area_km2(region),
                }
            }
        }
    }

    /// The entry of region `region` in force on `date`, as a statement.
    fn region_statement(&self, region: usize, date: Date) -> Option<Statement<'_>> {
        let history = &self.dataset.regions[region].history;
        let entry = history.partition_point(|e| e.from <= date).checked_sub(1)?;
        Some(self.statement(StatementKey::Region { region, entry }))
    }

    /// Positions of the control areas containing `pos` (boundary included).
    fn areas_at(&self, pos: LonLat) -> Vec<usize> {
        let mut found = Vec::new();
        self.areas.locate_with(pos.to_point().0, |i| found.push(i));
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The statement in force at `pos` on `date`; `None` where no statement covers the point
    /// (control unknown).
    #[must_use]
    pub fn control_at(&self, pos: LonLat, date: Date) -> Option<Statement<'_>> {
        self.control_among(self.locate(pos), pos, date)
    }

    /// [`Engine::control_at`] given the regions containing `pos`, smallest first.
    ///
    /// The rule's first key is the latest `from`, so the control areas whose box holds the
    /// point are tested latest first, and only those that could still win: in force on `date`,
    /// no older than the region-wide statement in force, and, once one contains the point, of
    /// its `from`. The full order (whose areas are measured on first use) only separates
    /// statements of the same `from`.
    pub(super) fn control_among(
        &self,
        regions: impl IntoIterator<Item = usize>,
        pos: LonLat,
        date: Date,
    ) -> Option<Statement<'_>> {
        let mut regions = regions.into_iter();
        if self.dataset.format < Format::V2 {
            // Format 1: the smallest region decides, with its own history.
            return regions.next().and_then(|r| self.region_statement(r, date));
        }
        let mut winner = regions
            .filter_map(|r| self.region_statement(r, date))
            .min_by(Statement::precedence);
        let floor = winner.map(|s| s.control.from);
        let p = pos.to_point().0;
        CANDIDATES.with_borrow_mut(|candidates| {
            candidates.clear();
            self.areas.candidates(p, |r, inside| {
                let from = self.area_from[r.region];
                if from <= date && floor.is_none_or(|f| from >= f) {
                    candidates.push((from, r, inside));
                }
            });
            candidates.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
            let mut found: Option<Date> = None;
            for &(from, r, inside) in candidates.iter() {
                if found.is_some_and(|f| from < f) {
                    break;
                }
                let key = StatementKey::Area(r.region);
                if winner.is_some_and(|w| w.key == key)
                    || !(inside || self.areas.polygon_contains(r, p))
                {
                    continue;
                }
                found = Some(from);
                let statement = self.statement(key);
                if winner.is_none_or(|w| statement.precedence(&w).is_lt()) {
                    winner = Some(statement);
                }
            }
        });
        winner
    }

    /// Every statement that ever covered `pos`, by date (on the same date, the winner first).
    #[must_use]
    pub fn history_at(&self, pos: LonLat) -> Vec<Statement<'_>> {
        let regions = self.locate(pos);
        let regions: &[usize] = if self.dataset.format < Format::V2 {
            regions.get(..1).unwrap_or(&[])
        } else {
            &regions
        };
        let mut all: Vec<Statement<'_>> = self
            .areas_at(pos)
            .into_iter()
            .map(|i| self.statement(StatementKey::Area(i)))
            .chain(regions.iter().flat_map(|&region| {
                (0..self.dataset.regions[region].history.len())
                    .map(move |entry| self.statement(StatementKey::Region { region, entry }))
            }))
            .collect();
        all.sort_by(|a, b| {
            a.control
                .from
                .cmp(&b.control.from)
                .then_with(|| a.precedence(b))
        });
        all
    }

    /// Every date a statement starts on, ascending, without repeats.
    fn ticks(&self) -> &[Date] {
        self.maps
            .ticks
            .get_or_init(|| self.dataset.statement_dates())
    }

    /// The flattened control map of `date`: the part of each statement in force, so that
    /// nothing overlaps. Computed once per tick (the maps of recent ticks are kept).
    ///
    /// # Panics
    /// Only if a thread panicked while holding the cache lock.
    #[must_use]
    pub fn control_map(&self, date: Date) -> Arc<ControlMap> {
        let ticks = self.ticks();
        let tick = ticks
            .partition_point(|t| *t <= date)
            .checked_sub(1)
            .map(|i| ticks[i]);
        let cached = {
            let mut maps = self.maps.maps.lock().expect("map cache lock");
            let found = maps.iter().position(|(t, _)| *t == tick);
            found.and_then(|i| maps.remove(i)).inspect(|entry| {
                maps.push_back(entry.clone());
            })
        };
        if let Some((_, map)) = cached {
            return map;
        }
        // Computed outside the lock: two threads may both compute one map, never block.
        let map = Arc::new(self.flatten(tick));
        let mut maps = self.maps.maps.lock().expect("map cache lock");
        if !maps.iter().any(|(t, _)| *t == tick) {
            maps.push_back((tick, Arc::clone(&map)));
            let mut kept: usize = maps.iter().map(|(_, m)| m.vertices).sum();
            while kept > CACHED_VERTICES && maps.len() > 1 {
                if let Some((_, oldest)) = maps.pop_front() {
                    kept -= oldest.vertices;
                }
            }
        }
        map
    }

    /// The statements that can be in force on `tick` (at most one entry per region), in the
    /// rule's order; with format 1 data every region takes part, ordered smallest first, so
    /// that a region with no entry yet hides its parent as it always did.
    fn contenders(&self, tick: Option<Date>) -> Vec<(Option<Statement<'_>>, MultiPolygonRef<'_>)> {
        let data = &self.dataset;
        let Some(tick) = tick else {
            return Vec::new();
        };
        if data.format < Format::V2 {
            let mut regions: Vec<usize> = (0..data.regions.len()).collect();
            regions.sort_by(|&a, &b| {
                self.area_km2(a)
                    .total_cmp(&self.area_km2(b))
                    .then(a.cmp(&b))
            });
            return regions
                .into_iter()
                .map(|r| {
                    (
                        self.region_statement(r, tick),
                        MultiPolygonRef(&data.regions[r].geometry),
                    )
                })
                .collect();
        }
        let mut statements: Vec<(Statement<'_>, MultiPolygonRef<'_>)> = data
            .areas
            .iter()
            .enumerate()
            .filter(|(_, a)| a.control.from <= tick)
            .map(|(i, a)| {
                (
                    self.statement(StatementKey::Area(i)),
                    MultiPolygonRef(&a.geometry),
                )
            })
            .chain((0..data.regions.len()).filter_map(|r| {
                let statement = self.region_statement(r, tick)?;
                Some((statement, MultiPolygonRef(&data.regions[r].geometry)))
            }))
            .collect();
        statements.sort_by(|a, b| a.0.precedence(&b.0));
        statements.into_iter().map(|(s, g)| (Some(s), g)).collect()
    }

    fn flatten(&self, tick: Option<Date>) -> ControlMap {
        let contenders = self.contenders(tick);
        let tree = box_tree(contenders.iter().map(|(_, g)| g.0));
        let mut pieces = Vec::new();
        for (i, (statement, geometry)) in contenders.iter().enumerate() {
            let Some(statement) = statement else { continue };
            let Some(b) = geometry.0.bounding_rect() else {
                continue;
            };
            let envelope =
                rstar::AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
            let mut winners: Vec<usize> = tree
                .locate_in_envelope_intersecting(&envelope)
                .map(|e| e.data)
                .filter(|&j| j < i)
                .collect();
            // In the rule's order rather than the tree's: the same winners always give the
            // same part, wherever they are found.
            winners.sort_unstable();
            let winners = winners
                .into_iter()
                .map(|j| contenders[j].1.0)
                .filter(|g| g.intersects(geometry.0));
            if let Some((geometry, km2)) = in_force_part(geometry.0, winners) {
                pieces.push(Piece {
                    key: statement.key,
                    geometry,
                    km2,
                });
            }
        }
        let vertices = pieces.iter().map(|p| p.geometry.coords_count()).sum();
        ControlMap {
            tick,
            pieces,
            vertices,
            overlaps: Mutex::default(),
            boxes: OnceLock::new(),
        }
    }

    /// The front lines of `date`: the edges where pieces of different holders meet, merged per
    /// pair of holders. Land no statement covers has none.
    #[must_use]
    pub fn front_lines(&self, date: Date) -> Vec<FrontLine<'_>> {
        let map = self.control_map(date);
        let holders: Vec<Holder<'_>> = map
            .pieces
            .iter()
            .map(|p| self.statement(p.key).holder())
            .collect();
        let mut lines: BTreeMap<[Holder<'_>; 2], Vec<LineString<f64>>> = BTreeMap::new();
        for (i, a) in map.pieces.iter().enumerate() {
            let Some(box_a) = a.geometry.bounding_rect() else {
                continue;
            };
            let edges_a = MultiLineString::new(rings(&a.geometry));
            for (j, b) in map.pieces.iter().enumerate().skip(i + 1) {
                if holders[i] == holders[j]
                    || !b
                        .geometry
                        .bounding_rect()
                        .is_some_and(|box_b| box_b.intersects(&box_a))
                {
                    continue;
                }
                let shared = b.geometry.buffer(TOUCH_DEGREES).clip(&edges_a, false);
                let shared: Vec<LineString<f64>> = shared
                    .into_iter()
                    .filter(|l| l.0.len() >= 2 && l.0.first() != l.0.last())
                    .collect();
                if shared.is_empty() {
                    continue;
                }
                let mut sides = [holders[i], holders[j]];
                sides.sort();
                lines.entry(sides).or_default().extend(shared);
            }
        }
        lines
            .into_iter()
            .map(|(sides, lines)| FrontLine {
                sides,
                geometry: MultiLineString::new(lines),
            })
            .collect()
    }

    /// What each holder has of the region at `region` on `date`: the factions, `contested`,
    /// and `unknown` for the region's land no statement covers, largest first.
    #[must_use]
    pub fn shares(&self, region: usize, date: Date) -> Vec<Share<'_>> {
        let map = self.control_map(date);
        let total = self.area_km2(region);
        // A region has a handful of holders: a list searched in order beats hashing them.
        let mut shares: Vec<(Holder<'_>, f64)> = Vec::new();
        for &(key, km2) in self.overlaps(&map, region).iter() {
            let holder = self.statement(key).holder();
            match shares.iter_mut().find(|(h, _)| *h == holder) {
                Some((_, sum)) => *sum += km2,
                None => shares.push((holder, km2)),
            }
        }
        // A statement's holder is a faction or `contested`, never `unknown`.
        let known: f64 = shares.iter().map(|s| s.1).sum();
        shares.push((Holder::Unknown, (total - known).max(0.0)));
        // Below 0.01 % of the region a share is a sliver left by clipping along a shared
        // boundary, not land anyone holds.
        shares.retain(|(_, km2)| *km2 > total * SLIVER);
        shares.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let percents = tenths(&shares.iter().map(|s| s.1).collect::<Vec<_>>());
        shares
            .into_iter()
            .zip(percents)
            .map(|((holder, km2), percent)| Share {
                holder,
                km2,
                percent,
            })
            .collect()
    }

    /// The km² each piece of `map` has of the region at `region` (pieces that miss it left
    /// out), computed once per map.
    ///
    /// # Panics
    /// Only if a thread panicked while holding the map's lock.
    fn overlaps(&self, map: &ControlMap, region: usize) -> Overlaps {
        if let Some(found) = map.overlaps.lock().expect("overlaps lock").get(&region) {
            return Arc::clone(found);
        }
        // Clipped outside the lock: two threads may both clip one region, never block.
        let geometry = &self.dataset.regions[region].geometry;
        let found: Overlaps = match geometry.bounding_rect() {
            None => Arc::new([]),
            Some(b) => {
                let boxes = map
                    .boxes
                    .get_or_init(|| box_tree(map.pieces.iter().map(|p| &p.geometry)));
                let envelope =
                    rstar::AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
                let mut near: Vec<usize> = boxes
                    .locate_in_envelope_intersecting(&envelope)
                    .map(|e| e.data)
                    .collect();
                // In the map's order, as before the index: the shares sum the same way.
                near.sort_unstable();
                near.into_iter()
                    .map(|i| &map.pieces[i])
                    .map(|piece| (piece.key, area_km2(&piece.geometry.intersection(geometry))))
                    .filter(|(_, km2)| *km2 > 0.0)
                    .collect()
            }
        };
        map.overlaps
            .lock()
            .expect("overlaps lock")
            .insert(region, Arc::clone(&found));
        found
    }

    /// km² per holder on `date`, counting every piece of land once: the pieces of the control
    /// map, and as `unknown` the land of the regions no statement covers.
    #[must_use]
    pub fn holdings(&self, date: Date) -> Vec<(Holder<'_>, f64)> {
        let map = self.control_map(date);
        let mut by_holder: BTreeMap<Holder<'_>, f64> = BTreeMap::new();
        for piece in &map.pieces {
            *by_holder
                .entry(self.statement(piece.key).holder())
                .or_default() += piece.km2;
        }
        let unknown = self.uncovered_region_km2(&map);
        if unknown > 0.0 {
            by_holder.insert(Holder::Unknown, unknown);
        }
        by_holder.into_iter().collect()
    }

    /// km² of region land that no piece of `map` covers.
    fn uncovered_region_km2(&self, map: &ControlMap) -> f64 {
        let union = self.maps.regions_union.get_or_init(|| {
            unary_union(self.dataset.regions.iter().flat_map(|r| r.geometry.iter()))
        });
        let regions_km2 = area_km2(union);
        let covered: f64 = map
            .pieces
            .iter()
            .map(|p| area_km2(&p.geometry.intersection(union)))
            .sum();
        (regions_km2 - covered).max(0.0)
    }

    /// What changed hands between `from` and `at`: per holder (`unknown` included, over the
    /// land either map or any region covers), the km² gained and lost. Gains and losses
    /// balance.
    #[must_use]
    pub fn changes_between(&self, from: Date, at: Date) -> Vec<Change<'_>> {
        let (before, after) = (self.control_map(from), self.control_map(at));
        let holder = |p: &Piece| self.statement(p.key).holder();
        let mut moved: BTreeMap<(Holder<'_>, Holder<'_>), f64> = BTreeMap::new();
        let mut before_known: BTreeMap<Holder<'_>, f64> = BTreeMap::new();
        let mut after_known: BTreeMap<Holder<'_>, f64> = BTreeMap::new();
        for a in &before.pieces {
            *before_known.entry(holder(a)).or_default() += a.km2;
        }
        for b in &after.pieces {
            *after_known.entry(holder(b)).or_default() += b.km2;
        }
        let mut overlap_before: BTreeMap<Holder<'_>, f64> = BTreeMap::new();
        let mut overlap_after: BTreeMap<Holder<'_>, f64> = BTreeMap::new();
        for a in &before.pieces {
            let Some(box_a) = a.geometry.bounding_rect() else {
                continue;
            };
            for b in &after.pieces {
                if !b
                    .geometry
                    .bounding_rect()
                    .is_some_and(|box_b| box_b.intersects(&box_a))
                {
                    continue;
                }
                let km2 = area_km2(&a.geometry.intersection(&b.geometry));
                if km2 > 0.0 {
                    *moved.entry((holder(a), holder(b))).or_default() += km2;
                    *overlap_before.entry(holder(a)).or_default() += km2;
                    *overlap_after.entry(holder(b)).or_default() += km2;
                }
            }
        }
        // Land covered on one date only went to or came from `unknown`.
        for (h, km2) in &before_known {
            let rest = km2 - overlap_before.get(h).copied().unwrap_or(0.0);
            if rest > 0.0 {
                *moved.entry((*h, Holder::Unknown)).or_default() += rest;
            }
        }
        for (h, km2) in &after_known {
            let rest = km2 - overlap_after.get(h).copied().unwrap_or(0.0);
            if rest > 0.0 {
                *moved.entry((Holder::Unknown, *h)).or_default() += rest;
            }
        }
        let mut changes: BTreeMap<Holder<'_>, (f64, f64)> = BTreeMap::new();
        for ((from_holder, to_holder), km2) in moved {
            if from_holder != to_holder {
                changes.entry(to_holder).or_default().0 += km2;
                changes.entry(from_holder).or_default().1 += km2;
            }
        }
        changes
            .into_iter()
            .map(|(holder, (gained_km2, lost_km2))| Change {
                holder,
                gained_km2,
                lost_km2,
            })
            .collect()
    }
}

/// What is left of `geometry` once every one of `winners` (the statements that win over it
/// and meet it, in the rule's order) is taken away, slivers dropped, with its geodesic area in
/// km²; `None` when nothing is left.
fn in_force_part<'g>(
    geometry: &MultiPolygon<f64>,
    winners: impl Iterator<Item = &'g MultiPolygon<f64>>,
) -> Option<(MultiPolygon<f64>, f64)> {
    let winners: Vec<&MultiPolygon<f64>> = winners.collect();
    let part = if winners.is_empty() {
        geometry.clone()
    } else {
        let rest = geometry.difference(&unary_union(winners.iter().flat_map(|g| g.iter())));
        // Clipping along a boundary two statements share leaves slivers of no width, and
        // where boundaries nearly meet, specks that are rounding, not land.
        let land = |p: &geo::Polygon<f64>| !is_sliver(p) && polygon_km2(p) >= SPECK_KM2;
        MultiPolygon::new(rest.into_iter().filter(land).collect())
    };
    let km2 = area_km2(&part);
    (km2 > 0.0).then_some((part, km2))
}

/// Whether `polygon` is a sliver (see [`SLIVER_SHAPE`]).
fn is_sliver(polygon: &geo::Polygon<f64>) -> bool {
    use geo::{Euclidean, Length};
    let perimeter: f64 = std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(|ring| Euclidean.length(ring))
        .sum();
    perimeter > 0.0 && polygon.unsigned_area() / (perimeter * perimeter) < SLIVER_SHAPE
}

/// A borrowed geometry (so contenders can be sorted without cloning polygons).
#[derive(Debug, Clone, Copy)]
struct MultiPolygonRef<'a>(&'a MultiPolygon<f64>);

/// Every ring of `shape` as a line string.
fn rings(shape: &MultiPolygon<f64>) -> Vec<LineString<f64>> {
    shape
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .cloned()
        .collect()
}

/// Percentages of `values` to 0.1 that sum to exactly 100.0 (largest remainder), or all 0.0
/// when they sum to nothing.
fn tenths(values: &[f64]) -> Vec<f64> {
    let total: f64 = values.iter().sum();
    if total <= 0.0 {
        return vec![0.0; values.len()];
    }
    let exact: Vec<f64> = values.iter().map(|v| v / total * 1000.0).collect();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "between 0 and 1000"
    )]
    let mut whole: Vec<u32> = exact.iter().map(|e| e.floor() as u32).collect();
    let missing = 1000 - whole.iter().sum::<u32>().min(1000);
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().take(missing as usize) {
        whole[i] += 1;
    }
    whole.into_iter().map(|t| f64::from(t) / 10.0).collect()
}

mod audit;
#[cfg(test)]
mod tests;
