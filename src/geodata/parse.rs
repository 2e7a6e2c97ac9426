//! The three files' wire shapes and their one conversion into model types. Each feature or
//! faction is read on its own, so a broken one is reported and the rest are still checked.

use std::collections::{HashMap, HashSet};
use std::hash::Hasher as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::history::{self, WireEntry, WireSource};
use super::report::{Item, ProblemKind, Report, Sink};
use super::wire::object_only;
use super::{CONTROL, EVENTS, FACTIONS, PLACES, REGIONS, geometry};
use crate::hash::WordHasher;
use crate::json_runs;
use crate::model::{
    AreaStatement, Color, Event, Faction, FactionId, Format, Place, Precision, Region, RegionId,
};

/// `factions.json`.
#[derive(Deserialize)]
struct WireFactionsFile<'a> {
    version: Option<&'a RawValue>,
    #[serde(borrow)]
    factions: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct WireFaction {
    #[serde(default)]
    name: String,
    #[serde(default)]
    color: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    sources: Vec<WireSource>,
}

/// A `GeoJSON` `FeatureCollection`, features kept raw until each is read on its own.
#[derive(Deserialize)]
struct WireCollection<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Owned, so that [`read_split`] can read it from an outline of the text.
    version: Option<Box<RawValue>>,
    #[serde(borrow)]
    features: Option<Vec<&'a RawValue>>,
}

/// Just enough of an item to name it in a report.
#[derive(Deserialize)]
struct WireHead<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct WireFeature<P> {
    #[serde(rename = "type")]
    kind: Option<String>,
    properties: Option<P>,
    geometry: Option<geojson::Geometry>,
}

/// A feature with its id, read in one pass when all is well (see [`features`]).
#[derive(Deserialize)]
struct WireNamedFeature<'a, P> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(rename = "type")]
    kind: Option<String>,
    properties: Option<P>,
    geometry: Option<geojson::Geometry>,
}

#[derive(Deserialize)]
#[serde(remote = "Self")]
struct WireRegion {
    #[serde(default)]
    name: String,
    name_ar: Option<String>,
    #[serde(default)]
    description: String,
    parent: Option<String>,
    last_reviewed: Option<String>,
    history: Option<Vec<WireEntry>>,
}

#[derive(Deserialize)]
#[serde(remote = "Self")]
struct WireEvent {
    #[serde(default)]
    date: String,
    precision: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    region: Option<String>,
    sources: Option<Vec<WireSource>>,
}

#[derive(Deserialize)]
#[serde(remote = "Self")]
struct WirePlace {
    #[serde(default)]
    name: String,
    name_ar: Option<String>,
    name_geonames: Option<String>,
    #[serde(default)]
    major: bool,
    #[serde(default)]
    source: String,
}

/// A feature of `control.geojson`: a history entry's fields, and the region it was traced for.
#[derive(Deserialize)]
#[serde(remote = "Self")]
struct WireArea {
    #[serde(flatten)]
    entry: WireEntry,
    region: Option<String>,
}

object_only!(WireArea);
object_only!(WireRegion);
object_only!(WireEvent);
object_only!(WirePlace);

/// What a file yielded: the items that are valid, every usable id (so that references to an
/// item with problems of its own are not reported as unknown), and whether all was well.
pub(crate) struct Parsed<T> {
    pub(crate) items: Vec<T>,
    pub(crate) ids: HashSet<String>,
    pub(crate) complete: bool,
}

impl<T> Parsed<T> {
    /// What an absent optional file yields.
    pub(crate) fn empty() -> Self {
        Self {
            items: Vec::new(),
            ids: HashSet::new(),
            complete: true,
        }
    }
}

/// Reads `factions.json`, which declares the format version of the whole data set. `None`
/// when the file as a whole is unusable; the version is `None` when it is missing or unknown.
pub(crate) fn factions(
    text: &str,
    report: &mut Report,
) -> Option<(Parsed<Faction>, Option<Format>)> {
    let mut sink = Sink::new(FACTIONS, Item::File, report);
    let file: WireFactionsFile = read_top_level(text, &mut sink)?;
    let format = if let Some(v) = file.version {
        let format = version(v);
        if format.is_none() {
            sink.problem(ProblemKind::Version(v.get().to_owned()));
        }
        format
    } else {
        sink.problem(ProblemKind::MissingVersion);
        None
    };
    let Some(raw_factions) = file.factions else {
        sink.problem(missing_field("factions"));
        return None;
    };
    let before = report.problems.len();
    let mut ids = Ids::default();
    let mut items = Vec::with_capacity(raw_factions.len());
    for (index, raw) in raw_factions.iter().enumerate() {
        if !is_object(raw) {
            Sink::new(FACTIONS, Item::FactionIndex(index), report).problem(ProblemKind::NotObject);
            continue;
        }
        let (item, id) = ids.name(
            raw,
            index,
            Item::Faction,
            Item::FactionIndex,
            FACTIONS,
            report,
        );
        let mut sink = Sink::new(FACTIONS, item, report);
        let Some(wire) = read_json::<WireFaction>(raw.get(), "", &mut sink) else {
            continue;
        };
        let rules = format.unwrap_or(Format::LATEST);
        if let Some(f) = faction(id.unwrap_or_default(), &wire, rules, &mut sink) {
            items.push(f);
        }
    }
    let parsed = Parsed {
        items,
        ids: ids.into_set(),
        complete: format.is_some() && report.problems.len() == before,
    };
    Some((parsed, format))
}

