//! Writes: control entries and events from editors with a bearer token, the change feed, its
//! live stream, and reverts. Each handler checks the request and calls [`crate::live`], which
//! stores the change durably, applies it and announces it.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio_stream::StreamExt;
use utoipa::{IntoParams, ToSchema};

use super::extract::{JsonBody, Params, PathParams};
use super::features::{EventProperties, Feature};
use super::ogc::json_response;
use super::openapi::{
    BadRequest, Conflict, Created, EDITING, Forbidden, InvalidEdit, MethodNotAllowed, NotFound,
    PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use super::params::FormatOnly;
use super::problem::ApiError;
use super::state::AppState;
use crate::live::Outcome;
use crate::model::ControlEntry;
use crate::store::{Change, ChangeKind};

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
    let author = state.editor(&headers)?;
    Ok(json_response("application/json", &WhoAmI { author }))
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
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = InvalidEdit),
    )
)]
pub async fn post_control(
    State(state): State<AppState>,
    PathParams(region): PathParams<String>,
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

/// `POST /api/collections/{events|control-statements}/items`: add an event or a control area,
/// or replace the one with its id.
#[utoipa::path(
    post,
    path = "/api/collections/{collectionId}/items",
    operation_id = "postItem",
    tag = EDITING,
    summary = "Add or replace an event or a control area",
    description = "`events` and `control-statements` take new items (405 for the others). Adds \
                   the item, or replaces the one with the same `id`. An event is a GeoJSON Point \
                   feature shaped as in `events.geojson`; a control area a Polygon or \
                   MultiPolygon feature shaped as in `control.geojson` (`from`, `precision`, \
                   `status`, `factions`, `note`, `sources`, optional `region`). Replacing a \
                   control area needs `base`, the id of the last change to it the editor saw (0 \
                   for an area only the files hold), or `force=true`; otherwise 409 names the \
                   change to read first. Every problem is reported at once (422) and nothing is \
                   written. Not cached.",
    security(("bearerAuth" = [])),
    params(
        ("collectionId" = String, Path, example = "events", description = "`events` or `control-statements`; the other collections answer 405."),
        ItemWriteParams,
    ),
    request_body(
        description = "The event (a GeoJSON Point feature) or the control area (a GeoJSON \
                       Polygon or MultiPolygon feature).",
        content(
            (Feature<EventProperties> = "application/json"),
            (Feature<EventProperties> = "application/geo+json"),
        )
    ),
    responses(
        (status = 200, description = "The area already says exactly this; nothing is written.", body = NoChange, content_type = "application/json"),
        (status = 201, response = Created),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 405, response = MethodNotAllowed),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = InvalidEdit),
    )
)]
pub async fn post_item(
    State(state): State<AppState>,
    PathParams(collection): PathParams<String>,
    headers: HeaderMap,
    Params(p): Params<ItemWriteParams>,
    JsonBody(body): JsonBody<Box<RawValue>>,
) -> Result<Response, ApiError> {
    if !matches!(collection.as_str(), "events" | "control-statements") {
        return Err(ApiError::MethodNotAllowed(format!(
            "POST /api/collections/{collection}/items (only events and control-statements take \
             new items)"
        )));
    }
    let author = state.editor(&headers)?;
    let force = super::params::flag("force", p.force.as_deref())?;
    let base = p
        .base
        .as_deref()
        .map(|text| super::params::change_id("base", text))
        .transpose()?;
    let outcome = if collection == "events" {
        state.live().put_event(body.get(), &author).await?
    } else {
        state
            .live()
            .put_area(body.get(), &author, base, force)
            .await?
    };
    Ok(written(&outcome))
}

/// `POST /api/collections/{id}/items` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemWriteParams {
    /// For a control area that exists: the id of the last change to it the editor saw (0 when
    /// only the files hold it). Events ignore it.
    #[param(value_type = Option<i64>, minimum = 0)]
    base: Option<String>,
    /// Replace a control area even if another change came since `base`.
    #[param(value_type = Option<bool>, default = false)]
    force: Option<String>,
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
    #[param(value_type = Option<i64>, minimum = 0, default = 1000)]
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
        Some(t) => super::params::change_id("since", t)?,
    };
    let limit = match p.limit.as_deref() {
        None => 1000,
        // Read as the document's int64, so a number past it is refused as it says.
        Some(t) => t
            .parse::<i64>()
            .ok()
            .and_then(|n| usize::try_from(n).ok())
            .map(|n| n.min(MAX_CHANGES))
            .ok_or_else(|| {
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
    Ok(json_response("application/json", &body))
}

/// `GET /api/changes/{id}`: one change of the log (where a write's `Location` points).
#[utoipa::path(
    get,
    path = "/api/changes/{changeId}",
    operation_id = "getChange",
    tag = EDITING,
    summary = "One change",
    description = "The change with this id, as the log holds it (a write's `Location` points \
                   here). Needs no token. A change never changes once stored.",
    params(
        ("changeId" = i64, Path, minimum = 1, example = 1, description = "A change id from the log; anything else is answered 404."),
        FormatOnly,
    ),
    responses(
        (status = 200, description = "The change.", body = ChangeOut, content_type = "application/json"),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
pub async fn change(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    Params(p): Params<FormatOnly>,
) -> Result<Response, ApiError> {
    super::params::format(p.f.as_deref())?;
    let id = change_id(&id)?;
    let change = state
        .live()
        .change(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no change {id}")))?;
    Ok(json_response("application/json", &change_out(&change)))
}

/// The `{changeId}` of a path: anything but a whole number names no change (404).
fn change_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("no change {text:?}")))
}

/// `GET /api/changes/stream`: Server-Sent Events, one `change` event per committed change.
/// A read-only server sends none. Ends when the server shuts down.
#[utoipa::path(
    get,
    path = "/api/changes/stream",
    operation_id = "streamChanges",
    tag = EDITING,
    summary = "Follow the change log live",
    description = "Server-Sent Events: one `change` event per change committed after \
                   subscribing, its `data` the `Change` as JSON (`event: change`, `data: {...}`); \
                   comments keep the connection alive. Fetch `/api/changes?since=` first to catch \
                   up. Never cached; the stream ends when the server shuts down. A read-only server \
                   answers it too and sends no changes. Needs no token.",
    params(FormatOnly),
    responses(
        (status = 200, description = "The event stream: `event: change` lines, each followed by \
                                      `data:` with a `Change` as JSON.",
         body = String, content_type = "text/event-stream",
         example = json!("event: change\ndata: {\"id\":1,\"time\":\"2024-06-01T12:00:00Z\",\"kind\":\"control\",\"target\":\"ghab-plain\",\"key\":\"2015-08-15\",\"before\":null,\"after\":{},\"author\":\"alice\"}\n\n")),
        (status = 400, response = BadRequest),
    )
)]
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
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
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
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    Params(p): Params<RevertParams>,
) -> Result<Response, ApiError> {
    let author = state.editor(&headers)?;
    let id = change_id(&id)?;
    let force = super::params::flag("force", p.force.as_deref())?;
    let outcome = state.live().revert(id, force, &author).await?;
    Ok(written(&outcome))
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
