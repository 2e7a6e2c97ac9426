//! The health check, the OpenAPI document, the timeline and area statistics.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::Params;
use super::ogc::json_response;
use super::params::{self, AtParams, FormatOnly};
use super::problem::ApiError;
use super::state::AppState;
use crate::answer::ControlAnswer;
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
pub async fn stats(
    State(state): State<AppState>,
    Params(p): Params<AtParams>,
) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    let at = params::at(p.at.as_deref())?;
    let snapshot = state.snapshot();
    let s = snapshot.engine.stats(at);
    let km2 = |v: f64| (v * 10.0).round() / 10.0;
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