/// The format a `version` member names, if it is one this build reads.
fn version(raw: &RawValue) -> Option<Format> {
    raw.get().parse::<u64>().ok().and_then(Format::from_number)
}

fn faction(id: String, w: &WireFaction, format: Format, sink: &mut Sink<'_>) -> Option<Faction> {
    let name = required_text(&w.name, "name", sink);
    let description = required_text(&w.description, "description", sink);
    let color = Color::parse(&w.color);
    if color.is_none() {
        sink.problem(ProblemKind::BadColor(w.color.clone()));
    }
    let sources = history::sources(&w.sources, "", format, sink);
    Some(Faction {
        id: FactionId::new(id),
        name: name?,
        color: color?,
        description: description?,
        sources: sources?,
    })
}

/// Reads `regions.geojson`. `factions` is `None` when faction ids cannot be checked.
pub(crate) fn regions(
    text: &str,
    factions: Option<&HashSet<String>>,
    rules: Rules,
    report: &mut Report,
) -> Option<Parsed<Region>> {
    let format = rules.format;
    let mut parsed = features(
        text,
        REGIONS,
        rules,
        report,
        |id, wire: WireFeature<WireRegion>, sink| {
            let props = properties(wire.properties, sink)?;
            let geometry = geometry::region_polygons(wire.geometry.as_ref(), sink);
            let name = required_text(&props.name, "name", sink);
            let last_reviewed = props
                .last_reviewed
                .as_deref()
                .map(|d| history::date(d, "last_reviewed", None, sink));
            let history = if let Some(history) = &props.history {
                history::history(history, factions, format, sink)
            } else {
                sink.problem(ProblemKind::MissingHistory);
                None
            };
            Some(Region {
                id: RegionId::new(id),
                name: name?,
                name_ar: props.name_ar.filter(|n| !n.trim().is_empty()),
                description: props.description,
                parent: props.parent.map(RegionId::new),
                last_reviewed: last_reviewed.map_or(Some(None), |d| d.map(Some))?,
                geometry: geometry?,
                history: history?,
            })
        },
    )?;
    parsed.complete &= check_parents(&parsed, report);
    Some(parsed)
}

/// Every `parent` names a region, and no chain of parents loops: a region in a loop is told
/// its chain comes back to it, one whose chain only runs into a loop is told which loop.
fn check_parents(parsed: &Parsed<Region>, report: &mut Report) -> bool {
    let regions = &parsed.items;
    let by_id: HashMap<&str, &Region> = regions.iter().map(|r| (r.id.as_str(), r)).collect();
    let before = report.problems.len();
    for region in regions {
        let mut sink = Sink::new(REGIONS, Item::Feature(region.id.to_string()), report);
        let mut current = region;
        // The regions visited so far, in chain order, this one first.
        let mut chain = vec![region.id.as_str()];
        while let Some(parent) = &current.parent {
            let Some(next) = by_id.get(parent.as_str()) else {
                if current.id == region.id && !parsed.ids.contains(parent.as_str()) {
                    sink.problem(ProblemKind::UnknownRegion {
                        field: "parent".into(),
                        id: parent.to_string(),
                    });
                }
                break;
            };
            if next.id == region.id {
                sink.problem(ProblemKind::ParentCycle);
                break;
            }
            if let Some(start) = chain.iter().position(|id| *id == next.id.as_str()) {
                sink.problem(ProblemKind::ParentLoop {
                    ids: chain[start..].iter().map(|id| (*id).to_owned()).collect(),
                });
                break;
            }
            chain.push(next.id.as_str());
            current = next;
        }
    }
    report.problems.len() == before
}

/// What the loader knows of the region an area names.
pub(crate) enum RegionCheck<'a> {
    /// The regions could not be read: the reference is not checked.
    Unchecked,
    /// No such region.
    Unknown,
    /// The region's geometry, which the area must meet.
    Geometry(&'a geo::MultiPolygon<f64>),
}

/// Reads `control.geojson`: dated, sourced statements about drawn areas. An area's `region`
/// must be a region of `regions` that the area meets (when the regions could be read).
pub(crate) fn areas(
    text: &str,
    factions: Option<&HashSet<String>>,
    regions: Option<&Parsed<Region>>,
    rules: Rules,
    report: &mut Report,
) -> Option<Parsed<AreaStatement>> {
    let format = rules.format;
    let by_id: HashMap<&str, &Region> = regions
        .map(|r| r.items.iter().map(|r| (r.id.as_str(), r)).collect())
        .unwrap_or_default();
    let region = |id: &str| match (regions, by_id.get(id)) {
        (_, Some(r)) => RegionCheck::Geometry(&r.geometry),
        // A region with problems of its own is not reported as unknown.
        (Some(parsed), None) if !parsed.ids.contains(id) => RegionCheck::Unknown,
        _ => RegionCheck::Unchecked,
    };
    let mut parsed = features(text, CONTROL, rules, report, |id, wire, sink| {
        area(id, wire, factions, &region, format, sink)
    })?;
    parsed.complete &= check_same_statements(&parsed, report);
    Some(parsed)
}

