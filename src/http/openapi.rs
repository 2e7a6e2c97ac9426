//! The OpenAPI 3.1 description served at `/api/openapi.json`, generated from the code.
//!
//! Each handler's `#[utoipa::path]` attribute describes its operation; the parameter structs of
//! [`super::params`] are its query parameters and the types it serialises are its schemas.
//! [`super::app`] registers every route together with its description (`utoipa_axum`'s
//! `routes!`), so the document cannot list a route the router lacks, or the other way round.
//! This module holds what no single handler owns: the API's info and tags ([`ApiDoc`]), the
//! bearer security scheme, the responses operations share, and what the layers of `app()` add
//! to every operation ([`ServiceDescription::new`]).

use axum::body::Bytes;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AnyOf, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr};
use utoipa::{Modify, OpenApi, PartialSchema, ToResponse, ToSchema};

use super::batch::from_csv::{BYTES_PER_ROW, MAX_ROW_BYTES};
use super::edit::ChangeOut;
use super::features::{AnyFeature, Geometry};
use super::problem::Problem;
use super::{DEFAULT_CSV_BATCH_ROWS, MAX_BATCH_POINTS, MAX_BODY_BYTES, REQUEST_TIMEOUT, cache};

/// The media type of the document.
pub(super) const MEDIA_TYPE: &str = "application/vnd.oai.openapi+json;version=3.1";
/// The media type of every error.
const PROBLEM: &str = "application/problem+json";
/// The name of the security scheme the write operations name.
const BEARER: &str = "bearerAuth";

/// Tag of the OGC API – Features operations.
pub(super) const OGC: &str = "OGC API – Features";
/// Tag of the point and batch queries, the timeline and the statistics.
pub(super) const QUERIES: &str = "Queries";
/// Tag of the map, the places, the health check and the document itself.
pub(super) const SERVICE: &str = "Service";
/// Tag of the writes and the change log.
pub(super) const EDITING: &str = "Editing";

/// The parts of the document that no handler owns. The paths come from the router.
#[derive(OpenApi)]
#[openapi(
    info(title = "frontline", description = include_str!("openapi.md")),
    servers((url = "/")),
    tags(
        (name = OGC, description = "OGC API – Features, Part 1: landing page, conformance, \
                                    collections and their features."),
        (name = QUERIES, description = "Point and batch queries, timeline and statistics."),
        (name = SERVICE, description = "The map, its places, the health check and this description."),
        (name = EDITING, description = "Writes with a bearer token (control entries, events, \
                                        reverts) and the change log."),
    ),
    modifiers(&SharedComponents),
)]
pub struct ApiDoc;

