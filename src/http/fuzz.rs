//! The batch readers of `POST /api/query`, reachable without a server, for the fuzz targets in
//! `fuzz/` and their replay in `tests/fuzz_regressions.rs`. Not part of the API: each function
//! only calls the code the handler calls, so that a fuzz target can compare the two JSON
//! readers and see the points a CSV body gives.

use std::num::NonZeroUsize;

use axum::body::Body;
use futures_util::StreamExt;

pub use super::batch::{PointId, Probe};
use super::batch::{from_csv, from_json};
use super::problem::ApiError;
use crate::model::Date;

/// The one-pass JSON batch reader alone (after the UTF-8 check both readers share), with the
/// default batch limit: the points when it takes the body, `None` when it leaves the body to
/// [`json_batch_checked`].
#[must_use]
pub fn json_batch_fast(bytes: &[u8], default_at: Date, geojson_ids: bool) -> Option<Vec<Probe>> {
    let text = from_json::utf8(bytes).ok()?;
    from_json::valid(text, default_at, geojson_ids, from_json::MAX_BATCH_POINTS)
}

/// The checked JSON batch reader alone (after the UTF-8 check both readers share), with the
/// default batch limit, which says what is wrong and where.
pub fn json_batch_checked(
    bytes: &[u8],
    default_at: Date,
    geojson_ids: bool,
) -> Result<Vec<Probe>, ApiError> {
    from_json::checked(
        from_json::utf8(bytes)?,
        default_at,
        geojson_ids,
        from_json::MAX_BATCH_POINTS,
    )
}

/// A CSV batch body checked and spooled as the handler does it, then every point read back from
/// the spool as the answer reads them. A failure of the second reading, which the check should
/// have made impossible, is an [`ApiError::Internal`].
pub async fn csv_batch(
    body: Body,
    max_rows: NonZeroUsize,
    default_at: Date,
) -> Result<Vec<Probe>, ApiError> {
    let mut chunks = from_csv::chunks(body, max_rows, default_at).await?;
    let mut points = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| ApiError::Internal(format!("CSV batch replay: {e}")))?;
        points.extend(chunk);
    }
    Ok(points)
}
