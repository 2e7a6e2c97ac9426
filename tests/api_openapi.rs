//! The OpenAPI 3.1 document the router serves at `/api/openapi.json`, generated from the code:
//! valid, self-consistent, and true to the server. Every check reads the served document and
//! drives the same router with what the document says; none keeps its own list of routes.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Reply, editable, get, send, shipped};
use frontline::http::{AppState, MAX_BATCH_POINTS, app};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The media type the document is served with.
const MEDIA_TYPE: &str = "application/vnd.oai.openapi+json;version=3.1";

/// The operation keys of an OpenAPI path item.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The token of the `editor` of [`editable`].
const TOKEN: &str = "t0ken";

/// The document, as the router serves it.
async fn document(router: Router) -> Value {
    let reply = send(router, get("/api/openapi.json"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(reply.header(header::CONTENT_TYPE), MEDIA_TYPE);
    reply.json()
}

/// An editable server whose change log holds change 1, so that every id the document gives
/// as an example exists.
async fn server_with_a_change() -> AppState {
    let state = editable().await;
    let entry = json!({"from": "2015-08-15", "status": "held", "factions": ["government"],
        "note": "Test entry.",
        "sources": [{"title": "A report", "url": "https://example.org/r", "published": "2015-08-15"}]});
    let req = Request::post("/api/regions/ghab-plain/control")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::from(entry.to_string()))
        .unwrap();
    send(app(state.clone()), req)
        .await
        .expect(StatusCode::CREATED);
    state
}

/// Every operation of the document: its path, method and operation object.
fn operations(doc: &Value) -> Vec<(&str, &'static str, &Value)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .into_iter()
                .filter_map(move |method| Some((path.as_str(), method, item.get(method)?)))
        })
        .collect()
}

/// Follows a local `$ref` (`#/components/...`), or returns `value` itself.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').unwrap();
            doc.pointer(pointer)
                .unwrap_or_else(|| panic!("{reference} does not resolve"))
        }
        None => value,
    }
}

/// An operation's parameters, references resolved.
fn parameters<'a>(doc: &'a Value, op: &'a Value) -> Vec<&'a Value> {
    op["parameters"]
        .as_array()
        .map(|list| list.iter().map(|p| resolve(doc, p)).collect())
        .unwrap_or_default()
}

/// The names of an operation's query parameters.
fn query_parameters<'a>(doc: &'a Value, op: &'a Value) -> BTreeSet<&'a str> {
    parameters(doc, op)
        .into_iter()
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap())
        .collect()
}

/// `path` with each `{name}` replaced by a real id: the parameter's example, or else the first
/// value its schema lists.
fn concrete(doc: &Value, path: &str, method: &str, op: &Value) -> String {
    parameters(doc, op)
        .into_iter()
        .filter(|p| p["in"] == "path")
        .fold(path.to_owned(), |uri, p| {
            let name = p["name"].as_str().unwrap();
            let schema = resolve(doc, &p["schema"]);
            let value = p
                .get("example")
                .or_else(|| schema["enum"].get(0))
                .unwrap_or_else(|| {
                    panic!("{method} {path}: path parameter {name} has no example or enum to take a real id from")
                });
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            uri.replace(&format!("{{{name}}}"), &text)
        })
}

/// Whether the operation declares that it needs a token.
fn secured(op: &Value) -> bool {
    op.get("security").is_some()
}

/// The request a client following the document sends to `uri`: with the editor's bearer token
/// when `token`, and an empty JSON object as the body when the operation takes one.
fn request(method: &str, uri: &str, op: &Value, token: bool) -> Request<Body> {
    let mut req = Request::builder()
        .method(method.to_ascii_uppercase().as_str())
        .uri(uri)
        .header(header::HOST, "example.test");
    if token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    }
    if op.get("requestBody").is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
        return req.body(Body::from("{}")).unwrap();
    }
    req.body(Body::empty()).unwrap()
}

/// The detail of the problem the server answered for a query parameter it does not take.
fn refusal(reply: &Reply) -> Option<String> {
    if reply.status != StatusCode::BAD_REQUEST {
        return None;
    }
    let detail = reply.json()["detail"].as_str()?.to_owned();
    detail.contains("unknown query parameter").then_some(detail)
}

