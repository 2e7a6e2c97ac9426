//! The health check, the OpenAPI document, the timeline and area statistics.

use axum::Extension;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::Params;
use super::ogc::json_response;
use super::openapi::{self, BadRequest, QUERIES, SERVICE, ServiceDescription};
use super::params::{self, AtParams, FormatOnly};
use super::problem::ApiError;
use super::state::AppState;
use crate::answer::{ControlAnswer, km2};
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

/// Whether the server is up, and which data it serves.
#[derive(Serialize, ToSchema)]
struct Health<'a> {
    /// Always `ok`.
    #[schema(example = "ok")]
    status: &'static str,
    /// Hash of the data files being served and the last change applied.
    data_version: &'a str,
}

/// `GET /healthz`.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "getHealth",
    tag = SERVICE,
    summary = "Health check",
    description = "Whether the server is up, and which data it serves. Never cached.",
    responses((status = 200, description = "Up.", body = Health, content_type = "application/json"))
)]
pub async fn healthz(State(state): State<AppState>) -> Response {
    let snapshot = state.snapshot();
    json_response(
        "application/json",
        &Health {
            status: "ok",
            data_version: &snapshot.version,
        },
    )
}

/// A change of a region's control.
#[derive(Serialize, ToSchema)]
#[schema(as = TimelineChange)]
struct Change<'a> {
    /// The day the change took effect.
    #[schema(value_type = String, format = Date, example = "2015-08-11")]
    date: Date,
    /// The region.
    region: &'a RegionId,
    /// Its control from that day on.
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
    let mut changes: Vec<Change<'_>> = data
        .regions
        .iter()
        .flat_map(|r| {
            r.history.iter().map(move |e| Change {
                date: e.from,
                region: &r.id,
                control: ControlAnswer::new(Some(e)),
            })
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
    /// All land in the regions.
    #[schema(minimum = 0)]
    total_km2: f64,
}

/// `GET /api/stats?at=`: geodesic km² per faction, contested and unknown on a date.
#[utoipa::path(
    get,
    path = "/api/stats",
    operation_id = "getStats",
    tag = QUERIES,
    summary = "Area statistics on a date",
    description = "Geodesic km² held by each faction, contested and unknown on `at` (default \
                   today, UTC); land covered by several regions is counted once.",
    params(AtParams),
    responses(
        (status = 200, description = "The areas.", body = StatsBody, content_type = "application/json"),
        (status = 400, response = BadRequest),
    )
)]
pub async fn stats(
    State(state): State<AppState>,
    Params(p): Params<AtParams>,
) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    let at = params::at(p.at.as_deref())?;
    let snapshot = state.snapshot();
    let s = snapshot.engine.stats(at);
    let body = StatsBody {
        at,
        factions: s
            .factions
            .iter()
            .map(|(f, area)| FactionArea {
                id: f.id.as_str(),
                name: &f.name,
                color: f.color.as_str(),
                area_km2: km2(*area),
            })
            .collect(),
        contested_km2: km2(s.contested_km2),
        unknown_km2: km2(s.unknown_km2),
        total_km2: km2(s.total_km2),
    };
    Ok(json_response("application/json", &body))
}
