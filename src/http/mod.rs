//! The HTTP server: OGC API – Features, point queries, timeline and statistics.
//!
//! Handlers only translate: they extract validated input ([`extract`], [`params`]), call the
//! served data ([`crate::live`]) and shape the response. The batch query's pipeline (JSON and
//! CSV input, answers on every core, streamed in JSON, CSV or GeoJSON sequences) is [`batch`]. [`problem`] is the one place that
//! picks status codes. Every route is registered together with its OpenAPI description
//! ([`openapi`]).

mod assets;
mod auth;
mod batch;
mod cache;
mod edit;
mod extract;
mod features;
mod meta;
mod ogc;
mod openapi;
mod params;
mod problem;
mod query;
mod state;

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::{Extension, Router};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub use auth::Tokens;
pub use batch::from_csv::DEFAULT_MAX_ROWS as DEFAULT_CSV_BATCH_ROWS;
pub use batch::from_json::MAX_BATCH_POINTS;
pub use ogc::CONFORMANCE;
pub use problem::ApiError;
pub use state::AppState;

/// Largest request body: a 100,000-point batch with ids and dates fits comfortably.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// A request that takes longer than this is answered 503.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Every documented route: each handler with the path and method its `#[utoipa::path]`
/// attribute declares, so the router and its OpenAPI description are built together.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        // Other methods at `/` fall through to the map's files, as at every other path.
        .routes(routes!(assets::file).map(|home| home.fallback(assets::file)))
        .routes(routes!(assets::places))
        .routes(routes!(meta::healthz))
        .routes(routes!(ogc::landing))
        .routes(routes!(ogc::conformance))
        .routes(routes!(ogc::collections))
        .routes(routes!(ogc::collection))
        .routes(routes!(ogc::items, edit::post_item))
        .routes(routes!(ogc::item))
        .routes(routes!(meta::openapi))
        .routes(routes!(query::point, query::batch))
        .routes(routes!(meta::timeline))
        .routes(routes!(meta::stats))
        .routes(routes!(edit::whoami))
        .routes(routes!(edit::post_control))
        .routes(routes!(edit::changes))
        .routes(routes!(edit::stream))
        .routes(routes!(edit::revert))
}

/// The OpenAPI document of [`routes`], built and serialised once: it depends on the code only.
static SERVICE_DESCRIPTION: std::sync::LazyLock<openapi::ServiceDescription> =
    std::sync::LazyLock::new(|| openapi::ServiceDescription::new(routes().split_for_parts().1));

/// The whole application, ready to serve or to drive in tests with `oneshot`.
pub fn app(state: AppState) -> Router {
    let (router, _) = routes().split_for_parts();
    router
        .layer(Extension(SERVICE_DESCRIPTION.clone()))
        .fallback(assets::file)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::etag,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::map_response(timeout_problem))
        .layer(CompressionLayer::new())
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::HEAD, Method::POST])
                .allow_headers(Any),
        )
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal("a handler panicked".into()).into_response()
        }))
        .with_state(state)
}

/// The timeout layer answers a bare 503; give it our problem body.
async fn timeout_problem(response: axum::response::Response) -> axum::response::Response {
    let bare = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_none();
    if response.status() == StatusCode::SERVICE_UNAVAILABLE && bare {
        let secs = REQUEST_TIMEOUT.as_secs();
        return ApiError::Unavailable(format!(
            "the request took longer than {secs} s; try a smaller batch or page"
        ))
        .into_response();
    }
    response
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} {}", uri.path()))
}

/// Serves `app(state)` on `listener` until `shutdown` completes. Then the served data is
/// closed, so that change streams end, and the requests in flight finish before this returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let live = state.live().clone();
    let shutdown = async move {
        shutdown.await;
        live.close();
    };
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::CONTENT_TYPE;

    #[tokio::test]
    async fn a_bare_timeout_becomes_a_problem() {
        let bare = StatusCode::SERVICE_UNAVAILABLE.into_response();
        let res = timeout_problem(bare).await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[CONTENT_TYPE], "application/problem+json");
        let ok = timeout_problem(StatusCode::OK.into_response()).await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert!(ok.headers().get(CONTENT_TYPE).is_none());
    }
}
