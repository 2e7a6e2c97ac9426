//! A JSON batch: a GeoJSON `FeatureCollection` of Point features, each with an optional
//! `properties.date`. The collection is split into its features in one pass, the features are
//! parsed and checked on every core, and every invalid feature is reported at once (422)
//! before anything is answered.

use std::borrow::Cow;
use std::num::NonZeroUsize;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{CHUNK_POINTS, PointId, Probe};
use crate::geodata::BodyProblem;
use crate::http::extract::{json_problem, plain};
use crate::http::problem::{ApiError, body_problem};
use crate::json_runs;
use crate::model::{Date, LonLat, parse_date};

/// Most points one JSON batch may hold by default (`--batch-points`).
pub const MAX_BATCH_POINTS: usize = 100_000;

/// The collection, its features left unparsed.
#[derive(Deserialize)]
#[serde(rename = "Batch")]
struct Collection<'a> {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(borrow, default)]
    features: Option<Vec<&'a RawValue>>,
}

/// The collection's shape, to say where it is wrong when [`Collection`] fails.
#[derive(Deserialize)]
#[serde(rename = "Batch")]
struct CollectionShape {
    #[serde(rename = "type", default)]
    _kind: String,
    #[serde(rename = "features", default)]
    _features: Vec<IgnoredAny>,
}

/// One feature as sent. `R` is `&RawValue` to keep the id and coordinates as text, or
/// `IgnoredAny` to find where a feature is wrong (serde's path tracking wants no raw values).
#[derive(Deserialize)]
#[serde(bound(deserialize = "R: Deserialize<'de>, 'de: 'a"))]
struct Feature<'a, R> {
    #[serde(rename = "type", borrow, default)]
    kind: Cow<'a, str>,
    #[serde(default)]
    id: Option<R>,
    #[serde(borrow, default)]
    geometry: Option<Geometry<'a, R>>,
    #[serde(borrow, default)]
    properties: Option<Properties<'a>>,
}

/// A feature's geometry; only a `Point`'s coordinates are read.
#[derive(Deserialize)]
#[serde(bound(deserialize = "R: Deserialize<'de>, 'de: 'a"))]
struct Geometry<'a, R> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default)]
    coordinates: Option<R>,
}

/// What a point may say besides where it is: only `date` is read.
#[derive(Deserialize)]
struct Properties<'a> {
    #[serde(borrow, default)]
    date: Option<Cow<'a, str>>,
}

/// Reads and checks `bytes` into points in input order: a valid batch in one pass, an invalid
/// one split into its features, which are checked on every core, every problem reported. `geojson_ids`: every id
/// must be a string or a number, as a GeoJSON `Feature`'s (for a GeoJSON sequence answer).
/// A batch of more than `max_points` points is refused (413).
///
/// CPU-bound (tens of ms for 100,000 points): call it on the blocking pool.
pub fn points(
    bytes: &[u8],
    default_at: Date,
    geojson_ids: bool,
    max_points: NonZeroUsize,
) -> Result<Vec<Probe>, ApiError> {
    let text = utf8(bytes)?;
    match valid(text, default_at, geojson_ids, max_points.get()) {
        Some(probes) => Ok(probes),
        None => checked(text, default_at, geojson_ids, max_points.get()),
    }
}

/// The body as text. JSON is UTF-8 (RFC 8259): a body that is not is refused whole (400), also
/// when the bad bytes are in a member the batch does not read, which serde skips unchecked.
pub(in crate::http) fn utf8(bytes: &[u8]) -> Result<&str, ApiError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let before = &bytes[..at];
        let line = before.split(|&b| b == b'\n').count();
        let column = at
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |n| n + 1)
            + 1;
        ApiError::MalformedBody(format!(
            "invalid UTF-8 at line {line} column {column} (byte {at})"
        ))
    })
}