/// The parameters a refusal says the server takes instead: ``unknown query parameter `x`,
/// expected one of `a`, `b` `` gives `a` and `b`.
fn expected_instead(refusal: &str) -> BTreeSet<&str> {
    let (_, expected) = refusal
        .split_once("expected")
        .unwrap_or_else(|| panic!("{refusal:?} does not say what is expected"));
    expected.split('`').skip(1).step_by(2).collect()
}

/// Every `$ref` anywhere in `value`, with the JSON pointer where it occurs.
fn refs(value: &Value, at: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                if key == "$ref" {
                    found.push((here, child.as_str().unwrap_or("<not a string>").to_owned()));
                } else {
                    refs(child, &here, found);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                refs(child, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn is_openapi_3_1_with_ids_summaries_and_tags_for_every_operation() {
    let doc = document(shipped()).await;
    let version = doc["openapi"].as_str().unwrap();
    assert!(
        version.starts_with("3.1."),
        "openapi is {version}, not 3.1.x"
    );
    assert_eq!(doc["info"]["title"], "frontline");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["servers"], json!([{"url": "/"}]));
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        BTreeSet::from(["Editing", "OGC API – Features", "Queries", "Service"])
    );
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "LandingPage",
        "Link",
        "Conformance",
        "Collections",
        "Collection",
        "Extent",
        "FeatureCollection",
        "Feature",
        "Feature_RegionProperties",
        "Feature_PeriodProperties",
        "Feature_StatementPeriodProperties",
        "Feature_EventProperties",
        "ControlAnswer",
        "ControlEntry",
        "Source",
        "PointAnswer",
        "BatchRequest",
        "BatchAnswer",
        "Timeline",
        "Stats",
        "Health",
        "Problem",
        "Change",
        "ChangeList",
        "Unchanged",
        "WhoAmI",
    ] {
        assert!(
            schemas.contains_key(name),
            "components/schemas/{name} is missing"
        );
    }

    let mut ids = BTreeSet::new();
    for (path, method, op) in operations(&doc) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(ids.insert(id), "operationId {id} is used twice");
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{method} {path} has no summary"
        );
        let op_tags = op["tags"].as_array().unwrap();
        assert_eq!(op_tags.len(), 1, "{method} {path} has one tag");
        assert!(
            tags.contains(op_tags[0].as_str().unwrap()),
            "{method} {path}: unknown tag {}",
            op_tags[0]
        );
        assert!(
            ["200", "201"]
                .iter()
                .any(|code| op["responses"].get(code).is_some()),
            "{method} {path} has no 200 or 201 response"
        );
    }
    for (path, methods) in [
        ("/", "get"),
        ("/healthz", "get"),
        ("/places.geojson", "get"),
        ("/api/openapi.json", "get"),
    ] {
        assert!(
            doc["paths"][path].get(methods).is_some(),
            "{methods} {path} is not described"
        );
    }
}

