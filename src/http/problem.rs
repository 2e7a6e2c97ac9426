//! Errors as RFC 9457 `application/problem+json`: the only place that picks status codes.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::geodata::BodyProblem;
use crate::live::LiveError;

/// Everything a request can fail with. Messages name the parameter or feature and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A query parameter is missing or malformed (400).
    #[error("parameter {name}: {reason}")]
    Parameter {
        /// The parameter's name.
        name: &'static str,
        /// What is wrong, quoting the value.
        reason: String,
    },
    /// A query parameter this endpoint does not take (400).
    #[error("{0}")]
    UnknownParameter(String),
    /// The URL's path has a segment that cannot be read (400): not UTF-8, or not the type the
    /// route takes.
    #[error("{0}")]
    BadPath(String),
    /// The body is not JSON at all (400).
    #[error("request body is not valid JSON: {0}")]
    MalformedBody(String),
    /// The body could not be read to its end: the client broke it off (400).
    #[error("request body could not be read: {0}")]
    UnreadableBody(String),
    /// The client paused sending the body for longer than the server waits (408).
    #[error("{0}")]
    SlowBody(String),
    /// The body is JSON but says something invalid (422); one entry per problem, each with a
    /// JSON Pointer to the value at fault.
    #[error("request body is invalid: {}", details(.0))]
    InvalidBody(Vec<BodyProblem>),
    /// A CSV body whose header or rows are invalid (422); one entry per problem, each naming
    /// the row, and the column and value when there are.
    #[error("CSV body is invalid: {}", rows(.problems, *.unlisted))]
    InvalidRows {
        /// The problems listed, in row order.
        problems: Vec<RowProblem>,
        /// Whether reading stopped before the end of the body, so more rows may be wrong.
        unlisted: bool,
    },
    /// The server has no editor tokens (403).
    #[error(
        "this server is read-only: start it with FRONTLINE_TOKEN set, or --token-file with name:token lines, to enable editing"
    )]
    ReadOnly,
    /// A write without a valid bearer token (401).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// A revert of a change that a later change superseded (409).
    #[error("{0}")]
    Conflict(String),
    /// No such collection, feature or path (404).
    #[error("{0}")]
    NotFound(String),
    /// The path exists but not with this method (405).
    #[error("method {0} is not allowed here")]
    MethodNotAllowed(String),
    /// The body or the batch is larger than we take (413).
    #[error("{0}")]
    TooLarge(String),
    /// The body's content type is not one we read (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// No format the client accepts is one we write (406).
    #[error("{0}")]
    NotAcceptable(String),
    /// The request took too long (503).
    #[error("{0}")]
    Unavailable(String),
    /// The server has not reached the change asked for, or is shutting down (503, with a
    /// shorter `Retry-After`: following the change log takes well under a second).
    #[error("{0}")]
    NotReady(String),
    /// Something failed on our side (500); the detail is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

fn details(problems: &[BodyProblem]) -> String {
    let details: Vec<&str> = problems.iter().map(|p| p.detail.as_str()).collect();
    details.join("; ")
}

fn rows(problems: &[RowProblem], unlisted: bool) -> String {
    let details: Vec<&str> = problems.iter().map(|p| p.detail.as_str()).collect();
    let more = if unlisted {
        format!(
            "; reading stopped after these {} problems, so later rows were not checked",
            problems.len()
        )
    } else {
        String::new()
    };
    format!("{}{more}", details.join("; "))
}

/// One problem of a CSV body: the row (the header is row 1), the column and the value at
/// fault when there are, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The row, counting the header as row 1 (as a spreadsheet shows it).
    pub row: u64,
    /// The column's name, when the problem is in one column.
    pub column: Option<&'static str>,
    /// The value as sent, when there is one.
    pub value: Option<String>,
    /// What is wrong, starting with the row and column (`row 3, column lat: …`).
    pub detail: String,
}

impl RowProblem {
    /// A problem with the value of `column` in `row`; `why` says what is wrong with it.
    pub(crate) fn value(row: u64, column: &'static str, value: &[u8], why: &str) -> Self {
        Self {
            row,
            column: Some(column),
            value: Some(String::from_utf8_lossy(value).into_owned()),
            detail: format!("row {row}, column {column}: {why}"),
        }
    }

    /// A problem with `row` as a whole, or with a column the header lacks.
    pub(crate) fn row(row: u64, column: Option<&'static str>, why: &str) -> Self {
        let detail = match column {
            Some(column) => format!("row {row}, column {column}: {why}"),
            None => format!("row {row}: {why}"),
        };
        Self {
            row,
            column,
            value: None,
            detail,
        }
    }
}

