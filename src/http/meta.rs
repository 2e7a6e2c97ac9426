//! The health check, the OpenAPI document, the timeline and area statistics.

use axum::Extension;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::Params;
use super::ogc::json_response;
use super::openapi::{self, BadRequest, NotReady, QUERIES, SERVICE, ServiceDescription};
use super::params::{self, FormatOnly, ReadyParams, StatsParams};
use super::problem::ApiError;
use super::state::AppState;
use crate::answer::{ControlAnswer, StatementAnswer, km2};
use crate::engine::{Holder, StatementKey};
use crate::live::DbState;
use crate::model::{Date, RegionId};

/// `GET /api/openapi.json`: the OpenAPI 3.1 description of every endpoint.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "getApiDefinition",
    tag = SERVICE,
    summary = "API definition",
    description = "This document, generated from the server's code.",
    params(FormatOnly),
    responses(
        (status = 200, description = "The OpenAPI 3.1 definition.", body = Object, content_type = openapi::MEDIA_TYPE),
        (status = 400, response = BadRequest),
    )
)]
pub async fn openapi(
    Extension(document): Extension<ServiceDescription>,
    Params(p): Params<FormatOnly>,
) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    Ok(([(header::CONTENT_TYPE, openapi::MEDIA_TYPE)], document.0).into_response())
}

/// Whether the server is up, which data it serves, and whether its edits database takes
/// writes.
#[derive(Serialize, ToSchema)]
struct Health<'a> {
    /// Always `ok`: the server answers reads, even while its database is unavailable.
    #[schema(example = "ok")]
    status: &'static str,
    /// Hash of the data files being served and the last change applied.
    data_version: &'a str,
    /// The change this server has reached: every stored change up to this id is applied to
    /// the data served (0: none). Servers sharing a database reach each other's changes
    /// within about a polling interval; `/readyz?min_change=` waits for one.
    #[schema(minimum = 0, example = 42)]
    change_id: i64,
    /// Whether the edits database takes writes, as the last write or the server's probe
    /// (every few seconds) found: `ok`; `unavailable` (locked by another process, read-only,
    /// full: writes are answered 503, reads go on); `none` when the data is served without an
    /// edits database.
    database: Database,
    /// The last time since the server started that the database was found unavailable, and
    /// why; kept after it recovers. Absent when it never was.
    #[serde(skip_serializing_if = "Option::is_none")]
    database_error: Option<HealthError>,
}

/// Whether the edits database takes writes.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Database {
    /// It does.
    Ok,
    /// It does not for now; writes are answered 503.
    Unavailable,
    /// There is none: the data is served as the files say.
    None,
}

impl From<DbState> for Database {
    fn from(state: DbState) -> Self {
        match state {
            DbState::Ok => Self::Ok,
            DbState::Unavailable => Self::Unavailable,
            DbState::None => Self::None,
        }
    }
}

/// When and why the edits database was last found unavailable.
#[derive(Serialize, ToSchema)]
struct HealthError {
    /// When, in UTC.
    #[schema(value_type = String, format = DateTime, example = "2026-11-30T17:00:00Z")]
    time: String,
    /// Why, in a few words.
    #[schema(example = "the database is locked by another process")]
    reason: &'static str,
}

/// `GET /healthz`.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "getHealth",
    tag = SERVICE,
    summary = "Health check",
    description = "Whether the server is up, which data it serves, and whether its edits \
                   database takes writes. Answered from memory, never cached; 200 while reads \
                   are served, even when the database is unavailable.",
    responses((status = 200, description = "Up.", body = Health, content_type = "application/json"))
)]
pub async fn healthz(State(state): State<AppState>) -> Response {
    let snapshot = state.snapshot();
    let db = state.live().db_health();
    json_response(
        "application/json",
        &Health {
            status: "ok",
            data_version: &snapshot.version,
            change_id: snapshot.last_change,
            database: db.state.into(),
            database_error: db.last_error.map(|e| HealthError {
                time: e.time.to_string(),
                reason: e.reason,
            }),
        },
    )
}

/// The server serves, and has applied every change asked for.
#[derive(Serialize, ToSchema)]
struct Ready {
    /// Always `ready`.
    #[schema(example = "ready")]
    status: &'static str,
    /// The change this server has reached: every stored change up to this id is applied.
    #[schema(minimum = 0, example = 42)]
    change_id: i64,
}

