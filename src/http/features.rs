//! The feature collections' GeoJSON shapes, serialised straight from model values.

use geo::{LineString, MultiPolygon, Polygon};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use crate::answer::{ControlAnswer, ShareAnswer, km2};
use crate::engine::{ControlPeriod, Engine, FrontLine, Holder, RegionStatus, Scope, StatementKey};
use crate::live::RegionRef;
use crate::model::{
    ControlEntry, ControlStatus, Date, Event, Faction, FactionId, Format, LonLat, Precision,
    Region, RegionId, Source,
};

/// A GeoJSON Feature with a string id.
#[derive(Debug, Serialize, ToSchema)]
pub struct Feature<'a, P> {
    /// Always `Feature`.
    #[serde(rename = "type")]
    #[schema(example = "Feature")]
    kind: &'static str,
    /// The region id (`ghab-plain`); a control period's `regionId@YYYY-MM-DD` (format 1 data) or
    /// `<statement>@YYYY-MM-DD` (format 2: the statement's id and the period's first day); a
    /// statement's id; the event id.
    id: String,
    geometry: Geometry<'a>,
    properties: P,
}

/// A feature's geometry: a multipolygon written from the model, a computed front line, or an
/// event's point.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Geometry<'a> {
    /// A region's, a control area's or a piece of the control map's geometry: a GeoJSON
    /// `MultiPolygon`, WGS84, written straight from the model.
    #[schema(value_type = Object, title = "MultiPolygon")]
    Shape(MultiPolygonJson<'a>),
    /// A geometry computed for the request: a front line.
    #[schema(value_type = Object, title = "Computed")]
    Computed(geojson::Geometry),
    /// An event's location.
    #[schema(title = "Point")]
    Point {
        /// Always `Point`.
        #[serde(rename = "type")]
        #[schema(example = "Point")]
        kind: &'static str,
        /// Longitude, latitude (degrees, WGS84).
        coordinates: [f64; 2],
    },
}

/// A `MultiPolygon` as GeoJSON (`type`, then `coordinates`, as the `geojson` crate writes it),
/// serialised from the geometry itself with no intermediate copy.
#[derive(Debug, Clone, Copy)]
pub struct MultiPolygonJson<'a>(pub &'a MultiPolygon<f64>);

impl Serialize for MultiPolygonJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Polygons<'a>(&'a MultiPolygon<f64>);
        struct Rings<'a>(&'a Polygon<f64>);
        struct Positions<'a>(&'a LineString<f64>);
        impl Serialize for Polygons<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(Rings))
            }
        }
        impl Serialize for Rings<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let rings = std::iter::once(self.0.exterior()).chain(self.0.interiors());
                s.collect_seq(rings.map(Positions))
            }
        }
        impl Serialize for Positions<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.coords().map(|c| [c.x, c.y]))
            }
        }
        let mut geometry = serializer.serialize_struct("Geometry", 2)?;
        geometry.serialize_field("type", "MultiPolygon")?;
        geometry.serialize_field("coordinates", &Polygons(self.0))?;
        geometry.end()
    }
}

/// A feature of any collection; serialised as the feature itself.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AnyFeature<'a> {
    /// A region with its control on a date.
    Region(Feature<'a, RegionProperties<'a>>),
    /// One period of control of one region (format 1 data).
    Period(Feature<'a, PeriodProperties<'a>>),
    /// One period of one statement, while its in-force part stayed the same (format 2 data).
    StatementPeriod(Feature<'a, StatementPeriodProperties<'a>>),
    /// A dated, sourced event.
    Event(Feature<'a, EventProperties<'a>>),
    /// A statement of control: as written, or its part in force on a date.
    Statement(Feature<'a, StatementProperties<'a>>),
    /// A front line on a date.
    Front(Feature<'a, FrontProperties<'a>>),
}

/// A statement of control (collections `control` and `control-statements`), all properties
/// flat but `factions` and `sources`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementProperties<'a> {
    /// The statement's id: a control area's, or `<region>@<from>`.
    #[schema(example = "northern-ghab-army-retakes-2015")]
    statement: String,
    /// `area` or `region` (a region-wide history entry).
    scope: Scope,
    /// For a region-wide entry its region; for an area, the region it was traced for (if any).
    #[schema(required = true)]
    region: Option<&'a RegionId>,
    /// `held` or `contested`.
    status: ControlStatus,
    /// The holding faction, or `contested`.
    #[schema(example = "government")]
    holder: &'a str,
    /// The faction(s) named.
    factions: &'a [FactionId],
    /// The holding faction's colour when `held`, else `null`.
    #[schema(required = true, pattern = "^#[0-9a-f]{6}$")]
    color: Option<&'a str>,
    /// First day the statement holds.
    #[schema(value_type = String, format = Date)]
    since: Date,
    /// How precisely `since` is known.
    precision: Precision,
    /// What the sources say and what is uncertain.
    note: &'a str,
    /// Who says so.
    sources: &'a [Source],
    /// For the `control` collection, the date of the map.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    at: Option<Date>,
    /// Geodesic area of the geometry shown, km², to 0.1 km².
    km2: f64,
}

