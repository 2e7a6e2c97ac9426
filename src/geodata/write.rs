//! Writes a [`Dataset`] back out as a geodata directory, in the format [`super::load`] reads
//! (`geodata/README.md`), so that loading the written directory gives the same dataset.
//!
//! 1. Each file's wire shape is a serde struct borrowing from the model: no JSON is built
//!    by hand, and optional fields are left out when empty (`precision` when it is `day`).
//! 2. [`GeoFormatter`] pretty-prints with two-space indents but keeps arrays of numbers on
//!    one line, so a ring reads as one `[lon, lat]` pair per line, as in the shipped files.
//! 3. Coordinates are written in shortest round-trip form (`serde_json`'s, so a whole number
//!    keeps its `.0`): a value read with 5 decimals is written with 5, and one read with 15
//!    keeps all 15. Rings are written as the loader normalised them (exterior
//!    counter-clockwise, holes clockwise).
//! 4. Each file goes to `<name>.tmp` beside its target, is synced, then renamed over it.

use std::fmt::Display;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use geo::{LineString, Polygon};
use serde::{Serialize, Serializer};
use serde_json::ser::{CompactFormatter, Formatter};

use super::{CONTROL, EVENTS, FACTIONS, PLACES, REGIONS};
use crate::model::{
    AreaStatement, ControlEntry, Dataset, Event, Faction, FactionId, Format, LonLat, Place,
    Precision, Region, Source,
};

/// Why a geodata directory could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A file (or the directory itself) could not be created, written, synced or renamed.
    #[error("cannot write {path}")]
    Io {
        /// The file or directory that failed.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
}

/// Writes `dataset` into `dir` (created if missing) as `factions.json`, `regions.geojson`,
/// `events.geojson` and, when the dataset has places, `places.geojson`, replacing any files of
/// those names. When the dataset has no places, an old `places.geojson` in `dir` is removed, so
/// that [`super::load`] on `dir` gives back exactly `dataset`.
///
/// Each file is replaced atomically, but not the set: a reader loading `dir` while this runs
/// may see some files old and some new.
///
/// The dataset is written as it is, not validated: one that [`super::load`] would not have
/// produced (a history out of order, an unknown faction) is written, then refused on load.
pub fn write_dir(dataset: &Dataset, dir: &Path) -> Result<(), WriteError> {
    fs::create_dir_all(dir).map_err(|source| WriteError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let format = dataset.format;
    write_json(dir, FACTIONS, &factions_file(&dataset.factions, format))?;
    let regions = dataset.regions.iter().map(region);
    write_json(dir, REGIONS, &collection(regions, format))?;
    let events = dataset.events.iter().map(event);
    write_json(dir, EVENTS, &collection(events, format))?;
    if dataset.places.is_empty() {
        remove(dir, PLACES)?;
    } else {
        let places = dataset.places.iter().map(place);
        write_json(dir, PLACES, &collection(places, format))?;
    }
    if format >= Format::V2 {
        let areas = dataset.areas.iter().map(area);
        write_json(dir, CONTROL, &collection(areas, format))?;
    } else {
        remove(dir, CONTROL)?;
    }
    Ok(())
}

/// Removes `dir/name` if it exists, durably.
fn remove(dir: &Path, name: &str) -> Result<(), WriteError> {
    let path = dir.join(name);
    match fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(WriteError::Io { path, source: e }),
        _ => sync_dir(dir),
    }
}

// ---- wire shapes ---------------------------------------------------------------------------

/// `factions.json`.
#[derive(Serialize)]
struct FactionsFile<'a> {
    version: u8,
    factions: Vec<WireFaction<'a>>,
}

#[derive(Serialize)]
struct WireFaction<'a> {
    id: &'a str,
    name: &'a str,
    color: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sources: Vec<WireSource<'a>>,
}

#[derive(Serialize)]
struct WireSource<'a> {
    title: &'a str,
    url: &'a str,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "display_option"
    )]
    published: Option<crate::model::Date>,
}

/// A `FeatureCollection`, with the format version as a foreign member.
#[derive(Serialize)]
struct Collection<F> {
    #[serde(rename = "type")]
    kind: &'static str,
    version: u8,
    features: Vec<F>,
}

/// A region feature: properties (the history people read) before the long geometry.
#[derive(Serialize)]
struct RegionFeature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    properties: RegionProperties<'a>,
    geometry: Geometry,
}

/// A control area: its statement before the long geometry, as a region's history.
#[derive(Serialize)]
pub(super) struct AreaFeature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    properties: AreaProperties<'a>,
    geometry: Geometry,
}

