//! `/api/query`: the point query (GET) and the batch query (POST), answering exactly as the CLI.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::batch::{self, Encoder, Format, Points};
use super::extract::{BatchBody, Params};
use super::ogc::json_response;
use super::openapi::{
    BadRequest, InvalidBatch, NotAcceptable, PayloadTooLarge, QUERIES, UnsupportedMediaType,
};
use super::params::{self, BatchParams, PointParams};
use super::problem::ApiError;
use super::state::AppState;
use crate::answer::{Detail, PointAnswer};

/// JSON bodies up to this size are parsed on the spot; larger ones on the blocking pool.
const INLINE_JSON_BYTES: usize = 16 * 1024;

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

/// A batch request: a `FeatureCollection` of points. Only its schema is declared here; the
/// body is read by [`batch::from_json`].
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "the request body's schema; batch::from_json reads the body"
)]
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
    #[schema(example = "FeatureCollection")]
    #[schema(rename = "type")]
    kind: String,
    /// The points, at most 100,000 (the server's default `--batch-points`; a server may be
    /// started with a lower or higher limit).
    #[schema(max_items = 100_000)]
    features: Vec<BatchFeature>,
}

/// One point to answer for.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "the request body's schema; batch::from_json reads the body"
)]
struct BatchFeature {
    /// Must be `Feature`.
    #[schema(rename = "type", example = "Feature")]
    kind: String,
    /// Any JSON value (a string or a number for a GeoJSON sequence answer); echoed in the
    /// answer.
    #[schema(value_type = Option<Object>)]
    id: Option<serde_json::Value>,
    /// A GeoJSON `Point`: longitude, latitude (WGS84, degrees); a height is ignored.
    #[schema(value_type = Option<Object>, example = json!({"type": "Point", "coordinates": [36.33867, 35.68482]}))]
    geometry: Option<serde_json::Value>,
    /// Optional; only `date` is read.
    properties: Option<BatchProperties>,
}

/// What a point may say besides where it is.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "the request body's schema; batch::from_json reads the body"
)]
struct BatchProperties {
    /// The date for this point, `YYYY-MM-DD`; default the `at` parameter.
    #[schema(format = Date, example = "2015-08-20")]
    date: Option<String>,
}

/// The answer for one point: its `id`, when it had one, and the point query's answer.
#[derive(Serialize, ToSchema)]
#[allow(
    dead_code,
    reason = "the answer's schema; batch::encode writes the answer"
)]
struct BatchResult<'a> {
    /// The feature's `id`, when it had one (a CSV row's `id` is a string).
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    #[serde(flatten)]
    answer: PointAnswer<'a>,
}

/// One answer per point.
#[derive(Serialize, ToSchema)]
#[allow(
    dead_code,
    reason = "the answer's schema; batch::encode writes the answer"
)]
struct BatchAnswer<'a> {
    /// One answer per input point, in input order.
    results: Vec<BatchResult<'a>>,
}

/// An example CSV batch.
const CSV_REQUEST: &str = "id,lon,lat,date\r\nziyarah,36.33867,35.68482,2015-08-20\r\n";
/// Its CSV answer.
const CSV_ANSWER: &str = "id,lon,lat,date,region,status,factions,since,statement\r\n\
                          ziyarah,36.33867,35.68482,2015-08-20,ghab-plain,held,government,\
                          2015-08-18,northern-ghab-army-retakes-2015\r\n";

/// `POST /api/query`: one answer per input point, in input order, streamed.
#[utoipa::path(
    post,
    path = "/api/query",
    operation_id = "queryBatch",
    tag = QUERIES,
    summary = "Who controlled many points, each on its date",
    description = "Answers every point of a batch on its own date (default `at`, default \
                   today UTC), in input order. The body is a GeoJSON FeatureCollection of \
                   Point features with an optional `properties.date` (at most 100,000 points), \
                   or CSV (`text/csv`, RFC 4180, UTF-8): a header row naming the columns `id`, \
                   `lon`, `lat` and optionally `date` in any order (other columns are ignored), \
                   then one point per row (at most 1,000,000 rows by default, the server's \
                   `--batch-csv-rows`). The answer's format is `f`, else the `Accept` header's \
                   choice among `application/json` (the default: `{\"results\": [...]}`, each \
                   result shaped like the point query's answer plus the input `id`), \
                   `text/csv` (RFC 4180 with a header row; one row per point: `id`, `lon`, \
                   `lat`, `date`, `region` (the smallest region containing the point), the \
                   `status`, the `factions` joined with `;`, `since` and the `statement` id) \
                   and `application/geo+json-seq` (RFC 8142: one Point Feature per point, each \
                   after an RS character and ending with a line feed; its properties are the \
                   point answer without `point`). Any input goes with any output. A batch \
                   with any invalid point is refused before anything is answered: every \
                   invalid feature at once by index, or the first 100 invalid CSV rows by row \
                   number (the header is row 1), column and value (422). The answer is \
                   streamed as it is computed. Not cached.",
    params(BatchParams),
    request_body(
        description = "The points: GeoJSON, or CSV with a header row.",
        content(
            (Batch = "application/geo+json"),
            (Batch = "application/json"),
            (String = "text/csv", example = json!(CSV_REQUEST)),
        )
    ),
    responses(
        (status = 200, description = "One answer per point, in input order.", content(
            (BatchAnswer = "application/json"),
            (String = "text/csv", example = json!(CSV_ANSWER)),
            (String = "application/geo+json-seq"),
        )),
        (status = 400, response = BadRequest),
        (status = 406, response = NotAcceptable),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = InvalidBatch),
    )
)]
pub async fn batch(
    State(state): State<AppState>,
    Params(p): Params<BatchParams>,
    headers: HeaderMap,
    body: BatchBody,
) -> Result<Response, ApiError> {
    let format = params::batch_format(p.f.as_deref(), headers.get(header::ACCEPT))?;
    let default_at = params::at(p.at.as_deref())?;
    let shares = params::flag("shares", p.shares.as_deref())?;
    if shares && format == Format::Csv {
        return Err(ApiError::parameter(
            "shares",
            "the CSV answer has no shares columns; ask for JSON or a GeoJSON sequence",
        ));
    }
    let detail = Detail {
        shares,
        ..Detail::BATCH
    };
    let points = match body {
        BatchBody::Json(bytes) => {
            let geojson_ids = format == Format::GeoJsonSeq;
            let small = bytes.len() <= INLINE_JSON_BYTES;
            let max_points = state.limits().batch_points;
            let parse =
                move || batch::from_json::points(&bytes, default_at, geojson_ids, max_points);
            let points = if small {
                parse()
            } else {
                tokio::task::spawn_blocking(parse)
                    .await
                    .map_err(|e| ApiError::Internal(format!("batch parse failed: {e}")))?
            };
            Points::Ready(points?)
        }
        BatchBody::Csv(body) => {
            Points::Streamed(batch::from_csv::chunks(body, state.csv_rows(), default_at).await?)
        }
    };
    let writer = batch::Writer {
        snapshot: state.snapshot(),
        encoder: Encoder { format, detail },
        pool: state.fragments(),
    };
    Ok(batch::respond(writer, points))
}