/// Where two holders meet on a date.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrontProperties<'a> {
    /// The two holders (faction ids, or `contested`), ordered.
    #[schema(example = json!(["government", "jaish-al-fatah"]))]
    sides: [&'a str; 2],
    /// The date of the map.
    #[schema(value_type = String, format = Date)]
    at: Date,
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
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionProperties<'a> {
    /// English name.
    name: &'a str,
    /// Arabic name.
    #[schema(required = true)]
    name_ar: Option<&'a str>,
    /// What the region is and where its boundary runs.
    description: &'a str,
    /// The region this one lies in, if it is a sub-region.
    #[schema(required = true)]
    parent: Option<&'a RegionId>,
    /// When the history was last checked against the sources.
    #[schema(required = true, value_type = Option<String>, format = Date)]
    last_reviewed: Option<Date>,
    /// Geodesic area, km², to 0.1 km².
    #[schema(minimum = 0)]
    area_km2: f64,
    /// The date `control` and the flat fields describe.
    #[schema(value_type = String, format = Date, example = "2015-08-20")]
    at: Date,
    /// The region's control on `at`, for clients that cannot read nested JSON: with control
    /// areas (format 2) the summary of its `shares` (`held`, `contested`, `divided` or
    /// `unknown`); with format 1 data, `control.status`.
    #[schema(example = "contested")]
    status: RegionStatus,
    /// The one faction holding all its known land (`status` `held`), else `null`.
    #[schema(required = true)]
    faction: Option<&'a FactionId>,
    /// Flat copy of `control.since`.
    #[schema(required = true, value_type = Option<String>, format = Date, example = "2015-08-11")]
    since: Option<Date>,
    /// The holding faction's colour (`#rrggbb`) when `held`, else `null`.
    #[schema(required = true, pattern = "^#[0-9a-f]{6}$", example = "#d55e00")]
    color: Option<&'a str>,
    /// The region's own history entry in force on `at` (a statement about its whole polygon).
    control: ControlAnswer<'a>,
    /// What each holder has of the region on `at`, largest first; percentages sum to 100.0.
    shares: Vec<ShareAnswer<'a>>,
    /// Every control entry, oldest first.
    history: &'a [ControlEntry],
}

/// One control period of one region, all properties flat (QGIS Temporal Controller, shapefiles).
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodProperties<'a> {
    /// The region's id.
    region: &'a RegionId,
    /// The region's English name.
    region_name: &'a str,
    /// `held` or `contested`.
    #[schema(example = "held")]
    status: ControlStatus,
    /// Faction ids, separated by ", ".
    factions: String,
    /// The holding faction; `null` when contested.
    #[schema(required = true)]
    faction: Option<&'a FactionId>,
    /// The holding faction's colour (`#rrggbb`); `null` when contested.
    #[schema(required = true, pattern = "^#[0-9a-f]{6}$", example = "#d55e00")]
    color: Option<&'a str>,
    /// First day of the period.
    #[schema(value_type = String, format = Date, example = "2015-08-11")]
    valid_from: Date,
    /// First day of the next period; `null` while in force.
    #[schema(required = true, value_type = Option<String>, format = Date)]
    valid_to: Option<Date>,
    /// How precisely the sources date `valid_from`.
    precision: Precision,
    /// What happened and what is uncertain.
    note: &'a str,
    /// `title (published) url`, separated by ` | `.
    sources: String,
}

