//! OGC API – Features, Part 1 (Core, GeoJSON): landing page, conformance, collections and
//! their items.

use std::sync::Arc;

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{BaseUrl, Params, PathParams};
use super::features::{self, AnyFeature, Geometry, MultiPolygonJson};
use super::openapi::{self, BadRequest, NotFound, OGC};
use super::params::{self, FormatOnly, ItemParams, ItemsParams};
use super::problem::ApiError;
use super::state::AppState;
use crate::engine::{ControlPeriod, Engine, FrontLine, Piece, StatementKey};
use crate::live::Snapshot;
use geo::Intersects;

use crate::model::{Date, DateRange, Event, Format};

const GEOJSON: &str = "application/geo+json";
const JSON: &str = "application/json";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const GREGORIAN: &str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian";

/// The conformance classes we implement. OGC API – Features Part 1 defines an OpenAPI
/// conformance class for OpenAPI 3.0 only; our description is OpenAPI 3.1.
pub const CONFORMANCE: [&str; 2] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
];

/// The collections we serve; the schema lists their ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(as = CollectionId, rename_all = "kebab-case")]
enum Collection {
    Regions,
    Events,
    ControlPeriods,
    Control,
    ControlStatements,
    FrontLines,
}

impl Collection {
    const ALL: [Self; 6] = [
        Self::Regions,
        Self::Events,
        Self::ControlPeriods,
        Self::Control,
        Self::ControlStatements,
        Self::FrontLines,
    ];

    fn parse(id: &str) -> Result<Self, ApiError> {
        Self::ALL.into_iter().find(|c| c.id() == id).ok_or_else(|| {
            let ids: Vec<&str> = Self::ALL.iter().map(|c| c.id()).collect();
            ApiError::NotFound(format!("no collection {id:?}; try {}", ids.join(", ")))
        })
    }

    fn id(self) -> &'static str {
        match self {
            Self::Regions => "regions",
            Self::Events => "events",
            Self::ControlPeriods => "control-periods",
            Self::Control => "control",
            Self::ControlStatements => "control-statements",
            Self::FrontLines => "front-lines",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Regions => "Regions and their control",
            Self::Events => "Events",
            Self::ControlPeriods => "Control periods",
            Self::Control => "The control map of a date",
            Self::ControlStatements => "Control statements as written",
            Self::FrontLines => "Front lines of a date",
        }
    }

    /// Whether features are of one date (`at` or a `datetime` instant).
    fn of_a_date(self) -> bool {
        matches!(self, Self::Regions | Self::Control | Self::FrontLines)
    }

    /// What its features are, for data of `format`.
    fn description(self, format: Format) -> &'static str {
        match self {
            Self::Regions => {
                "Contested regions with their control on the date given by `at` (default today, UTC) \
                 and their whole sourced history."
            }
            Self::Events => {
                "Dated, sourced events (captures, withdrawals, offensives) placed on the town."
            }
            Self::ControlPeriods if format < Format::V2 => {
                "One feature per region per period of control, with flat properties valid_from and \
                 valid_to, for time-aware clients such as QGIS's Temporal Controller."
            }
            Self::ControlPeriods => {
                "Where and when each statement (control area or region-wide entry) was in force: \
                 one feature per period during which its in-force part stayed the same, holding \
                 that part, with flat properties valid_from (first day) and valid_to (first day \
                 after; null while in force) for time-aware clients such as QGIS's Temporal \
                 Controller. The features in force on a date are the pieces of that date's \
                 `control` map. Feature ids are `<statement>@<valid_from>`."
            }
            Self::Control => {
                "The statements in force on `at` (or a `datetime` instant; default today, UTC), \
                 flattened so that nothing overlaps: one feature per statement in force, holding \
                 the part where it is in force, with the statement's id, status, factions, since \
                 and sources."
            }
            Self::ControlStatements => {
                "Every control area as written in control.geojson: a dated, sourced statement about \
                 an area (filter by the date it takes effect with `datetime`)."
            }
            Self::FrontLines => {
                "The front lines on `at` (or a `datetime` instant; default today, UTC): where pieces \
                 of the control map with different holders meet, one feature per pair of holders, \
                 with `sides`."
            }
        }
    }
}