#[tokio::test]
#[allow(clippy::print_stderr, reason = "says why the check was skipped")]
async fn passes_openapi_spec_validator() {
    let available = Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !available {
        let hint = "openapi-spec-validator is not installed; `pip install openapi-spec-validator` \
                    to check the served document against the OpenAPI 3.1 schema";
        assert!(std::env::var_os("CI").is_none(), "{hint}");
        eprintln!("skipped: {hint}");
        return;
    }
    let body = send(shipped(), get("/api/openapi.json"))
        .await
        .expect(StatusCode::OK)
        .body;
    let mut child = Command::new("python3")
        .args(["-m", "openapi_spec_validator", "--schema", "3.1", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator rejects the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_answers_a_documented_status() {
    let state = server_with_a_change().await;
    let doc = document(app(state.clone())).await;
    for (path, method, op) in operations(&doc) {
        let uri = concrete(&doc, path, method, op);
        // Only the status is read: the change stream's body never ends.
        let status = app(state.clone())
            .oneshot(request(method, &uri, op, secured(op)))
            .await
            .unwrap()
            .status();
        // A 4xx such as 422 for the empty JSON body is fine: the route exists and its handler
        // ran. 404 and 405 would mean the router lacks the documented route.
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri} (documented as {path}) answers {status}"
        );
        assert!(
            op["responses"].get(status.as_str()).is_some(),
            "{method} {uri} answers {status}, which {path} does not document"
        );
    }
}

#[tokio::test]
async fn exactly_the_documented_query_parameters_are_accepted() {
    let state = server_with_a_change().await;
    let doc = document(app(state.clone())).await;
    for (path, method, op) in operations(&doc) {
        let uri = concrete(&doc, path, method, op);
        let documented = query_parameters(&doc, op);
        // "x" is no valid value of any parameter: each request is refused for its value, if at
        // all, and writes nothing.
        for name in &documented {
            let reply = send(
                app(state.clone()),
                request(method, &format!("{uri}?{name}=x"), op, secured(op)),
            )
            .await;
            assert_eq!(
                refusal(&reply),
                None,
                "{method} {path} documents {name} but refuses it"
            );
        }
        let reply = send(
            app(state.clone()),
            request(method, &format!("{uri}?undocumented=x"), op, secured(op)),
        )
        .await;
        if documented.is_empty() {
            // An operation without query parameters does not read the query string at all.
            assert_eq!(
                refusal(&reply),
                None,
                "{method} {path} documents no query parameter, yet reads them"
            );
        } else {
            let refusal = refusal(&reply).unwrap_or_else(|| {
                panic!(
                    "{method} {path} accepts a query parameter it does not document ({}): {}",
                    reply.status,
                    reply.text()
                )
            });
            assert_eq!(
                expected_instead(&refusal),
                documented,
                "{method} {path}: the parameters the server takes are not the documented ones"
            );
        }
    }
}

#[tokio::test]
async fn parameters_are_described_as_the_server_reads_them() {
    let doc = document(shipped()).await;
    for (path, method, op) in operations(&doc) {
        let declared = parameters(&doc, op);
        for p in &declared {
            let name = p["name"].as_str().unwrap();
            assert!(
                p["description"].as_str().is_some() || p["schema"]["description"].is_string(),
                "{method} {path}: parameter {name} has no description"
            );
            if p["in"] == "path" {
                assert!(
                    path.contains(&format!("{{{name}}}")),
                    "{path} lacks {{{name}}}"
                );
                assert_eq!(p["required"], true, "path parameter {name} of {path}");
            }
            if name == "f" {
                let formats = if (path, method) == ("/api/query", "post") {
                    json!(["json", "geojson", "csv", "geojsonseq"])
                } else {
                    json!(["json", "geojson"])
                };
                assert_eq!(p["schema"]["enum"], formats, "{method} {path}");
            }
        }
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(['{', '}']);
            assert!(
                declared
                    .iter()
                    .any(|p| p["in"] == "path" && p["name"] == name),
                "{method} {path} does not declare its path parameter {name}"
            );
        }
    }
    let items = &doc["paths"]["/api/collections/{collectionId}/items"]["get"];
    let items = |name: &str| {
        parameters(&doc, items)
            .into_iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("items lacks {name}"))
    };
    let limit = &items("limit")["schema"];
    assert_eq!(
        (
            &limit["type"],
            &limit["minimum"],
            &limit["default"],
            &limit["maximum"]
        ),
        (
            &Value::from("integer"),
            &Value::from(1),
            &Value::from(100),
            &Value::from(10_000)
        )
    );
    let bbox = items("bbox");
    assert_eq!(
        (&bbox["style"], &bbox["explode"]),
        (&Value::from("form"), &Value::from(false))
    );
    assert_eq!(bbox["schema"]["type"], "array");
    assert_eq!(bbox["schema"]["minItems"], 4);
    assert_eq!(bbox["schema"]["maxItems"], 6);
    assert_eq!(items("at")["schema"]["format"], "date");
    let batch = &doc["components"]["schemas"]["BatchRequest"]["properties"]["features"];
    assert_eq!(batch["maxItems"], MAX_BATCH_POINTS);
}

