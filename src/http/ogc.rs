//! OGC API – Features, Part 1 (Core, GeoJSON, OpenAPI 3.0): landing page, conformance,
//! collections and their items.

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::extract::{BaseUrl, Params};
use super::features;
use super::params::{self, FormatOnly, ItemParams, ItemsParams};
use super::problem::ApiError;
use super::state::AppState;
use crate::live::Snapshot;
use geo::Intersects;

use crate::model::{Date, DateRange, Event};

const GEOJSON: &str = "application/geo+json";
const JSON: &str = "application/json";
const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// The conformance classes we implement.
pub const CONFORMANCE: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];

/// The collections we serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collection {
    Regions,
    Events,
    ControlPeriods,
}

impl Collection {
    const ALL: [Self; 3] = [Self::Regions, Self::Events, Self::ControlPeriods];

    fn parse(id: &str) -> Result<Self, ApiError> {
        Self::ALL.into_iter().find(|c| c.id() == id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "no collection {id:?}; try regions, events or control-periods"
            ))
        })
    }

    fn id(self) -> &'static str {
        match self {
            Self::Regions => "regions",
            Self::Events => "events",
            Self::ControlPeriods => "control-periods",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Regions => "Regions and their control",
            Self::Events => "Events",
            Self::ControlPeriods => "Control periods",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::Regions => {
                "Contested regions with their control on the date given by `at` (default today, UTC) \
                 and their whole sourced history."
            }
            Self::Events => {
                "Dated, sourced events (captures, withdrawals, offensives) placed on the town."
            }
            Self::ControlPeriods => {
                "One feature per region per period of control, with flat properties valid_from and \
                 valid_to, for time-aware clients such as QGIS's Temporal Controller."
            }
        }
    }
}

/// A link object.
#[derive(Debug, Serialize)]
pub struct Link {
    href: String,
    rel: &'static str,
    #[serde(rename = "type")]
    media_type: &'static str,
    title: &'static str,
}

fn link(href: String, rel: &'static str, media_type: &'static str, title: &'static str) -> Link {
    Link {
        href,
        rel,
        media_type,
        title,
    }
}

/// Serialises `body` with a content type.
pub(crate) fn json_response(media_type: &'static str, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static(media_type))],
            bytes,
        )
            .into_response(),
        Err(e) => ApiError::Internal(e.to_string()).into_response(),
    }
}

/// `GET /api`: the landing page.
pub async fn landing(
    BaseUrl(base): BaseUrl,
    Params(p): Params<FormatOnly>,
) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    let body = json!({
        "title": "frontline",
        "description": "Who controlled this place on that day, and who says so? Contested regions with a dated, \
                        sourced history of control, as OGC API – Features.",
        "links": [
            link(format!("{base}/api"), "self", JSON, "This document"),
            link(format!("{base}/api/openapi.json"), "service-desc", OPENAPI, "The API definition (OpenAPI 3.0)"),
            link(format!("{base}/api/conformance"), "conformance", JSON, "Conformance classes"),
            link(format!("{base}/api/collections"), "data", JSON, "Collections"),
        ],
    });
    Ok(json_response(JSON, &body))
}

/// `GET /api/conformance`.
pub async fn conformance(Params(p): Params<FormatOnly>) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    Ok(json_response(JSON, &json!({ "conformsTo": CONFORMANCE })))
}

/// `GET /api/collections`.
pub async fn collections(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Params(p): Params<FormatOnly>,
) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    let snapshot = state.snapshot();
    let body = json!({
        "links": [link(format!("{base}/api/collections"), "self", JSON, "Collections")],
        "collections": Collection::ALL.map(|c| describe(&snapshot, &base, c)),
    });
    Ok(json_response(JSON, &body))
}

/// `GET /api/collections/{id}`.
pub async fn collection(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Params(p): Params<FormatOnly>,
) -> Result<Response, ApiError> {
    let c = Collection::parse(&id)?;
    params::format(p.f.as_deref())?;
    Ok(json_response(JSON, &describe(&state.snapshot(), &base, c)))
}

