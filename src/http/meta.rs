//! The health check, the OpenAPI document, the timeline and area statistics.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::cache::uncached;
use super::extract::Params;
use super::ogc::json_response;
use super::params::{self, AtParams, FormatOnly};
use super::problem::ApiError;
use super::state::AppState;
use crate::answer::{ControlAnswer, km2};
use crate::model::{Date, RegionId};

/// `GET /api/openapi.json`: the OpenAPI 3.0 description of every endpoint.
pub async fn openapi(Params(p): Params<FormatOnly>) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/vnd.oai.openapi+json;version=3.0",
        )],
        include_str!("openapi.json"),
    )
        .into_response())
}

#[derive(Serialize)]
struct Health<'a> {
    status: &'static str,
    data_version: &'a str,
}

/// `GET /healthz`: never cached, no I/O.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let snapshot = state.snapshot();
    uncached(json_response(
        "application/json",
        &Health {
            status: "ok",
            data_version: &snapshot.version,
        },
    ))
}

#[derive(Serialize)]
struct Change<'a> {
    date: Date,
    region: &'a RegionId,
    control: ControlAnswer<'a>,
}

#[derive(Serialize)]
struct EventTick<'a> {
    date: Date,
    id: &'a str,
    title: &'a str,
}

#[derive(Serialize)]
struct Timeline<'a> {
    changes: Vec<Change<'a>>,
    events: Vec<EventTick<'a>>,
}

/// `GET /api/timeline`: every control change and event date, ascending.
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

#[derive(Serialize)]
struct FactionArea<'a> {
    id: &'a str,
    name: &'a str,
    color: &'a str,
    area_km2: f64,
}

#[derive(Serialize)]
struct StatsBody<'a> {
    at: Date,
    factions: Vec<FactionArea<'a>>,
    contested_km2: f64,
    unknown_km2: f64,
    total_km2: f64,
}

/// `GET /api/stats?at=`: geodesic km² per faction, contested and unknown on a date.
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