/// What a 503 asks the client to wait before it tries again, in seconds.
const RETRY_AFTER_SECS: &str = "2";
/// What a 503 from the readiness check asks the client to wait, in seconds.
const NOT_READY_RETRY_AFTER_SECS: &str = "1";

/// An RFC 9457 problem.
#[derive(Serialize, ToSchema)]
pub(super) struct Problem<'a> {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    #[schema(format = "uri-reference", example = "about:blank")]
    kind: &'static str,
    /// The status's reason phrase.
    #[schema(example = "Bad Request")]
    title: &'static str,
    /// The HTTP status.
    #[schema(minimum = 400, maximum = 599, example = 400)]
    status: u16,
    /// What went wrong, naming the parameter or feature and quoting the value.
    #[schema(example = "parameter lat: \"abc\" is not a number")]
    detail: &'a str,
    /// Only for 422: every problem in the body, each with a JSON Pointer to where it is, or for
    /// a CSV body its row, column and value (an RFC 9457 extension member).
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldError<'a>>>,
}

/// One problem of a request body: where it is and what is wrong. A JSON body's problems have
/// a `pointer`; a CSV body's have a `row`, and a `column` and `value` when there are.
#[derive(Serialize, ToSchema)]
pub(super) struct FieldError<'a> {
    /// RFC 6901 JSON Pointer to the value at fault in a JSON request body; empty for the whole
    /// body.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "/sources/0/url")]
    pointer: Option<&'a str>,
    /// The row of a CSV body, the header being row 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 3)]
    row: Option<u64>,
    /// The column of a CSV body (`id`, `lon`, `lat` or `date`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "lat")]
    column: Option<&'a str>,
    /// The value at fault in a CSV body, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "95")]
    value: Option<&'a str>,
    /// What is wrong with it, naming the field and quoting the value.
    #[schema(example = "sources[0].url \"javascript:x\" is not an http or https URL")]
    detail: &'a str,
}

impl ApiError {
    /// The HTTP status for this error.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Parameter { .. }
            | Self::UnknownParameter(_)
            | Self::BadPath(_)
            | Self::MalformedBody(_)
            | Self::UnreadableBody(_) => StatusCode::BAD_REQUEST,
            Self::InvalidBody(_) | Self::InvalidRows { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::SlowBody(_) => StatusCode::REQUEST_TIMEOUT,
            Self::ReadOnly => StatusCode::FORBIDDEN,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::Unavailable(_) | Self::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A parameter error.
    pub(crate) fn parameter(name: &'static str, reason: impl Into<String>) -> Self {
        Self::Parameter {
            name,
            reason: reason.into(),
        }
    }
}

impl From<LiveError> for ApiError {
    fn from(e: LiveError) -> Self {
        match e {
            LiveError::NoLog => Self::ReadOnly,
            LiveError::NotFound(what) => Self::NotFound(what),
            LiveError::Invalid(problems) => Self::InvalidBody(problems),
            LiveError::Conflict(why) => Self::Conflict(why),
            LiveError::Unavailable(reason) => Self::Unavailable(format!(
                "the edits database is unavailable ({reason}), so no edit can be stored; the \
                 data is still served; try again shortly"
            )),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// A problem at `pointer` in the request body (for checks made in the handlers).
pub(crate) fn body_problem(pointer: String, detail: String) -> BodyProblem {
    BodyProblem { pointer, detail }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = if matches!(self, Self::Internal(_)) {
            tracing::error!(error = %self, "request failed");
            "internal error; the server log has the details".to_owned()
        } else {
            self.to_string()
        };
        let errors = match &self {
            Self::InvalidBody(list) => Some(
                list.iter()
                    .map(|p| FieldError {
                        pointer: Some(&p.pointer),
                        row: None,
                        column: None,
                        value: None,
                        detail: &p.detail,
                    })
                    .collect(),
            ),
            Self::InvalidRows { problems, .. } => Some(
                problems
                    .iter()
                    .map(|p| FieldError {
                        pointer: None,
                        row: Some(p.row),
                        column: p.column,
                        value: p.value.as_deref(),
                        detail: &p.detail,
                    })
                    .collect(),
            ),
            _ => None,
        };
        let body = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: &detail,
            errors,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            json,
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            let secs = if matches!(self, Self::NotReady(_)) {
                NOT_READY_RETRY_AFTER_SECS
            } else {
                RETRY_AFTER_SECS
            };
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static(secs));
        }
        response
    }
}
