//! Writes: control entries and events from editors with a bearer token, the change feed, its
//! live stream, and reverts. Each write is stored durably, then applied and swapped in whole.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio_stream::{Stream, StreamExt};
use utoipa::{IntoParams, ToSchema};

use super::extract::{JsonBody, Params};
use super::features::{self, EventProperties, Feature};
use super::ogc::json_response;
use super::openapi::{
    BadRequest, Conflict, Created, EDITING, Forbidden, InvalidEdit, MethodNotAllowed, NotFound,
    PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use super::params::FormatOnly;
use super::problem::ApiError;
use super::state::{AppState, Editing, Snapshot};
use crate::geodata;
use crate::model::{ControlEntry, Dataset, parse_date};
use crate::store::{Change, ChangeKind, NewChange};

/// A stored change as the API shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = Change)]
pub(super) struct ChangeOut<'a> {
    /// Ascending, never reused.
    #[schema(minimum = 1, example = 1)]
    id: i64,
    /// When it was stored (UTC).
    #[schema(format = DateTime, example = "2024-06-01T12:00:00Z")]
    time: String,
    /// What the change does.
    kind: ChangeKind,
    /// The region (control) or event id.
    #[schema(example = "ghab-plain")]
    target: &'a str,
    /// The entry within the target: the control entry's `from` date, or the event id.
    #[schema(example = "2015-08-15")]
    key: &'a str,
    /// The entry (a control entry or an event feature) before the change; `null` if it did not
    /// exist.
    #[schema(required = true)]
    before: Option<&'a serde_json::Value>,
    /// The entry after the change; `null` if the change removed it (a revert of an addition).
    #[schema(required = true)]
    after: Option<&'a serde_json::Value>,
    /// The editor whose token made the change.
    #[schema(example = "alice")]
    author: &'a str,
    /// Only for `revert`: the change undone.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
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

fn store_error(e: &crate::store::StoreError) -> ApiError {
    ApiError::Internal(e.to_string())
}

/// The editing state and the writer's name, or why the request may not write.
fn editor<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
) -> Result<(&'a Arc<Editing>, String), ApiError> {
    let editing = state.editing().ok_or(ApiError::ReadOnly)?;
    let author = editing.tokens.author(headers)?;
    Ok((editing, author))
}

/// The editor a token belongs to.
#[derive(Serialize, ToSchema)]
struct WhoAmI {
    /// The editor's name, recorded on their changes.
    #[schema(example = "alice")]
    author: String,
}

/// `GET /api/whoami`: the editor a token belongs to (for the map's edit panel).
#[utoipa::path(
    get,
    path = "/api/whoami",
    operation_id = "getWhoAmI",
    tag = EDITING,
    summary = "The editor a token belongs to",
    description = "Checks a token without writing anything (the map's edit panel uses it). \
                   Never cached.",
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The token is valid.", body = WhoAmI, content_type = "application/json"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn whoami(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, author) = editor(&state, &headers)?;
    Ok(json_response("application/json", &WhoAmI { author }))
}

/// Stores `change`, applies it to a copy of the current data and installs the result.
async fn commit(
    state: &AppState,
    editing: &Editing,
    replay: &mut crate::edits::Replay,
    dataset: Dataset,
    change: NewChange,
) -> Result<Response, ApiError> {
    let stored = editing
        .store
        .append(change)
        .await
        .map_err(|e| store_error(&e))?;
    let mut dataset = dataset;
    replay
        .apply(&mut dataset, &stored)
        .map_err(ApiError::Internal)?;
    let files_version = state.snapshot().files_version.clone();
    let id = stored.id;
    let snapshot = tokio::task::spawn_blocking(move || Snapshot::build(dataset, files_version, id))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    state.install(snapshot);
    let json: Arc<str> = serde_json::to_string(&change_out(&stored))
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .into();
    let _ = editing.feed.send(Arc::clone(&json));
    let mut response = (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        json.to_string(),
    )
        .into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/changes/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The entry sent is identical to the stored one; nothing is written.
#[derive(Serialize, ToSchema)]
#[schema(as = Unchanged)]
struct NoChange<'a> {
    /// Always `true`.
    unchanged: bool,
    /// The region.
    #[schema(example = "ghab-plain")]
    target: &'a str,
    /// The entry's `from` date.
    #[schema(example = "2015-08-15")]
    key: String,
}

