//! Query-string wire types and their one conversion into model types. Every failure names the
//! parameter and quotes the value.

use geo::Rect;
use serde::Deserialize;

use super::problem::ApiError;
use crate::model::{Date, DateRange, LonLat, parse_date, today_utc};

/// `?f=json` / `?f=geojson` is accepted everywhere (GDAL and browsers send it).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatOnly {
    /// Output format; only JSON is served.
    pub f: Option<String>,
}

/// `GET /api/query`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointParams {
    pub lon: Option<String>,
    pub lat: Option<String>,
    pub at: Option<String>,
    pub f: Option<String>,
}

/// `POST /api/query` and `GET /api/stats`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtParams {
    pub at: Option<String>,
    pub f: Option<String>,
}

/// `GET /api/collections/{id}/items`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemsParams {
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub bbox: Option<String>,
    pub datetime: Option<String>,
    pub at: Option<String>,
    pub f: Option<String>,
}

/// `GET /api/collections/{id}/items/{featureId}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemParams {
    pub at: Option<String>,
    pub f: Option<String>,
}

/// Default page size for items.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page; larger requests are capped, as OGC API – Features says.
pub const MAX_LIMIT: usize = 10_000;

/// Checks `f`: only JSON flavours are served.
pub fn format(f: Option<&str>) -> Result<(), ApiError> {
    match f {
        None | Some("json" | "geojson") => Ok(()),
        Some(other) => Err(ApiError::parameter(
            "f",
            format!("{other:?} is not a format this server produces (json, geojson)"),
        )),
    }
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
    match value {
        None => Ok(today_utc()),
        Some(text) => parse_date(text).ok_or_else(|| {
            ApiError::parameter(
                "at",
                format!("{text:?} is not a date (expected YYYY-MM-DD)"),
            )
        }),
    }
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
        text.parse::<usize>().map_err(|_| {
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