/// Declares the responses operations share: each a unit struct that `#[utoipa::path]` names
/// (`(status = 404, response = NotFound)`, a `$ref` to `#/components/responses/NotFound`),
/// and all of them together for [`SharedComponents`] to register.
macro_rules! shared_responses {
    ($($(#[$doc:meta])* $name:ident => $response:expr;)+) => {
        $(
            $(#[$doc])*
            pub(super) struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (stringify!($name), RefOr::T($response))
                }
            }
        )+

        /// Every shared response, with its name.
        fn shared_responses() -> Vec<(&'static str, RefOr<Response>)> {
            vec![$($name::response()),+]
        }
    };
}

shared_responses! {
    /// 400, for a bad query parameter, `Host` header or body.
    BadRequest => problem(
        "Bad Request: a query parameter is malformed, missing, out of range, repeated or not \
         taken by this endpoint, the `Host` header is not a host name, or the request body is \
         not JSON.",
    );
    /// 401, for a missing or unknown token.
    Unauthorized => ResponseBuilder::from(problem(
        "Unauthorized: no `Authorization: Bearer TOKEN` header, or the token is not valid.",
    ))
    .header(
        "WWW-Authenticate",
        HeaderBuilder::new()
            .description(Some("`Bearer`."))
            .schema(Some(String::schema()))
            .build(),
    )
    .build();
    /// 403, for a write to a read-only server.
    Forbidden => problem(
        "Forbidden: this server is read-only; start it with `FRONTLINE_TOKEN` set, or \
         `--token-file`, to enable editing.",
    );
    /// 404, for an unknown id in the path.
    NotFound => problem("Not Found: no such collection, feature, region or change.");
    /// 405, for a method the path exists without.
    MethodNotAllowed => problem(
        "Method Not Allowed: the path exists, but not with this method for this resource.",
    );
    /// 409, for a revert of a superseded change or an entry another server changed.
    Conflict => problem(
        "Conflict: for a revert, a later change superseded this one on the same entry (add \
         `?force=true` to revert it anyway); for a control area, another change came since \
         `base`; or another server sharing the database changed the entry since this one read \
         it: this server has read it now, so read it again and retry.",
    );
    /// 413, for a body or batch over the limits.
    PayloadTooLarge => problem(&format!(
        "Payload Too Large: a JSON body exceeds {} MiB or a JSON batch has more points than \
         the server takes (by default {MAX_BATCH_POINTS}, `--batch-points`); a CSV batch has more rows than the server takes (by \
         default {DEFAULT_CSV_BATCH_ROWS}, `--batch-csv-rows`), more than {BYTES_PER_ROW} bytes \
         a row on average, or a row longer than {MAX_ROW_BYTES} bytes.",
        MAX_BODY_BYTES >> 20,
    ));
    /// 415, for a body that is not JSON (or, for a batch, CSV) by its content type.
    UnsupportedMediaType => problem(
        "Unsupported Media Type: the body is not `application/geo+json` or `application/json` \
         (nor, for the batch query, UTF-8 `text/csv`).",
    );
    /// 406, for an `Accept` header that allows no format the answer comes in.
    NotAcceptable => problem(
        "Not Acceptable: the `Accept` header allows none of `application/json`, `text/csv` \
         and `application/geo+json-seq`; send one of them, `*/*`, or `f`.",
    );
    /// 422, for a batch that is JSON or CSV but not valid points.
    InvalidBatch => problem(
        "Unprocessable Entity: the body is JSON but not a FeatureCollection of Point features \
         with valid dates (`errors` lists every problem by feature index, with a JSON Pointer), \
         or CSV with a header or rows that are not valid points (`errors` lists the first 100 \
         problems, each with its `row`, the header being row 1, and its `column` and `value` \
         when there are). Nothing is answered.",
    );
    /// 422, for an edit that is JSON but not a valid entry.
    InvalidEdit => problem(
        "Unprocessable Entity: the body is JSON but not a valid entry; `errors` lists every \
         problem. Nothing is written.",
    );
    /// 500, which any operation may answer.
    InternalServerError => problem("Internal Server Error: the details are logged, not sent.");
    /// 503, which any operation may answer.
    ServiceUnavailable => {
        let mut response = problem(&format!(
            "Service Unavailable: the request took longer than the server allows (by default \
             {} s, `--request-timeout`; try a smaller batch or page), or the server is serving \
             as many requests or change streams as it takes (`--max-in-flight`, \
             `--max-streams`). `Retry-After` says when to try again.",
            REQUEST_TIMEOUT.as_secs(),
        ));
        response
            .headers
            .insert("Retry-After".into(), RefOr::T(retry_after()));
        response
    };
    /// 503, from the readiness check.
    NotReady => {
        let mut response = problem(
            "Service Unavailable: not ready: the server has not applied every change up to \
             `min_change` yet (the problem's `detail` says which change it has reached), or it \
             is shutting down. `Retry-After` says when to ask again.",
        );
        response
            .headers
            .insert("Retry-After".into(), RefOr::T(retry_after()));
        response
    };
    /// 408, which any operation with a request body may answer.
    RequestTimeout => problem(
        "Request Timeout: the body stopped arriving for longer than the server waits between \
         two pieces of it (by default 10 s, `--body-timeout`).",
    );
    /// 304, for a conditional `GET` whose tag matches.
    NotModified => ResponseBuilder::new()
        .description("Not Modified: the `If-None-Match` tag matches; no body.")
        .header("ETag", etag())
        .build();
    /// 201, for a write that stored a change.
    Created => ResponseBuilder::new()
        .description("Created: the change is stored, applied and served from now on.")
        .header(
            "Location",
            HeaderBuilder::new()
                .description(Some("The new change, `/api/changes/{id}`."))
                .schema(Some(String::schema()))
                .build(),
        )
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name(ChangeOut::name()))),
        )
        .link(
            "revert",
            LinkBuilder::new()
                .operation_id("revertChange")
                .parameter("changeId", "$response.body#/id")
                .description("Undo this change.")
                .build(),
        )
        .build();
}

/// An error response: `description`, with an RFC 9457 problem as its body.
fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM,
            Content::new(Some(Ref::from_schema_name(Problem::name()))),
        )
        .build()
}

/// The `Retry-After` response header of a 503.
fn retry_after() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .description(Some("Seconds to wait before trying again."))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1)),
        ))
        .build()
}

/// The `ETag` response header.
fn etag() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .description(Some("An entity tag to send back in `If-None-Match`."))
        .schema(Some(String::schema()))
        .build()
}

/// A reference to the shared response `R`.
fn reference<R: for<'r> ToResponse<'r>>() -> RefOr<Response> {
    RefOr::Ref(Ref::from_response_name(R::response().0))
}