/// Reads one control area sent alone (an editor's), with the checks of `control.geojson`.
pub(crate) fn area_feature<'r>(
    text: &str,
    factions: &HashSet<String>,
    region: &dyn Fn(&str) -> RegionCheck<'r>,
    format: Format,
    report: &mut Report,
) -> Option<AreaStatement> {
    let mut sink = Sink::new(CONTROL, Item::File, report);
    let raw: &RawValue = read_json(text, "", &mut sink)?;
    feature(
        raw,
        0,
        &mut Ids::default(),
        CONTROL,
        report,
        |id, wire, sink| area(id, wire, Some(factions), region, format, sink),
    )
}

/// Converts a control area feature.
fn area<'r>(
    id: String,
    wire: WireFeature<WireArea>,
    factions: Option<&HashSet<String>>,
    region: &dyn Fn(&str) -> RegionCheck<'r>,
    format: Format,
    sink: &mut Sink<'_>,
) -> Option<AreaStatement> {
    let props = properties(wire.properties, sink)?;
    let geometry = geometry::region_polygons(wire.geometry.as_ref(), sink);
    let control = history::entry(&props.entry, "", factions, format, sink);
    if let Some(name) = &props.region {
        let problem = match region(name) {
            RegionCheck::Geometry(r) => geometry
                .as_ref()
                .is_some_and(|g| !geo::Intersects::intersects(r, g))
                .then(|| ProblemKind::RegionMissed { id: name.clone() }),
            RegionCheck::Unknown => Some(ProblemKind::UnknownRegion {
                field: "region".into(),
                id: name.clone(),
            }),
            RegionCheck::Unchecked => None,
        };
        if let Some(problem) = problem {
            sink.problem(problem);
            return None;
        }
    }
    Some(AreaStatement {
        id,
        region: props.region.map(RegionId::new),
        geometry: geometry?,
        control: control?,
    })
}

/// No two areas state control from the same date over the same geometry: one of them could
/// never be in force, and which one is an accident of the ids. Each geometry is hashed on every
/// core, without copying it; areas with the same date and hash are compared exactly.
fn check_same_statements(parsed: &Parsed<AreaStatement>, report: &mut Report) -> bool {
    let hashes: Vec<u64> = parsed
        .items
        .par_iter()
        .map(|area| shape_hash(&area.geometry))
        .collect();
    // (date, hash) → the areas seen with it, in file order.
    let mut seen: HashMap<(crate::model::Date, u64), Vec<&AreaStatement>> = HashMap::new();
    let before = report.problems.len();
    for (area, hash) in parsed.items.iter().zip(hashes) {
        let alike = seen.entry((area.control.from, hash)).or_default();
        let first = alike
            .iter()
            .find(|other| same_shape(&other.geometry, &area.geometry));
        if let Some(first) = first {
            Sink::new(CONTROL, Item::Feature(area.id.clone()), report).problem(
                ProblemKind::SameStatement {
                    first: first.id.clone(),
                    from: area.control.from.to_string(),
                },
            );
        } else {
            alike.push(area);
        }
    }
    report.problems.len() == before
}

/// A geometry's coordinates as bits, x then y, in order: what "the same geometry" compares.
fn coordinate_bits(geometry: &geo::MultiPolygon<f64>) -> impl Iterator<Item = u64> + '_ {
    geo::CoordsIter::coords_iter(geometry).flat_map(|c| [c.x.to_bits(), c.y.to_bits()])
}

/// A hash of [`coordinate_bits`] ([`WordHasher`]: fast, and collisions only cost an exact
/// comparison).
fn shape_hash(geometry: &geo::MultiPolygon<f64>) -> u64 {
    let mut hasher = WordHasher::default();
    coordinate_bits(geometry).for_each(|bits| hasher.write_u64(bits));
    hasher.finish()
}

/// Whether two geometries have the same coordinates, bit for bit, in the same order.
fn same_shape(a: &geo::MultiPolygon<f64>, b: &geo::MultiPolygon<f64>) -> bool {
    coordinate_bits(a).eq(coordinate_bits(b))
}

/// Reads `places.geojson`: named points for labels and search.
pub(crate) fn places(text: &str, rules: Rules, report: &mut Report) -> Option<Parsed<Place>> {
    features(
        text,
        PLACES,
        rules,
        report,
        |id, wire: WireFeature<WirePlace>, sink| {
            let props = properties(wire.properties, sink)?;
            let location = geometry::event_point(wire.geometry.as_ref(), sink);
            let name = required_text(&props.name, "name", sink);
            let source = required_text(&props.source, "source", sink);
            Some(Place {
                id,
                name: name?,
                name_ar: props.name_ar.filter(|n| !n.trim().is_empty()),
                name_geonames: props.name_geonames.filter(|n| !n.trim().is_empty()),
                location: location?,
                major: props.major,
                source: source?,
            })
        },
    )
}