#[derive(Serialize)]
pub(super) struct AreaProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(flatten)]
    entry: WireEntry<'a>,
}

/// An event or place feature: a short geometry first, as in the shipped files.
#[derive(Serialize)]
pub(super) struct PointFeature<'a, P> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    geometry: Geometry,
    properties: P,
}

/// A `[longitude, latitude]` position.
type Position = [f64; 2];

#[derive(Serialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Point(Position),
    Polygon(Vec<Vec<Position>>),
    MultiPolygon(Vec<Vec<Vec<Position>>>),
}

#[derive(Serialize)]
struct RegionProperties<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name_ar: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'a str>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "display_option"
    )]
    last_reviewed: Option<crate::model::Date>,
    history: Vec<WireEntry<'a>>,
}

#[derive(Serialize)]
pub(super) struct WireEntry<'a> {
    #[serde(serialize_with = "display")]
    from: crate::model::Date,
    #[serde(skip_serializing_if = "is_day", serialize_with = "display")]
    precision: Precision,
    #[serde(serialize_with = "display")]
    status: crate::model::ControlStatus,
    factions: Vec<&'a str>,
    note: &'a str,
    sources: Vec<WireSource<'a>>,
}

#[derive(Serialize)]
pub(super) struct EventProperties<'a> {
    #[serde(serialize_with = "display")]
    date: crate::model::Date,
    #[serde(skip_serializing_if = "is_day", serialize_with = "display")]
    precision: Precision,
    title: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    sources: Vec<WireSource<'a>>,
}

/// Every property written, unknown names as `null`, as `web/scripts/places.mjs` writes them.
#[derive(Serialize)]
struct PlaceProperties<'a> {
    name: &'a str,
    name_ar: Option<&'a str>,
    name_geonames: Option<&'a str>,
    major: bool,
    source: &'a str,
}

// ---- model → wire --------------------------------------------------------------------------

fn factions_file(factions: &[Faction], format: Format) -> FactionsFile<'_> {
    FactionsFile {
        version: format.number(),
        factions: factions
            .iter()
            .map(|f| WireFaction {
                id: f.id.as_str(),
                name: &f.name,
                color: f.color.as_str(),
                description: &f.description,
                sources: sources(&f.sources),
            })
            .collect(),
    }
}

fn collection<F>(features: impl Iterator<Item = F>, format: Format) -> Collection<F> {
    Collection {
        kind: "FeatureCollection",
        version: format.number(),
        features: features.collect(),
    }
}

/// A `Polygon` when there is one part, else a `MultiPolygon`.
fn polygons(shape: &geo::MultiPolygon<f64>) -> Geometry {
    let mut polygons: Vec<Vec<Vec<Position>>> = shape.iter().map(rings).collect();
    if polygons.len() == 1 {
        Geometry::Polygon(polygons.remove(0))
    } else {
        Geometry::MultiPolygon(polygons)
    }
}

pub(super) fn area(a: &AreaStatement) -> AreaFeature<'_> {
    AreaFeature {
        kind: "Feature",
        id: &a.id,
        properties: AreaProperties {
            region: a.region.as_ref().map(crate::model::RegionId::as_str),
            entry: entry(&a.control),
        },
        geometry: polygons(&a.geometry),
    }
}

fn region(r: &Region) -> RegionFeature<'_> {
    let geometry = polygons(&r.geometry);
    RegionFeature {
        kind: "Feature",
        id: r.id.as_str(),
        properties: RegionProperties {
            name: &r.name,
            name_ar: r.name_ar.as_deref(),
            description: &r.description,
            parent: r.parent.as_ref().map(crate::model::RegionId::as_str),
            last_reviewed: r.last_reviewed,
            history: r.history.iter().map(entry).collect(),
        },
        geometry,
    }
}

/// A polygon's rings, exterior first, each closed (`geo` keeps rings closed).
fn rings(polygon: &Polygon<f64>) -> Vec<Vec<Position>> {
    let ring = |line: &LineString<f64>| line.coords().map(|c| [c.x, c.y]).collect();
    std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(ring)
        .collect()
}

pub(super) fn entry(e: &ControlEntry) -> WireEntry<'_> {
    WireEntry {
        from: e.from,
        precision: e.precision,
        status: e.status,
        factions: e.factions.iter().map(FactionId::as_str).collect(),
        note: &e.note,
        sources: sources(&e.sources),
    }
}

fn sources(sources: &[Source]) -> Vec<WireSource<'_>> {
    sources
        .iter()
        .map(|s| WireSource {
            title: &s.title,
            url: &s.url,
            published: s.published,
        })
        .collect()
}