#[tokio::test]
async fn every_ref_resolves() {
    let doc = document(shipped()).await;
    let mut found = Vec::new();
    refs(&doc, "#", &mut found);
    assert!(!found.is_empty());
    for (at, reference) in &found {
        let pointer = reference
            .strip_prefix("#/components/")
            .unwrap_or_else(|| panic!("{at}: {reference} is not a local component reference"));
        assert!(
            doc.pointer(&format!("/components/{pointer}")).is_some(),
            "{at}: {reference} does not resolve"
        );
    }
}

#[tokio::test]
async fn error_responses_are_problems_and_bodies_have_their_media_types() {
    let doc = document(shipped()).await;
    for (path, method, op) in operations(&doc) {
        for (code, response) in op["responses"].as_object().unwrap() {
            let response = resolve(&doc, response);
            let content = response.get("content");
            match code.as_bytes()[0] {
                b'4' | b'5' => {
                    let media = &content.unwrap()["application/problem+json"];
                    assert_eq!(
                        media["schema"]["$ref"], "#/components/schemas/Problem",
                        "{method} {path} {code}"
                    );
                    assert_eq!(content.unwrap().as_object().unwrap().len(), 1);
                }
                b'3' => assert!(content.is_none(), "{method} {path} {code} has a body"),
                _ => assert!(content.is_some(), "{method} {path} {code} has no body"),
            }
        }
    }
    let paths = &doc["paths"];
    let media_types = |path: &str, method: &str, code: &str| -> BTreeSet<String> {
        let response = resolve(&doc, &paths[path][method]["responses"][code]);
        response["content"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        resolve(&doc, &paths["/api/query"]["post"]["responses"]["200"])["content"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        BTreeSet::from(["application/json", "text/csv", "application/geo+json-seq"]),
        "POST /api/query answers in three formats"
    );
    for (path, code, media_type) in [
        ("/", "200", "text/html"),
        ("/places.geojson", "200", "application/geo+json"),
        (
            "/api/collections/{collectionId}/items",
            "200",
            "application/geo+json",
        ),
        (
            "/api/collections/{collectionId}/items/{featureId}",
            "200",
            "application/geo+json",
        ),
        ("/api/collections", "200", "application/json"),
        ("/api/query", "200", "application/json"),
        ("/api/changes/stream", "200", "text/event-stream"),
        ("/api/openapi.json", "200", MEDIA_TYPE),
    ] {
        assert_eq!(
            media_types(path, "get", code),
            BTreeSet::from([media_type.to_owned()]),
            "GET {path} {code}"
        );
    }
    let items = &paths["/api/collections/{collectionId}/items"]["get"]["responses"];
    for code in ["304", "400", "404", "500", "503"] {
        assert!(items.get(code).is_some(), "items lacks {code}");
    }
    let batch = &paths["/api/query"]["post"];
    for code in ["400", "406", "413", "415", "422"] {
        assert!(
            batch["responses"].get(code).is_some(),
            "POST /api/query lacks {code}"
        );
    }
    let too_large = resolve(&doc, &batch["responses"]["413"]);
    assert!(
        too_large["description"]
            .as_str()
            .unwrap()
            .contains(&MAX_BATCH_POINTS.to_string()),
        "413 names the batch limit"
    );
    let body = &batch["requestBody"]["content"];
    for media_type in ["application/geo+json", "application/json"] {
        assert_eq!(
            body[media_type]["schema"]["$ref"],
            "#/components/schemas/BatchRequest"
        );
    }
    assert_eq!(body["text/csv"]["schema"]["type"], "string");
}

#[tokio::test]
async fn exactly_the_operations_that_need_a_token_declare_bearer_security() {
    let state = server_with_a_change().await;
    let doc = document(app(state.clone())).await;
    let scheme = &doc["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"]),
        (&Value::from("http"), &Value::from("bearer"))
    );
    assert!(doc.get("security").is_none(), "reads need no token");
    for (path, method, op) in operations(&doc) {
        let uri = concrete(&doc, path, method, op);
        // Without a token, an operation that needs one answers 401 whatever else is wrong.
        let status = app(state.clone())
            .oneshot(request(method, &uri, op, false))
            .await
            .unwrap()
            .status();
        let needs_token = status == StatusCode::UNAUTHORIZED;
        assert_eq!(
            secured(op),
            needs_token,
            "{method} {path} answers {status} without a token, but its security is {}",
            op["security"]
        );
        if needs_token {
            assert_eq!(
                op["security"],
                json!([{"bearerAuth": []}]),
                "{method} {path}"
            );
            let responses = &op["responses"];
            for code in ["401", "403"] {
                assert!(
                    responses.get(code).is_some(),
                    "{method} {path} lacks {code}"
                );
            }
            let unauthorized = resolve(&doc, &responses["401"]);
            assert!(
                unauthorized["headers"].get("WWW-Authenticate").is_some(),
                "{method} {path}: 401 without WWW-Authenticate"
            );
        }
        if op["responses"].get("201").is_some() {
            assert!(secured(op), "{method} {path} writes without a token");
        }
    }
}

