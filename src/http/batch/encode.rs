//! The three shapes a batch answer takes, which one a request gets (`f`, else `Accept`), and
//! how a chunk of answered points is written in each.

use serde::Serialize;
use serde_json::value::RawValue;

use super::json::Fragments;
use super::{PointId, Probe};
use std::io;

#[cfg(test)]
use crate::answer::PointAnswer;
use crate::answer::{ControlAnswer, Detail};
use crate::engine::{Answer, Engine};
#[cfg(test)]
use crate::model::{Date, LonLat};

/// A batch answer's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"results": [...]}`, one point answer per input point (the default).
    Json,
    /// RFC 4180 CSV with a header row: one row per input point.
    Csv,
    /// RFC 8142 GeoJSON text sequence: one Point `Feature` per input point, each preceded by
    /// the record separator (0x1E) and followed by a line feed.
    GeoJsonSeq,
}

/// The CSV answer's columns.
pub const CSV_COLUMNS: [&str; 9] = [
    "id",
    "lon",
    "lat",
    "date",
    "region",
    "status",
    "factions",
    "since",
    "statement",
];

/// RFC 8142's record separator, which starts every record of a GeoJSON text sequence.
const RS: u8 = 0x1e;

impl Format {
    /// In the server's order of preference, which breaks ties in `Accept`.
    const ALL: [Self; 3] = [Self::Json, Self::Csv, Self::GeoJsonSeq];

    /// The `Content-Type` of the answer.
    #[must_use]
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv; charset=utf-8; header=present",
            Self::GeoJsonSeq => "application/geo+json-seq",
        }
    }

    /// The media types that ask for this format in `Accept`. `application/geo+json` gets the
    /// JSON answer, as it always has (GDAL and other GeoJSON clients send it).
    fn media_types(self) -> &'static [&'static str] {
        match self {
            Self::Json => &["application/json", "application/geo+json"],
            Self::Csv => &["text/csv"],
            Self::GeoJsonSeq => &["application/geo+json-seq"],
        }
    }

    /// The format an `f` value names: `json` or `geojson` (the JSON answer), `csv`,
    /// `geojsonseq`.
    #[must_use]
    pub fn from_f(value: &str) -> Option<Self> {
        match value {
            "json" | "geojson" => Some(Self::Json),
            "csv" => Some(Self::Csv),
            "geojsonseq" => Some(Self::GeoJsonSeq),
            _ => None,
        }
    }

    /// The format an `Accept` header asks for (RFC 9110 §12.5.1): each format takes the
    /// quality of the most specific media range matching one of its types; the best quality
    /// wins, ties going to the server's preference (JSON, CSV, GeoJSON sequence). No header
    /// means JSON. `None` when the client accepts none of them.
    #[must_use]
    pub fn negotiate(accept: Option<&str>) -> Option<Self> {
        let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
            return Some(Self::Json);
        };
        let ranges: Vec<(&str, f32)> = accept.split(',').filter_map(media_range).collect();
        // A format's quality is that of the most specific range matching one of its types
        // (of equally specific ones, the best): `application/json;q=0, */*` refuses JSON.
        let quality = |format: Self| {
            format
                .media_types()
                .iter()
                .flat_map(|media_type| {
                    ranges
                        .iter()
                        .filter_map(|&(range, q)| specificity(range, media_type).map(|s| (s, q)))
                })
                .max_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
                .map_or(0.0, |(_, q)| q)
        };
        let (best, q) = Self::ALL
            .into_iter()
            .map(|f| (f, quality(f)))
            // `max_by` keeps the last of equals: go through the formats from least preferred.
            .rev()
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        (q > 0.0).then_some(best)
    }
}

/// One media range of an `Accept` header: its lower-case type and its quality (`q`, default
/// 1). `None` for an empty or malformed element.
fn media_range(element: &str) -> Option<(&str, f32)> {
    let mut parts = element.split(';');
    let range = parts.next()?.trim();
    if range.is_empty() || !range.contains('/') {
        return None;
    }
    let mut q = 1.0;
    for param in parts {
        if let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("q")
        {
            q = value
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|q| (0.0..=1.0).contains(q))?;
        }
    }
    Some((range, q))
}