/// A link object.
#[derive(Debug, Serialize, ToSchema)]
pub struct Link {
    /// Absolute, built from the request's `Host` (and `X-Forwarded-Proto`).
    #[schema(format = "uri")]
    href: String,
    /// The relation, such as `self`, `next` or `service-desc`.
    #[schema(example = "self")]
    rel: &'static str,
    /// The media type of what `href` answers.
    #[serde(rename = "type")]
    #[schema(example = "application/geo+json")]
    media_type: &'static str,
    /// What it links to, for people.
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

/// The landing page.
#[derive(Serialize, ToSchema)]
#[schema(as = LandingPage)]
struct Landing {
    /// `frontline`.
    title: &'static str,
    /// What the service answers.
    description: &'static str,
    /// `self`, `service-desc` (the OpenAPI document), `conformance` and `data`.
    links: [Link; 4],
}

/// `GET /api`: the landing page.
#[utoipa::path(
    get,
    path = "/api",
    operation_id = "getLandingPage",
    tag = OGC,
    summary = "Landing page",
    description = "Links to the API definition, the conformance declaration and the collections.",
    params(FormatOnly),
    responses(
        (status = 200, description = "The landing page.", body = Landing, content_type = JSON),
        (status = 400, response = BadRequest),
    )
)]
pub async fn landing(
    BaseUrl(base): BaseUrl,
    Params(p): Params<FormatOnly>,
) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    let body = Landing {
        title: "frontline",
        description: "Who controlled this place on that day, and who says so? Contested regions with a dated, \
                      sourced history of control, as OGC API – Features.",
        links: [
            link(format!("{base}/api"), "self", JSON, "This document"),
            link(
                format!("{base}/api/openapi.json"),
                "service-desc",
                openapi::MEDIA_TYPE,
                "The API definition (OpenAPI 3.1)",
            ),
            link(
                format!("{base}/api/conformance"),
                "conformance",
                JSON,
                "Conformance classes",
            ),
            link(
                format!("{base}/api/collections"),
                "data",
                JSON,
                "Collections",
            ),
        ],
    };
    Ok(json_response(JSON, &body))
}

/// The conformance declaration.
#[derive(Serialize, ToSchema)]
struct Conformance {
    /// The conformance classes implemented.
    #[serde(rename = "conformsTo")]
    #[schema(example = json!(CONFORMANCE))]
    conforms_to: [&'static str; CONFORMANCE.len()],
}

/// `GET /api/conformance`.
#[utoipa::path(
    get,
    path = "/api/conformance",
    operation_id = "getConformanceDeclaration",
    tag = OGC,
    summary = "Conformance declaration",
    description = "The OGC API – Features Part 1 conformance classes implemented: Core and GeoJSON.",
    params(FormatOnly),
    responses(
        (status = 200, description = "The conformance classes.", body = Conformance, content_type = JSON),
        (status = 400, response = BadRequest),
    )
)]
pub async fn conformance(Params(p): Params<FormatOnly>) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    Ok(json_response(
        JSON,
        &Conformance {
            conforms_to: CONFORMANCE,
        },
    ))
}

/// All the collections.
#[derive(Serialize, ToSchema)]
struct Collections {
    /// `self`.
    links: [Link; 1],
    /// `regions`, `events`, `control-periods`, `control`, `control-statements` and `front-lines`.
    collections: [CollectionInfo; Collection::ALL.len()],
}

/// `GET /api/collections`.
#[utoipa::path(
    get,
    path = "/api/collections",
    operation_id = "getCollections",
    tag = OGC,
    summary = "Feature collections",
    description = "Every collection: `regions` (with their control on a date), `events`, \
                   `control-periods`, `control`, `control-statements` and `front-lines`, with their \
                   spatial and temporal extents.",
    params(FormatOnly),
    responses(
        (status = 200, description = "The collections.", body = Collections, content_type = JSON),
        (status = 400, response = BadRequest),
    )
)]
pub async fn collections(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Params(p): Params<FormatOnly>,
) -> Result<Response, ApiError> {
    params::format(p.f.as_deref())?;
    let snapshot = state.snapshot();
    let body = Collections {
        links: [link(
            format!("{base}/api/collections"),
            "self",
            JSON,
            "Collections",
        )],
        collections: Collection::ALL.map(|c| describe(&snapshot, &base, c)),
    };
    Ok(json_response(JSON, &body))
}