fn describe(snapshot: &Snapshot, base: &str, c: Collection) -> serde_json::Value {
    let engine = &snapshot.engine;
    let bbox = engine
        .extent()
        .map(|r| vec![r.min().x, r.min().y, r.max().x, r.max().y]);
    let events = &engine.dataset().events;
    let bbox = match c {
        Collection::Events => {
            let (lons, lats): (Vec<f64>, Vec<f64>) = events
                .iter()
                .map(|e| (e.location.lon(), e.location.lat()))
                .unzip();
            let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (!events.is_empty()).then(|| vec![min(&lons), min(&lats), max(&lons), max(&lats)])
        }
        _ => bbox,
    };
    let instant = |d: Date| format!("{d}T00:00:00Z");
    let first_change = engine
        .dataset()
        .regions
        .iter()
        .filter_map(|r| r.history.first())
        .map(|e| e.from)
        .min();
    let temporal = match c {
        Collection::Events => {
            let dates = events.iter().map(|e| e.date);
            dates
                .clone()
                .min()
                .zip(dates.max())
                .map(|(a, b)| json!([[instant(a), instant(b)]]))
        }
        Collection::ControlPeriods | Collection::Regions => {
            first_change.map(|a| json!([[instant(a), null]]))
        }
    };
    let mut extent = json!({});
    if let Some(b) = bbox {
        extent["spatial"] = json!({ "bbox": [b], "crs": CRS84 });
    }
    if let Some(t) = temporal {
        extent["temporal"] =
            json!({ "interval": t, "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian" });
    }
    let id = c.id();
    json!({
        "id": id,
        "title": c.title(),
        "description": c.description(),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            link(format!("{base}/api/collections/{id}"), "self", JSON, "This collection"),
            link(format!("{base}/api/collections/{id}/items"), "items", GEOJSON, "Its features"),
        ],
    })
}

/// `GET /api/collections/{id}/items`.
pub async fn items(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ItemsParams>,
) -> Result<Response, ApiError> {
    let c = Collection::parse(&id)?;
    params::format(p.f.as_deref())?;
    let limit = params::limit(p.limit.as_deref())?;
    let offset = params::offset(p.offset.as_deref())?;
    let bbox = params::bbox(p.bbox.as_deref())?;
    let range = params::datetime(p.datetime.as_deref())?;
    let snapshot = state.snapshot();
    let engine = &snapshot.engine;
    let factions = &engine.dataset().factions;
    let regions: Vec<usize> = match bbox {
        Some(rect) => engine.regions_intersecting(rect),
        None => (0..engine.dataset().regions.len()).collect(),
    };
    let paging = Paging {
        base: &base,
        uri: &uri,
        offset,
        limit,
    };
    Ok(match c {
        Collection::Regions => {
            let at = region_date(p.at.as_deref(), range)?;
            let shown = page(&regions, offset, limit);
            let features = shown
                .iter()
                .map(|&i| features::region(snapshot.region(i), factions, at));
            paging.respond(features.collect(), regions.len())
        }
        Collection::ControlPeriods => {
            let range = period_range(p.at.as_deref(), range)?;
            let periods: Vec<(usize, usize)> = regions
                .iter()
                .flat_map(|&i| {
                    let history = &engine.dataset().regions[i].history;
                    (0..history.len())
                        .filter(move |&k| {
                            range.is_none_or(|r| {
                                r.overlaps(history[k].from, history.get(k + 1).map(|n| n.from))
                            })
                        })
                        .map(move |k| (i, k))
                })
                .collect();
            let shown = page(&periods, offset, limit);
            let features = shown
                .iter()
                .map(|&(i, k)| features::period(snapshot.region(i), factions, k));
            paging.respond(features.collect(), periods.len())
        }
        Collection::Events => {
            if p.at.is_some() {
                return Err(ApiError::parameter(
                    "at",
                    "applies to regions and control-periods; filter events with datetime",
                ));
            }
            let events: Vec<&Event> = engine
                .dataset()
                .events
                .iter()
                .filter(|e| bbox.is_none_or(|b| b.intersects(&e.location.to_point())))
                .filter(|e| range.is_none_or(|r| r.contains(e.date)))
                .collect();
            let features = page(&events, offset, limit)
                .iter()
                .map(|e| features::event(e));
            paging.respond(features.collect(), events.len())
        }
    })
}

/// One page of a feature collection, as OGC API – Features shapes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<F> {
    #[serde(rename = "type")]
    kind: &'static str,
    number_matched: usize,
    number_returned: usize,
    time_stamp: String,
    links: Vec<Link>,
    features: Vec<F>,
}

/// What a page's links are made from.
struct Paging<'a> {
    base: &'a str,
    uri: &'a axum::http::Uri,
    offset: usize,
    limit: usize,
}

impl Paging<'_> {
    fn respond<F: Serialize>(&self, features: Vec<F>, matched: usize) -> Response {
        let links = page_links(
            self.base,
            self.uri.path(),
            self.uri.query().unwrap_or(""),
            self.offset,
            self.limit,
            features.len(),
            matched,
        );
        let now = jiff::Timestamp::now();
        let body = Page {
            kind: "FeatureCollection",
            number_matched: matched,
            number_returned: features.len(),
            time_stamp: now.round(jiff::Unit::Second).unwrap_or(now).to_string(),
            links,
            features,
        };
        json_response(GEOJSON, &body)
    }
}

