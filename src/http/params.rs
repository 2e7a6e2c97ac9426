//! Query-string wire types and their one conversion into model types. Every failure names the
//! parameter and quotes the value.
//!
//! Each struct is both what a handler accepts (`deny_unknown_fields` refuses any other name) and,
//! through `IntoParams`, what the OpenAPI document lists: the doc comments of the fields are the
//! parameters' descriptions (except `f`'s, which [`format_schema`] gives).

use axum::http::HeaderValue;
use geo::Rect;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use super::batch::Format;
use super::problem::ApiError;
use crate::model::{Date, DateRange, LonLat, parse_date, today_utc};

/// `?f=json` / `?f=geojson` is accepted everywhere (GDAL and browsers send it).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormatOnly {
    /// Output format; [`format_schema`] describes it.
    #[param(schema_with = format_schema)]
    pub f: Option<String>,
}

/// `GET /api/query`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PointParams {
    /// Longitude in degrees, WGS84, east positive.
    #[param(required = true, value_type = f64, minimum = -180, maximum = 180, example = 36.33867)]
    pub lon: Option<String>,
    /// Latitude in degrees, WGS84, north positive.
    #[param(required = true, value_type = f64, minimum = -90, maximum = 90, example = 35.68482)]
    pub lat: Option<String>,
    /// The date the answer describes, `YYYY-MM-DD` (strictly: `2015-8-3` is refused).
    /// Default: today, UTC.
    #[param(value_type = Option<String>, format = Date, example = "2015-08-20")]
    pub at: Option<String>,
    /// `true` adds `history`: every statement that ever covered the point, by date.
    #[param(value_type = Option<bool>, default = false)]
    pub history: Option<String>,
    /// Output format; [`format_schema`] describes it.
    #[param(schema_with = format_schema)]
    pub f: Option<String>,
}

/// `POST /api/query`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BatchParams {
    /// The date of every point without its own `properties.date`, `YYYY-MM-DD` (strictly:
    /// `2015-8-3` is refused). Default: today, UTC.
    #[param(value_type = Option<String>, format = Date, example = "2015-08-20")]
    pub at: Option<String>,
    /// `true` adds each region's `shares` and summary `status` to every result (slower; not
    /// with CSV answers, which have no shares columns).
    #[param(value_type = Option<bool>, default = false)]
    pub shares: Option<String>,
    /// Output format; [`batch_format_schema`] describes it.
    #[param(schema_with = batch_format_schema)]
    pub f: Option<String>,
}

/// `GET /api/stats`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// The date the statistics describe, `YYYY-MM-DD` (strictly: `2015-8-3` is refused).
    /// Default: today, UTC.
    #[param(value_type = Option<String>, format = Date, example = "2015-08-20")]
    pub at: Option<String>,
    /// An earlier date (not after `at`): adds `changes`, the km² each holder gained and lost
    /// between `from` and `at`.
    #[param(value_type = Option<String>, format = Date, example = "2015-07-27")]
    pub from: Option<String>,
    /// Output format; [`format_schema`] describes it.
    #[param(schema_with = format_schema)]
    pub f: Option<String>,
}

