//! The OpenAPI 3.0 document at `/api/openapi.json`: valid, complete, consistent with the
//! router and the query parameters each handler accepts, and served byte for byte.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const DOCUMENT: &str = include_str!("../src/http/openapi.json");
const DOCUMENT_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/openapi.json");

/// Every route of `frontline::http::app`, with its methods, in OpenAPI path syntax.
const ROUTES: [(&str, &[&str]); 17] = [
    ("/", &["get"]),
    ("/healthz", &["get"]),
    ("/api", &["get"]),
    ("/api/conformance", &["get"]),
    ("/api/collections", &["get"]),
    ("/api/collections/{collectionId}", &["get"]),
    ("/api/collections/{collectionId}/items", &["get", "post"]),
    (
        "/api/collections/{collectionId}/items/{featureId}",
        &["get"],
    ),
    ("/api/openapi.json", &["get"]),
    ("/api/query", &["get", "post"]),
    ("/api/timeline", &["get"]),
    ("/api/stats", &["get"]),
    ("/api/whoami", &["get"]),
    ("/api/regions/{regionId}/control", &["post"]),
    ("/api/changes", &["get"]),
    ("/api/changes/stream", &["get"]),
    ("/api/changes/{changeId}/revert", &["post"]),
];

/// The operations that write, each needing a bearer token (`src/http/edit.rs`).
const SECURED: [(&str, &str); 4] = [
    ("/api/whoami", "get"),
    ("/api/regions/{regionId}/control", "post"),
    ("/api/collections/{collectionId}/items", "post"),
    ("/api/changes/{changeId}/revert", "post"),
];

/// The query parameters each operation accepts, as `src/http/params.rs` `src/http/edit.rs` define them (`deny_unknown_fields` refuses every other name).
const QUERY_PARAMETERS: [(&str, &str, &[&str]); 19] = [
    ("/", "get", &[]),
    ("/healthz", "get", &[]),
    ("/api", "get", &["f"]),
    ("/api/conformance", "get", &["f"]),
    ("/api/collections", "get", &["f"]),
    ("/api/collections/{collectionId}", "get", &["f"]),
    (
        "/api/collections/{collectionId}/items",
        "get",
        &["limit", "offset", "bbox", "datetime", "at", "f"],
    ),
    (
        "/api/collections/{collectionId}/items/{featureId}",
        "get",
        &["at", "f"],
    ),
    ("/api/openapi.json", "get", &["f"]),
    ("/api/query", "get", &["lon", "lat", "at", "f"]),
    ("/api/query", "post", &["at", "f"]),
    ("/api/timeline", "get", &["f"]),
    ("/api/stats", "get", &["at", "f"]),
    ("/api/collections/{collectionId}/items", "post", &[]),
    ("/api/whoami", "get", &[]),
    ("/api/regions/{regionId}/control", "post", &[]),
    ("/api/changes", "get", &["since", "limit", "f"]),
    ("/api/changes/stream", "get", &["f"]),
    ("/api/changes/{changeId}/revert", "post", &["force"]),
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn document() -> Value {
    serde_json::from_str(DOCUMENT).unwrap()
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

#[test]
fn parses_as_openapi_3_0() {
    let spec: openapiv3::OpenAPI = serde_json::from_str(DOCUMENT).unwrap();
    assert!(
        spec.openapi.starts_with("3.0"),
        "openapi is {:?}, not 3.0.x",
        spec.openapi
    );
    assert_eq!(spec.info.title, "frontline");
    assert_eq!(spec.servers.len(), 1);
    assert_eq!(spec.servers[0].url, "/");
    let components = spec.components.unwrap();
    for name in [
        "LandingPage",
        "Link",
        "Conformance",
        "Collections",
        "Collection",
        "Extent",
        "FeatureCollection",
        "RegionFeature",
        "ControlPeriodFeature",
        "EventFeature",
        "Control",
        "HistoryEntry",
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
            components.schemas.contains_key(name),
            "components/schemas/{name} is missing"
        );
    }
}

#[test]
fn every_route_is_described_with_operation_ids() {
    let spec: openapiv3::OpenAPI = serde_json::from_str(DOCUMENT).unwrap();
    let tags: BTreeSet<&str> = spec.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        tags,
        BTreeSet::from(["Editing", "OGC API – Features", "Queries", "Service"])
    );
    let described: BTreeMap<&str, Vec<&str>> = spec
        .paths
        .iter()
        .map(|(path, item)| {
            let item = item.as_item().unwrap();
            (
                path.as_str(),
                item.iter().map(|(method, _)| method).collect(),
            )
        })
        .collect();
    let routes: BTreeMap<&str, Vec<&str>> = ROUTES
        .iter()
        .map(|&(path, methods)| (path, methods.to_vec()))
        .collect();
    assert_eq!(
        described, routes,
        "paths and methods differ from the router"
    );

    let mut ids = BTreeSet::new();
    for (path, method, op) in spec.operations() {
        let id = op
            .operation_id
            .as_deref()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(ids.insert(id), "operationId {id} is used twice");
        assert!(
            op.summary.as_deref().is_some_and(|s| !s.is_empty()),
            "{method} {path} has no summary"
        );
        assert!(!op.tags.is_empty(), "{method} {path} has no tag");
        for tag in &op.tags {
            assert!(
                tags.contains(tag.as_str()),
                "{method} {path}: unknown tag {tag}"
            );
        }
        assert!(
            [200, 201].into_iter().any(|code| op
                .responses
                .responses
                .contains_key(&openapiv3::StatusCode::Code(code))),
            "{method} {path} has no 200 or 201 response"
        );
    }
}

