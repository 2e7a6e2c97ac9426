//! The map's files from `web/`, embedded in release builds (read from disk in debug builds, so
//! front-end changes show on reload), and the data set's places for the search box.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::ogc::json_response;
use super::openapi::SERVICE;
use super::problem::ApiError;
use super::state::AppState;

/// Everything under `web/` that a browser loads; npm's files, tests and scripts stay out.
#[derive(rust_embed::RustEmbed)]
#[folder = "web/"]
#[exclude = "node_modules/*"]
#[exclude = "test/*"]
#[exclude = "scripts/*"]
#[exclude = "package.json"]
#[exclude = "package-lock.json"]
#[exclude = ".gitignore"]
struct Web;

/// How long browsers may keep a file before revalidating it with its `ETag`.
const ASSET_CACHE_CONTROL: &str = "public, max-age=300";

/// `GET /` and every other path outside `/api`: a file of the map, or a 404 problem; any method
/// but `GET` and `HEAD` on a file is a 405 problem naming them in `Allow`. Only `/` is
/// described in the OpenAPI document; the map's other files are its own business.
#[utoipa::path(
    get,
    path = "/",
    operation_id = "getHome",
    tag = SERVICE,
    summary = "The map",
    description = "The map page: regions coloured by who held them on a date, with a time \
                   slider, events, town labels and search, and the editing panel.",
    responses((status = 200, description = "The page.", body = String, content_type = "text/html"))
)]
pub async fn file(req: Request) -> Response {
    let path = req.uri().path().trim_start_matches('/');
    let path = match path {
        "" => "index.html",
        "favicon.ico" => "favicon.svg",
        other => other,
    };
    let Some(file) = Web::get(path) else {
        return ApiError::NotFound(format!("no such path {}", req.uri().path())).into_response();
    };
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let refusal = ApiError::MethodNotAllowed(format!("{} {}", req.method(), req.uri().path()));
        let mut response = refusal.into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET,HEAD"));
        return response;
    }
    let tag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..12]));
    let mut response = if super::cache::if_none_match(req.headers(), &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mime = file.metadata.mimetype();
        let mime = if mime == "application/javascript" {
            "text/javascript"
        } else {
            mime
        };
        let mut res = file.data.into_owned().into_response();
        if let Ok(value) = HeaderValue::from_str(mime) {
            res.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        res
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(ASSET_CACHE_CONTROL),
    );
    response
}

/// The map's page, `index.html`, as embedded.
pub(super) fn page() -> String {
    Web::get("index.html").map_or_else(String::new, |file| {
        String::from_utf8_lossy(&file.data).into_owned()
    })
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// `GET /places.geojson`: the data set's towns, for labels and the search box.
#[utoipa::path(
    get,
    path = "/places.geojson",
    operation_id = "getPlaces",
    tag = SERVICE,
    summary = "Towns, for labels and search",
    description = "The data set's places exactly as its `places.geojson` holds them: a GeoJSON \
                   FeatureCollection of Point features with `name`, `name_ar`, `name_geonames`, \
                   `major` and `source`.",
    responses((status = 200, description = "The places.", body = Object, content_type = "application/geo+json"))
)]
pub async fn places(State(state): State<AppState>) -> Response {
    let snapshot = state.snapshot();
    let data = snapshot.engine.dataset();
    json_response(
        "application/geo+json",
        &crate::geodata::places_collection(&data.places, data.format),
    )
}