/// `GET /api/collections/{id}`.
#[utoipa::path(
    get,
    path = "/api/collections/{collectionId}",
    operation_id = "describeCollection",
    tag = OGC,
    summary = "One collection",
    description = "A collection's description, extent and links.",
    params(
        ("collectionId" = inline(Collection), Path, description = "The collection; any other id is answered 404."),
        FormatOnly,
    ),
    responses(
        (status = 200, description = "The collection.", body = CollectionInfo, content_type = JSON),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
pub async fn collection(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    PathParams(id): PathParams<String>,
    Params(p): Params<FormatOnly>,
) -> Result<Response, ApiError> {
    let c = Collection::parse(&id)?;
    params::format(p.f.as_deref())?;
    Ok(json_response(JSON, &describe(&state.snapshot(), &base, c)))
}

/// A collection's description.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Collection)]
struct CollectionInfo {
    /// The collection's id, such as `regions` or `control-periods`.
    #[schema(example = "regions")]
    id: &'static str,
    /// Its title.
    title: &'static str,
    /// What its features are.
    description: &'static str,
    /// Always `feature`.
    #[schema(example = "feature")]
    item_type: &'static str,
    /// The coordinate reference systems of its geometries: CRS84 (WGS84, longitude first).
    #[schema(example = json!([CRS84]))]
    crs: [&'static str; 1],
    /// Where and when its features lie.
    extent: Extent,
    /// `self` and `items`.
    links: [Link; 2],
}

/// A collection's extent; empty when the data set has nothing to bound.
#[derive(Serialize, ToSchema)]
struct Extent {
    /// The bounding box of the features.
    #[serde(skip_serializing_if = "Option::is_none")]
    spatial: Option<SpatialExtent>,
    /// The period the features cover.
    #[serde(skip_serializing_if = "Option::is_none")]
    temporal: Option<TemporalExtent>,
}

/// A bounding box in CRS84.
#[derive(Serialize, ToSchema)]
struct SpatialExtent {
    /// One box: minLon, minLat, maxLon, maxLat.
    bbox: [[f64; 4]; 1],
    /// CRS84.
    #[schema(format = "uri")]
    crs: &'static str,
}

/// A period in the Gregorian calendar.
#[derive(Serialize, ToSchema)]
struct TemporalExtent {
    /// One interval: its start and end (RFC 3339), `null` for an open end.
    interval: [[Option<String>; 2]; 1],
    /// The Gregorian calendar.
    #[schema(format = "uri")]
    trs: &'static str,
}

fn describe(snapshot: &Snapshot, base: &str, c: Collection) -> CollectionInfo {
    let engine = &snapshot.engine;
    let bbox = engine
        .extent()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    let events = &engine.dataset().events;
    let bbox = match c {
        Collection::Events => {
            let (lons, lats): (Vec<f64>, Vec<f64>) = events
                .iter()
                .map(|e| (e.location.lon(), e.location.lat()))
                .unzip();
            let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (!events.is_empty()).then(|| [min(&lons), min(&lats), max(&lons), max(&lats)])
        }
        _ => [engine.extent(), engine.areas_extent()]
            .into_iter()
            .flatten()
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
            .reduce(|a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            })
            .or(bbox),
    };
    let instant = |d: Date| format!("{d}T00:00:00Z");
    let first_change = engine
        .dataset()
        .regions
        .iter()
        .filter_map(|r| r.history.first())
        .map(|e| e.from)
        .chain(engine.dataset().areas.iter().map(|a| a.control.from))
        .min();
    let interval = match c {
        Collection::Events => {
            let dates = events.iter().map(|e| e.date);
            dates
                .clone()
                .min()
                .zip(dates.max())
                .map(|(a, b)| [Some(instant(a)), Some(instant(b))])
        }
        _ => first_change.map(|a| [Some(instant(a)), None]),
    };
    let extent = Extent {
        spatial: bbox.map(|b| SpatialExtent {
            bbox: [b],
            crs: CRS84,
        }),
        temporal: interval.map(|t| TemporalExtent {
            interval: [t],
            trs: GREGORIAN,
        }),
    };
    let id = c.id();
    CollectionInfo {
        id,
        title: c.title(),
        description: c.description(engine.dataset().format),
        item_type: "feature",
        crs: [CRS84],
        extent,
        links: [
            link(
                format!("{base}/api/collections/{id}"),
                "self",
                JSON,
                "This collection",
            ),
            link(
                format!("{base}/api/collections/{id}/items"),
                "items",
                GEOJSON,
                "Its features",
            ),
        ],
    }
}

/// `GET /api/collections/{id}/items`.
#[utoipa::path(
    get,
    path = "/api/collections/{collectionId}/items",
    operation_id = "getFeatures",
    tag = OGC,
    summary = "A collection's features",
    description = "A page of features, filtered by `bbox` and `datetime` or `at`. `regions` carry \
                   `control` on `at` (default today, UTC); `control-periods` are one feature per \
                   statement per period of its in-force part (with format 1 data, per region per \
                   history entry), those overlapping `datetime` or in force on `at`; `events` are \
                   points. `numberMatched` counts the features over all pages; the `next` and \
                   `prev` links page through them.",
    params(
        ("collectionId" = inline(Collection), Path, description = "The collection; any other id is answered 404."),
        ItemsParams,
    ),
    responses(
        (status = 200, description = "A page of features.", body = Page, content_type = GEOJSON),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
pub async fn items(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    PathParams(id): PathParams<String>,
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
    if c == Collection::ControlPeriods {
        periods_found(&snapshot).await?;
    }
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
                .map(|&i| AnyFeature::Region(features::region(engine, snapshot.region(i), at)));
            paging.respond(features.collect(), regions.len())
        }
        Collection::ControlPeriods if engine.dataset().format < Format::V2 => {
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
            let features = shown.iter().map(|&(i, k)| {
                AnyFeature::Period(features::period(snapshot.region(i), factions, k))
            });
            paging.respond(features.collect(), periods.len())
        }
        Collection::ControlPeriods
        | Collection::Control
        | Collection::FrontLines
        | Collection::ControlStatements => {
            let filters = Filters {
                at: p.at.as_deref(),
                range,
                bbox,
                paging,
            };
            return match c {
                Collection::ControlPeriods => period_items(engine, &filters),
                Collection::Control => control_items(engine, &filters),
                Collection::FrontLines => front_items(engine, &filters),
                _ => statement_items(engine, &filters),
            };
        }
        Collection::Events => {
            no_at(p.at.as_deref(), c)?;
            let events: Vec<&Event> = engine
                .dataset()
                .events
                .iter()
                .filter(|e| bbox.is_none_or(|b| b.intersects(&e.location.to_point())))
                .filter(|e| range.is_none_or(|r| r.contains(e.date)))
                .collect();
            let features = page(&events, offset, limit)
                .iter()
                .map(|e| AnyFeature::Event(features::event(e)));
            paging.respond(features.collect(), events.len())
        }
    })
}