/// `GET /api/collections/{id}/items`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemsParams {
    /// The most features to return, a whole number of at least 1. Values above 10000 are not
    /// refused but capped at 10000, as OGC API – Features allows.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000, default = json!(DEFAULT_LIMIT))]
    pub limit: Option<String>,
    /// How many matching features to skip, a whole number of at least 0. The `next` and `prev`
    /// links of a page carry the right value.
    #[param(value_type = Option<i64>, minimum = 0, default = 0)]
    pub offset: Option<String>,
    /// Only features whose geometry intersects this box: `minLon,minLat,maxLon,maxLat` in WGS84
    /// (CRS84). A 6-number 3D box (`minLon,minLat,minZ,maxLon,maxLat,maxZ`) is accepted and its
    /// heights ignored. Boxes crossing the antimeridian (minLon > maxLon) are refused with 400.
    #[param(
        value_type = Option<Vec<f64>>,
        style = Form,
        explode = false,
        min_items = 4,
        max_items = 6,
        example = json!([36.0, 35.3, 36.6, 35.9])
    )]
    pub bbox: Option<String>,
    /// An RFC 3339 date-time or `YYYY-MM-DD` date, or an interval `a/b`, `../b` or `a/..` (dates
    /// are taken in UTC, by day). For `regions`: one instant only, used like `at` (intervals are
    /// refused with 400). For `control-periods`: periods overlapping the interval. For
    /// `events`: events dated within it. Cannot be combined with `at` (400).
    #[param(example = "2015-08-01T00:00:00Z/2015-09-30T00:00:00Z")]
    pub datetime: Option<String>,
    /// `YYYY-MM-DD`. For `regions`: the date their `control` describes (default today, UTC).
    /// For `control-periods`: only the periods in force on that day (default: all periods); with
    /// control areas (format 2), exactly the pieces of that day's `control` map.
    /// Refused (400) for `events`, which are filtered with `datetime`. Cannot be combined with
    /// `datetime` (400).
    #[param(value_type = Option<String>, format = Date, example = "2015-08-20")]
    pub at: Option<String>,
    /// Output format; [`format_schema`] describes it.
    #[param(schema_with = format_schema)]
    pub f: Option<String>,
}

/// `GET /api/collections/{id}/items/{featureId}`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemParams {
    /// `YYYY-MM-DD`. For a `regions` feature: the date its `control` describes (default today,
    /// UTC). Refused (400) for `events` and `control-periods` features, which carry their own
    /// dates.
    #[param(value_type = Option<String>, format = Date, example = "2015-08-20")]
    pub at: Option<String>,
    /// Output format; [`format_schema`] describes it.
    #[param(schema_with = format_schema)]
    pub f: Option<String>,
}

/// `GET /readyz`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadyParams {
    /// Ready only once this server has applied every change up to this id (a change id a
    /// write answered, on this server or another sharing the database).
    #[param(value_type = Option<i64>, minimum = 0, example = 42)]
    pub min_change: Option<String>,
}

/// Default page size for items.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page; larger requests are capped, as OGC API – Features says.
pub const MAX_LIMIT: usize = 10_000;

/// The values `f` takes: the only output is JSON, under either name.
const FORMATS: [&str; 2] = ["json", "geojson"];

/// Checks `f`: only JSON flavours are served.
pub fn format(f: Option<&str>) -> Result<(), ApiError> {
    match f {
        Some(other) if !FORMATS.contains(&other) => Err(ApiError::parameter(
            "f",
            format!(
                "{other:?} is not a format this server produces ({})",
                FORMATS.join(", ")
            ),
        )),
        _ => Ok(()),
    }
}

/// The schema of `f`: one of [`FORMATS`].
pub fn format_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(FORMATS))
        .description(Some(
            "Output format. Only JSON is produced; `json` and `geojson` are accepted (GDAL and \
             browsers send them) and anything else is refused with 400.",
        ))
        .build()
}

/// The values `f` takes on `POST /api/query`, each naming a [`Format`].
const BATCH_FORMATS: [&str; 4] = ["json", "geojson", "csv", "geojsonseq"];

/// The batch answer's format: `f` when given, else the best the `Accept` header allows (no
/// header: JSON); 406 when it allows none.
pub fn batch_format(f: Option<&str>, accept: Option<&HeaderValue>) -> Result<Format, ApiError> {
    if let Some(value) = f {
        return Format::from_f(value).ok_or_else(|| {
            ApiError::parameter(
                "f",
                format!(
                    "{value:?} is not a format of this answer ({})",
                    BATCH_FORMATS.join(", ")
                ),
            )
        });
    }
    let accept = accept.map(|v| v.to_str().unwrap_or("(not text)"));
    Format::negotiate(accept).ok_or_else(|| {
        ApiError::NotAcceptable(format!(
            "Accept {:?} allows none of the formats of this answer: application/json, text/csv, \
             application/geo+json-seq (or ask with f=json, csv or geojsonseq)",
            accept.unwrap_or("")
        ))
    })
}

