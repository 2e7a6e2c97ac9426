//! `/api/query`: the point query (GET) and the batch query (POST), answering exactly as the CLI.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{JsonBody, Params};
use super::ogc::json_response;
use super::openapi::{BadRequest, InvalidBatch, PayloadTooLarge, QUERIES, UnsupportedMediaType};
use super::params::{self, BatchParams, PointParams};
use super::problem::{ApiError, body_problem};
use super::state::AppState;
use crate::answer::{Detail, PointAnswer};
use crate::model::{Date, LonLat, parse_date};

/// Most points one batch may hold.
pub const MAX_BATCH_POINTS: usize = 100_000;
/// Batches up to this size are answered inline; larger ones on the blocking pool.
const INLINE_BATCH_POINTS: usize = 64;

/// `GET /api/query?lon=&lat=&at=`.
#[utoipa::path(
    get,
    path = "/api/query",
    operation_id = "queryPoint",
    tag = QUERIES,
    summary = "Who controlled a point on a date",
    description = "Every region containing the point, smallest first, with its control on `at` \
                   and the sources; or, outside all regions, the nearest region.",
    params(PointParams),
    responses(
        (status = 200, description = "The answer.", body = PointAnswer, content_type = "application/json"),
        (status = 400, response = BadRequest),
    )
)]
pub async fn point(
    State(state): State<AppState>,
    Params(p): Params<PointParams>,
) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    let pos = params::position(p.lon.as_deref(), p.lat.as_deref())?;
    let at = params::at(p.at.as_deref())?;
    let detail = Detail {
        history: params::flag("history", p.history.as_deref())?,
        ..Detail::POINT
    };
    let snapshot = state.snapshot();
    let answer = PointAnswer::new(&snapshot.engine, pos, at, detail);
    Ok(json_response("application/json", &answer))
}

/// A batch request: a `FeatureCollection` of points.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = BatchRequest, example = json!({
    "type": "FeatureCollection",
    "features": [{
        "type": "Feature",
        "id": "ziyarah",
        "geometry": {"type": "Point", "coordinates": [36.33867, 35.68482]},
        "properties": {"date": "2015-08-20"}
    }]
}))]
pub struct Batch {
    /// Must be `FeatureCollection`.
    #[serde(rename = "type", default)]
    #[schema(example = "FeatureCollection")]
    kind: String,
    /// The points, at most 100,000.
    #[serde(default)]
    #[schema(max_items = 100_000)]
    features: Vec<BatchFeature>,
}

/// One point to answer for.
#[derive(Debug, Deserialize, ToSchema)]
struct BatchFeature {
    /// Must be `Feature`.
    #[serde(rename = "type", default)]
    #[schema(example = "Feature")]
    kind: String,
    /// Any JSON value; echoed in the answer.
    id: Option<serde_json::Value>,
    /// A GeoJSON `Point`: longitude, latitude (WGS84, degrees); a height is ignored.
    #[schema(value_type = Option<Object>, example = json!({"type": "Point", "coordinates": [36.33867, 35.68482]}))]
    geometry: Option<geojson::Geometry>,
    /// Optional; only `date` is read.
    properties: Option<BatchProperties>,
}

/// What a point may say besides where it is.
#[derive(Debug, Deserialize, ToSchema)]
struct BatchProperties {
    /// The date for this point, `YYYY-MM-DD`; default the `at` parameter.
    #[schema(format = Date, example = "2015-08-20")]
    date: Option<String>,
}

/// One checked point of a batch.
struct Probe {
    id: Option<serde_json::Value>,
    pos: LonLat,
    at: Date,
}

/// The answer for one point: its `id`, when it had one, and the point query's answer.
#[derive(Serialize, ToSchema)]
struct BatchResult<'a> {
    /// The feature's `id`, when it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    #[serde(flatten)]
    answer: PointAnswer<'a>,
}

/// One answer per point.
#[derive(Serialize, ToSchema)]
struct BatchAnswer<'a> {
    /// One answer per input feature, in input order.
    results: Vec<BatchResult<'a>>,
}