/// What a statement collection's page is cut from: the request's filters and paging.
struct Filters<'a> {
    at: Option<&'a str>,
    range: Option<DateRange>,
    bbox: Option<geo::Rect<f64>>,
    paging: Paging<'a>,
}

/// The items of `control`: the pieces of the date's control map.
fn control_items(engine: &Engine, f: &Filters<'_>) -> Result<Response, ApiError> {
    let at = region_date(f.at, f.range)?;
    let map = engine.control_map(at);
    let pieces: Vec<&Piece> = map
        .pieces
        .iter()
        .filter(|piece| f.bbox.is_none_or(|b| piece.geometry.intersects(&b)))
        .collect();
    let features = page(&pieces, f.paging.offset, f.paging.limit)
        .iter()
        .map(|piece| {
            let geometry = Geometry::Shape(MultiPolygonJson(&piece.geometry));
            let statement = features::statement(engine, piece.key, geometry, piece.km2, Some(at));
            AnyFeature::Statement(statement)
        });
    Ok(f.paging.respond(features.collect(), pieces.len()))
}

/// Finds the snapshot's control periods on a blocking thread the first time they are asked for
/// (with format 2 data; a few hundred milliseconds on the bundled data), so that the handlers
/// then only read them.
async fn periods_found(snapshot: &Arc<Snapshot>) -> Result<(), ApiError> {
    let engine = &snapshot.engine;
    if engine.dataset().format < Format::V2 || engine.has_control_periods() {
        return Ok(());
    }
    let snapshot = Arc::clone(snapshot);
    tokio::task::spawn_blocking(move || snapshot.engine.control_periods().len())
        .await
        .map(|_| ())
        .map_err(|e| ApiError::Internal(format!("finding the control periods failed: {e}")))
}