/// The schema of the batch's `f`: one of [`BATCH_FORMATS`].
pub fn batch_format_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(BATCH_FORMATS))
        .description(Some(
            "Output format, instead of the `Accept` header: `json` (or `geojson`) for \
             `application/json`, `csv` for `text/csv`, `geojsonseq` for \
             `application/geo+json-seq`. Anything else is refused with 400.",
        ))
        .build()
}

/// `lon` and `lat`, both required, finite and in range.
pub fn position(lon: Option<&str>, lat: Option<&str>) -> Result<LonLat, ApiError> {
    let lon_value = number("lon", lon)?;
    let lat_value = number("lat", lat)?;
    LonLat::new(lon_value, lat_value).map_err(|e| match e {
        crate::model::CoordError::Lon(_) => ApiError::parameter("lon", e.to_string()),
        _ => ApiError::parameter("lat", e.to_string()),
    })
}

fn number(name: &'static str, value: Option<&str>) -> Result<f64, ApiError> {
    let text = value.ok_or_else(|| ApiError::parameter(name, "is required"))?;
    text.trim()
        .parse::<f64>()
        .map_err(|_| ApiError::parameter(name, format!("{text:?} is not a number")))
}

/// `at=YYYY-MM-DD`, default today (UTC).
pub fn at(value: Option<&str>) -> Result<Date, ApiError> {
    value.map_or_else(|| Ok(today_utc()), |text| date("at", text))
}

/// A `true`/`false` flag; absent is `false`.
pub fn flag(name: &'static str, value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::parameter(
            name,
            format!("{other:?} is not true or false"),
        )),
    }
}

/// A date parameter other than `at` (required when given).
pub fn date(name: &'static str, value: &str) -> Result<Date, ApiError> {
    parse_date(value).ok_or_else(|| {
        ApiError::parameter(
            name,
            format!("{value:?} is not a date (expected YYYY-MM-DD)"),
        )
    })
}

/// A change id parameter: a whole number ≥ 0.
pub fn change_id(name: &'static str, text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
        ApiError::parameter(
            name,
            format!("{text:?} is not a change id (a whole number of at least 0)"),
        )
    })
}

/// `limit`: a whole number ≥ 1, capped at [`MAX_LIMIT`].
pub fn limit(value: Option<&str>) -> Result<usize, ApiError> {
    let Some(text) = value else {
        return Ok(DEFAULT_LIMIT);
    };
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits || text.bytes().all(|b| b == b'0') {
        return Err(ApiError::parameter(
            "limit",
            format!("{text:?} is not a whole number of at least 1"),
        ));
    }
    // Any larger number, however many digits, is capped (OGC API – Features, /req/core/fc-limit-response-1).
    Ok(text
        .parse::<usize>()
        .map_or(MAX_LIMIT, |n| n.min(MAX_LIMIT)))
}

/// `offset`: a whole number ≥ 0.
pub fn offset(value: Option<&str>) -> Result<usize, ApiError> {
    value.map_or(Ok(0), |text| {
        // Read as the document's int64, so a number past it is refused as it says.
        let offset = text
            .parse::<i64>()
            .ok()
            .and_then(|n| usize::try_from(n).ok());
        offset.ok_or_else(|| {
            ApiError::parameter(
                "offset",
                format!("{text:?} is not a whole number of at least 0"),
            )
        })
    })
}