/// `POST /api/regions/{id}/control`: add a history entry, or replace the one with its `from`.
#[utoipa::path(
    post,
    path = "/api/regions/{regionId}/control",
    operation_id = "postControl",
    tag = EDITING,
    summary = "Add or replace a region's control entry",
    description = "Adds a history entry to the region, or replaces the one with the same `from`. \
                   `precision` may be omitted (`day`); factions must be defined and at least one \
                   source is needed. Every problem is reported at once (422) and nothing is \
                   written. Not cached.",
    security(("bearerAuth" = [])),
    params(
        ("regionId" = String, Path, example = "ghab-plain", description = "A region id; an unknown one is answered 404."),
    ),
    request_body(
        description = "The entry.",
        content(
            (ControlEntry = "application/json"),
            (ControlEntry = "application/geo+json"),
        )
    ),
    responses(
        (status = 200, description = "The region already has exactly this entry; nothing is written.", body = NoChange, content_type = "application/json"),
        (status = 201, response = Created),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = InvalidEdit),
    )
)]
pub async fn post_control(
    State(state): State<AppState>,
    Path(region): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Box<RawValue>>,
) -> Result<Response, ApiError> {
    let (editing, author) = editor(&state, &headers)?;
    let mut replay = editing.writer.lock().await;
    let snapshot = state.snapshot();
    let dataset = snapshot.engine.dataset();
    if dataset.region(&region).is_none() {
        return Err(ApiError::NotFound(format!("no region {region:?}")));
    }
    let factions: HashSet<String> = dataset.factions.iter().map(|f| f.id.to_string()).collect();
    let entry = geodata::check_control(body.get(), &factions).map_err(ApiError::InvalidBody)?;
    let before = dataset.control_entry(&region, entry.from).cloned();
    if before.as_ref() == Some(&entry) {
        let body = NoChange {
            unchanged: true,
            target: &region,
            key: entry.from.to_string(),
        };
        return Ok(json_response("application/json", &body));
    }
    let to_json = |e| serde_json::to_value(e).map_err(|e| ApiError::Internal(e.to_string()));
    let change = NewChange {
        kind: ChangeKind::Control,
        target: region.clone(),
        key: entry.from.to_string(),
        before: before.as_ref().map(to_json).transpose()?,
        after: Some(to_json(&entry)?),
        author,
        reverts: None,
    };
    commit(&state, editing, &mut replay, dataset.clone(), change).await
}

/// `POST /api/collections/events/items`: add an event (or replace the one with its id).
#[utoipa::path(
    post,
    path = "/api/collections/{collectionId}/items",
    operation_id = "postEvent",
    tag = EDITING,
    summary = "Add or replace an event",
    description = "Only the `events` collection takes new items (405 for the others). Adds the \
                   event, or replaces the one with the same `id`; its `region`, if any, must \
                   exist. Every problem is reported at once (422) and nothing is written. Not \
                   cached.",
    security(("bearerAuth" = [])),
    params(
        ("collectionId" = String, Path, example = "events", description = "`events`; the other collections answer 405."),
    ),
    request_body(
        description = "The event, a GeoJSON Point feature.",
        content(
            (Feature<EventProperties> = "application/json"),
            (Feature<EventProperties> = "application/geo+json"),
        )
    ),
    responses(
        (status = 201, response = Created),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 405, response = MethodNotAllowed),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = InvalidEdit),
    )
)]
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
    let (editing, author) = editor(&state, &headers)?;
    let mut replay = editing.writer.lock().await;
    let snapshot = state.snapshot();
    let dataset = snapshot.engine.dataset();
    let regions: HashSet<String> = dataset.regions.iter().map(|r| r.id.to_string()).collect();
    let event = geodata::check_event(body.get(), &regions).map_err(ApiError::InvalidBody)?;
    let before = dataset.events.iter().find(|e| e.id == event.id);
    let to_json =
        |e| serde_json::to_value(features::event(e)).map_err(|e| ApiError::Internal(e.to_string()));
    let change = NewChange {
        kind: ChangeKind::Event,
        target: event.id.clone(),
        key: event.id.clone(),
        before: before.map(to_json).transpose()?,
        after: Some(to_json(&event)?),
        author,
        reverts: None,
    };
    commit(&state, editing, &mut replay, dataset.clone(), change).await
}