/// One period of one statement (collection `control-periods` with format 2 data): from
/// `valid_from` until the day before `valid_to` the statement was in force on the feature's
/// geometry and nowhere else. All properties flat, as for a region's period.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementPeriodProperties<'a> {
    /// The statement's id: a control area's, or `<region>@<from>` for a region-wide entry.
    #[schema(example = "northern-ghab-army-retakes-2015")]
    statement: String,
    /// `area` or `region` (a region-wide history entry).
    scope: Scope,
    /// For a region-wide entry its region; for an area, the region it was traced for (if any).
    #[schema(required = true)]
    region: Option<&'a RegionId>,
    /// That region's English name.
    #[schema(required = true)]
    region_name: Option<&'a str>,
    /// `held` or `contested`.
    #[schema(example = "held")]
    status: ControlStatus,
    /// The holding faction, or `contested`.
    #[schema(example = "government")]
    holder: &'a str,
    /// Faction ids, separated by ", ".
    factions: String,
    /// The holding faction; `null` when contested.
    #[schema(required = true)]
    faction: Option<&'a FactionId>,
    /// The holding faction's colour (`#rrggbb`); `null` when contested.
    #[schema(required = true, pattern = "^#[0-9a-f]{6}$", example = "#d55e00")]
    color: Option<&'a str>,
    /// First day the statement holds (its `from`); the first period starts on it.
    #[schema(value_type = String, format = Date, example = "2015-08-18")]
    since: Date,
    /// How precisely the sources date `since`.
    precision: Precision,
    /// First day of the period (inclusive).
    #[schema(value_type = String, format = Date, example = "2015-08-18")]
    valid_from: Date,
    /// First day after the period (exclusive): when a later statement took part of this one's
    /// ground, or a region's next entry replaced it; `null` while it still holds as it is.
    #[schema(required = true, value_type = Option<String>, format = Date)]
    valid_to: Option<Date>,
    /// What the sources say and what is uncertain.
    note: &'a str,
    /// `title (published) url`, separated by ` | `.
    sources: String,
    /// Geodesic area of the geometry, km², to 0.1 km².
    km2: f64,
}

/// A dated, sourced event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventProperties<'a> {
    /// When it happened.
    #[schema(value_type = String, format = Date, example = "2015-08-11")]
    date: Date,
    /// How precisely the sources date it.
    precision: Precision,
    /// A one-line headline.
    title: &'a str,
    /// What happened.
    description: &'a str,
    /// The region it concerns, if any.
    #[schema(required = true)]
    region: Option<&'a RegionId>,
    /// Who says so.
    sources: &'a [Source],
}

/// A statement as a feature: its `geometry` (the whole area as written, or its part in force
/// on `at`) and what it says.
pub fn statement<'a>(
    engine: &'a Engine,
    key: StatementKey,
    geometry: Geometry<'a>,
    km2_shown: f64,
    at: Option<Date>,
) -> Feature<'a, StatementProperties<'a>> {
    let data = engine.dataset();
    let s = engine.statement(key);
    let region = match key {
        StatementKey::Area(i) => data.areas[i].region.as_ref(),
        StatementKey::Region { region, .. } => Some(&data.regions[region].id),
    };
    let id = s.id.to_string();
    Feature::new(
        id.clone(),
        geometry,
        StatementProperties {
            statement: id,
            scope: s.scope(),
            region,
            status: s.control.status,
            holder: s.holder().as_str(),
            factions: &s.control.factions,
            color: color(&data.factions, s.control.holder()),
            since: s.control.from,
            precision: s.control.precision,
            note: &s.control.note,
            sources: &s.control.sources,
            at,
            km2: km2(km2_shown),
        },
    )
}

/// A front line as a feature.
pub fn front<'a>(line: &FrontLine<'a>, at: Date) -> Feature<'a, FrontProperties<'a>> {
    let sides = [line.sides[0].as_str(), line.sides[1].as_str()];
    Feature::new(
        format!("{}--{}", sides[0], sides[1]),
        Geometry::Computed(geojson::Geometry::from(&line.geometry)),
        FrontProperties { sides, at },
    )
}

fn color<'a>(factions: &'a [Faction], faction: Option<&FactionId>) -> Option<&'a str> {
    let faction = faction?;
    factions
        .iter()
        .find(|f| &f.id == faction)
        .map(|f| f.color.as_str())
}