#[test]
fn every_ref_resolves() {
    let doc = document();
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

#[test]
fn error_responses_are_problems() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            for (code, response) in op["responses"].as_object().unwrap() {
                let response = resolve(&doc, response);
                let content = response.get("content");
                match code.as_bytes()[0] {
                    b'4' | b'5' if code != "503" => {
                        let media = &content.unwrap()["application/problem+json"];
                        assert_eq!(
                            media["schema"]["$ref"], "#/components/schemas/Problem",
                            "{method} {path} {code}"
                        );
                    }
                    b'3' => assert!(content.is_none(), "{method} {path} {code} has a body"),
                    _ => {}
                }
            }
        }
    }
    let items = &doc["paths"]["/api/collections/{collectionId}/items"]["get"]["responses"];
    for code in ["304", "400", "404"] {
        assert!(items.get(code).is_some(), "items lacks {code}");
    }
    let batch = &doc["paths"]["/api/query"]["post"]["responses"];
    for code in ["400", "413", "415", "422"] {
        assert!(batch.get(code).is_some(), "POST /api/query lacks {code}");
    }
    let body = &doc["paths"]["/api/query"]["post"]["requestBody"]["content"];
    for media_type in ["application/geo+json", "application/json"] {
        assert_eq!(
            body[media_type]["schema"]["$ref"],
            "#/components/schemas/BatchRequest"
        );
    }
}

#[test]
fn query_parameters_match_what_the_server_accepts() {
    let doc = document();
    for (path, method, expected) in QUERY_PARAMETERS {
        let item = &doc["paths"][path];
        let op = &item[method];
        assert!(op.is_object(), "{method} {path} is not described");
        let declared: Vec<&Value> = [&item["parameters"], &op["parameters"]]
            .into_iter()
            .filter_map(Value::as_array)
            .flatten()
            .map(|p| resolve(&doc, p))
            .collect();
        let query: BTreeSet<&str> = declared
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let expected: BTreeSet<&str> = expected.iter().copied().collect();
        assert_eq!(query, expected, "query parameters of {method} {path}");
        for p in &declared {
            if p["in"] == "path" {
                let name = p["name"].as_str().unwrap();
                assert!(
                    path.contains(&format!("{{{name}}}")),
                    "{path} lacks {{{name}}}"
                );
                assert_eq!(p["required"], true, "path parameter {name} of {path}");
            }
        }
        if let Some(f) = declared.iter().find(|p| p["name"] == "f") {
            assert_eq!(f["schema"]["enum"], serde_json::json!(["json", "geojson"]));
        }
    }
    let items: BTreeMap<&str, &Value> =
        doc["paths"]["/api/collections/{collectionId}/items"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| resolve(&doc, p))
            .map(|p| (p["name"].as_str().unwrap(), p))
            .collect();
    let limit = &items["limit"]["schema"];
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
    let bbox = items["bbox"];
    assert_eq!(
        (&bbox["style"], &bbox["explode"]),
        (&Value::from("form"), &Value::from(false))
    );
    assert_eq!(bbox["schema"]["type"], "array");
    assert_eq!(bbox["schema"]["minItems"], 4);
    assert_eq!(bbox["schema"]["maxItems"], 6);
    assert_eq!(items["at"]["schema"]["format"], "date");
}

#[test]
fn writes_need_a_bearer_token_and_answer_with_changes() {
    let doc = document();
    let scheme = &doc["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"]),
        (&Value::from("http"), &Value::from("bearer"))
    );
    assert!(doc.get("security").is_none(), "reads need no token");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let secured = SECURED.contains(&(path.as_str(), method));
            if secured {
                assert_eq!(
                    op["security"],
                    serde_json::json!([{"bearerAuth": []}]),
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
            } else {
                assert!(
                    op.get("security").is_none(),
                    "{method} {path} needs no token"
                );
            }
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
    for (op, schema) in [(control, "HistoryEntry"), (event, "EventFeature")] {
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            format!("#/components/schemas/{schema}")
        );
    }
    let revert = &paths["/api/changes/{changeId}/revert"]["post"]["responses"];
    for code in ["201", "404", "409"] {
        assert!(revert.get(code).is_some(), "revert lacks {code}");
    }
    let stream = &paths["/api/changes/stream"]["get"]["responses"]["200"]["content"];
    assert!(stream.get("text/event-stream").is_some());

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
        properties["kind"]["enum"],
        serde_json::json!(["control", "event", "revert"])
    );
    assert_eq!(properties["time"]["format"], "date-time");
    assert_eq!(properties["reverts"]["type"], "integer");
    for side in ["before", "after"] {
        assert_eq!(properties[side]["nullable"], true, "{side}");
    }
}

#[test]
fn description_covers_the_behaviour_clients_rely_on() {
    let doc = document();
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
    ] {
        assert!(
            text.contains(needle),
            "info.description does not mention {needle}"
        );
    }
}

#[test]
#[allow(clippy::print_stderr, reason = "says why the check was skipped")]
fn passes_openapi_spec_validator() {
    let available = Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !available {
        let hint = "openapi-spec-validator is not installed; `pip install openapi-spec-validator` \
                    to check src/http/openapi.json against the OpenAPI 3.0 schema";
        assert!(std::env::var_os("CI").is_none(), "{hint}");
        eprintln!("skipped: {hint}");
        return;
    }
    let out = Command::new("python3")
        .args([
            "-m",
            "openapi_spec_validator",
            "--schema",
            "3.0",
            DOCUMENT_PATH,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator rejects the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_router_serves_the_document() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let live = frontline::live::Live::new(frontline::geodata::load(dir.as_path()).unwrap());
    let state = frontline::http::AppState::new(live, frontline::http::Tokens::default());
    let response = frontline::http::app(state)
        .oneshot(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/vnd.oai.openapi+json;version=3.0"
    );
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(std::str::from_utf8(&body).unwrap(), DOCUMENT);
}