/// Registers the shared responses, the schemas they refer to and the bearer security scheme.
struct SharedComponents;

impl Modify for SharedComponents {
    fn modify(&self, api: &mut Document) {
        let components = api.components.get_or_insert_with(Default::default);
        components.responses.extend(
            shared_responses()
                .into_iter()
                .map(|(name, response)| (name.to_owned(), response)),
        );
        let mut schemas = vec![
            (Problem::name().into_owned(), Problem::schema()),
            (ChangeOut::name().into_owned(), ChangeOut::schema()),
        ];
        ChangeOut::schemas(&mut schemas);
        Problem::schemas(&mut schemas);
        components.schemas.extend(schemas);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An editor token from `FRONTLINE_TOKEN` or `--token-file`, sent as \
                         `Authorization: Bearer TOKEN`. Tokens are compared in constant time \
                         and never logged.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as served, serialised once when the router is built.
#[derive(Debug, Clone)]
pub(super) struct ServiceDescription(pub(super) Bytes);

impl ServiceDescription {
    /// Completes `api`, as [`super::app`] split it from the router, with the responses that
    /// `app()`'s layers give every operation: 500 (a handler panicked), 503 (the request
    /// timed out, or too many are in flight) and, with a body, 408 (it came too slowly); and, for the `GET`s the cache layer tags, `If-None-Match`, `ETag` and 304. The
    /// untagged enums' variants overlap, so they are `anyOf`, not `oneOf`.
    pub(super) fn new(mut api: Document) -> Self {
        for (path, item) in &mut api.paths.paths {
            if let Some(get) = item.get.as_mut().filter(|_| !cache::uncached(path)) {
                conditional(get);
            }
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                if operation.request_body.is_some() {
                    let responses = &mut operation.responses.responses;
                    responses.insert("408".into(), reference::<RequestTimeout>());
                }
                let responses = &mut operation.responses.responses;
                responses.insert("500".into(), reference::<InternalServerError>());
                // An operation's own 503 (the readiness check's) says more.
                responses
                    .entry("503".into())
                    .or_insert_with(reference::<ServiceUnavailable>);
            }
        }
        if let Some(components) = api.components.as_mut() {
            for name in [AnyFeature::name(), Geometry::name()] {
                if let Some(RefOr::T(schema)) = components.schemas.get_mut(name.as_ref()) {
                    any_of(schema);
                }
            }
        }
        let json = api
            .to_pretty_json()
            .expect("an OpenAPI document always serialises");
        Self(Bytes::from(json))
    }
}

/// Turns an untagged enum's `oneOf` into `anyOf`. Its variants are open objects (a feature of
/// one collection also fits another's schema; every geometry is an object), so a value matches
/// more than one, which `oneOf` forbids.
fn any_of(schema: &mut Schema) {
    if let Schema::OneOf(one_of) = schema {
        let mut any_of = AnyOf::new();
        any_of.items = std::mem::take(&mut one_of.items);
        any_of.description = one_of.description.take();
        *schema = Schema::AnyOf(any_of);
    }
}

/// Documents the conditional `GET`: `If-None-Match`, the `ETag` and `Cache-Control` of a 200,
/// and the 304.
fn conditional(get: &mut Operation) {
    let if_none_match = ParameterBuilder::new()
        .name("If-None-Match")
        .parameter_in(ParameterIn::Header)
        .description(Some(
            "An `ETag` from an earlier response (or `*`); when it matches, the answer is 304 \
             with no body.",
        ))
        .schema(Some(String::schema()))
        .build();
    get.parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(if_none_match));
    let responses = &mut get.responses.responses;
    if let Some(RefOr::T(ok)) = responses.get_mut("200") {
        ok.headers.insert("ETag".into(), RefOr::T(etag()));
        let cache_control = HeaderBuilder::new()
            .description(Some(
                "How long caches may reuse the response before revalidating it.",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .examples(["public, max-age=60"]),
            ))
            .build();
        ok.headers
            .insert("Cache-Control".into(), RefOr::T(cache_control));
    }
    responses.insert("304".into(), reference::<NotModified>());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_states_the_limits_the_server_applies() {
        let text = ApiDoc::openapi().info.description.unwrap_or_default();
        let points = MAX_BATCH_POINTS.to_string();
        let (thousands, rest) = points.split_at(points.len() - 3);
        for limit in [
            format!("{} MiB", MAX_BODY_BYTES >> 20),
            format!("{thousands},{rest} points"),
            format!("{} s", REQUEST_TIMEOUT.as_secs()),
        ] {
            assert!(text.contains(&limit), "the description lacks {limit:?}");
        }
    }
}