/// The items of `control-periods` with format 2 data: every statement's periods that overlap
/// the dates asked (all of them by default).
fn period_items(engine: &Engine, f: &Filters<'_>) -> Result<Response, ApiError> {
    let range = period_range(f.at, f.range)?;
    let periods: Vec<&ControlPeriod> = engine
        .control_periods()
        .iter()
        .filter(|p| range.is_none_or(|r| r.overlaps(p.start, p.end)))
        .filter(|p| f.bbox.is_none_or(|b| p.geometry.intersects(&b)))
        .collect();
    let features = page(&periods, f.paging.offset, f.paging.limit)
        .iter()
        .map(|p| AnyFeature::StatementPeriod(features::statement_period(engine, p)));
    Ok(f.paging.respond(features.collect(), periods.len()))
}

/// The items of `front-lines` on the date.
fn front_items(engine: &Engine, f: &Filters<'_>) -> Result<Response, ApiError> {
    let at = region_date(f.at, f.range)?;
    let lines: Vec<FrontLine<'_>> = engine
        .front_lines(at)
        .into_iter()
        .filter(|line| f.bbox.is_none_or(|b| line.geometry.intersects(&b)))
        .collect();
    let features = page(&lines, f.paging.offset, f.paging.limit)
        .iter()
        .map(|line| AnyFeature::Front(features::front(line, at)));
    Ok(f.paging.respond(features.collect(), lines.len()))
}

/// The items of `control-statements`: the areas as written, filtered by the date they take
/// effect.
fn statement_items(engine: &Engine, f: &Filters<'_>) -> Result<Response, ApiError> {
    no_at(f.at, Collection::ControlStatements)?;
    let areas: Vec<usize> = (0..engine.dataset().areas.len())
        .filter(|&i| {
            let area = &engine.dataset().areas[i];
            f.bbox.is_none_or(|b| area.geometry.intersects(&b))
                && f.range.is_none_or(|r| r.contains(area.control.from))
        })
        .collect();
    let features = page(&areas, f.paging.offset, f.paging.limit)
        .iter()
        .map(|&i| area_statement(engine, i));
    Ok(f.paging.respond(features.collect(), areas.len()))
}

/// A control area as written, as a feature.
fn area_statement(engine: &Engine, i: usize) -> AnyFeature<'_> {
    let area = &engine.dataset().areas[i];
    let key = StatementKey::Area(i);
    let geometry = Geometry::Shape(MultiPolygonJson(&area.geometry));
    let km2 = engine.statement(key).area_km2;
    AnyFeature::Statement(features::statement(engine, key, geometry, km2, None))
}

/// Refuses `at` for a collection whose features are not of one date.
fn no_at(at: Option<&str>, c: Collection) -> Result<(), ApiError> {
    if at.is_some() && !c.of_a_date() && c != Collection::ControlPeriods {
        return Err(ApiError::parameter(
            "at",
            format!("does not apply to {}; filter by date with datetime", c.id()),
        ));
    }
    Ok(())
}

/// One page of a feature collection, as OGC API – Features shapes it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = FeatureCollection)]
struct Page<'a> {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    #[schema(example = "FeatureCollection")]
    kind: &'static str,
    /// Features matching the filters, over all pages.
    number_matched: usize,
    /// Features on this page.
    number_returned: usize,
    /// When the page was made (RFC 3339, UTC).
    #[schema(format = DateTime)]
    time_stamp: String,
    /// `self`, `collection`, and `next` / `prev` when there are more pages that way.
    links: Vec<Link>,
    /// All of the collection's kind.
    features: Vec<AnyFeature<'a>>,
}

/// What a page's links are made from.
struct Paging<'a> {
    base: &'a str,
    uri: &'a axum::http::Uri,
    offset: usize,
    limit: usize,
}