fn point(at: LonLat) -> Geometry {
    Geometry::Point([at.lon(), at.lat()])
}

pub(super) fn event(e: &Event) -> PointFeature<'_, EventProperties<'_>> {
    PointFeature {
        kind: "Feature",
        id: &e.id,
        geometry: point(e.location),
        properties: EventProperties {
            date: e.date,
            precision: e.precision,
            title: &e.title,
            description: &e.description,
            region: e.region.as_ref().map(crate::model::RegionId::as_str),
            sources: sources(&e.sources),
        },
    }
}

/// The places as a `GeoJSON` `FeatureCollection`, exactly as `places.geojson` holds them
/// (the server answers `/places.geojson` with it).
pub fn places_collection(places: &[Place], format: Format) -> impl Serialize + '_ {
    collection(places.iter().map(place), format)
}

fn place(p: &Place) -> PointFeature<'_, PlaceProperties<'_>> {
    PointFeature {
        kind: "Feature",
        id: &p.id,
        geometry: point(p.location),
        properties: PlaceProperties {
            name: &p.name,
            name_ar: p.name_ar.as_deref(),
            name_geonames: p.name_geonames.as_deref(),
            major: p.major,
            source: &p.source,
        },
    }
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_day(p: &Precision) -> bool {
    *p == Precision::Day
}

/// Writes a value by its `Display` form, which is what the loader parses (`held`, `month`,
/// `2015-08-11`).
fn display<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

#[expect(
    clippy::ref_option,
    reason = "serde's serialize_with passes a reference to the field"
)]
fn display_option<T: Display, S: Serializer>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

// ---- files ---------------------------------------------------------------------------------

/// Serialises `value` with [`GeoFormatter`] and writes it to `dir/name` atomically.
fn write_json(dir: &Path, name: &str, value: &impl Serialize) -> Result<(), WriteError> {
    let mut text = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut text, GeoFormatter::default());
    let target = dir.join(name);
    value.serialize(&mut ser).map_err(|e| WriteError::Io {
        path: target.clone(),
        source: e.into(),
    })?;
    text.push(b'\n');
    let tmp = dir.join(format!("{name}.tmp"));
    let written = write_synced(&tmp, &text).and_then(|()| fs::rename(&tmp, &target));
    if let Err(source) = written {
        // Best effort: the error that matters is the one being returned.
        let _ = fs::remove_file(&tmp);
        return Err(WriteError::Io {
            path: target,
            source,
        });
    }
    sync_dir(dir)
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes a rename or removal in `dir` durable (a no-op where directories cannot be opened).
fn sync_dir(dir: &Path) -> Result<(), WriteError> {
    if cfg!(unix) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| WriteError::Io {
                path: dir.to_owned(),
                source,
            })?;
    }
    Ok(())
}

// ---- formatting ----------------------------------------------------------------------------

/// Pretty-prints like `serde_json`'s two-space `PrettyFormatter`, except that an array whose
/// first element is a number stays on one line with `", "` between elements, so positions read
/// `[36.31983, 35.81418]`.
///
/// The formatter learns what an array holds only when its first element is written, so the
/// separator before each element is held back until then.
#[derive(Default)]
struct GeoFormatter {
    /// The open arrays and objects, innermost last.
    open: Vec<Open>,
}

struct Open {
    /// An array of numbers, printed on one line (never set for an object).
    inline: bool,
    /// Whether anything was written inside, so the closing bracket goes on its own line.
    has_value: bool,
    /// An array element has begun (`Some(first)`) but its separator is not written yet.
    pending: Option<bool>,
}

const INDENT: &[u8] = b"  ";

impl GeoFormatter {
    /// Writes the separator held back for the array element that starts now.
    fn start_value<W: ?Sized + Write>(&mut self, w: &mut W, number: bool) -> io::Result<()> {
        let depth = self.open.len();
        let Some(open) = self.open.last_mut() else {
            return Ok(());
        };
        let Some(first) = open.pending.take() else {
            return Ok(());
        };
        if first {
            open.inline = number;
        }
        if open.inline {
            return w.write_all(if first { b"" } else { b", " });
        }
        w.write_all(if first { b"\n" } else { b",\n" })?;
        indent(w, depth)
    }

    fn begin<W: ?Sized + Write>(&mut self, w: &mut W, array: bool) -> io::Result<()> {
        self.start_value(w, false)?;
        self.open.push(Open {
            inline: false,
            has_value: false,
            pending: None,
        });
        w.write_all(if array { b"[" } else { b"{" })
    }