/// How specifically `range` matches `media_type`: 2 exactly, 1 as `type/*`, 0 as `*/*`;
/// `None` if it does not match.
fn specificity(range: &str, media_type: &str) -> Option<u8> {
    let (kind, _) = media_type.split_once('/')?;
    if range.eq_ignore_ascii_case(media_type) {
        Some(2)
    } else if range == "*/*" {
        Some(0)
    } else {
        let (range_kind, sub) = range.split_once('/')?;
        (sub == "*" && range_kind.eq_ignore_ascii_case(kind)).then_some(1)
    }
}

/// Writes answered points in one format.
#[derive(Debug, Clone, Copy)]
pub struct Encoder {
    /// The format written.
    pub format: Format,
    /// What each point answer includes (JSON and GeoJSON sequence).
    pub detail: Detail,
}

impl Serialize for PointId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Json(raw) => raw.serialize(serializer),
            Self::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl Encoder {
    /// What the answer starts with, before the first point.
    #[must_use]
    pub fn head(self) -> Vec<u8> {
        match self.format {
            Format::Json => b"{\"results\":[".to_vec(),
            Format::Csv => {
                let mut head = CSV_COLUMNS.join(",").into_bytes();
                head.extend_from_slice(b"\r\n");
                head
            }
            Format::GeoJsonSeq => Vec::new(),
        }
    }

    /// What the answer ends with, after the last point.
    #[must_use]
    pub fn tail(self) -> &'static [u8] {
        match self.format {
            Format::Json => b"]}",
            Format::Csv | Format::GeoJsonSeq => b"",
        }
    }

    /// The engine's answer for `probe`; CSV rows do not give the nearest region, so for them
    /// it is not searched.
    #[must_use]
    pub fn answer<'e>(self, engine: &'e Engine, probe: &Probe) -> Answer<'e> {
        match self.format {
            Format::Csv => engine.query_inside(probe.pos, probe.at),
            Format::Json | Format::GeoJsonSeq => engine.query(probe.pos, probe.at),
        }
    }

    /// Answers `probes` from `engine` and writes them; `first` says whether they start the
    /// answer (a JSON array needs a comma between chunks). The points are answered in
    /// [`z_order`](crate::engine::batch::z_order), so that neighbours meet the engine's indexes
    /// in cache, and written in input order with `fragments` (see [`Encoder::write`]).
    pub fn chunk(
        self,
        engine: &Engine,
        probes: &[Probe],
        first: bool,
        fragments: &mut Fragments,
    ) -> io::Result<Vec<u8>> {
        let order = crate::engine::batch::z_sorted(probes, |p| p.pos);
        let mut answers: Vec<Option<Answer<'_>>> = probes.iter().map(|_| None).collect();
        for i in order {
            answers[i] = Some(self.answer(engine, &probes[i]));
        }
        self.write(
            engine,
            probes,
            answers.into_iter().flatten(),
            first,
            fragments,
        )
    }

    /// Writes `probes` with their `answers` (as many, in the same order); `first` as for
    /// [`Encoder::chunk`]. `fragments` keeps the JSON of statements and regions for the next
    /// chunks of the same batch and engine.
    pub fn write<'e>(
        self,
        engine: &'e Engine,
        probes: &[Probe],
        answers: impl IntoIterator<Item = Answer<'e>>,
        first: bool,
        fragments: &mut Fragments,
    ) -> io::Result<Vec<u8>> {
        // A JSON answer averages about 470 bytes: room for that, so the buffer is not copied as it
        // grows.
        let mut out = Vec::with_capacity(probes.len() * 512);
        let answered = probes.iter().zip(answers);
        match self.format {
            Format::Json => {
                for (i, (probe, answer)) in answered.enumerate() {
                    if i > 0 || !first {
                        out.push(b',');
                    }
                    fragments.result(&mut out, engine, probe, &answer, self.detail)?;
                }
            }
            Format::GeoJsonSeq => {
                for (probe, answer) in answered {
                    out.push(RS);
                    fragments.feature(&mut out, engine, probe, &answer, self.detail)?;
                    out.push(b'\n');
                }
            }
            Format::Csv => csv_rows(answered, &mut out)?,
        }
        Ok(out)
    }
}