/// `bbox=minLon,minLat,maxLon,maxLat` (WGS84; a 6-number 3D box keeps its 2D part).
pub fn bbox(value: Option<&str>) -> Result<Option<Rect<f64>>, ApiError> {
    let Some(text) = value else {
        return Ok(None);
    };
    let bad = |why: &str| ApiError::parameter("bbox", format!("{text:?} {why}"));
    let numbers: Vec<f64> = text
        .split(',')
        .map(|n| n.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("is not a list of numbers"))?;
    let (min_lon, min_lat, max_lon, max_lat) = match numbers[..] {
        [a, b, c, d] => (a, b, c, d),
        [a, b, _, d, e, _] => (a, b, d, e),
        _ => return Err(bad("must have 4 numbers: minLon,minLat,maxLon,maxLat")),
    };
    let corner =
        |lon, lat| LonLat::new(lon, lat).map_err(|e| bad(&format!("is out of range: {e}")));
    let (low, high) = (corner(min_lon, min_lat)?, corner(max_lon, max_lat)?);
    if low.lat() > high.lat() {
        return Err(bad("has its minimum latitude above its maximum"));
    }
    if low.lon() > high.lon() {
        return Err(bad(
            "crosses the antimeridian, which this server does not support",
        ));
    }
    Ok(Some(Rect::new(low.to_point().0, high.to_point().0)))
}

/// `datetime`: an RFC 3339 instant or interval (`a/b`, `../b`, `a/..`).
pub fn datetime(value: Option<&str>) -> Result<Option<DateRange>, ApiError> {
    value
        .map(|text| {
            DateRange::parse(text).ok_or_else(|| {
                ApiError::parameter(
                    "datetime",
                    format!("{text:?} is not an RFC 3339 instant or interval (a/b, ../b, a/..)"),
                )
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_capped_and_must_be_positive() {
        assert_eq!(limit(None), Ok(DEFAULT_LIMIT));
        assert_eq!(limit(Some("20000")), Ok(MAX_LIMIT));
        assert_eq!(limit(Some("99999999999999999999999")), Ok(MAX_LIMIT));
        for bad in ["0", "-1", "1.5", "ten", ""] {
            assert!(limit(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn offset_is_a_whole_number_in_the_documented_int64_range() {
        assert_eq!(offset(None), Ok(0));
        assert_eq!(
            offset(Some("9223372036854775807")),
            Ok(usize::try_from(i64::MAX).unwrap())
        );
        for bad in ["9223372036854775808", "-1", "1.5", ""] {
            assert!(offset(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_documented_page_size_is_the_enforced_one() {
        let params = ItemsParams::into_params(|| None);
        let limit = params.iter().find(|p| p.name == "limit").unwrap();
        let schema = serde_json::to_value(&limit.schema).unwrap();
        assert_eq!(schema["default"], DEFAULT_LIMIT);
        assert_eq!(schema["maximum"], MAX_LIMIT);
    }

    #[test]
    fn bbox_checks_order_and_range() {
        let r = bbox(Some("36,35,37,36")).unwrap().unwrap();
        assert_eq!((r.min().x, r.max().y), (36.0, 36.0));
        assert_eq!(
            bbox(Some("36,35,37")).unwrap_err().to_string(),
            "parameter bbox: \"36,35,37\" must have 4 numbers: minLon,minLat,maxLon,maxLat"
        );
        assert_eq!(
            bbox(Some("36,95,37,96")).unwrap_err().to_string(),
            "parameter bbox: \"36,95,37,96\" is out of range: latitude 95 is outside [-90, 90]"
        );
        assert_eq!(
            bbox(Some("37,35,36,36")).unwrap_err().to_string(),
            "parameter bbox: \"37,35,36,36\" crosses the antimeridian, which this server does not support"
        );
        assert_eq!(
            bbox(Some("a,b,c,d")).unwrap_err().to_string(),
            "parameter bbox: \"a,b,c,d\" is not a list of numbers"
        );
    }

    #[test]
    fn position_names_the_parameter() {
        assert_eq!(
            position(None, Some("1")).unwrap_err().to_string(),
            "parameter lon: is required"
        );
        assert_eq!(
            position(Some("1"), Some("NaN")).unwrap_err().to_string(),
            "parameter lat: latitude NaN is outside [-90, 90]"
        );
    }
}