/// `GET /readyz[?min_change=N]`.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "getReadiness",
    tag = SERVICE,
    summary = "Readiness check",
    description = "Whether the server serves and, with `min_change`, has applied every stored \
                   change up to that id: a load balancer's readiness probe, or a client that \
                   wrote on one server waiting until another shows the write. 503 with \
                   `Retry-After` until then, and while the server shuts down. Answered from \
                   memory, never cached.",
    params(ReadyParams),
    responses(
        (status = 200, description = "Ready.", body = Ready, content_type = "application/json"),
        (status = 400, response = BadRequest),
        (status = 503, response = NotReady),
    )
)]
pub async fn readyz(
    State(state): State<AppState>,
    Params(p): Params<ReadyParams>,
) -> Result<Response, ApiError> {
    let wanted = p
        .min_change
        .as_deref()
        .map(|text| params::change_id("min_change", text))
        .transpose()?;
    if state.live().closed() {
        return Err(ApiError::NotReady("the server is shutting down".into()));
    }
    let reached = state.snapshot().last_change;
    if let Some(wanted) = wanted.filter(|wanted| *wanted > reached) {
        return Err(ApiError::NotReady(format!(
            "min_change {wanted}: this server has reached change {reached} (every change up to \
             it is applied), not yet {wanted}; ask again shortly"
        )));
    }
    Ok(json_response(
        "application/json",
        &Ready {
            status: "ready",
            change_id: reached,
        },
    ))
}

/// A statement of control on the day it takes effect.
#[derive(Serialize, ToSchema)]
#[schema(as = TimelineChange)]
struct Change<'a> {
    /// The day the statement takes effect.
    #[schema(value_type = String, format = Date, example = "2015-08-11")]
    date: Date,
    /// Its id and scope.
    statement: StatementAnswer,
    /// For a region-wide entry the region; for a control area the region it was traced for, if
    /// any.
    #[schema(required = true)]
    region: Option<&'a RegionId>,
    /// What it says.
    control: ControlAnswer<'a>,
}

/// An event on its date.
#[derive(Serialize, ToSchema)]
#[schema(as = TimelineEvent)]
struct EventTick<'a> {
    /// When it happened.
    #[schema(value_type = String, format = Date, example = "2015-08-11")]
    date: Date,
    /// The event's id in the `events` collection.
    id: &'a str,
    /// Its headline.
    title: &'a str,
}

/// Every control change and every event, by date.
#[derive(Serialize, ToSchema)]
struct Timeline<'a> {
    /// Every control change, ascending by date.
    changes: Vec<Change<'a>>,
    /// Every event, ascending by date.
    events: Vec<EventTick<'a>>,
}

/// `GET /api/timeline`: every control change and event date, ascending.
#[utoipa::path(
    get,
    path = "/api/timeline",
    operation_id = "getTimeline",
    tag = QUERIES,
    summary = "Timeline",
    description = "Every control change and every event, by date.",
    params(FormatOnly),
    responses(
        (status = 200, description = "The timeline.", body = Timeline, content_type = "application/json"),
        (status = 400, response = BadRequest),
    )
)]
pub async fn timeline(
    State(state): State<AppState>,
    Params(p): Params<FormatOnly>,
) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    let snapshot = state.snapshot();
    let data = snapshot.engine.dataset();
    let engine = &snapshot.engine;
    let areas = (0..data.areas.len()).map(|i| {
        let statement = engine.statement(StatementKey::Area(i));
        (statement, data.areas[i].region.as_ref())
    });
    let entries = data.regions.iter().enumerate().flat_map(|(region, r)| {
        (0..r.history.len()).map(move |entry| {
            let statement = engine.statement(StatementKey::Region { region, entry });
            (statement, Some(&r.id))
        })
    });
    let mut changes: Vec<Change<'_>> = areas
        .chain(entries)
        .map(|(statement, region)| {
            let control = ControlAnswer::entry(statement.control);
            Change {
                date: statement.control.from,
                statement: StatementAnswer {
                    id: statement.id.to_string(),
                    scope: statement.scope(),
                },
                region,
                control,
            }
        })
        .collect();
    changes.sort_by_key(|c| c.date);
    let mut events: Vec<EventTick<'_>> = data
        .events
        .iter()
        .map(|e| EventTick {
            date: e.date,
            id: &e.id,
            title: &e.title,
        })
        .collect();
    events.sort_by_key(|e| e.date);
    Ok(json_response(
        "application/json",
        &Timeline { changes, events },
    ))
}