    fn end<W: ?Sized + Write>(&mut self, w: &mut W, close: &[u8]) -> io::Result<()> {
        let open = self.open.pop();
        if open.is_some_and(|o| o.has_value && !o.inline) {
            w.write_all(b"\n")?;
            indent(w, self.open.len())?;
        }
        w.write_all(close)
    }
}

fn indent<W: ?Sized + Write>(w: &mut W, depth: usize) -> io::Result<()> {
    for _ in 0..depth {
        w.write_all(INDENT)?;
    }
    Ok(())
}

/// Delegates a scalar to `CompactFormatter` after writing the held-back separator.
macro_rules! scalar {
    ($($name:ident($ty:ty), number: $number:expr;)*) => {$(
        fn $name<W: ?Sized + Write>(&mut self, w: &mut W, value: $ty) -> io::Result<()> {
            self.start_value(w, $number)?;
            CompactFormatter.$name(w, value)
        }
    )*};
}

impl Formatter for GeoFormatter {
    scalar! {
        write_bool(bool), number: false;
        write_i8(i8), number: true;
        write_i16(i16), number: true;
        write_i32(i32), number: true;
        write_i64(i64), number: true;
        write_i128(i128), number: true;
        write_u8(u8), number: true;
        write_u16(u16), number: true;
        write_u32(u32), number: true;
        write_u64(u64), number: true;
        write_u128(u128), number: true;
        write_f32(f32), number: true;
        write_f64(f64), number: true;
        write_number_str(&str), number: true;
        write_raw_fragment(&str), number: false;
        write_byte_array(&[u8]), number: false;
    }

    fn write_null<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.start_value(w, false)?;
        CompactFormatter.write_null(w)
    }

    fn begin_string<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.start_value(w, false)?;
        CompactFormatter.begin_string(w)
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.begin(w, true)
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.end(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, _w: &mut W, first: bool) -> io::Result<()> {
        if let Some(open) = self.open.last_mut() {
            open.pending = Some(first);
            open.has_value = true;
        }
        Ok(())
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.begin(w, false)
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.end(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if let Some(open) = self.open.last_mut() {
            open.has_value = true;
        }
        w.write_all(if first { b"\n" } else { b",\n" })?;
        indent(w, self.open.len())
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(value: &impl Serialize) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, GeoFormatter::default());
        value.serialize(&mut ser).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn empty_containers_stay_on_one_line() {
        assert_eq!(pretty(&serde_json::json!({})), "{}");
        assert_eq!(
            pretty(&serde_json::json!({"a": [], "b": {}})),
            "{\n  \"a\": [],\n  \"b\": {}\n}"
        );
    }

    #[test]
    fn number_arrays_are_inline_and_others_one_item_a_line() {
        let value = serde_json::json!({
            "coordinates": [[[36.31983, 35.81418], [1.0e-7, -0.5], [36.0, -0.0]]],
            "factions": ["a", "b"],
            "major": true,
            "name_ar": null,
        });
        assert_eq!(
            pretty(&value),
            r#"{
  "coordinates": [
    [
      [36.31983, 35.81418],
      [1e-7, -0.5],
      [36.0, -0.0]
    ]
  ],
  "factions": [
    "a",
    "b"
  ],
  "major": true,
  "name_ar": null
}"#
        );
    }

    #[test]
    fn without_numbers_output_matches_serde_json_pretty() {
        let value = serde_json::json!({"a": [{"b": ["x", null, true]}, [], {}], "c": "d"});
        assert_eq!(
            pretty(&value),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }

    #[test]
    fn precision_is_written_only_when_coarser_than_a_day() {
        let day = ControlEntry::held_by(jiff::civil::date(2015, 8, 11), "red");
        let month = ControlEntry {
            from: jiff::civil::date(2015, 8, 1),
            precision: Precision::Month,
            ..day.clone()
        };
        let text = pretty(&[entry(&day), entry(&month)]);
        assert_eq!(text.matches("\"precision\"").count(), 1, "{text}");
        assert!(text.contains("\"precision\": \"month\""), "{text}");
        assert!(text.contains("\"from\": \"2015-08-11\""), "{text}");
        assert!(text.contains("\"status\": \"held\""), "{text}");
    }

    #[test]
    fn coordinates_keep_their_shortest_round_trip_form() {
        // As QGIS writes them: 15 decimals are kept, not cut to 5.
        let (lon, lat) = (36.123_456_789_012_345, 35.814_18);
        let text = pretty(&Geometry::Point([lon, lat]));
        let expected = format!("\"coordinates\": [{lon}, {lat}]");
        assert!(text.contains(&expected), "{text}");
        assert_eq!(lon.to_string(), "36.123456789012344", "15 decimals kept");
    }
}
