//! The three files' wire shapes and their one conversion into model types. Each feature or
//! faction is read on its own, so a broken one is reported and the rest are still checked.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::history::{self, WireEntry, WireSource};
use super::report::{Item, ProblemKind, Report, Sink};
use super::{EVENTS, FACTIONS, REGIONS, geometry};
use crate::model::{Color, Event, Faction, FactionId, Precision, Region, RegionId};

/// `factions.json`.
#[derive(Deserialize)]
struct WireFactionsFile<'a> {
    version: Option<&'a RawValue>,
    #[serde(borrow, default)]
    factions: Vec<&'a RawValue>,
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
    #[serde(rename = "type", default)]
    kind: String,
    version: Option<&'a RawValue>,
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
    #[serde(rename = "type", default)]
    kind: String,
    properties: Option<P>,
    geometry: Option<geojson::Geometry>,
}

#[derive(Deserialize)]
struct WireRegion {
    #[serde(default)]
    name: String,
    name_ar: Option<String>,
    #[serde(default)]
    description: String,
    parent: Option<String>,
    last_reviewed: Option<String>,
    #[serde(default)]
    history: Vec<WireEntry>,
}

#[derive(Deserialize)]
struct WireEvent {
    #[serde(default)]
    date: String,
    precision: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    region: Option<String>,
    #[serde(default)]
    sources: Vec<WireSource>,
}

/// What a file yielded: the items that are valid, every usable id (so that references to an
/// item with problems of its own are not reported as unknown), and whether all was well.
pub(crate) struct Parsed<T> {
    pub(crate) items: Vec<T>,
    pub(crate) ids: HashSet<String>,
    pub(crate) complete: bool,
}

/// Reads `factions.json`. `None` when the file as a whole is unusable.
pub(crate) fn factions(text: &str, report: &mut Report) -> Option<Parsed<Faction>> {
    let mut sink = Sink::new(FACTIONS, Item::File, report);
    let file: WireFactionsFile = read_json(text, &mut sink)?;
    let version_ok = match file.version {
        Some(v) if v.get() == "1" => true,
        Some(v) => {
            sink.problem(ProblemKind::Version(v.get().to_owned()));
            false
        }
        None => {
            sink.problem(ProblemKind::Version("(missing)".into()));
            false
        }
    };
    let before = report.problems.len();
    let mut ids = Ids::default();
    let mut items = Vec::with_capacity(file.factions.len());
    for (index, raw) in file.factions.iter().enumerate() {
        let (item, id) = ids.name(
            raw,
            index,
            Item::Faction,
            Item::FactionIndex,
            FACTIONS,
            report,
        );
        let mut sink = Sink::new(FACTIONS, item, report);
        let Some(wire) = read_json::<WireFaction>(raw.get(), &mut sink) else {
            continue;
        };
        if let Some(f) = faction(id.unwrap_or_default(), &wire, &mut sink) {
            items.push(f);
        }
    }
    Some(Parsed {
        items,
        ids: ids.into_set(),
        complete: version_ok && report.problems.len() == before,
    })
}