/// A region as a feature, with its control and shares on `at`.
pub fn region<'a>(
    engine: &'a Engine,
    r: RegionRef<'a>,
    at: Date,
) -> Feature<'a, RegionProperties<'a>> {
    let region = r.region;
    let entry = region
        .history
        .partition_point(|e| e.from <= at)
        .checked_sub(1);
    let statement = entry.map(|entry| {
        engine.statement(StatementKey::Region {
            region: r.index,
            entry,
        })
    });
    let shares = engine.shares(r.index, at);
    let (status, faction) = if engine.dataset().format < Format::V2 {
        let entry = statement.map(|s| s.control);
        let status = match ControlStatus::of(entry) {
            ControlStatus::Held => RegionStatus::Held,
            ControlStatus::Contested => RegionStatus::Contested,
            ControlStatus::Unknown => RegionStatus::Unknown,
        };
        (status, entry.and_then(ControlEntry::holder))
    } else {
        let status = RegionStatus::of(&shares);
        let holder = shares.iter().find_map(|s| match s.holder {
            Holder::Faction(f) if status == RegionStatus::Held => Some(f),
            _ => None,
        });
        (status, holder)
    };
    Feature::new(
        region.id.to_string(),
        Geometry::Shape(MultiPolygonJson(&region.geometry)),
        RegionProperties {
            name: &region.name,
            name_ar: region.name_ar.as_deref(),
            description: &region.description,
            parent: region.parent.as_ref(),
            last_reviewed: region.last_reviewed,
            area_km2: km2(r.area_km2),
            at,
            status,
            faction,
            since: statement.map(|s| s.control.from),
            color: color(&engine.dataset().factions, faction),
            control: ControlAnswer::of(statement.as_ref()),
            shares: shares.iter().map(ShareAnswer::new).collect(),
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
        Geometry::Shape(MultiPolygonJson(&region.geometry)),
        PeriodProperties {
            region: &region.id,
            region_name: &region.name,
            status: e.status,
            factions: factions_text(&e.factions),
            faction,
            color: color(factions, faction),
            valid_from: e.from,
            valid_to: region.history.get(entry + 1).map(|next| next.from),
            precision: e.precision,
            note: &e.note,
            sources: sources_text(&e.sources),
        },
    )
}

/// One period of a statement, with its id `<statement>@<first day>`.
pub fn statement_period<'a>(
    engine: &'a Engine,
    period: &'a ControlPeriod,
) -> Feature<'a, StatementPeriodProperties<'a>> {
    let data = engine.dataset();
    let s = engine.statement(period.key);
    let region = match period.key {
        StatementKey::Area(i) => data.areas[i].region.as_ref(),
        StatementKey::Region { region, .. } => Some(&data.regions[region].id),
    };
    let statement = s.id.to_string();
    let faction = s.control.holder();
    Feature::new(
        format!("{statement}@{}", period.start),
        Geometry::Shape(MultiPolygonJson(&period.geometry)),
        StatementPeriodProperties {
            statement,
            scope: s.scope(),
            region,
            region_name: region
                .and_then(|id| data.regions.get(id.as_str()))
                .map(|r| r.name.as_str()),
            status: s.control.status,
            holder: s.holder().as_str(),
            factions: factions_text(&s.control.factions),
            faction,
            color: color(&data.factions, faction),
            since: s.control.from,
            precision: s.control.precision,
            valid_from: period.start,
            valid_to: period.end,
            note: &s.control.note,
            sources: sources_text(&s.control.sources),
            km2: km2(period.km2),
        },
    )
}

/// Faction ids as one text field: `a, b`.
fn factions_text(factions: &[FactionId]) -> String {
    factions
        .iter()
        .map(FactionId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sources as one text field: `title (published) url`, separated by ` | `.
fn sources_text(sources: &[Source]) -> String {
    sources
        .iter()
        .map(|s| match s.published {
            Some(date) => format!("{} ({date}) {}", s.title, s.url),
            None => format!("{} {}", s.title, s.url),
        })
        .collect::<Vec<_>>()
        .join(" | ")
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

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, MultiPolygon, Polygon};

    #[test]
    fn a_multipolygon_is_written_as_the_geojson_crate_writes_it() {
        let ring = |coords: &[(f64, f64)]| LineString::from(coords.to_vec());
        let shapes = [
            MultiPolygon::new(vec![]),
            MultiPolygon::new(vec![
                Polygon::new(
                    ring(&[(36.0, 35.5), (36.5, 35.5), (36.5, 36.0), (36.0, 35.5)]),
                    vec![ring(&[
                        (36.1, 35.6),
                        (36.2, 35.6),
                        (36.2, 35.7),
                        (36.1, 35.6),
                    ])],
                ),
                Polygon::new(
                    ring(&[
                        (-179.999_999_9, -89.5),
                        (1e-9, 5e-324),
                        (180.0, 1.234_567_890_123_456_7),
                        (-179.999_999_9, -89.5),
                    ]),
                    vec![],
                ),
            ]),
        ];
        for shape in &shapes {
            let ours = serde_json::to_string(&MultiPolygonJson(shape)).unwrap();
            let theirs = serde_json::to_string(&geojson::Geometry::from(shape)).unwrap();
            assert_eq!(ours, theirs);
        }
    }
}