#[tokio::test]
async fn writes_take_json_bodies_and_answer_with_changes() {
    let doc = document(shipped()).await;
    for (path, method, op) in operations(&doc) {
        if let Some(created) = op["responses"].get("201") {
            let created = resolve(&doc, created);
            assert!(
                created["headers"].get("Location").is_some(),
                "{method} {path}"
            );
            assert_eq!(
                created["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/Change",
                "{method} {path}"
            );
        }
    }
    let paths = &doc["paths"];
    let control = &paths["/api/regions/{regionId}/control"]["post"];
    for code in ["200", "201", "400", "404", "413", "415", "422"] {
        assert!(
            control["responses"].get(code).is_some(),
            "control lacks {code}"
        );
    }
    let event = &paths["/api/collections/{collectionId}/items"]["post"];
    for code in ["201", "405", "422"] {
        assert!(event["responses"].get(code).is_some(), "event lacks {code}");
    }
    for (op, schema) in [
        (control, "ControlEntry"),
        (event, "Feature_EventProperties"),
    ] {
        for media_type in ["application/json", "application/geo+json"] {
            assert_eq!(
                op["requestBody"]["content"][media_type]["schema"]["$ref"],
                format!("#/components/schemas/{schema}")
            );
        }
    }
    let revert = &paths["/api/changes/{changeId}/revert"]["post"]["responses"];
    for code in ["201", "404", "409"] {
        assert!(revert.get(code).is_some(), "revert lacks {code}");
    }

    let change = &doc["components"]["schemas"]["Change"];
    let required: BTreeSet<&str> = change["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        required,
        BTreeSet::from([
            "after", "author", "before", "id", "key", "kind", "target", "time"
        ])
    );
    let properties = &change["properties"];
    assert_eq!(
        resolve(&doc, &properties["kind"])["enum"],
        json!(["control", "event", "area", "revert"])
    );
    assert_eq!(properties["time"]["format"], "date-time");
    assert_eq!(properties["reverts"]["type"], json!(["integer", "null"]));
}

#[tokio::test]
async fn description_covers_the_behaviour_clients_rely_on() {
    let doc = document(shipped()).await;
    let text = doc["info"]["description"].as_str().unwrap();
    for needle in [
        "`control`",
        "`at`",
        "UTC",
        "contested",
        "front line",
        "ETag",
        "304",
        "gzip",
        "CORS",
        "FRONTLINE_TOKEN",
        "--token-file",
        "read-only",
        "Bearer",
        "100,000",
    ] {
        assert!(
            text.contains(needle),
            "info.description does not mention {needle}"
        );
    }
}

#[tokio::test]
async fn the_document_is_built_once_and_takes_only_f() {
    let first = send(shipped(), get("/api/openapi.json"))
        .await
        .expect(StatusCode::OK);
    let again = send(shipped(), get("/api/openapi.json?f=json"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(first.body, again.body, "the same document every time");
    send(shipped(), get("/api/openapi.json?f=yaml"))
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "parameter f");
    let landing = send(shipped(), get("/api")).await.json();
    let service_desc = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "service-desc")
        .unwrap();
    assert_eq!(service_desc["type"], MEDIA_TYPE);
    assert_eq!(service_desc["href"], "http://example.test/api/openapi.json");
}
