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
#[doc(hidden)]
pub mod fuzz;
mod limits;
mod meta;
mod ogc;
mod openapi;
mod params;
mod problem;
mod query;
mod security;
mod state;

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::{Extension, Router};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
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
pub use limits::Limits;
pub use ogc::CONFORMANCE;
pub use problem::ApiError;
pub use state::AppState;

/// Largest request body by default: a 100,000-point batch with ids and dates fits comfortably.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// By default, a request that takes longer than this is answered 503.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Every documented route: each handler with the path and method its `#[utoipa::path]`
/// attribute declares, so the router and its OpenAPI description are built together.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        // Other methods at `/` fall through to the map's files, as at every other path (a 405).
        .routes(routes!(assets::file).map(|home| home.fallback(assets::file)))
        .routes(routes!(assets::places))
        .routes(routes!(meta::healthz))
        .routes(routes!(meta::readyz))
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
        .routes(routes!(edit::change))
        .routes(routes!(edit::stream))
        .routes(routes!(edit::revert))
}

/// The OpenAPI document of [`routes`], built and serialised once: it depends on the code only.
static SERVICE_DESCRIPTION: std::sync::LazyLock<openapi::ServiceDescription> =
    std::sync::LazyLock::new(|| openapi::ServiceDescription::new(routes().split_for_parts().1));

/// The whole application, ready to serve or to drive in tests with `oneshot`.
pub fn app(state: AppState) -> Router {
    let (router, _) = routes().split_for_parts();
    let limits = state.limits().clone();
    with_layers(
        router
            .layer(Extension(SERVICE_DESCRIPTION.clone()))
            .fallback(assets::file)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                cache::etag,
            ))
            .with_state(state),
        &limits,
    )
}

/// `router` behind every layer the server puts around its routes: limits, timeouts,
/// compression, CORS, security headers, tracing, and a panic caught as a 500 problem.
fn with_layers(router: Router, limits: &Limits) -> Router {
    router
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            limits.request_timeout,
        ))
        .layer(axum::middleware::map_response_with_state(
            limits.request_timeout,
            timeout_problem,
        ))
        .layer(axum::middleware::from_fn_with_state(
            limits::Gates::new(limits),
            limits::admit,
        ))
        .layer(CompressionLayer::new())
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::HEAD, Method::POST])
                .allow_headers(Any),
        )
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal("a handler panicked".into()).into_response()
        }))
        .layer(axum::middleware::map_response(security::headers))
        .layer(TraceLayer::new_for_http().on_failure(log_failure))
}

/// Logs a failed request: a 503 (load shed, timeout, database unavailable) is the server
/// protecting itself and says so with `Retry-After`, so a warning; anything else an error.
fn log_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass as Class;
    let ms = latency.as_millis();
    match class {
        Class::StatusCode(status) if status == axum::http::StatusCode::SERVICE_UNAVAILABLE => {
            tracing::warn!(%status, latency_ms = ms, "request refused for now");
        }
        class => tracing::error!(%class, latency_ms = ms, "request failed"),
    }
}

/// The timeout layer answers a bare 503; give it our problem body.
async fn timeout_problem(
    State(timeout): State<Duration>,
    response: axum::response::Response,
) -> axum::response::Response {
    let bare = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_none();
    if response.status() == StatusCode::SERVICE_UNAVAILABLE && bare {
        let secs = timeout.as_secs_f64();
        return ApiError::Unavailable(format!(
            "the request took longer than {secs} s (--request-timeout); try a smaller batch or \
             page"
        ))
        .into_response();
    }
    response
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} {}", uri.path()))
}

/// Serves `app(state)` on `listener` until `shutdown` completes. Then the served data is
/// closed, so that change streams end, no new connection is taken, and the requests in flight
/// finish before this returns, for at most the shutdown timeout: connections still open then
/// are dropped (an edit is acknowledged only once it is stored, so no acknowledged edit is
/// lost).
///
/// A client that takes longer than the header timeout to send a request's head is
/// disconnected (`axum::serve` has no such timeout, hence hyper's own connection builder).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let live = state.live().clone();
    let drain = state.limits().shutdown_timeout;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(state.limits().header_timeout);
    let app = app(state);
    let connections = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then accept again.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let service = TowerToHyperService::new(app.clone());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    live.close();
    if tokio::time::timeout(drain, connections.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still in flight {} s after the signal (--shutdown-timeout); closing \
             their connections",
            drain.as_secs_f64()
        );
    }
    Ok(())
}

/// How long to wait after a failed `accept` (out of file descriptors) before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::CONTENT_TYPE;

    #[tokio::test]
    async fn a_bare_timeout_becomes_a_problem() {
        let bare = StatusCode::SERVICE_UNAVAILABLE.into_response();
        let res = timeout_problem(State(REQUEST_TIMEOUT), bare).await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[CONTENT_TYPE], "application/problem+json");
        let ok = timeout_problem(State(REQUEST_TIMEOUT), StatusCode::OK.into_response()).await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert!(ok.headers().get(CONTENT_TYPE).is_none());
    }

    #[tokio::test]
    async fn a_panicking_handler_is_a_500_problem_and_the_router_goes_on() {
        use axum::body::Body;
        use axum::http::Request;
        use axum::routing::get;
        use tower::ServiceExt;

        async fn boom() -> &'static str {
            panic!("secret detail at /srv/x.rs")
        }
        let router = with_layers(
            Router::new()
                .route("/boom", get(boom))
                .route("/fine", get(|| async { "fine" })),
            &Limits::default(),
        );
        let get = |uri: &str| Request::get(uri).body(Body::empty()).expect("a request");
        let res = router
            .clone()
            .oneshot(get("/boom"))
            .await
            .expect("an answer");
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(res.headers()[CONTENT_TYPE], "application/problem+json");
        assert!(res.headers().contains_key("content-security-policy"));
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .expect("a body");
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("internal error"), "{text}");
        assert!(!text.contains("secret") && !text.contains("/srv"), "{text}");
        let res = router.oneshot(get("/fine")).await.expect("an answer");
        assert_eq!(res.status(), StatusCode::OK);
    }
}
