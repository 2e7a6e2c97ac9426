//! GDAL's OAPIF driver against the real `frontline serve`: layer listing, feature counts,
//! paging through `next` links, and export to GPKG files.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use common::server::Server;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const LAYERS: [&str; 6] = [
    "regions",
    "events",
    "control-periods",
    "control",
    "control-statements",
    "front-lines",
];
/// The layers read feature by feature with `PAGE_SIZE=1` on the shipped data.
const PAGED: [&str; 3] = ["regions", "events", "control-periods"];
const INSTALL: &str = "GDAL's ogrinfo and ogr2ogr are not on PATH: `apt-get install gdal-bin`";

/// Whether GDAL's tools are installed. Without them the tests fail under CI and skip elsewhere.
#[allow(
    clippy::print_stderr,
    reason = "tell a developer why the test did nothing"
)]
fn gdal_available() -> bool {
    let runs = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if runs("ogrinfo") && runs("ogr2ogr") {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "{INSTALL}");
    eprintln!("skipped: {INSTALL}");
    false
}

/// What `/api/collections/{layer}/items` says the collection holds.
fn number_matched(server: &Server, layer: &str) -> u64 {
    let page = server.get_json(&format!("/api/collections/{layer}/items"));
    page["numberMatched"].as_u64().unwrap()
}

/// Every feature of a collection in one page, in the API's order.
fn all_features(server: &Server, layer: &str) -> Vec<Value> {
    let page = server.get_json(&format!("/api/collections/{layer}/items?limit=10000"));
    assert_eq!(page["numberReturned"], page["numberMatched"], "{layer}");
    page["features"].as_array().unwrap().clone()
}

/// The dataset name GDAL opens.
fn oapif(server: &Server) -> String {
    format!("OAPIF:{}/api", server.url())
}

/// Runs a GDAL tool, asserting it succeeds; returns its stdout.
fn gdal(tool: &str, args: &[&str]) -> String {
    let out: Output = Command::new(tool)
        .args(args)
        // A proxy in the environment must not swallow requests to our loopback server.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .output()
        .unwrap_or_else(|e| panic!("{tool} runs: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `Layer name` → `Feature Count` from `ogrinfo -so` output.
fn feature_counts(ogrinfo: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    let mut layer = None;
    for line in ogrinfo.lines() {
        if let Some(name) = line.strip_prefix("Layer name: ") {
            layer = Some(name.trim().to_owned());
        } else if let Some(count) = line.strip_prefix("Feature Count: ") {
            let name = layer
                .take()
                .expect("a Feature Count follows its Layer name");
            counts.insert(name, count.trim().parse().unwrap());
        }
    }
    counts
}

/// Asserts GDAL lists exactly our six layers, each with the API's `numberMatched`.
fn assert_counts_match(server: &Server, extra: &[&str]) {
    let dataset = oapif(server);
    let mut args = vec!["-ro", "-al", "-so"];
    args.extend_from_slice(extra);
    args.push(&dataset);
    let info = gdal("ogrinfo", &args);
    let counts = feature_counts(&info);
    let mut names: Vec<&str> = counts.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut expected = LAYERS.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected, "{info}");
    for layer in LAYERS {
        assert_eq!(
            counts[layer],
            number_matched(server, layer),
            "Feature Count of {layer}:\n{info}"
        );
    }
}

/// Rows of a CSV with simple, unquoted fields (ids, statuses, dates), header dropped.
fn csv_rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split(',')
                .map(|f| f.trim_matches('"').to_owned())
                .collect()
        })
        .collect()
}