/// One CSV row per probe and answer: `id,lon,lat,date,region,status,factions,since,statement`.
fn csv_rows<'e, 'p>(
    answered: impl Iterator<Item = (&'p Probe, Answer<'e>)>,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    use std::fmt::Write as _;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    // Reused between rows: the numbers, dates and joined factions as text.
    let mut text: [String; 6] = Default::default();
    for (probe, answer) in answered {
        let control = ControlAnswer::of(answer.control.as_ref());
        for t in &mut text {
            t.clear();
        }
        let [lon, lat, date, factions, since, statement] = &mut text;
        write!(lon, "{}", probe.pos.lon()).ok();
        write!(lat, "{}", probe.pos.lat()).ok();
        write!(date, "{}", probe.at).ok();
        for (i, faction) in control.factions.iter().enumerate() {
            if i > 0 {
                factions.push(';');
            }
            factions.push_str(faction.as_str());
        }
        if let Some(from) = control.since {
            write!(since, "{from}").ok();
        }
        if let Some(s) = &control.statement {
            statement.push_str(&s.id);
        }
        let region = answer
            .regions
            .first()
            .map_or("", |hit| hit.region.id.as_str());
        let id = probe.id.as_ref().map(PointId::as_text);
        writer.write_record([
            id.as_deref().unwrap_or(""),
            lon,
            lat,
            date,
            region,
            control.status.as_str(),
            factions,
            since,
            statement,
        ])?;
    }
    writer.flush()?;
    Ok(())
}

impl PointId {
    /// The id as a CSV cell: a string as itself, any other JSON value as its JSON text.
    #[must_use]
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Self::Text(text) => text.as_str().into(),
            Self::Json(raw) => match serde_json::from_str::<String>(raw.get()) {
                Ok(text) => text.into(),
                Err(_) => raw.get().into(),
            },
        }
    }

    /// Whether a GeoJSON `Feature` may carry this id (RFC 7946 §3.2: a string or a number).
    #[must_use]
    pub fn is_feature_id(&self) -> bool {
        match self {
            Self::Text(_) => true,
            Self::Json(raw) => {
                let first = raw.get().as_bytes().first().copied().unwrap_or(b'n');
                first == b'"' || first == b'-' || first.is_ascii_digit()
            }
        }
    }

    /// An id given as JSON.
    #[must_use]
    pub fn json(raw: &RawValue) -> Self {
        Self::Json(raw.to_owned())
    }
}

/// One JSON result as `serde_json` writes it: what [`Fragments`] must write, byte for byte.
#[cfg(test)]
pub(super) fn json_result<'a>(id: Option<&'a PointId>, answer: PointAnswer<'a>) -> impl Serialize {
    /// The input's `id`, when it had one, and the point query's answer.
    #[derive(Serialize)]
    struct JsonResult<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a PointId>,
        #[serde(flatten)]
        answer: PointAnswer<'a>,
    }
    JsonResult { id, answer }
}

/// One GeoJSON text sequence record as `serde_json` writes it (without the separator and
/// line feed): what [`Fragments`] must write, byte for byte.
#[cfg(test)]
pub(super) fn seq_feature<'a>(
    id: Option<&'a PointId>,
    answer: &'a PointAnswer<'a>,
) -> impl Serialize + 'a {
    use crate::answer::{ControlAnswer, NearestAnswer, RegionAnswer};
    /// The point as a `Feature`, its answer as properties.
    #[derive(Serialize)]
    struct SeqFeature<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a PointId>,
        geometry: SeqPoint,
        properties: SeqProperties<'a>,
    }
    /// A GeoJSON `Point`.
    #[derive(Serialize)]
    struct SeqPoint {
        #[serde(rename = "type")]
        kind: &'static str,
        coordinates: [f64; 2],
    }
    /// The point answer without its `point`, which is the feature's geometry.
    #[derive(Serialize)]
    struct SeqProperties<'a> {
        at: Date,
        control: &'a ControlAnswer<'a>,
        regions: &'a [RegionAnswer<'a>],
        nearest: &'a Option<NearestAnswer<'a>>,
    }
    SeqFeature {
        kind: "Feature",
        id,
        geometry: SeqPoint {
            kind: "Point",
            coordinates: [answer.point.lon(), answer.point.lat()],
        },
        properties: SeqProperties {
            at: answer.at,
            control: &answer.control,
            regions: &answer.regions,
            nearest: &answer.nearest,
        },
    }
}