/// Reads `events.geojson`; region references are checked when `regions` is known.
pub(crate) fn events(
    text: &str,
    regions: Option<&HashSet<String>>,
    rules: Rules,
    report: &mut Report,
) -> Option<Parsed<Event>> {
    let format = rules.format;
    let known = regions.map(|set| move |id: &str| set.contains(id));
    features(text, EVENTS, rules, report, |id, wire, sink| {
        let is_region = known.as_ref().map(|k| k as &dyn Fn(&str) -> bool);
        event(id, wire, is_region, format, sink)
    })
}

/// Reads one event feature sent alone (an editor's), with the checks of `events.geojson`.
pub(crate) fn event_feature(
    text: &str,
    is_region: &dyn Fn(&str) -> bool,
    format: Format,
    report: &mut Report,
) -> Option<Event> {
    let mut sink = Sink::new(EVENTS, Item::File, report);
    let raw: &RawValue = read_json(text, "", &mut sink)?;
    feature(
        raw,
        0,
        &mut Ids::default(),
        EVENTS,
        report,
        |id, wire, sink| event(id, wire, Some(is_region), format, sink),
    )
}

/// Converts an event feature; `is_region` tells known region ids, when they can be checked.
fn event(
    id: String,
    wire: WireFeature<WireEvent>,
    is_region: Option<&dyn Fn(&str) -> bool>,
    format: Format,
    sink: &mut Sink<'_>,
) -> Option<Event> {
    let props = properties(wire.properties, sink)?;
    let location = geometry::event_point(wire.geometry.as_ref(), sink);
    let precision = history::precision(props.precision.as_deref(), "precision", sink);
    let date = history::date(&props.date, "date", precision, sink);
    let title = required_text(&props.title, "title", sink);
    let sources = match &props.sources {
        Some(sources) if !sources.is_empty() => history::sources(sources, "", format, sink),
        absent_or_empty => {
            sink.problem(ProblemKind::NoEventSources {
                absent: absent_or_empty.is_none(),
            });
            None
        }
    };
    if let (Some(is_region), Some(region)) = (is_region, &props.region)
        && !is_region(region)
    {
        sink.problem(ProblemKind::UnknownRegion {
            field: "region".into(),
            id: region.clone(),
        });
        return None;
    }
    Some(Event {
        id,
        date: date?,
        precision: precision.unwrap_or(Precision::Day),
        title: title?,
        description: props.description,
        region: props.region.map(RegionId::new),
        location: location?,
        sources: sources?,
    })
}

/// What a file is read by: the data set's format, and the most vertices the file may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub(crate) format: Format,
    pub(crate) max_vertices: usize,
}

/// The vertices a file's features may still have, shared by the threads reading them: once
/// it is spent, the features not read yet are skipped.
struct Budget {
    limit: usize,
    counted: AtomicUsize,
    features: AtomicUsize,
}

impl Budget {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            counted: AtomicUsize::new(0),
            features: AtomicUsize::new(0),
        }
    }

    /// Counts a feature of `vertices` vertices; `false` once the file has more than the limit.
    fn take(&self, vertices: usize) -> bool {
        let before = self.counted.fetch_add(vertices, Ordering::Relaxed);
        self.features.fetch_add(1, Ordering::Relaxed);
        before.saturating_add(vertices) <= self.limit
    }

    fn spent(&self) -> bool {
        self.counted.load(Ordering::Relaxed) > self.limit
    }
}

/// How many positions a geometry has: every ring's, closing positions included.
fn vertex_count(geometry: Option<&geojson::Geometry>) -> usize {
    use geojson::GeometryValue as G;
    let rings = |rings: &Vec<Vec<geojson::Position>>| rings.iter().map(Vec::len).sum::<usize>();
    match geometry.map(|g| &g.value) {
        None => 0,
        Some(G::Point { .. }) => 1,
        Some(G::MultiPoint { coordinates } | G::LineString { coordinates }) => coordinates.len(),
        Some(G::MultiLineString { coordinates } | G::Polygon { coordinates }) => rings(coordinates),
        Some(G::MultiPolygon { coordinates }) => coordinates.iter().map(rings).sum(),
        Some(G::GeometryCollection { geometries }) => {
            geometries.iter().map(|g| vertex_count(Some(g))).sum()
        }
    }
}