impl Paging<'_> {
    fn respond(&self, features: Vec<AnyFeature<'_>>, matched: usize) -> Response {
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
            // Compared decoded, so `off%73et=` is dropped like `offset=`.
            let key = form_urlencoded::parse(pair.as_bytes())
                .next()
                .map(|(k, _)| k);
            !matches!(key.as_deref(), Some("offset" | "limit"))
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
#[utoipa::path(
    get,
    path = "/api/collections/{collectionId}/items/{featureId}",
    operation_id = "getFeature",
    tag = OGC,
    summary = "One feature",
    description = "A single feature with `self` and `collection` links.",
    params(
        ("collectionId" = inline(Collection), Path, description = "The collection; any other id is answered 404."),
        ("featureId" = String, Path, example = "ghab-plain", description = "A feature id: a region id \
         (`ghab-plain`), an event id, a statement id, or for `control-periods` \
         `<statement>@YYYY-MM-DD`, the statement's id and the period's first day \
         (`northern-ghab-army-retakes-2015@2015-08-18`; with format 1 data `regionId@YYYY-MM-DD`). \
         An unknown id is answered 404."),
        ItemParams,
    ),
    responses(
        (status = 200, description = "The feature.", body = SingleFeature, content_type = GEOJSON),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
pub async fn item(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    PathParams((id, feature)): PathParams<(String, String)>,
    Params(p): Params<ItemParams>,
) -> Result<Response, ApiError> {
    let c = Collection::parse(&id)?;
    params::format(p.f.as_deref())?;
    let snapshot = state.snapshot();
    if c == Collection::ControlPeriods {
        periods_found(&snapshot).await?;
    }
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
    if !c.of_a_date() && p.at.is_some() {
        return Err(ApiError::parameter(
            "at",
            "applies to features of one date (regions, control, front-lines); a control period, \
             statement or event has its own dates",
        ));
    }
    Ok(match c {
        Collection::Regions => {
            let at = params::at(p.at.as_deref())?;
            let r = snapshot.region_by_id(&feature).ok_or_else(missing)?;
            one(AnyFeature::Region(features::region(engine, r, at)), links)
        }
        Collection::ControlPeriods if engine.dataset().format < Format::V2 => {
            let (r, k) = period(&snapshot, &feature).ok_or_else(missing)?;
            one(AnyFeature::Period(features::period(r, factions, k)), links)
        }
        Collection::ControlPeriods => {
            let (statement, start) = feature.rsplit_once('@').ok_or_else(missing)?;
            let start = crate::model::parse_date(start).ok_or_else(missing)?;
            let found = engine
                .control_period(statement, start)
                .ok_or_else(missing)?;
            let period = features::statement_period(engine, found);
            one(AnyFeature::StatementPeriod(period), links)
        }
        Collection::Events => {
            let e = engine.dataset().event(&feature).ok_or_else(missing)?;
            one(AnyFeature::Event(features::event(e)), links)
        }
        Collection::ControlStatements => {
            let i = engine
                .dataset()
                .areas
                .iter()
                .position(|a| a.id == feature)
                .ok_or_else(missing)?;
            one(area_statement(engine, i), links)
        }
        Collection::Control => {
            let at = params::at(p.at.as_deref())?;
            let map = engine.control_map(at);
            let piece = map
                .pieces
                .iter()
                .find(|piece| engine.statement(piece.key).id.to_string() == feature)
                .ok_or_else(missing)?;
            let geometry = Geometry::Shape(MultiPolygonJson(&piece.geometry));
            let statement = features::statement(engine, piece.key, geometry, piece.km2, Some(at));
            one(AnyFeature::Statement(statement), links)
        }
        Collection::FrontLines => {
            let at = params::at(p.at.as_deref())?;
            let line = engine
                .front_lines(at)
                .into_iter()
                .find(|line| {
                    format!("{}--{}", line.sides[0].as_str(), line.sides[1].as_str()) == feature
                })
                .ok_or_else(missing)?;
            one(AnyFeature::Front(features::front(&line, at)), links)
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
#[derive(Serialize, ToSchema)]
#[schema(as = Feature)]
struct SingleFeature<'a> {
    #[serde(flatten)]
    feature: AnyFeature<'a>,
    /// `self` and `collection`.
    links: Vec<Link>,
}

/// A single feature with its links, as the response.
fn one(feature: AnyFeature<'_>, links: Vec<Link>) -> Response {
    json_response(GEOJSON, &SingleFeature { feature, links })
}