/// A checked point, for tests.
#[cfg(test)]
fn probe(lon: f64, lat: f64, at: Date, id: Option<PointId>) -> Probe {
    Probe {
        id,
        pos: LonLat::new(lon, lat).unwrap_or_else(|e| panic!("{e}")),
        at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_accept_header_means_json_and_f_names_every_format() {
        assert_eq!(Format::negotiate(None), Some(Format::Json));
        assert_eq!(Format::negotiate(Some("  ")), Some(Format::Json));
        assert_eq!(Format::from_f("geojson"), Some(Format::Json));
        assert_eq!(Format::from_f("csv"), Some(Format::Csv));
        assert_eq!(Format::from_f("geojsonseq"), Some(Format::GeoJsonSeq));
        assert_eq!(Format::from_f("xml"), None);
    }

    #[test]
    fn accept_picks_the_best_quality_then_the_server_preference() {
        let pick = |accept| Format::negotiate(Some(accept));
        assert_eq!(pick("text/csv"), Some(Format::Csv));
        assert_eq!(pick("TEXT/CSV; charset=utf-8"), Some(Format::Csv));
        assert_eq!(pick("application/geo+json-seq"), Some(Format::GeoJsonSeq));
        assert_eq!(pick("application/geo+json"), Some(Format::Json));
        assert_eq!(
            pick("application/geo+json, application/json;q=0.5"),
            Some(Format::Json)
        );
        assert_eq!(pick("*/*"), Some(Format::Json));
        assert_eq!(pick("text/*"), Some(Format::Csv));
        assert_eq!(pick("application/*"), Some(Format::Json));
        assert_eq!(pick("application/json;q=0.5, text/csv"), Some(Format::Csv));
        assert_eq!(pick("text/csv, application/json"), Some(Format::Json));
        assert_eq!(pick("text/csv;q=0.9, */*;q=0.1"), Some(Format::Csv));
        // The most specific range sets a type's quality: JSON is refused here.
        assert_eq!(
            pick("application/json;q=0, */*"),
            Some(Format::Csv),
            "JSON refused, CSV next by preference"
        );
        assert_eq!(pick("text/html"), None);
        assert_eq!(pick("application/xml, text/html;q=0.9"), None);
        assert_eq!(pick("*/*;q=0"), None);
        assert_eq!(pick("text/csv;q=2"), None, "a malformed q drops the range");
    }

    #[test]
    fn ids_are_cells_and_feature_ids_are_strings_or_numbers() {
        let json =
            |text: &str| PointId::json(&serde_json::from_str::<Box<RawValue>>(text).unwrap());
        assert_eq!(json(r#""a,b""#).as_text(), "a,b");
        assert_eq!(json("7").as_text(), "7");
        assert_eq!(json(r#"{"k":1}"#).as_text(), r#"{"k":1}"#);
        assert_eq!(PointId::Text("x".into()).as_text(), "x");
        assert!(json(r#""a""#).is_feature_id());
        assert!(json("-1.5").is_feature_id());
        assert!(!json("true").is_feature_id());
        assert!(!json("[1]").is_feature_id());
    }

    #[test]
    fn csv_rows_quote_what_needs_quoting() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
        let engine = Engine::new(crate::geodata::load(&dir).unwrap().dataset);
        let at = jiff::civil::date(2015, 8, 20);
        let probes = [
            probe(
                36.33867,
                35.68482,
                at,
                Some(PointId::Text("a \"quoted\", id".into())),
            ),
            probe(0.0, 0.0, at, None),
        ];
        let encoder = Encoder {
            format: Format::Csv,
            detail: Detail::BATCH,
        };
        let mut out = encoder.head();
        out.extend(
            encoder
                .chunk(&engine, &probes, true, &mut Fragments::default())
                .unwrap(),
        );
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "id,lon,lat,date,region,status,factions,since,statement"
        );
        assert!(
            lines[1]
                .starts_with("\"a \"\"quoted\"\", id\",36.33867,35.68482,2015-08-20,ghab-plain,"),
            "{}",
            lines[1]
        );
        assert_eq!(lines[2], ",0,0,2015-08-20,,unknown,,,");
        assert_eq!(lines[3], "", "the last row ends with CRLF");
    }
}
