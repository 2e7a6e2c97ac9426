//! Writes: control entries and events from editors with a bearer token, the change feed, its
//! live stream, and reverts. Each handler checks the request and calls [`crate::live`], which
//! stores the change durably, applies it and announces it.

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio_stream::StreamExt;

use super::cache::uncached;
use super::extract::{JsonBody, Params};
use super::ogc::json_response;
use super::params::FormatOnly;
use super::problem::ApiError;
use super::state::AppState;
use crate::live::Outcome;
use crate::store::{Change, ChangeKind};

/// A stored change as the API shows it.
#[derive(Serialize)]
struct ChangeOut<'a> {
    id: i64,
    time: String,
    kind: ChangeKind,
    target: &'a str,
    key: &'a str,
    before: Option<&'a serde_json::Value>,
    after: Option<&'a serde_json::Value>,
    author: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reverts: Option<i64>,
}

fn change_out(c: &Change) -> ChangeOut<'_> {
    ChangeOut {
        id: c.id,
        time: c.time.to_string(),
        kind: c.change.kind,
        target: &c.change.target,
        key: &c.change.key,
        before: c.change.before.as_ref(),
        after: c.change.after.as_ref(),
        author: &c.change.author,
        reverts: c.change.reverts,
    }
}

#[derive(Serialize)]
struct WhoAmI {
    author: String,
}

/// `GET /api/whoami`: the editor a token belongs to (for the map's edit panel).
pub async fn whoami(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let author = state.editor(&headers)?;
    Ok(uncached(json_response(
        "application/json",
        &WhoAmI { author },
    )))
}

#[derive(Serialize)]
struct NoChange<'a> {
    unchanged: bool,
    target: &'a str,
    key: &'a str,
}

/// A write's answer: 201 with the change and its `Location`, or 200 when nothing changed.
fn written(outcome: &Outcome) -> Response {
    let change = match outcome {
        Outcome::Unchanged { target, key } => {
            let body = NoChange {
                unchanged: true,
                target,
                key,
            };
            return json_response("application/json", &body);
        }
        Outcome::Committed(change) => change,
    };
    let mut response = json_response("application/json", &change_out(change));
    *response.status_mut() = StatusCode::CREATED;
    if let Ok(location) = HeaderValue::from_str(&format!("/api/changes/{}", change.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// `POST /api/regions/{id}/control`: add a history entry, or replace the one with its `from`.
pub async fn post_control(
    State(state): State<AppState>,
    Path(region): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Box<RawValue>>,
) -> Result<Response, ApiError> {
    let author = state.editor(&headers)?;
    let outcome = state
        .live()
        .put_control(&region, body.get(), &author)
        .await?;
    Ok(written(&outcome))
}

/// `POST /api/collections/events/items`: add an event (or replace the one with its id).
pub async fn post_event(
    State(state): State<AppState>,
    Path(collection): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Box<RawValue>>,
) -> Result<Response, ApiError> {
    if collection != "events" {
        return Err(ApiError::MethodNotAllowed(format!(
            "POST /api/collections/{collection}/items (only events take new items)"
        )));
    }
    let author = state.editor(&headers)?;
    let outcome = state.live().put_event(body.get(), &author).await?;
    Ok(written(&outcome))
}

/// `GET /api/changes` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangesParams {
    since: Option<String>,
    limit: Option<String>,
    f: Option<String>,
}

#[derive(Serialize)]
struct ChangesPage<'a> {
    changes: Vec<ChangeOut<'a>>,
    last_id: i64,
}

/// Most changes one page of the feed returns.
const MAX_CHANGES: usize = 10_000;

/// `GET /api/changes?since=N&limit=M`: the log after id N, ascending.
pub async fn changes(
    State(state): State<AppState>,
    Params(p): Params<ChangesParams>,
) -> Result<Response, ApiError> {
    super::params::format(p.f.as_deref())?;
    let since = match p.since.as_deref() {
        None => 0,
        Some(t) => t.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::parameter(
                "since",
                format!("{t:?} is not a change id (a whole number of at least 0)"),
            )
        })?,
    };
    let limit = match p.limit.as_deref() {
        None => 1000,
        Some(t) => t
            .parse::<usize>()
            .map(|n| n.min(MAX_CHANGES))
            .map_err(|_| {
                ApiError::parameter(
                    "limit",
                    format!("{t:?} is not a whole number of at least 0"),
                )
            })?,
    };
    let page = state.live().changes(since, limit).await?;
    // An empty page (limit=0 asks for none) still says where the log stands.
    let last_id = page
        .last()
        .map_or_else(|| since.max(state.snapshot().last_change), |c| c.id);
    let body = ChangesPage {
        changes: page.iter().map(change_out).collect(),
        last_id,
    };
    Ok(uncached(json_response("application/json", &body)))
}

/// `GET /api/changes/stream`: Server-Sent Events, one `change` event per committed change.
/// A read-only server sends none. Ends when the server shuts down.
pub async fn stream(
    State(state): State<AppState>,
    Params(p): Params<FormatOnly>,
) -> Result<Response, ApiError> {
    super::params::format(p.f.as_deref())?;
    let events = state.live().subscribe().filter_map(|change| {
        let json = serde_json::to_string(&change_out(&change)).ok()?;
        Some(Ok::<_, Infallible>(
            SseEvent::default().event("change").data(json),
        ))
    });
    Ok(uncached(
        Sse::new(events)
            .keep_alive(KeepAlive::default())
            .into_response(),
    ))
}

/// `POST /api/changes/{id}/revert[?force=true]`: a new change undoing change `id`.
pub async fn revert(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Params(p): Params<RevertParams>,
) -> Result<Response, ApiError> {
    let author = state.editor(&headers)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no change {id:?}")))?;
    let force = match p.force.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::parameter(
                "force",
                format!("{other:?} is not true or false"),
            ));
        }
    };
    let outcome = state.live().revert(id, force, &author).await?;
    Ok(written(&outcome))
}

/// `POST /api/changes/{id}/revert` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevertParams {
    force: Option<String>,
}