/// `GET /api/changes` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// Only changes with a larger id (the `last_id` of the previous page).
    #[param(value_type = Option<i64>, minimum = 0, default = 0)]
    since: Option<String>,
    /// Most changes returned; larger values are taken as 10,000. `0` returns none, only
    /// `last_id`.
    #[param(value_type = Option<u32>, minimum = 0, default = 1000)]
    limit: Option<String>,
    /// Output format; [`super::params::format_schema`] describes it.
    #[param(schema_with = super::params::format_schema)]
    f: Option<String>,
}

/// A page of the change log.
#[derive(Serialize, ToSchema)]
#[schema(as = ChangeList)]
struct ChangesPage<'a> {
    /// Ascending by id; empty on a read-only server.
    changes: Vec<ChangeOut<'a>>,
    /// The last id on this page, or where the log stands if the page is empty; pass it as
    /// `since` next.
    #[schema(minimum = 0)]
    last_id: i64,
}

/// Most changes one page of the feed returns.
const MAX_CHANGES: usize = 10_000;

/// `GET /api/changes?since=N&limit=M`: the log after id N, ascending.
#[utoipa::path(
    get,
    path = "/api/changes",
    operation_id = "getChanges",
    tag = EDITING,
    summary = "The change log",
    description = "Changes after `since`, ascending by id, at most `limit`. Page with `since` = \
                   the previous `last_id`. Needs no token. Never cached.",
    params(ChangesParams),
    responses(
        (status = 200, description = "A page of the log.", body = ChangesPage, content_type = "application/json"),
        (status = 400, response = BadRequest),
    )
)]
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
    let page = match state.editing() {
        Some(editing) if limit > 0 => editing
            .store
            .since(since, limit)
            .await
            .map_err(|e| store_error(&e))?,
        _ => Vec::new(),
    };
    // An empty page (limit=0 asks for none) still says where the log stands.
    let last_id = page
        .last()
        .map_or_else(|| since.max(state.snapshot().last_change), |c| c.id);
    let body = ChangesPage {
        changes: page.iter().map(change_out).collect(),
        last_id,
    };
    Ok(json_response("application/json", &body))
}