/// The area one faction held alone.
#[derive(Serialize, ToSchema)]
struct FactionArea<'a> {
    /// The faction's id.
    #[schema(example = "government")]
    id: &'a str,
    /// Its name.
    name: &'a str,
    /// Its colour on the map, `#rrggbb`.
    #[schema(pattern = "^#[0-9a-f]{6}$", example = "#d55e00")]
    color: &'a str,
    /// km², to 0.1 km².
    #[schema(minimum = 0)]
    area_km2: f64,
}

/// Geodesic areas on a date in km², to 0.1 km²; land is counted once.
#[derive(Serialize, ToSchema)]
#[schema(as = Stats)]
struct StatsBody<'a> {
    /// The date the areas describe.
    #[schema(value_type = String, format = Date, example = "2015-08-20")]
    at: Date,
    /// Every faction with the area it held alone, including 0.
    factions: Vec<FactionArea<'a>>,
    /// Contested land.
    #[schema(minimum = 0)]
    contested_km2: f64,
    /// Land with no sourced record yet on the date.
    #[schema(minimum = 0)]
    unknown_km2: f64,
    /// All land any statement or region covers.
    #[schema(minimum = 0)]
    total_km2: f64,
    /// With `from`: that date.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date, example = "2015-07-27")]
    from: Option<Date>,
    /// With `from`: per holder (a faction, `contested` or `unknown`), the km² gained and lost
    /// between `from` and `at`. Gains and losses balance.
    #[serde(skip_serializing_if = "Option::is_none")]
    changes: Option<Vec<HolderChange<'a>>>,
}

/// What one holder gained and lost between two dates.
#[derive(Serialize, ToSchema)]
struct HolderChange<'a> {
    /// A faction id, `contested` or `unknown`.
    #[schema(example = "government")]
    holder: &'a str,
    /// km² held at `at` and not at `from`, to 0.1 km².
    gained_km2: f64,
    /// km² held at `from` and not at `at`, to 0.1 km².
    lost_km2: f64,
}

/// `GET /api/stats?at=`: geodesic km² per faction, contested and unknown on a date.
#[utoipa::path(
    get,
    path = "/api/stats",
    operation_id = "getStats",
    tag = QUERIES,
    summary = "Area statistics on a date",
    description = "Geodesic km² held by each faction, contested and unknown on `at` (default \
                   today, UTC), from the control map of that date: every km² any statement \
                   covers is counted once, and region land no statement covers is unknown. \
                   With `from` (not after `at`), also what each holder gained and lost.",
    params(StatsParams),
    responses(
        (status = 200, description = "The areas.", body = StatsBody, content_type = "application/json"),
        (status = 400, response = BadRequest),
    )
)]
pub async fn stats(
    State(state): State<AppState>,
    Params(p): Params<StatsParams>,
) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    let at = params::at(p.at.as_deref())?;
    let from = p
        .from
        .as_deref()
        .map(|text| params::date("from", text))
        .transpose()?;
    if let Some(from) = from.filter(|from| *from > at) {
        return Err(ApiError::parameter(
            "from",
            format!("{from} is after at ({at}); from must not be later"),
        ));
    }
    let snapshot = state.snapshot();
    let engine = &snapshot.engine;
    let holdings = engine.holdings(at);
    let held = |holder: Holder<'_>| {
        holdings
            .iter()
            .filter(|(h, _)| *h == holder)
            .map(|(_, km2)| km2)
            .sum::<f64>()
    };
    let body = StatsBody {
        at,
        factions: engine
            .dataset()
            .factions
            .iter()
            .map(|f| FactionArea {
                id: f.id.as_str(),
                name: &f.name,
                color: f.color.as_str(),
                area_km2: km2(held(Holder::Faction(&f.id))),
            })
            .collect(),
        contested_km2: km2(held(Holder::Contested)),
        unknown_km2: km2(held(Holder::Unknown)),
        total_km2: km2(holdings.iter().map(|(_, km2)| km2).sum()),
        from,
        changes: from.map(|from| {
            engine
                .changes_between(from, at)
                .into_iter()
                .map(|c| HolderChange {
                    holder: c.holder.as_str(),
                    gained_km2: km2(c.gained_km2),
                    lost_km2: km2(c.lost_km2),
                })
                .collect()
        }),
    };
    Ok(json_response("application/json", &body))
}