/// The slice of `all` for this page.
fn page<T>(all: &[T], offset: usize, limit: usize) -> &[T] {
    let start = offset.min(all.len());
    &all[start..(start + limit).min(all.len())]
}

/// `self`, `collection`, and `next`/`prev` when there are more pages that way.
fn page_links(
    base: &str,
    path: &str,
    query: &str,
    offset: usize,
    limit: usize,
    returned: usize,
    matched: usize,
) -> Vec<Link> {
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or("");
            key != "offset" && key != "limit"
        })
        .collect();
    let url = |offset: usize| {
        let mut pairs = kept.clone();
        let paging = format!("limit={limit}&offset={offset}");
        pairs.push(&paging);
        format!("{base}{path}?{}", pairs.join("&"))
    };
    let collection = path.trim_end_matches("/items");
    let mut links = vec![
        link(url(offset), "self", GEOJSON, "This page"),
        link(
            format!("{base}{collection}"),
            "collection",
            JSON,
            "The collection",
        ),
    ];
    if offset + returned < matched {
        links.push(link(url(offset + returned), "next", GEOJSON, "Next page"));
    }
    if offset > 0 {
        links.push(link(
            url(offset.saturating_sub(limit)),
            "prev",
            GEOJSON,
            "Previous page",
        ));
    }
    links
}

/// The date a regions request describes: `at`, or a `datetime` instant, or today.
fn region_date(at: Option<&str>, range: Option<DateRange>) -> Result<Date, ApiError> {
    match (at, range) {
        (Some(_), Some(_)) => Err(ApiError::parameter("datetime", "give either at or datetime, not both")),
        (None, Some(r)) => r.instant().ok_or_else(|| {
            ApiError::parameter(
                "datetime",
                "regions take one instant (their control on that day); use the control-periods collection for intervals",
            )
        }),
        (at, None) => params::at(at),
    }
}

/// The range a control-periods request covers: a `datetime`, or the day `at`, or everything.
fn period_range(at: Option<&str>, range: Option<DateRange>) -> Result<Option<DateRange>, ApiError> {
    match (at, range) {
        (Some(_), Some(_)) => Err(ApiError::parameter(
            "datetime",
            "give either at or datetime, not both",
        )),
        (Some(text), None) => {
            let d = params::at(Some(text))?;
            Ok(Some(DateRange {
                start: Some(d),
                end: Some(d),
            }))
        }
        (None, range) => Ok(range),
    }
}

/// `GET /api/collections/{id}/items/{featureId}`.
pub async fn item(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path((id, feature)): Path<(String, String)>,
    Params(p): Params<ItemParams>,
) -> Result<Response, ApiError> {
    let c = Collection::parse(&id)?;
    params::format(p.f.as_deref())?;
    let snapshot = state.snapshot();
    let engine = &snapshot.engine;
    let factions = &engine.dataset().factions;
    let missing = || ApiError::NotFound(format!("no feature {feature:?} in collection {id:?}"));
    let links = vec![
        link(
            format!("{base}/api/collections/{id}/items/{feature}"),
            "self",
            GEOJSON,
            "This feature",
        ),
        link(
            format!("{base}/api/collections/{id}"),
            "collection",
            JSON,
            "The collection",
        ),
    ];
    if c != Collection::Regions && p.at.is_some() {
        return Err(ApiError::parameter(
            "at",
            "applies to region features only; a control period or event has its own dates",
        ));
    }
    Ok(match c {
        Collection::Regions => {
            let at = params::at(p.at.as_deref())?;
            let r = snapshot.region_by_id(&feature).ok_or_else(missing)?;
            one(features::region(r, factions, at), links)
        }
        Collection::ControlPeriods => {
            let (r, k) = period(&snapshot, &feature).ok_or_else(missing)?;
            one(features::period(r, factions, k), links)
        }
        Collection::Events => {
            let e = engine.dataset().event(&feature).ok_or_else(missing)?;
            one(features::event(e), links)
        }
    })
}

/// The control period with id `region@from`: the region and the entry's position.
fn period<'a>(snapshot: &'a Snapshot, id: &str) -> Option<(crate::live::RegionRef<'a>, usize)> {
    let (region, from) = id.rsplit_once('@')?;
    let r = snapshot.region_by_id(region)?;
    let from = crate::model::parse_date(from)?;
    let k = r
        .region
        .history
        .binary_search_by_key(&from, |e| e.from)
        .ok()?;
    Some((r, k))
}

/// A single feature with its links.
fn one<F: Serialize>(feature: F, links: Vec<Link>) -> Response {
    #[derive(Serialize)]
    struct WithLinks<F> {
        #[serde(flatten)]
        feature: F,
        links: Vec<Link>,
    }
    json_response(GEOJSON, &WithLinks { feature, links })
}