fn faction(id: String, w: &WireFaction, sink: &mut Sink<'_>) -> Option<Faction> {
    let name = required_text(&w.name, "name", sink);
    let description = required_text(&w.description, "description", sink);
    let color = Color::parse(&w.color);
    if color.is_none() {
        sink.problem(ProblemKind::BadColor(w.color.clone()));
    }
    let sources = if w.sources.is_empty() {
        Some(Vec::new())
    } else {
        history::sources(&w.sources, "description", sink)
    };
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
    report: &mut Report,
) -> Option<Parsed<Region>> {
    let mut parsed = features(
        text,
        REGIONS,
        report,
        |id, wire: WireFeature<WireRegion>, sink| {
            let props = properties(wire.properties, sink)?;
            let geometry = geometry::region_polygons(wire.geometry.as_ref(), sink);
            let name = required_text(&props.name, "name", sink);
            let last_reviewed = props
                .last_reviewed
                .as_deref()
                .map(|d| history::date(d, "last_reviewed", None, sink));
            let history = history::history(&props.history, factions, sink);
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

/// Every `parent` names a region, and no chain of parents loops.
fn check_parents(parsed: &Parsed<Region>, report: &mut Report) -> bool {
    let regions = &parsed.items;
    let by_id: HashMap<&str, &Region> = regions.iter().map(|r| (r.id.as_str(), r)).collect();
    let before = report.problems.len();
    for region in regions {
        let mut sink = Sink::new(REGIONS, Item::Feature(region.id.to_string()), report);
        let mut current = region;
        let mut steps = 0;
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
            steps += 1;
            if next.id == region.id || steps > regions.len() {
                sink.problem(ProblemKind::ParentCycle);
                break;
            }
            current = next;
        }
    }
    report.problems.len() == before
}

/// Reads `events.geojson`; region references are checked when `regions` is known.
pub(crate) fn events(
    text: &str,
    regions: Option<&HashSet<String>>,
    report: &mut Report,
) -> Option<Parsed<Event>> {
    features(
        text,
        EVENTS,
        report,
        |id, wire: WireFeature<WireEvent>, sink| {
            let props = properties(wire.properties, sink)?;
            let location = geometry::event_point(wire.geometry.as_ref(), sink);
            let precision = history::precision(props.precision.as_deref(), "precision", sink);
            let date = history::date(&props.date, "date", precision, sink);
            let title = required_text(&props.title, "title", sink);
            let sources = history::sources(&props.sources, "event", sink);
            if let (Some(known), Some(region)) = (regions, &props.region)
                && !known.contains(region.as_str())
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
        },
    )
}

/// Reads a `FeatureCollection`, converting each feature with `convert` and its own [`Sink`].
/// `None` if any problem was found.
fn features<P: DeserializeOwned, T>(
    text: &str,
    file: &str,
    report: &mut Report,
    mut convert: impl FnMut(String, WireFeature<P>, &mut Sink<'_>) -> Option<T>,
) -> Option<Parsed<T>> {
    let before = report.problems.len();
    let mut sink = Sink::new(file, Item::File, report);
    let collection: WireCollection = read_json(text, &mut sink)?;
    if collection.kind != "FeatureCollection" {
        sink.problem(ProblemKind::WrongType {
            expected: "FeatureCollection",
            found: collection.kind,
        });
        return None;
    }
    if let Some(v) = collection.version.filter(|v| v.get() != "1") {
        sink.problem(ProblemKind::Version(v.get().to_owned()));
    }
    let Some(raw_features) = collection.features else {
        sink.problem(ProblemKind::Shape {
            path: "features".into(),
            message: "missing field `features`".into(),
        });
        return None;
    };
    let mut ids = Ids::default();
    let mut out = Vec::with_capacity(raw_features.len());
    for (index, raw) in raw_features.iter().enumerate() {
        let (item, id) = ids.name(raw, index, Item::Feature, Item::FeatureIndex, file, report);
        let mut sink = Sink::new(file, item, report);
        let Some(wire) = read_json::<WireFeature<P>>(raw.get(), &mut sink) else {
            continue;
        };
        if wire.kind != "Feature" {
            sink.problem(ProblemKind::WrongType {
                expected: "Feature",
                found: wire.kind,
            });
            continue;
        }
        // Check the whole feature even without a usable id; keep it only with one.
        let converted = convert(id.clone().unwrap_or_default(), wire, &mut sink);
        if let (Some(converted), Some(_)) = (converted, id) {
            out.push(converted);
        }
    }
    Some(Parsed {
        items: out,
        ids: ids.into_set(),
        complete: report.problems.len() == before,
    })
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
/// the path of the offending value.
fn read_json<'de, T: Deserialize<'de>>(text: &'de str, sink: &mut Sink<'_>) -> Option<T> {
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
        sink.problem(ProblemKind::Shape { path, message });
    }
    None
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
        let id = serde_json::from_str::<WireHead>(raw.get())
            .ok()
            .and_then(|h| h.id);
        let Some(id) = id else {
            Sink::new(file, by_index(index), report).problem(ProblemKind::MissingId);
            return (by_index(index), None);
        };
        let Some(text) = serde_json::from_str::<String>(id.get())
            .ok()
            .filter(|s| valid_id(s))
        else {
            Sink::new(file, by_index(index), report)
                .problem(ProblemKind::BadId(id.get().to_owned()));
            return (by_index(index), None);
        };
        let item = by_id(text.clone());
        if let Some(&first) = self.first.get(&text) {
            let first = by_index(first);
            Sink::new(file, item.clone(), report).problem(ProblemKind::DuplicateId { first });
            return (item, None);
        }
        self.first.insert(text.clone(), index);
        (item, Some(text))
    }

    fn into_set(self) -> HashSet<String> {
        self.first.into_keys().collect()
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}