/// The batch split into its features, each parsed and checked on every core, every problem
/// reported with a pointer to its value.
pub(in crate::http) fn checked(
    text: &str,
    default_at: Date,
    geojson_ids: bool,
    max_points: usize,
) -> Result<Vec<Probe>, ApiError> {
    let collection: Collection<'_> = serde_json::from_str(text).map_err(|error| {
        // Not JSON at all (400), or JSON of the wrong shape: find where (422).
        let mut de = serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, CollectionShape>(&mut de) {
            Err(e) => json_problem("", &e.path().to_string(), e.inner()),
            Ok(_) => json_problem("", "", &error),
        }
    })?;
    if collection.kind != "FeatureCollection" {
        let found = if collection.kind.is_empty() {
            "missing".to_owned()
        } else {
            format!("{:?}", collection.kind)
        };
        return Err(ApiError::InvalidBody(vec![body_problem(
            "/type".into(),
            format!(
                "type is {found}; the body must be a GeoJSON FeatureCollection of Point features"
            ),
        )]));
    }
    let Some(features) = collection.features else {
        return Err(ApiError::InvalidBody(vec![body_problem(
            "/features".into(),
            "features is missing; a FeatureCollection lists its features (`[]` for none)".into(),
        )]));
    };
    if features.len() > max_points {
        return Err(ApiError::TooLarge(format!(
            "the batch has {} points; this server takes at most {max_points} per request \
             (--batch-points; send more as text/csv)",
            features.len()
        )));
    }
    let parse = |(c, features): (usize, &[&RawValue])| {
        let mut probes = Vec::with_capacity(features.len());
        let mut problems = Vec::new();
        for (j, raw) in features.iter().enumerate() {
            match feature(c * CHUNK_POINTS + j, raw, default_at, geojson_ids) {
                Ok(probe) => probes.push(probe),
                Err(why) => problems.extend(why),
            }
        }
        (probes, problems)
    };
    let parts: Vec<&[&RawValue]> = features.chunks(CHUNK_POINTS).collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(parts.len());
    let parsed: Vec<(Vec<Probe>, Vec<BodyProblem>)> = if workers <= 1 {
        parts.into_iter().enumerate().map(parse).collect()
    } else {
        // Worker w parses chunks w, w + workers, …; the results are put back in order.
        std::thread::scope(|scope| {
            let (parts, parse) = (&parts, &parse);
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    scope.spawn(move || {
                        parts
                            .iter()
                            .enumerate()
                            .skip(w)
                            .step_by(workers)
                            .map(|(c, part)| (c, parse((c, part))))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut all: Vec<_> = handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect();
            all.sort_unstable_by_key(|(c, _)| *c);
            all.into_iter().map(|(_, parsed)| parsed).collect()
        })
    };
    let mut points = Vec::with_capacity(features.len());
    let mut problems = Vec::new();
    for (probes, why) in parsed {
        points.extend(probes);
        problems.extend(why);
    }
    if problems.is_empty() {
        Ok(points)
    } else {
        Err(ApiError::InvalidBody(problems))
    }
}

/// The common case, a valid batch, in one pass: the collection is read straight into points,
/// without splitting it into features first. A body in the usual layout is read as its
/// features' text ([`array_text`]), a large one on every core ([`split`]); any other layout,
/// or a split whose cut fell inside a feature, as a whole collection. `None` when anything is
/// wrong with the body or any point (or the batch has too many points): [`checked`] then
/// reads it again, slowly, to say exactly what and where.
pub(in crate::http) fn valid(
    text: &str,
    default_at: Date,
    geojson_ids: bool,
    max_points: usize,
) -> Option<Vec<Probe>> {
    let feature = ValidFeature {
        default_at,
        geojson_ids,
    };
    if let Some(runs) = split(text) {
        if let Some(probes) = valid_parts(&runs, feature, max_points) {
            return Some(probes);
        }
    } else if let Some(run) = array_text(text) {
        // The collection is exactly these features: reading it whole would say the same.
        return valid_run(run, feature, max_points);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let probes = ValidCollection(feature, max_points)
        .deserialize(&mut de)
        .ok()?;
    de.end().ok()?;
    Some(probes)
}

/// A large body in the layout every client writes, `{"type": "FeatureCollection", "features":
/// [...]}` (any whitespace), cut into one run of features per core ([`json_runs`]): `None`
/// for a small body, another layout, or one core. A run may end inside a feature, and then
/// [`valid_parts`] fails.
fn split(text: &str) -> Option<Vec<&str>> {
    let parts = json_runs::parts(text.len());
    if parts < 2 {
        return None;
    }
    let runs = json_runs::cut(array_text(text)?, parts);
    (runs.len() > 1).then_some(runs)
}

/// The text between the brackets of the `features` array of a body in the layout every client
/// writes, `{"type": "FeatureCollection", "features": [...]}` (any whitespace); `None` for
/// any other layout.
fn array_text(text: &str) -> Option<&str> {
    let mut rest = text;
    for token in [
        "{",
        "\"type\"",
        ":",
        "\"FeatureCollection\"",
        ",",
        "\"features\"",
        ":",
        "[",
    ] {
        rest = rest
            .trim_start_matches(json_runs::SPACE)
            .strip_prefix(token)?;
    }
    for token in ["}", "]"] {
        rest = rest
            .trim_end_matches(json_runs::SPACE)
            .strip_suffix(token)?;
    }
    Some(rest)
}

/// Reads each run of features on every core ([`valid_run`]); `None` unless every run is an array of valid features and they are at
/// most `max_points` together.
fn valid_parts(runs: &[&str], feature: ValidFeature, max_points: usize) -> Option<Vec<Probe>> {
    use rayon::prelude::*;
    let parts: Vec<Vec<Probe>> = runs
        .par_iter()
        .map(|run| valid_run(run, feature, max_points))
        .collect::<Option<_>>()?;
    let total: usize = parts.iter().map(Vec::len).sum();
    (total <= max_points).then(|| parts.into_iter().flatten().collect())
}

/// Reads a run of features (the text between a `features` array's brackets, or part of it):
/// at most `max_points` valid features, or `None`. The [`scan`](super::scan) reader reads the
/// plain features every client sends; serde reads the rest.
fn valid_run(run: &str, feature: ValidFeature, max_points: usize) -> Option<Vec<Probe>> {
    if let Some(probes) = super::scan::features(run, feature.default_at, max_points) {
        return Some(probes);
    }
    serde_run(run, feature, max_points)
}

/// [`valid_run`] with serde alone.
fn serde_run(run: &str, feature: ValidFeature, max_points: usize) -> Option<Vec<Probe>> {
    let array = format!("[{run}]");
    let mut de = serde_json::Deserializer::from_str(&array);
    let probes = ValidFeatures(feature, max_points)
        .deserialize(&mut de)
        .ok()?;
    de.end().ok()?;
    Some(probes)
}

/// The error of the one-pass reader: its text is never shown, as the slow reader says why.
fn invalid<E: de::Error>() -> E {
    E::custom("invalid batch")
}

/// Reads a whole valid `FeatureCollection` of at most `.1` points.
#[derive(Clone, Copy)]
struct ValidCollection(ValidFeature, usize);

impl<'de> DeserializeSeed<'de> for ValidCollection {
    type Value = Vec<Probe>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValidCollection {
    type Value = Vec<Probe>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a GeoJSON FeatureCollection")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut kind, mut features) = (false, None);
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "type" if !kind => {
                    kind = map.next_value::<&str>()? == "FeatureCollection";
                    if !kind {
                        return Err(invalid());
                    }
                }
                "features" if features.is_none() => {
                    features = Some(map.next_value_seed(ValidFeatures(self.0, self.1))?);
                }
                "type" | "features" => return Err(invalid()),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match features {
            Some(features) if kind => Ok(features),
            _ => Err(invalid()),
        }
    }
}

/// Reads the `features` array, at most `.1` of them.
struct ValidFeatures(ValidFeature, usize);

impl<'de> DeserializeSeed<'de> for ValidFeatures {
    type Value = Vec<Probe>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ValidFeatures {
    type Value = Vec<Probe>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut probes = Vec::with_capacity(seq.size_hint().unwrap_or(1024).min(self.1));
        while let Some(probe) = seq.next_element_seed(self.0)? {
            if probes.len() == self.1 {
                return Err(invalid());
            }
            probes.push(probe);
        }
        Ok(probes)
    }
}

/// Reads one valid Point feature into a [`Probe`].
#[derive(Clone, Copy)]
struct ValidFeature {
    default_at: Date,
    geojson_ids: bool,
}

impl<'de> DeserializeSeed<'de> for ValidFeature {
    type Value = Probe;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValidFeature {
    type Value = Probe;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Point feature")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut kind, mut id, mut pos, mut at) = (false, None, None, None);
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "type" if !kind => {
                    kind = map.next_value::<&str>()? == "Feature";
                    if !kind {
                        return Err(invalid());
                    }
                }
                "id" if id.is_none() => {
                    let raw = map.next_value::<Option<&RawValue>>()?;
                    if self.geojson_ids
                        && raw.is_some_and(|raw| !PointId::json(raw).is_feature_id())
                    {
                        return Err(invalid());
                    }
                    id = Some(raw);
                }
                "geometry" if pos.is_none() => pos = Some(map.next_value_seed(ValidPoint)?),
                "properties" if at.is_none() => {
                    let date = map
                        .next_value::<Option<ValidProperties<'de>>>()?
                        .and_then(|p| p.date);
                    at = Some(match date {
                        None => self.default_at,
                        Some(text) => parse_date(text).ok_or_else(invalid)?,
                    });
                }
                "type" | "id" | "geometry" | "properties" => return Err(invalid()),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match pos {
            Some(pos) if kind => Ok(Probe {
                id: id.flatten().map(PointId::json),
                pos,
                at: at.unwrap_or(self.default_at),
            }),
            _ => Err(invalid()),
        }
    }
}

/// A feature's `properties`: only `date` is read, and must be a string without escapes.
#[derive(Deserialize)]
struct ValidProperties<'a> {
    #[serde(borrow, default)]
    date: Option<&'a str>,
}

/// Reads a valid `Point` geometry into its position.
struct ValidPoint;

impl<'de> DeserializeSeed<'de> for ValidPoint {
    type Value = LonLat;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValidPoint {
    type Value = LonLat;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Point")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut kind, mut pos) = (false, None);
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "type" if !kind => {
                    kind = map.next_value::<&str>()? == "Point";
                    if !kind {
                        return Err(invalid());
                    }
                }
                "coordinates" if pos.is_none() => {
                    pos = Some(map.next_value_seed(ValidCoordinates)?);
                }
                "type" | "coordinates" => return Err(invalid()),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        pos.filter(|_| kind).ok_or_else(invalid)
    }
}

/// Reads `[lon, lat]`, or more numbers, into a valid position; what follows `lat` is ignored.
struct ValidCoordinates;

impl<'de> DeserializeSeed<'de> for ValidCoordinates {
    type Value = LonLat;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ValidCoordinates {
    type Value = LonLat;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("[lon, lat]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let lon = seq.next_element::<f64>()?.ok_or_else(invalid)?;
        let lat = seq.next_element::<f64>()?.ok_or_else(invalid)?;
        while seq.next_element::<f64>()?.is_some() {}
        LonLat::new(lon, lat).map_err(|_| invalid())
    }
}

/// Parses and checks feature `i`; each problem points at its value.
fn feature(
    i: usize,
    raw: &RawValue,
    default_at: Date,
    geojson_ids: bool,
) -> Result<Probe, Vec<BodyProblem>> {
    let base = format!("/features/{i}");
    let Ok(f) = serde_json::from_str::<Feature<'_, &RawValue>>(raw.get()) else {
        return Err(vec![malformed(i, raw)]);
    };
    let mut why: Vec<(&'static str, String)> = Vec::new();
    if f.kind != "Feature" {
        why.push(("/type", format!("type {:?} is not \"Feature\"", f.kind)));
    }
    let id = f.id.map(PointId::json);
    if geojson_ids && id.as_ref().is_some_and(|id| !id.is_feature_id()) {
        why.push((
            "/id",
            format!(
                "id {} is not a string or a number, as a GeoJSON Feature's id must be in an \
                 application/geo+json-seq answer",
                f.id.map_or("", RawValue::get)
            ),
        ));
    }
    let pos = match f.geometry {
        Some(g) if g.kind == "Point" => {
            let numbers = g
                .coordinates
                .and_then(|c| serde_json::from_str::<Vec<f64>>(c.get()).ok())
                .filter(|n| n.len() >= 2);
            // A height, or anything after it, is ignored.
            if let Some(n) = numbers {
                LonLat::new(n[0], n[1])
                    .map_err(|e| why.push(("/geometry/coordinates", e.to_string())))
                    .ok()
            } else {
                why.push((
                    "/geometry/coordinates",
                    "a Point's coordinates must be [lon, lat], two numbers".into(),
                ));
                None
            }
        }
        Some(other) => {
            why.push((
                "/geometry",
                format!("geometry is a {}, expected Point", other.kind),
            ));
            None
        }
        None => {
            why.push(("/geometry", "has no geometry".into()));
            None
        }
    };
    let at = match f.properties.and_then(|p| p.date) {
        None => Some(default_at),
        Some(text) => parse_date(&text).or_else(|| {
            why.push((
                "/properties/date",
                format!("properties.date {text:?} is not a date (expected YYYY-MM-DD)"),
            ));
            None
        }),
    };
    match (pos, at) {
        (Some(pos), Some(at)) if why.is_empty() => Ok(Probe { id, pos, at }),
        _ => Err(why
            .into_iter()
            .map(|(at, w)| body_problem(format!("{base}{at}"), format!("features[{i}]: {w}")))
            .collect()),
    }
}

/// Why feature `i` does not parse, and where.
fn malformed(i: usize, raw: &RawValue) -> BodyProblem {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let (path, message) =
        match serde_path_to_error::deserialize::<_, Feature<'_, IgnoredAny>>(&mut de) {
            // The position serde gives is within the feature, not the body: the pointer says where.
            Err(e) => {
                let inner = e.inner();
                let text = inner.to_string();
                let position = format!(" at line {} column {}", inner.line(), inner.column());
                let text = text.strip_suffix(&position).unwrap_or(&text);
                (e.path().to_string(), plain(text))
            }
            Ok(_) => (".".to_owned(), "cannot be read".to_owned()),
        };
    let (at, pointer) = if path == "." {
        (format!("features[{i}]"), format!("/features/{i}"))
    } else {
        (
            format!("features[{i}].{path}"),
            crate::geodata::pointer(&format!("/features/{i}"), &path),
        )
    };
    body_problem(pointer, format!("{at}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default limit.
    const MAX: NonZeroUsize = NonZeroUsize::new(MAX_BATCH_POINTS).expect("not zero");

    fn at() -> Date {
        jiff::civil::date(2015, 8, 20)
    }

    fn problems(body: &str) -> Vec<(String, String)> {
        match points(body.as_bytes(), at(), false, MAX) {
            Err(ApiError::InvalidBody(list)) => {
                list.into_iter().map(|p| (p.pointer, p.detail)).collect()
            }
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn points_come_in_input_order_across_chunks() {
        let n = CHUNK_POINTS * 2 + 5;
        let features: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"type":"Feature","id":{i},"geometry":{{"type":"Point","coordinates":[{},1,0]}}}}"#,
                    i as f64 * 1e-4
                )
            })
            .collect();
        let body = format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        );
        let points = points(body.as_bytes(), at(), true, MAX).unwrap();
        assert_eq!(points.len(), n);
        for (i, probe) in points.iter().enumerate() {
            assert_eq!(probe.id.as_ref().unwrap().as_text(), i.to_string());
            assert_eq!(probe.pos.lon(), i as f64 * 1e-4);
            assert_eq!(probe.at, at());
        }
    }

    #[test]
    fn a_collection_needs_its_features_member_but_may_list_none() {
        assert_eq!(
            problems(r#"{"type":"FeatureCollection"}"#),
            [(
                "/features".into(),
                "features is missing; a FeatureCollection lists its features (`[]` for none)"
                    .into()
            )]
        );
        let empty = r#"{"type":"FeatureCollection","features":[]}"#;
        assert!(
            points(empty.as_bytes(), at(), true, MAX)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_feature_that_does_not_parse_is_named_with_its_path() {
        let body = r#"{"type":"FeatureCollection","features":[
            5,
            {"type":"Feature","geometry":{"coordinates":[1,2]}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"date":7}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[1]}}
        ]}"#;
        assert_eq!(
            problems(body),
            [
                (
                    "/features/0".into(),
                    "features[0]: invalid type: integer `5`, expected a JSON object".into()
                ),
                (
                    "/features/1/geometry".into(),
                    "features[1].geometry: missing field `type`".into()
                ),
                (
                    "/features/2/properties/date".into(),
                    "features[2].properties.date: invalid type: integer `7`, expected a string"
                        .into()
                ),
                (
                    "/features/3/geometry/coordinates".into(),
                    "features[3]: a Point's coordinates must be [lon, lat], two numbers".into()
                ),
            ]
        );
    }

    #[test]
    fn geojson_sequence_answers_need_string_or_number_ids() {
        let body = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":{"a":1},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#;
        points(body.as_bytes(), at(), false, MAX).unwrap();
        let Err(ApiError::InvalidBody(list)) = points(body.as_bytes(), at(), true, MAX) else {
            panic!("expected 422");
        };
        assert_eq!(list[0].pointer, "/features/0/id");
        assert!(
            list[0]
                .detail
                .contains(r#"id {"a":1} is not a string or a number"#)
        );
    }

    #[test]
    fn the_point_limit_is_the_one_given_in_both_readers() {
        let two = NonZeroUsize::new(2).expect("not zero");
        let point = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}"#;
        let batch = |n: usize| {
            format!(
                r#"{{"type":"FeatureCollection","features":[{}]}}"#,
                vec![point; n].join(",")
            )
        };
        assert_eq!(
            points(batch(2).as_bytes(), at(), false, two).unwrap().len(),
            2
        );
        let Err(ApiError::TooLarge(detail)) = points(batch(3).as_bytes(), at(), false, two) else {
            panic!("expected 413");
        };
        assert!(
            detail.contains("the batch has 3 points; this server takes at most 2")
                && detail.contains("--batch-points"),
            "{detail}"
        );
        // The one-pass reader gives up at the limit too, so the checking reader says why.
        assert!(valid(&batch(3), at(), false, 2).is_none());
        assert_eq!(valid(&batch(2), at(), false, 2).map(|p| p.len()), Some(2));
    }

    #[test]
    fn the_collection_itself_is_checked() {
        let too_many = format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            vec!["0"; MAX_BATCH_POINTS + 1].join(",")
        );
        assert!(matches!(
            points(too_many.as_bytes(), at(), false, MAX),
            Err(ApiError::TooLarge(_))
        ));
        assert!(matches!(
            points(b"{\"features\":[", at(), false, MAX),
            Err(ApiError::MalformedBody(_))
        ));
        let Err(ApiError::InvalidBody(list)) = points(b"5", at(), false, MAX) else {
            panic!("expected 422");
        };
        assert_eq!(
            list[0].detail,
            "body: invalid type: integer `5`, expected a JSON object at line 1 column 1"
        );
    }

    #[test]
    fn a_body_that_is_not_utf8_is_refused_whole() {
        // Found by fuzzing (fuzz/regressions/batch/json-invalid-utf8-in-ignored-member): the
        // one-pass reader skipped the member it does not read without checking its bytes, and
        // answered a body that the checked reader refuses.
        let body = b"{\"type\":\"FeatureCollection\",\"features\":[\n\
            {\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]},\n\
            \"other\":{\"d\xe1te\":1}}]}";
        let error = points(body, at(), false, MAX).unwrap_err();
        assert_eq!(
            error.to_string(),
            "request body is not valid JSON: invalid UTF-8 at line 3 column 12 (byte 119)"
        );
        assert!(matches!(error, ApiError::MalformedBody(_)));
        // Also where the checked reader skips the member unread.
        let top = b"{\"type\":\"FeatureCollection\",\"x\":\"\xff\",\"features\":[]}";
        assert!(matches!(
            points(top, at(), false, MAX),
            Err(ApiError::MalformedBody(_))
        ));
    }

    #[test]
    fn the_one_pass_reader_reads_what_the_checked_one_does() {
        let bodies = [
            r#"{"features":[],"type":"FeatureCollection"}"#,
            r#"{"type":"FeatureCollection","bbox":[0,0,1,1],"features":[
                {"properties":{"date":"2016-01-02","name":"x"},"id":null,"type":"Feature",
                 "geometry":{"coordinates":[1,2.5,300,4],"type":"Point","bbox":[1]},"extra":{}},
                {"type":"Feature","id":"a\"b","geometry":{"type":"Point","coordinates":[-180,90]},
                 "properties":null},
                {"type":"Feature","id":7.5,"geometry":{"type":"Point","coordinates":[1e-3,-2]},
                 "properties":{"date":null}}]}"#,
        ];
        for body in bodies {
            let fast = valid(body, at(), true, MAX_BATCH_POINTS).expect(body);
            assert_eq!(fast, checked(body, at(), true, MAX_BATCH_POINTS).unwrap());
        }
        // What the one-pass reader leaves to the checked one: escaped names, wrong types,
        // duplicates, bad values; the answer is the checked reader's.
        let others = [
            r#"{"type":"Feature\u0043ollection","features":[]}"#,
            r#"{"type":"FeatureCollection","features":[
                {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},
                 "properties":{"date":"2016-01-0\u0032"}}]}"#,
            r#"{"type":"FeatureCollection","type":"FeatureCollection","features":[]}"#,
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"id":[1]}]}"#,
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,"2"]}}]}"#,
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,91]}}]}"#,
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null}]}"#,
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}]} x"#,
        ];
        for body in others {
            assert_eq!(valid(body, at(), true, MAX_BATCH_POINTS), None, "{body}");
        }
        assert_eq!(
            points(others[1].as_bytes(), at(), true, MAX).unwrap()[0].at,
            jiff::civil::date(2016, 1, 2)
        );
        assert_eq!(points(others[0].as_bytes(), at(), true, MAX).unwrap(), []);
    }

    /// A collection of `n` point features over 1 MB, its ids strings that look like the
    /// place between two features, pretty-printed with `space` between tokens.
    fn large_body(n: usize, space: &str) -> String {
        let features: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{{space}"type":"Feature",{space}"id":"p{i} }},{{ }} , {{",{space}"geometry":{space}{{"type":"Point","coordinates":[{}, {}]}},"properties":{{"date":"2016-01-02","pad":"{}"}}}}"#,
                    (i % 360) as f64 - 179.5,
                    (i % 170) as f64 - 84.5,
                    "x".repeat(40),
                )
            })
            .collect();
        format!(
            r#"{space}{{{space}"type"{space}:{space}"FeatureCollection",{space}"features"{space}:{space}[{space}{}{space}]{space}}}{space}"#,
            features.join(&format!("{space},{space}"))
        )
    }

    #[test]
    fn a_large_batch_read_on_every_core_reads_as_it_does_on_one() {
        for space in ["", "\n  "] {
            let body = large_body(12_000, space);
            assert!(body.len() > json_runs::MIN_BYTES);
            let fast = valid(&body, at(), true, MAX_BATCH_POINTS).expect("a valid batch");
            assert_eq!(fast.len(), 12_000);
            assert_eq!(fast, checked(&body, at(), true, MAX_BATCH_POINTS).unwrap());
            // Read whole on one core, for comparison.
            let mut de = serde_json::Deserializer::from_str(&body);
            let feature = ValidFeature {
                default_at: at(),
                geojson_ids: true,
            };
            let one = ValidCollection(feature, MAX_BATCH_POINTS)
                .deserialize(&mut de)
                .unwrap();
            assert_eq!(fast, one);
            if let Some(runs) = split(&body) {
                assert!(runs.len() > 1);
                // Every cut is a comma; the runs and the cuts are the whole array.
                let inner = body
                    .trim()
                    .trim_end_matches('}')
                    .trim_end()
                    .trim_end_matches(']');
                assert!(inner.ends_with(runs.last().unwrap()));
            }
            // Too many points, or a bad point in any run: the fast reader gives up.
            assert_eq!(valid(&body, at(), true, 11_999), None);
            let bad = body.replacen("[179.5, ", "[180.5, ", 1);
            assert_ne!(bad, body);
            assert_eq!(valid(&bad, at(), true, MAX_BATCH_POINTS), None);
        }
    }

    #[test]
    fn a_wrong_guess_falls_back_to_the_one_core_reader() {
        // A first feature whose id is nothing but what a cut looks for, and a small second
        // one: every guess lands in the id.
        let id = "},{".repeat(400_000);
        let body = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"{id}","geometry":{{"type":"Point","coordinates":[1,2]}}}},{{"type":"Feature","id":1,"geometry":{{"type":"Point","coordinates":[3,4]}}}}]}}"#
        );
        assert!(body.len() > json_runs::MIN_BYTES);
        let feature = ValidFeature {
            default_at: at(),
            geojson_ids: true,
        };
        if let Some(runs) = split(&body) {
            assert!(runs[0].len() < id.len(), "the first cut is in the id");
            assert_eq!(valid_parts(&runs, feature, MAX_BATCH_POINTS), None);
        }
        let probes = valid(&body, at(), true, MAX_BATCH_POINTS).expect("a valid batch");
        assert_eq!(probes.len(), 2);
        assert_eq!((probes[1].pos.lon(), probes[1].pos.lat()), (3.0, 4.0));
        assert_eq!(probes[0].id.as_ref().unwrap().as_text(), id);
    }

    /// Picks among written forms, seeded.
    struct Forms(crate::synth::Rng);

    impl Forms {
        fn pick(&mut self, options: &[&str]) -> String {
            options[self.0.below(options.len())].to_owned()
        }

        /// Whitespace, often none.
        fn space(&mut self) -> String {
            self.pick(&[" ", "", "", "\n  ", "\t", "\r\n"])
        }

        fn coin(&mut self) -> bool {
            self.0.below(2) == 0
        }
    }

    /// Seeded features in every form the scanner reads, each written its own way: members in
    /// any order, whitespace anywhere, ids and numbers of every kind.
    fn generated_run(seed: u64, n: usize) -> String {
        let lats = [
            "36.33",
            "-0",
            "-0.0",
            "0",
            "35",
            "1e-3",
            "12.50",
            "35.684820000000001",
            "1.5e+1",
            "-89.5",
            "0.1e1",
            "9e-400",
        ];
        let lons = ["1E2", "-179.99999999999997", "180", "36.339999999999996"];
        let heights = ["123456789012345678", "1e300", "-5"];
        let ids = [
            "\"p1\"",
            "\"\"",
            "\"Ḥamā 🌍\"",
            "7",
            "-12.50",
            "1e3",
            "null",
            "\"a/b\u{7f}\"",
        ];
        let dates = ["\"2015-08-20\"", "\"2011-01-01\"", "null"];
        let mut f = Forms(crate::synth::Rng::new(seed));
        let mut features = Vec::new();
        for _ in 0..n {
            let extra = if f.coin() {
                format!(",{}{}", f.space(), f.pick(&heights))
            } else {
                String::new()
            };
            let lon = if f.coin() {
                f.pick(&lons)
            } else {
                f.pick(&lats)
            };
            let coordinates = format!(
                "[{}{lon}{},{}{}{extra}{}]",
                f.space(),
                f.space(),
                f.space(),
                f.pick(&lats),
                f.space()
            );
            let mut geometry = [
                format!("\"type\"{}:{}\"Point\"", f.space(), f.space()),
                format!("\"coordinates\"{}:{}{coordinates}", f.space(), f.space()),
            ];
            if f.coin() {
                geometry.reverse();
            }
            let mut members = vec![
                format!("\"type\":{}\"Feature\"", f.space()),
                format!(
                    "\"geometry\":{}{{{}{}}}",
                    f.space(),
                    f.space(),
                    geometry.join(",")
                ),
            ];
            if f.coin() {
                let (a, b, c, id) = (f.space(), f.space(), f.space(), f.pick(&ids));
                members.push(format!("{a}\"id\"{b}:{c}{id}"));
            }
            match f.0.below(4) {
                0 => members.push("\"properties\":null".into()),
                1 => members.push(format!("\"properties\":{{{}}}", f.space())),
                2 => {
                    let (a, b, c, date) = (f.space(), f.space(), f.space(), f.pick(&dates));
                    members.push(format!("\"properties\":{{{a}\"date\"{b}:{c}{date}}}"));
                }
                _ => {}
            }
            for k in (1..members.len()).rev() {
                let j = f.0.below(k + 1);
                members.swap(k, j);
            }
            let (a, b) = (f.space(), f.space());
            features.push(format!("{a}{{{}}}{b}", members.join(",")));
        }
        features.join(",")
    }

    /// The same probes, positions compared bit for bit (`-0.0` is not `0.0`).
    fn same(a: &[Probe], b: &[Probe]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(a, b)| {
                a.id == b.id
                    && a.at == b.at
                    && a.pos.lon().to_bits() == b.pos.lon().to_bits()
                    && a.pos.lat().to_bits() == b.pos.lat().to_bits()
            })
    }

    /// The serde reader the scanner is compared with; any JSON id (the scanner reads only
    /// those `geojson_ids` allows).
    fn reader() -> ValidFeature {
        ValidFeature {
            default_at: at(),
            geojson_ids: false,
        }
    }

    #[test]
    fn the_scanner_reads_what_serde_reads() {
        let mut scanned = 0;
        for seed in 0..300 {
            let run = generated_run(seed, 5);
            let by_serde = serde_run(&run, reader(), MAX.get());
            let by_serde = by_serde.unwrap_or_else(|| {
                let json = serde_json::from_str::<serde_json::Value>(&format!("[{run}]"));
                panic!("serde reads {run}: {json:?}")
            });
            if let Some(probes) = super::super::scan::features(&run, at(), MAX.get()) {
                assert!(same(&probes, &by_serde), "{run}");
                scanned += 1;
            }
        }
        // Only an integer of more than 18 digits is left to serde.
        assert!(scanned > 200, "{scanned}");
    }

    #[test]
    fn the_scanner_accepts_nothing_that_serde_refuses() {
        let marks = b"{}[]:,\" \\0-.eE+nul1x";
        let mut refused = 0;
        for seed in 0..200 {
            let run = generated_run(seed, 3);
            let mut rng = crate::synth::Rng::new(seed + 1000);
            for _ in 0..40 {
                let mut bytes = run.clone().into_bytes();
                let k = rng.below(bytes.len());
                match rng.below(3) {
                    0 => {
                        bytes.remove(k);
                    }
                    1 => bytes.insert(k, marks[rng.below(marks.len())]),
                    _ => bytes[k] = marks[rng.below(marks.len())],
                }
                let Ok(text) = String::from_utf8(bytes) else {
                    continue;
                };
                let by_serde = serde_run(&text, reader(), MAX.get());
                refused += usize::from(by_serde.is_none());
                if let Some(probes) = super::super::scan::features(&text, at(), MAX.get()) {
                    let by_serde = by_serde
                        .unwrap_or_else(|| panic!("serde refuses what was scanned: {text}"));
                    assert!(same(&probes, &by_serde), "{text}");
                }
            }
        }
        assert!(refused > 1000, "{refused}");
    }

    #[test]
    fn the_scanner_leaves_what_it_does_not_know_to_serde() {
        let point = r#""type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}"#;
        for run in [
            format!(r#"{{{point},"bbox":[1,2,1,2]}}"#),
            format!(r#"{{{point},"id":"a\"b"}}"#),
            format!(r#"{{{point},"id":{{"k":1}}}}"#),
            format!(r#"{{{point},"properties":{{"name":"x"}}}}"#),
            format!(r#"{{{point},"id":12345678901234567890}}"#),
        ] {
            assert!(serde_run(&run, reader(), MAX.get()).is_some(), "{run}");
            assert!(
                super::super::scan::features(&run, at(), MAX.get()).is_none(),
                "{run}"
            );
        }
        // Refused by both: a number beyond an f64, a leading zero, a bare minus, a control
        // character in a string.
        for run in [
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2,1e400]}}"#
                .to_owned(),
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[01,2]}}"#.to_owned(),
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[-,2]}}"#.to_owned(),
            format!("{{{point},\"id\":\"a\tb\"}}"),
        ] {
            assert!(serde_run(&run, reader(), MAX.get()).is_none(), "{run}");
            assert!(
                super::super::scan::features(&run, at(), MAX.get()).is_none(),
                "{run}"
            );
        }
        // More points than allowed.
        let two = format!("{{{point}}},{{{point}}}");
        assert!(super::super::scan::features(&two, at(), 1).is_none());
        assert_eq!(
            super::super::scan::features(&two, at(), 2).map(|p| p.len()),
            Some(2)
        );
        assert_eq!(
            super::super::scan::features(" \n", at(), 2).map(|p| p.len()),
            Some(0)
        );
    }
}
