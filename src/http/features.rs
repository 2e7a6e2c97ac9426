//! The three feature collections' GeoJSON shapes, serialised straight from model values.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::answer::{ControlAnswer, km2};
use crate::live::RegionRef;
use crate::model::{
    ControlEntry, ControlStatus, Date, Event, Faction, FactionId, LonLat, Precision, Region,
    RegionId, Source,
};

/// A GeoJSON Feature with a string id.
#[derive(Debug, Serialize)]
pub struct Feature<'a, P> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    geometry: Geometry<'a>,
    properties: P,
}

/// Either a geometry serialised once at load, or an event's point.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Geometry<'a> {
    /// Pre-serialised region geometry.
    Raw(&'a RawValue),
    /// An event's location.
    Point {
        #[serde(rename = "type")]
        kind: &'static str,
        coordinates: [f64; 2],
    },
}

impl<'a, P> Feature<'a, P> {
    fn new(id: String, geometry: Geometry<'a>, properties: P) -> Self {
        Self {
            kind: "Feature",
            id,
            geometry,
            properties,
        }
    }
}

/// A region with its control on a date (nested and flat) and its whole history.
#[derive(Debug, Serialize)]
pub struct RegionProperties<'a> {
    name: &'a str,
    name_ar: Option<&'a str>,
    description: &'a str,
    parent: Option<&'a RegionId>,
    last_reviewed: Option<Date>,
    area_km2: f64,
    /// The date `control` and the flat fields describe.
    at: Date,
    /// Flat copies of `control`, for clients that cannot read nested JSON.
    status: ControlStatus,
    faction: Option<&'a FactionId>,
    since: Option<Date>,
    color: Option<&'a str>,
    control: ControlAnswer<'a>,
    history: &'a [ControlEntry],
}

/// One control period of one region, all properties flat (QGIS Temporal Controller, shapefiles).
#[derive(Debug, Serialize)]
pub struct PeriodProperties<'a> {
    region: &'a RegionId,
    region_name: &'a str,
    status: ControlStatus,
    /// Faction ids, separated by ", ".
    factions: String,
    /// The holding faction; `null` when contested.
    faction: Option<&'a FactionId>,
    color: Option<&'a str>,
    valid_from: Date,
    /// First day of the next period; `null` while in force.
    valid_to: Option<Date>,
    precision: Precision,
    note: &'a str,
    /// `title (published) url`, separated by ` | `.
    sources: String,
}

/// An event.
#[derive(Debug, Serialize)]
pub struct EventProperties<'a> {
    date: Date,
    precision: Precision,
    title: &'a str,
    description: &'a str,
    region: Option<&'a RegionId>,
    sources: &'a [Source],
}

fn color<'a>(factions: &'a [Faction], faction: Option<&FactionId>) -> Option<&'a str> {
    let faction = faction?;
    factions
        .iter()
        .find(|f| &f.id == faction)
        .map(|f| f.color.as_str())
}

/// A region as a feature, with its control on `at`; colours come from `factions`.
pub fn region<'a>(
    r: RegionRef<'a>,
    factions: &'a [Faction],
    at: Date,
) -> Feature<'a, RegionProperties<'a>> {
    let region = r.region;
    let entry = region.control_at(at);
    let faction = entry.and_then(ControlEntry::holder);
    Feature::new(
        region.id.to_string(),
        Geometry::Raw(r.geometry),
        RegionProperties {
            name: &region.name,
            name_ar: region.name_ar.as_deref(),
            description: &region.description,
            parent: region.parent.as_ref(),
            last_reviewed: region.last_reviewed,
            area_km2: km2(r.area_km2),
            at,
            status: ControlStatus::of(entry),
            faction,
            since: entry.map(|e| e.from),
            color: color(factions, faction),
            control: ControlAnswer::new(entry),
            history: &region.history,
        },
    )
}

/// The `entry`-th history period of a region.
pub fn period<'a>(
    r: RegionRef<'a>,
    factions: &'a [Faction],
    entry: usize,
) -> Feature<'a, PeriodProperties<'a>> {
    let region = r.region;
    let e = &region.history[entry];
    let faction = e.holder();
    Feature::new(
        period_id(region, e),
        Geometry::Raw(r.geometry),
        PeriodProperties {
            region: &region.id,
            region_name: &region.name,
            status: e.status,
            factions: e
                .factions
                .iter()
                .map(FactionId::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            faction,
            color: color(factions, faction),
            valid_from: e.from,
            valid_to: region.history.get(entry + 1).map(|next| next.from),
            precision: e.precision,
            note: &e.note,
            sources: e
                .sources
                .iter()
                .map(|s| match s.published {
                    Some(date) => format!("{} ({date}) {}", s.title, s.url),
                    None => format!("{} {}", s.title, s.url),
                })
                .collect::<Vec<_>>()
                .join(" | "),
        },
    )
}

/// The id of a control period: `region@from`.
pub fn period_id(region: &Region, entry: &ControlEntry) -> String {
    format!("{}@{}", region.id, entry.from)
}

/// An event as a feature.
pub fn event(e: &Event) -> Feature<'_, EventProperties<'_>> {
    let at: LonLat = e.location;
    Feature::new(
        e.id.clone(),
        Geometry::Point {
            kind: "Point",
            coordinates: [at.lon(), at.lat()],
        },
        EventProperties {
            date: e.date,
            precision: e.precision,
            title: &e.title,
            description: &e.description,
            region: e.region.as_ref(),
            sources: &e.sources,
        },
    )
}