/// `POST /api/query`: one CLI-shaped answer per input point, in input order.
#[utoipa::path(
    post,
    path = "/api/query",
    operation_id = "queryBatch",
    tag = QUERIES,
    summary = "Who controlled many points, each on its date",
    description = "Answers every Point feature of a GeoJSON FeatureCollection on its \
                   `properties.date` (default `at`, default today UTC), in input order, each \
                   answer shaped like the point query's. At most 100,000 points per batch (413 \
                   beyond); every invalid feature is reported at once (422). Not cached.",
    params(BatchParams),
    request_body(
        description = "The points.",
        content(
            (Batch = "application/geo+json"),
            (Batch = "application/json"),
        )
    ),
    responses(
        (status = 200, description = "One answer per point.", body = BatchAnswer, content_type = "application/json"),
        (status = 400, response = BadRequest),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = InvalidBatch),
    )
)]
pub async fn batch(
    State(state): State<AppState>,
    Params(p): Params<BatchParams>,
    JsonBody(batch): JsonBody<Batch>,
) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    let default_at = params::at(p.at.as_deref())?;
    let detail = Detail {
        shares: params::flag("shares", p.shares.as_deref())?,
        ..Detail::BATCH
    };
    let probes = check(batch, default_at)?;
    let small = probes.len() <= INLINE_BATCH_POINTS;
    let snapshot = state.snapshot();
    let answer = move || {
        let engine = &snapshot.engine;
        let results = probes
            .iter()
            .map(|probe| BatchResult {
                id: probe.id.as_ref(),
                answer: PointAnswer::new(engine, probe.pos, probe.at, detail),
            })
            .collect();
        json_response("application/json", &BatchAnswer { results })
    };
    if small {
        Ok(answer())
    } else {
        tokio::task::spawn_blocking(answer)
            .await
            .map_err(|e| ApiError::Internal(format!("batch task failed: {e}")))
    }
}

/// Validates every feature, reporting all problems by feature index.
fn check(batch: Batch, default_at: Date) -> Result<Vec<Probe>, ApiError> {
    if batch.kind != "FeatureCollection" {
        let found = if batch.kind.is_empty() {
            "missing".to_owned()
        } else {
            format!("{:?}", batch.kind)
        };
        return Err(ApiError::InvalidBody(vec![body_problem(
            "/type".into(),
            format!(
                "type is {found}; the body must be a GeoJSON FeatureCollection of Point features"
            ),
        )]));
    }
    if batch.features.len() > MAX_BATCH_POINTS {
        return Err(ApiError::TooLarge(format!(
            "the batch has {} points; at most {MAX_BATCH_POINTS} per request",
            batch.features.len()
        )));
    }
    let mut problems = Vec::new();
    let mut probes = Vec::with_capacity(batch.features.len());
    for (i, f) in batch.features.into_iter().enumerate() {
        match probe(f, default_at) {
            Ok(p) => probes.push(p),
            Err(why) => problems.extend(why.into_iter().map(|(at, w)| {
                body_problem(format!("/features/{i}{at}"), format!("features[{i}]: {w}"))
            })),
        }
    }
    if problems.is_empty() {
        Ok(probes)
    } else {
        Err(ApiError::InvalidBody(problems))
    }
}

/// Checks one feature; each problem comes with the pointer to its value within the feature.
fn probe(f: BatchFeature, default_at: Date) -> Result<Probe, Vec<(&'static str, String)>> {
    let mut why = Vec::new();
    if f.kind != "Feature" {
        why.push(("/type", format!("type {:?} is not \"Feature\"", f.kind)));
    }
    let pos = match f.geometry.map(|g| g.value) {
        // geojson refuses positions with fewer than two numbers while parsing the body.
        Some(geojson::GeometryValue::Point { coordinates }) => {
            LonLat::new(coordinates[0], coordinates[1])
                .map_err(|e| why.push(("/geometry/coordinates", e.to_string())))
                .ok()
        }
        Some(other) => {
            why.push((
                "/geometry",
                format!("geometry is a {}, expected Point", other.type_name()),
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
        (Some(pos), Some(at)) if why.is_empty() => Ok(Probe { id: f.id, pos, at }),
        _ => Err(why),
    }
}