/// Reads a `FeatureCollection`, converting each feature with `convert` and its own [`Sink`].
/// `None` if any problem was found.
///
/// Ids are named first, in file order (a repeated id is reported where it repeats); then every
/// feature is read and checked on its own, on every core. Problems keep file order. Reading
/// stops once the features read hold more than `rules.max_vertices`, with one problem saying
/// so.
fn features<P: DeserializeOwned, T: Send>(
    text: &str,
    file: &str,
    rules: Rules,
    report: &mut Report,
    convert: impl Fn(String, WireFeature<P>, &mut Sink<'_>) -> Option<T> + Sync,
) -> Option<Parsed<T>> {
    let format = rules.format;
    let before = report.problems.len();
    let mut sink = Sink::new(file, Item::File, report);
    let collection: WireCollection =
        read_split(text).or_else(|| read_top_level(text, &mut sink))?;
    if !has_type(collection.kind.as_deref(), "FeatureCollection", &mut sink) {
        return None;
    }
    if let Some(v) = collection.version.as_deref() {
        match version(v) {
            None => sink.problem(ProblemKind::Version(v.get().to_owned())),
            Some(found) if found != format => sink.problem(ProblemKind::VersionMismatch {
                found: v.get().to_owned(),
                declared: format.number(),
            }),
            Some(_) => {}
        }
    }
    let Some(raw_features) = collection.features else {
        sink.problem(missing_field("features"));
        return None;
    };
    let budget = Budget::new(rules.max_vertices);
    let read: Vec<Read<T>> = raw_features
        .par_iter()
        .enumerate()
        .filter_map(|(index, raw)| {
            (!budget.spent())
                .then(|| read_unclaimed(raw, index, file, &budget, &convert))
                .flatten()
        })
        .collect();
    if budget.spent() {
        drop(read);
        sink.problem(ProblemKind::TooManyVertices {
            limit: budget.limit,
            counted: budget.counted.into_inner(),
            features: budget.features.into_inner(),
            total: raw_features.len(),
        });
        return None;
    }
    // Ids are claimed in file order, so a repeated id is reported where it repeats.
    let mut ids = Ids::default();
    let mut items = Vec::with_capacity(read.len());
    for (index, read) in read.into_iter().enumerate() {
        report.append(read.naming);
        let kept = read.claim.is_some_and(|(id, item)| {
            let (_, id) = ids.claim(id, item, index, Item::FeatureIndex, file, report);
            id.is_some()
        });
        report.append(read.reading);
        if kept {
            items.extend(read.item);
        }
    }
    Some(Parsed {
        items,
        ids: ids.into_set(),
        complete: report.problems.len() == before,
    })
}

/// A feature's item to report against, and its id when it is usable.
type Named = (Item, Option<String>);

/// A feature read before its id is claimed: the problems naming it, its id and item when the
/// id is well-formed, the problems reading it, and what it converted to.
struct Read<T> {
    naming: Report,
    claim: Option<(String, Item)>,
    reading: Report,
    item: Option<T>,
}

/// Names, reads and converts the feature at `index` on its own, reporting as [`feature`] does
/// but for a repeated id, which the caller finds by claiming the id. `None` when its vertices
/// are more than `budget` has left.
///
/// On the happy path the feature is parsed once, id and all, with no path tracking; when that
/// fails for any reason, it is named and read again the slow way, which reports each problem
/// with its JSON path.
fn read_unclaimed<P: DeserializeOwned, T>(
    raw: &RawValue,
    index: usize,
    file: &str,
    budget: &Budget,
    convert: &impl Fn(String, WireFeature<P>, &mut Sink<'_>) -> Option<T>,
) -> Option<Read<T>> {
    let mut naming = Report::default();
    let mut reading = Report::default();
    if !is_object(raw) {
        Sink::new(file, Item::FeatureIndex(index), &mut naming).problem(ProblemKind::NotObject);
        return Some(Read {
            naming,
            claim: None,
            reading,
            item: None,
        });
    }
    let item = if let Some(wire) = read_quietly::<WireNamedFeature<P>>(raw.get()) {
        if !budget.take(vertex_count(wire.geometry.as_ref())) {
            return None;
        }
        let mut sink = Sink::new(file, Item::FeatureIndex(index), &mut naming);
        let named = id_of(wire.id, index, Item::Feature, Item::FeatureIndex, &mut sink);
        let wire = WireFeature {
            kind: wire.kind,
            properties: wire.properties,
            geometry: wire.geometry,
        };
        let item = convert_feature(wire, named.clone(), file, &mut reading, convert);
        (named, item)
    } else {
        let named = head(
            raw,
            index,
            Item::Feature,
            Item::FeatureIndex,
            file,
            &mut naming,
        );
        let item = read_feature(raw, named.clone(), file, &mut reading, convert);
        (named, item)
    };
    let ((item_name, id), converted) = item;
    Some(Read {
        naming,
        claim: id.map(|id| (id, item_name)),
        reading,
        item: converted,
    })
}

/// Reads the feature at `index` of `file`, converting it with `convert` and its own [`Sink`]:
/// `None` when it has a problem or no usable id.
fn feature<P: DeserializeOwned, T>(
    raw: &RawValue,
    index: usize,
    ids: &mut Ids,
    file: &str,
    report: &mut Report,
    convert: impl FnOnce(String, WireFeature<P>, &mut Sink<'_>) -> Option<T>,
) -> Option<T> {
    let named = name(raw, index, ids, file, report)?;
    read_feature(raw, named, file, report, convert)
}

/// Names the feature at `index`: `None` when it is not even an object.
fn name(
    raw: &RawValue,
    index: usize,
    ids: &mut Ids,
    file: &str,
    report: &mut Report,
) -> Option<Named> {
    if !is_object(raw) {
        Sink::new(file, Item::FeatureIndex(index), report).problem(ProblemKind::NotObject);
        return None;
    }
    Some(ids.name(raw, index, Item::Feature, Item::FeatureIndex, file, report))
}

/// Reads and converts a named feature.
fn read_feature<P: DeserializeOwned, T>(
    raw: &RawValue,
    (item, id): Named,
    file: &str,
    report: &mut Report,
    convert: impl FnOnce(String, WireFeature<P>, &mut Sink<'_>) -> Option<T>,
) -> Option<T> {
    let mut sink = Sink::new(file, item.clone(), report);
    // Properties are named by their own paths (`history[0].from`), as every check names them.
    let wire = read_json::<WireFeature<P>>(raw.get(), "properties.", &mut sink)?;
    convert_feature(wire, (item, id), file, report, convert)
}

/// Checks and converts a feature read from the file.
fn convert_feature<P, T>(
    wire: WireFeature<P>,
    (item, id): Named,
    file: &str,
    report: &mut Report,
    convert: impl FnOnce(String, WireFeature<P>, &mut Sink<'_>) -> Option<T>,
) -> Option<T> {
    let mut sink = Sink::new(file, item, report);
    if !has_type(wire.kind.as_deref(), "Feature", &mut sink) {
        return None;
    }
    // Check the whole feature even without a usable id; keep it only with one.
    let converted = convert(id.clone().unwrap_or_default(), wire, &mut sink);
    converted.zip(id).map(|(c, _)| c)
}

/// Whether `kind` is `expected`; reports a missing or wrong `type` when not.
fn has_type(kind: Option<&str>, expected: &'static str, sink: &mut Sink<'_>) -> bool {
    match kind {
        Some(kind) if kind == expected => true,
        Some(found) => {
            sink.problem(ProblemKind::WrongType {
                expected,
                found: found.to_owned(),
            });
            false
        }
        None => {
            sink.problem(ProblemKind::MissingType { expected });
            false
        }
    }
}

/// A required top-level field that is absent, worded as serde words one inside an item.
fn missing_field(field: &str) -> ProblemKind {
    ProblemKind::Shape {
        path: field.to_owned(),
        message: format!("missing field `{field}`"),
    }
}

/// Whether a (syntactically valid) JSON value is an object.
fn is_object(raw: &RawValue) -> bool {
    raw.get().trim_start().starts_with('{')
}

/// A large `FeatureCollection` whose `features` comes last (as every writer puts it), its
/// features found on every core ([`json_runs`]); `None` for a small text, one core, any other
/// layout or a text with a problem, which [`read_top_level`] then reads on one core and
/// reports. What it gives is what [`read_top_level`] would.
fn read_split(text: &str) -> Option<WireCollection<'_>> {
    let parts = json_runs::parts(text.len());
    if parts < 2 {
        return None;
    }
    split_collection(text, parts)
}

/// [`read_split`] in `parts` runs. The text is read as an outline, itself with `features`
/// empty (which checks every member but the features and that `features` is the member cut
/// out), and the features' text as runs of whole values.
fn split_collection(text: &str, parts: usize) -> Option<WireCollection<'_>> {
    use json_runs::SPACE;
    // The first `"features"` cannot be inside a string (a quote there is escaped): it is a
    // key, of the collection when the outline reads.
    let key = text.find(r#""features""#)?;
    let after_key = &text[key + r#""features""#.len()..];
    let array = after_key
        .trim_start_matches(SPACE)
        .strip_prefix(':')?
        .trim_start_matches(SPACE)
        .strip_prefix('[')?;
    let open = text.len() - array.len();
    let close = text
        .trim_end_matches(SPACE)
        .strip_suffix('}')?
        .trim_end_matches(SPACE)
        .strip_suffix(']')?
        .len();
    if close < open || !text.trim_start().starts_with('{') {
        return None;
    }
    let outline = format!("{}{}", &text[..open], &text[close..]);
    let WireCollection {
        kind,
        version,
        features,
    } = read_quietly(&outline)?;
    if !features.is_some_and(|f| f.is_empty()) {
        return None;
    }
    let runs = json_runs::cut(&text[open..close], parts);
    let features: Vec<Vec<&RawValue>> = runs
        .par_iter()
        .map(|run| json_runs::raw_values(run))
        .collect::<Option<_>>()?;
    Some(WireCollection {
        kind,
        version,
        features: Some(features.concat()),
    })
}

/// Parses a whole file, which must hold one JSON object, into `T`.
fn read_top_level<'de, T: Deserialize<'de>>(text: &'de str, sink: &mut Sink<'_>) -> Option<T> {
    // The happy path reads the text once; anything else is read again to be reported.
    if text.trim_start().starts_with('{')
        && let Some(value) = read_quietly(text)
    {
        return Some(value);
    }
    let raw: &RawValue = read_json(text, "", sink)?;
    if !is_object(raw) {
        sink.problem(ProblemKind::NotObject);
        return None;
    }
    read_json(raw.get(), "", sink)
}

fn properties<P>(props: Option<P>, sink: &mut Sink<'_>) -> Option<P> {
    if props.is_none() {
        sink.problem(ProblemKind::Shape {
            path: "properties".into(),
            message: "missing; the feature needs a properties object".into(),
        });
    }
    props
}

fn required_text(value: &str, field: &str, sink: &mut Sink<'_>) -> Option<String> {
    if value.trim().is_empty() {
        sink.problem(ProblemKind::EmptyText(field.to_owned()));
        return None;
    }
    Some(value.to_owned())
}

/// Parses JSON into `T`, reporting syntax errors with line and column and shape errors with
/// the path of the offending value, less `strip` at its start.
pub(crate) fn read_json<'de, T: Deserialize<'de>>(
    text: &'de str,
    strip: &str,
    sink: &mut Sink<'_>,
) -> Option<T> {
    // Tracking the path costs a fifth of loading a large file: only an error needs it, and
    // reading the same text again meets the same error.
    if let Some(value) = read_quietly(text) {
        return Some(value);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let (path, error) = match serde_path_to_error::deserialize(&mut de) {
        Ok(value) => match de.end() {
            Ok(()) => return Some(value),
            Err(e) => (String::new(), e),
        },
        Err(e) => (e.path().to_string(), e.into_inner()),
    };
    let message = error.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_owned();
    if error.is_syntax() || error.is_eof() {
        sink.problem(ProblemKind::Json {
            line: error.line(),
            column: error.column(),
            message,
        });
    } else {
        // serde_path_to_error names the value itself `.`.
        let path = match path.as_str() {
            "." => String::new(),
            path => path.strip_prefix(strip).unwrap_or(path).to_owned(),
        };
        sink.problem(ProblemKind::Shape { path, message });
    }
    None
}

/// Parses JSON into `T` when it can, reporting nothing.
fn read_quietly<'de, T: Deserialize<'de>>(text: &'de str) -> Option<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = T::deserialize(&mut de).ok()?;
    de.end().ok().map(|()| value)
}

/// Names items by id and catches missing, malformed and repeated ids.
#[derive(Default)]
struct Ids {
    first: HashMap<String, usize>,
}

impl Ids {
    /// The item to report against, and the id when it is usable.
    fn name(
        &mut self,
        raw: &RawValue,
        index: usize,
        by_id: fn(String) -> Item,
        by_index: fn(usize) -> Item,
        file: &str,
        report: &mut Report,
    ) -> (Item, Option<String>) {
        match head(raw, index, by_id, by_index, file, report) {
            (item, Some(id)) => self.claim(id, item, index, by_index, file, report),
            unnamed => unnamed,
        }
    }

    /// Takes `id` for the item at `index`; a repeat of an earlier id is reported, and loses it.
    fn claim(
        &mut self,
        id: String,
        item: Item,
        index: usize,
        by_index: fn(usize) -> Item,
        file: &str,
        report: &mut Report,
    ) -> (Item, Option<String>) {
        if let Some(&first) = self.first.get(&id) {
            let first = by_index(first);
            Sink::new(file, item.clone(), report).problem(ProblemKind::DuplicateId { first });
            return (item, None);
        }
        self.first.insert(id.clone(), index);
        (item, Some(id))
    }

    fn into_set(self) -> HashSet<String> {
        self.first.into_keys().collect()
    }
}

/// Reads the id of the item at `index` (an object), reporting a missing or malformed one; a
/// repeated id is [`Ids::claim`]'s to find.
fn head(
    raw: &RawValue,
    index: usize,
    by_id: fn(String) -> Item,
    by_index: fn(usize) -> Item,
    file: &str,
    report: &mut Report,
) -> Named {
    let mut sink = Sink::new(file, by_index(index), report);
    // An object, so this fails only on a repeated key `id`, which is reported as such.
    let Some(head) = read_json::<WireHead>(raw.get(), "", &mut sink) else {
        return (by_index(index), None);
    };
    id_of(head.id, index, by_id, by_index, &mut sink)
}

/// The item an id names, and the id when it is well-formed; reports a missing or malformed id.
fn id_of(
    id: Option<&RawValue>,
    index: usize,
    by_id: fn(String) -> Item,
    by_index: fn(usize) -> Item,
    sink: &mut Sink<'_>,
) -> Named {
    let Some(id) = id else {
        sink.problem(ProblemKind::MissingId);
        return (by_index(index), None);
    };
    let Some(text) = serde_json::from_str::<String>(id.get())
        .ok()
        .filter(|s| valid_id(s))
    else {
        sink.problem(ProblemKind::BadId(id.get().to_owned()));
        return (by_index(index), None);
    };
    (by_id(text.clone()), Some(text))
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::Rng;

    /// What a collection reads as: its type, its version's text and its features' texts.
    type Outline = (Option<String>, Option<String>, Option<Vec<String>>);

    fn outline(c: &WireCollection<'_>) -> Outline {
        (
            c.kind.clone(),
            c.version.as_ref().map(|v| v.get().to_owned()),
            c.features
                .as_ref()
                .map(|f| f.iter().map(|v| v.get().to_owned()).collect()),
        )
    }

    /// A seeded collection of `n` features written in one of many forms: whitespace, the
    /// members before `features` in any order, other members, strings holding what a cut or
    /// the key looks for.
    fn collection(rng: &mut Rng, n: usize) -> String {
        let mut pick = |options: &[&'static str]| options[rng.below(options.len())];
        let s = pick(&["", " ", "\n  ", "\t", "\r\n    "]);
        let features: Vec<String> = (0..n)
            .map(|i| {
                let note = pick(&[
                    "plain",
                    "},{",
                    "} , {",
                    r#"\"features\": ["#,
                    r"a \\ b \u00e9",
                ]);
                format!(
                    r#"{{{s}"type":{s}"Feature",{s}"id":{s}"f{i}",{s}"properties":{s}{{"note":"{note}","n":[{i},{{"x":[]}}]}},{s}"geometry":{s}{{"type":"Point","coordinates":[{i}.5,{s}-1e2]}}{s}}}"#
                )
            })
            .collect();
        let mut head = vec![
            format!(r#""type":{s}"FeatureCollection""#),
            format!(r#""version":{s}2"#),
        ];
        if rng.below(2) == 0 {
            head.push(format!(r#""name":{s}{{"a":[1,{{"b":"]}}"}}]}}"#));
        }
        if rng.below(2) == 0 {
            head.swap(0, 1);
        }
        head.push(format!(
            r#""features"{s}:{s}[{s}{}{s}]"#,
            features.join(&format!("{s},{s}"))
        ));
        format!("{s}{{{s}{}{s}}}{s}", head.join(&format!(",{s}")))
    }

    #[test]
    fn a_collection_read_in_runs_reads_as_it_does_whole() {
        let mut rng = Rng::new(7);
        let mut split_read = 0;
        for round in 0..200 {
            let text = collection(&mut rng, 1 + round % 40);
            let whole: WireCollection = read_quietly(&text).expect("a valid collection");
            for parts in 2..6 {
                // A cut that falls in a string (a note holding `},{`) is not read.
                if let Some(split) = split_collection(&text, parts) {
                    split_read += 1;
                    assert_eq!(outline(&split), outline(&whole), "{text}");
                }
            }
        }
        assert!(split_read > 400, "{split_read} of 800 read in runs");
    }

    #[test]
    fn a_collection_in_runs_accepts_nothing_serde_refuses() {
        let mut rng = Rng::new(11);
        let marks = r#"{ } [ ] , : " \ 1 e "features" },{"#.split(' ').chain([" "]);
        let marks: Vec<&str> = marks.collect();
        let mut split_read = 0;
        for _ in 0..4_000 {
            let n = 1 + rng.below(12);
            let mut text = collection(&mut rng, n).into_bytes();
            for _ in 0..=rng.below(3) {
                let at = rng.below(text.len());
                match rng.below(3) {
                    0 => {
                        text.remove(at);
                    }
                    1 => text
                        .splice(at..at, marks[rng.below(marks.len())].bytes())
                        .for_each(drop),
                    _ => text[at] = marks[rng.below(marks.len())].as_bytes()[0],
                }
            }
            let Ok(text) = String::from_utf8(text) else {
                continue;
            };
            let whole = read_quietly::<WireCollection>(&text)
                .filter(|_| text.trim_start().starts_with('{'));
            if let Some(split) = split_collection(&text, 2 + rng.below(4)) {
                split_read += 1;
                let whole = whole.unwrap_or_else(|| panic!("serde refuses {text}"));
                assert_eq!(outline(&split), outline(&whole), "{text}");
            }
        }
        assert!(
            split_read > 400,
            "the corruptions left {split_read} texts to split"
        );
    }

    #[test]
    fn other_layouts_are_not_split() {
        for text in [
            // `features` not last, or not the collection's, or not an array.
            r#"{"features": [{"a": 1}, {"b": 2}], "type": "FeatureCollection"}"#,
            r#"{"type": "FeatureCollection", "x": {"features": [{"a": 1}, {"b": 2}]}}"#,
            r#"{"type": "FeatureCollection", "features": {"a": [{"b": 2}]}}"#,
            // Two `features`, an empty array, a trailing comma, an array at the top.
            r#"{"features": [], "type": "FeatureCollection", "features": [{"a": 1}, {"b": 2}]}"#,
            r#"{"type": "FeatureCollection", "features": [ ]}"#,
            r#"{"type": "FeatureCollection", "features": [{"a": 1}, {"b": 2},]}"#,
            r#"[{"type": "FeatureCollection", "features": [{"a": 1}, {"b": 2}]}]"#,
        ] {
            assert!(split_collection(text, 2).is_none(), "{text}");
        }
    }
}