/// A fresh, uniquely named scratch directory under `target/`.
fn scratch(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("gdal-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A property as GDAL's CSV driver writes it: null as empty, dates with slashes.
fn as_csv(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.replace('-', "/"),
        other => other.to_string(),
    }
}

#[test]
fn ogrinfo_lists_every_layer_with_the_api_feature_count() {
    if !gdal_available() {
        return;
    }
    let server = Server::start();
    assert_counts_match(&server, &[]);
}

#[test]
fn ogrinfo_follows_next_links_with_one_feature_per_page() {
    if !gdal_available() {
        return;
    }
    let server = Server::start();
    assert_counts_match(&server, &["-oo", "PAGE_SIZE=1"]);
    // `-so` counts from numberMatched alone; reading every feature makes GDAL walk the pages.
    for layer in PAGED {
        assert_read_page_by_page(&server, layer);
    }
}

#[test]
fn ogrinfo_reads_the_control_map_its_periods_statements_and_front_lines() {
    if !gdal_available() {
        return;
    }
    // Today, in the v2 fixture: the big square contested, its eastern quarter held by red.
    let server =
        Server::start_with(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v2"));
    assert_counts_match(&server, &[]);
    for layer in [
        "control",
        "control-statements",
        "front-lines",
        "control-periods",
    ] {
        assert!(
            !all_features(&server, layer).is_empty(),
            "{layer} has features"
        );
        assert_read_page_by_page(&server, layer);
    }
    let fronts = all_features(&server, "front-lines");
    assert_eq!(
        fronts[0]["properties"]["sides"],
        serde_json::json!(["red", "contested"])
    );
}

/// Asserts that ogr2ogr, reading `layer` one feature per page, gets every id in the API's order.
fn assert_read_page_by_page(server: &Server, layer: &str) {
    let dataset = oapif(server);
    let csv = gdal(
        "ogr2ogr",
        &[
            "-f",
            "CSV",
            "/vsistdout/",
            "-oo",
            "PAGE_SIZE=1",
            "-select",
            "id",
            &dataset,
            layer,
        ],
    );
    let got: Vec<String> = csv_rows(&csv).into_iter().map(|r| r[0].clone()).collect();
    let want: Vec<String> = all_features(server, layer)
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, want, "{layer} read one feature per page");
}

/// Copies `layer` into a fresh GPKG file with ogr2ogr; returns its directory and path.
fn export_gpkg(server: &Server, layer: &str) -> (PathBuf, String) {
    let dir = scratch(layer);
    let gpkg = dir
        .join(format!("{layer}.gpkg"))
        .to_str()
        .unwrap()
        .to_owned();
    gdal("ogr2ogr", &["-f", "GPKG", &gpkg, &oapif(server), layer]);
    (dir, gpkg)
}

/// Rows of an SQL query on a GPKG file, through ogr2ogr's CSV driver.
fn gpkg_rows(gpkg: &str, sql: &str) -> (Vec<Vec<String>>, String) {
    let csv = gdal("ogr2ogr", &["-f", "CSV", "/vsistdout/", gpkg, "-sql", sql]);
    (csv_rows(&csv), csv)
}

#[test]
fn ogr2ogr_exports_regions_to_geopackage() {
    if !gdal_available() {
        return;
    }
    let server = Server::start();
    let (dir, gpkg) = export_gpkg(&server, "regions");
    let (mut got, csv) = gpkg_rows(&gpkg, "SELECT id, status FROM regions");
    let mut want: Vec<Vec<String>> = all_features(&server, "regions")
        .iter()
        .map(|f| {
            vec![
                f["id"].as_str().unwrap().to_owned(),
                f["properties"]["status"].as_str().unwrap().to_owned(),
            ]
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(want.len(), 5);
    assert_eq!(got, want, "{csv}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ogr2ogr_exports_control_periods_with_their_validity() {
    if !gdal_available() {
        return;
    }
    let server = Server::start();
    let (dir, gpkg) = export_gpkg(&server, "control-periods");
    let info = gdal("ogrinfo", &["-ro", "-so", &gpkg, "control-periods"]);
    assert_eq!(
        feature_counts(&info).get("control-periods").copied(),
        Some(number_matched(&server, "control-periods")),
        "{info}"
    );
    for field in ["valid_from: Date", "valid_to: Date"] {
        assert!(
            info.lines().any(|l| l.starts_with(field)),
            "{field}?\n{info}"
        );
    }
    let (mut got, csv) = gpkg_rows(
        &gpkg,
        "SELECT id, valid_from, valid_to FROM \"control-periods\"",
    );
    let mut want: Vec<Vec<String>> = all_features(&server, "control-periods")
        .iter()
        .map(|f| {
            let p = &f["properties"];
            vec![
                f["id"].as_str().unwrap().to_owned(),
                as_csv(&p["valid_from"]),
                as_csv(&p["valid_to"]),
            ]
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{csv}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ogr2ogr_reads_the_batch_answer_as_a_geojson_sequence() {
    if !gdal_available() {
        return;
    }
    let server = Server::start();
    // Seeded points around the Ghab, inside and outside the regions, each on its own date.
    let mut seed: u64 = 7;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 11
    };
    let features: Vec<Value> = (0..200)
        .map(|i| {
            let lon = 35.8 + (next() % 1_000_000) as f64 / 1e6;
            let lat = 35.2 + (next() % 1_000_000) as f64 / 1e6;
            let year = 2011 + next() % 14;
            serde_json::json!({"type": "Feature", "id": format!("p{i}"),
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"date": format!("{year}-06-01")}})
        })
        .collect();
    let body = serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
    let ask = |accept: &str| {
        let reply = common::server::post_batch(
            server.port,
            "/api/query",
            "application/geo+json",
            Some(accept),
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        reply
    };
    let results = ask("application/json").json()["results"].clone();
    let dir = scratch("batch");
    let file = dir.join("batch.geojsons");
    std::fs::write(&file, ask("application/geo+json-seq").body).unwrap();
    let file = file.to_str().unwrap();

    let info = gdal("ogrinfo", &["-ro", "-al", "-so", file]);
    assert_eq!(
        feature_counts(&info).get("batch").copied(),
        Some(200),
        "{info}"
    );
    let copy = gdal("ogr2ogr", &["-f", "GeoJSON", "/vsistdout/", file]);
    let copy: Value = serde_json::from_str(&copy).unwrap();
    let read = copy["features"].as_array().unwrap();
    assert_eq!(read.len(), 200);
    for (feature, result) in read.iter().zip(results.as_array().unwrap()) {
        let p = &feature["properties"];
        assert_eq!(p["id"], result["id"], "{feature}");
        assert_eq!(p["at"], result["at"], "{feature}");
        // GDAL writes coordinates to 7 decimals.
        let read = &feature["geometry"]["coordinates"];
        for (i, axis) in ["lon", "lat"].into_iter().enumerate() {
            let (got, sent) = (
                read[i].as_f64().unwrap(),
                result["point"][axis].as_f64().unwrap(),
            );
            assert!((got - sent).abs() < 1e-7, "{axis}: {got} vs {sent}");
        }
        // GDAL keeps nested objects as JSON fields.
        let control = match &p["control"] {
            Value::String(text) => serde_json::from_str(text).unwrap(),
            other => other.clone(),
        };
        assert_eq!(control["status"], result["control"]["status"], "{feature}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