/// `GET /api/changes/stream`: Server-Sent Events, one `change` event per committed change.
/// Ends when the server shuts down.
#[utoipa::path(
    get,
    path = "/api/changes/stream",
    operation_id = "streamChanges",
    tag = EDITING,
    summary = "Follow the change log live",
    description = "Server-Sent Events: one `change` event per change committed after \
                   subscribing, its `data` the `Change` as JSON (`event: change`, `data: {...}`); \
                   comments keep the connection alive. Fetch `/api/changes?since=` first to catch \
                   up. Never cached; the stream ends when the server shuts down. 404 on a server \
                   without a change log. Needs no token.",
    params(FormatOnly),
    responses(
        (status = 200, description = "The event stream: `event: change` lines, each followed by \
                                      `data:` with a `Change` as JSON.",
         body = String, content_type = "text/event-stream",
         example = json!("event: change\ndata: {\"id\":1,\"time\":\"2024-06-01T12:00:00Z\",\"kind\":\"control\",\"target\":\"ghab-plain\",\"key\":\"2015-08-15\",\"before\":null,\"after\":{},\"author\":\"alice\"}\n\n")),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
pub async fn stream(
    State(state): State<AppState>,
    Params(p): Params<FormatOnly>,
) -> Result<Response, ApiError> {
    super::params::format(p.f.as_deref())?;
    let editing = state
        .editing()
        .ok_or_else(|| ApiError::NotFound("this server keeps no change log".into()))?;
    let changes = tokio_stream::wrappers::BroadcastStream::new(editing.feed.subscribe())
        .filter_map(Result::ok)
        .map(|json| Ok::<_, Infallible>(SseEvent::default().event("change").data(json.as_ref())));
    Ok(Sse::new(until_closed(changes, state.closing()))
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Ends `stream` as soon as shutdown starts, even while it waits for the next change.
fn until_closed(
    stream: impl Stream<Item = Result<SseEvent, Infallible>> + Send + 'static,
    closing: tokio::sync::watch::Receiver<bool>,
) -> impl Stream<Item = Result<SseEvent, Infallible>> + Send + 'static {
    let stop = tokio_stream::wrappers::WatchStream::new(closing)
        .filter(|closed| *closed)
        .map(|_| None);
    stream
        .map(Some)
        .merge(stop)
        .take_while(Option::is_some)
        .filter_map(|x| x)
}

/// `POST /api/changes/{id}/revert[?force=true]`: a new change undoing change `id`.
#[utoipa::path(
    post,
    path = "/api/changes/{changeId}/revert",
    operation_id = "revertChange",
    tag = EDITING,
    summary = "Revert a change",
    description = "A new `revert` change restoring what change `changeId` found (its `before`); \
                   reverting an addition removes the entry. If a later change touched the same \
                   entry the answer is 409 unless `force=true`. No request body. Not cached.",
    security(("bearerAuth" = [])),
    params(
        ("changeId" = i64, Path, minimum = 1, example = 1, description = "A change id from the log; anything else is answered 404."),
        RevertParams,
    ),
    responses(
        (status = 201, response = Created),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
pub async fn revert(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Params(p): Params<RevertParams>,
) -> Result<Response, ApiError> {
    let (editing, author) = editor(&state, &headers)?;
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
    let mut replay = editing.writer.lock().await;
    let target = editing
        .store
        .get(id)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| ApiError::NotFound(format!("no change {id}")))?;
    let later = editing
        .store
        .since(id, usize::MAX)
        .await
        .map_err(|e| store_error(&e))?;
    let same =
        |c: &&Change| c.change.target == target.change.target && c.change.key == target.change.key;
    if let Some(newer) = later.iter().find(same)
        && !force
    {
        return Err(ApiError::Conflict(format!(
            "change {id} was superseded by change {} on the same entry; add ?force=true to revert it anyway",
            newer.id
        )));
    }
    let snapshot = state.snapshot();
    let dataset = snapshot.engine.dataset();
    let current = match replay.subject(id) {
        Some(ChangeKind::Control) => parse_date(&target.change.key)
            .and_then(|from| dataset.control_entry(&target.change.target, from))
            .map(serde_json::to_value)
            .transpose(),
        _ => dataset
            .events
            .iter()
            .find(|e| e.id == target.change.key)
            .map(|e| serde_json::to_value(features::event(e)))
            .transpose(),
    }
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let change = NewChange {
        kind: ChangeKind::Revert,
        target: target.change.target.clone(),
        key: target.change.key.clone(),
        before: current,
        after: target.change.before.clone(),
        author,
        reverts: Some(id),
    };
    commit(&state, editing, &mut replay, dataset.clone(), change).await
}

/// `POST /api/changes/{id}/revert` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RevertParams {
    /// Revert even if a later change superseded this one on the same entry (otherwise 409).
    #[param(value_type = Option<bool>, default = false)]
    force: Option<String>,
}
