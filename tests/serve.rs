//! `frontline serve` as a process: it announces its real address, answers, shuts down cleanly
//! on SIGTERM, and refuses to start on invalid data with the full report.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::path::Path;

use common::server::Server;

#[test]
fn serves_the_shipped_data_and_stops_cleanly_on_sigterm() {
    let mut server = Server::start();
    assert_ne!(server.port, 0, "port 0 must be replaced by the real port");
    let health = server.get_json("/healthz");
    assert_eq!(health["status"], "ok");
    let answer = server.get_json("/api/query?lon=36.33867&lat=35.68482&at=2015-08-20");
    assert_eq!(answer["regions"][0]["id"], "ghab-plain");
    let (status, body) = server.get("/api/query?lon=36&lat=95");
    assert!(status.contains(" 400 "), "{status} {body}");
    let (status, body) = server.get("/");
    assert!(
        status.contains(" 200 ") && body.contains("main.js"),
        "{status} {body}"
    );
    let exit = server.terminate();
    assert!(
        exit.success(),
        "exit {exit:?}; stderr:\n{}",
        server.stderr()
    );
}

#[test]
fn refuses_to_start_on_invalid_data_with_the_report_on_stderr() {
    let broken = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken");
    let mut server = Server::spawn(&broken);
    let exit = server.wait();
    assert_eq!(exit.code(), Some(1), "stderr:\n{}", server.stderr());
    let stderr = server.stderr();
    assert!(
        stderr.contains(
            "regions.geojson: feature \"ghab-plain\": history[1].from 2015-13-01 is not a date"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("events.geojson: feature \"somewhere\""),
        "every file is reported: {stderr}"
    );
}

#[test]
fn an_address_in_use_is_a_usage_error() {
    let first = Server::start();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["serve", "--addr", &format!("127.0.0.1:{}", first.port)])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("FRONTLINE_DATA")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "frontline: cannot listen on 127.0.0.1:{}",
            first.port
        )),
        "{stderr}"
    );
}
