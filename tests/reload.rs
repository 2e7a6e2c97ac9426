//! Hot reload of the geodata files under the real server: a changed file is served without a
//! restart, an invalid one is refused with the report in the log while the old data stays
//! served, and SIGHUP reloads at once.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::server::{Server, remove_db, scratch_db};

/// A private copy of the two-square fixture, for the test named `label`.
fn copy_fixture(label: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let to = std::env::temp_dir().join(format!("frontline-reload-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&to);
    std::fs::create_dir_all(&to).unwrap();
    for name in ["factions.json", "regions.geojson", "events.geojson"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
    to
}

fn name_of_big(server: &Server) -> String {
    let feature = server.get_json("/api/collections/regions/items/big");
    feature["properties"]["name"].as_str().unwrap().to_owned()
}

/// Polls until the big square is called `name`, for up to 20 s.
fn wait_for_name(server: &Server, name: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if name_of_big(server) == name {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "still {:?} after 20 s; server stderr:\n{}",
        name_of_big(server),
        server.stderr()
    );
}

fn rename_big(dir: &Path, from: &str, to: &str) {
    let path = dir.join("regions.geojson");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from));
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

#[test]
fn changed_files_are_served_and_invalid_ones_refused() {
    let dir = copy_fixture("invalid");
    let server = Server::start_with(&dir);
    assert_eq!(name_of_big(&server), "Big square");

    rename_big(&dir, "Big square", "Renamed square");
    wait_for_name(&server, "Renamed square");

    let valid = std::fs::read_to_string(dir.join("regions.geojson")).unwrap();
    std::fs::write(
        dir.join("regions.geojson"),
        "{\"type\": \"FeatureCollection\", \"features\": [",
    )
    .unwrap();
    let start = Instant::now();
    while !server
        .stderr()
        .contains("regions.geojson: is not valid JSON")
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no report in the log:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        server.stderr().contains("keeping the old"),
        "{}",
        server.stderr()
    );
    assert_eq!(
        name_of_big(&server),
        "Renamed square",
        "the old data stays served"
    );

    // SIGHUP reloads at once (the watcher would too, a moment later).
    std::fs::write(
        dir.join("regions.geojson"),
        valid.replace("Renamed square", "Third name"),
    )
    .unwrap();
    let pid = server.pid().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    wait_for_name(&server, "Third name");
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Waits up to 20 s for `text` in the server's log.
fn wait_for_log(server: &Server, text: &str) {
    let start = Instant::now();
    while !server.stderr().contains(text) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no {text:?} in the log:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn files_over_the_geodata_limits_are_refused_and_the_old_data_stays_served() {
    let dir = copy_fixture("limits");
    let db = scratch_db("reload-limits");
    let regions = dir.join("regions.geojson");
    let bytes = std::fs::metadata(&regions).unwrap().len();
    let limit = (bytes + 100).to_string();
    let server = Server::start_editing_on(
        &dir,
        &db,
        &[
            ("FRONTLINE_MAX_DATA_FILE_BYTES", limit.as_str()),
            ("FRONTLINE_MAX_DATA_FILE_VERTICES", "10"),
        ],
    );
    assert_eq!(name_of_big(&server), "Big square");

    // Valid, but 200 bytes over the size limit: refused unread.
    let text = std::fs::read_to_string(&regions).unwrap();
    let padded = format!(
        "{}{}",
        text.replace("Big square", "Padded square"),
        " ".repeat(300)
    );
    std::fs::write(&regions, &padded).unwrap();
    wait_for_log(&server, "(--max-data-file-bytes); not read");
    assert!(
        server.stderr().contains("keeping the old"),
        "{}",
        server.stderr()
    );
    assert_eq!(
        name_of_big(&server),
        "Big square",
        "the old data stays served"
    );

    // Within the size limit, but one vertex over the vertex limit.
    let more = text
        .replacen("[[[0, 0], ", "[[[0, 0], [1, 0], ", 1)
        .replace("Big square", "Bigger square");
    assert!(more.len() as u64 <= bytes + 100);
    std::fs::write(&regions, &more).unwrap();
    wait_for_log(
        &server,
        "(--max-data-file-vertices): reading stopped at 11 vertices",
    );
    assert_eq!(
        name_of_big(&server),
        "Big square",
        "the old data stays served"
    );

    // Back within both limits: served.
    std::fs::write(&regions, text.replace("Big square", "Renamed square")).unwrap();
    wait_for_name(&server, "Renamed square");
    drop(server);
    remove_db(&db);
    std::fs::remove_dir_all(&dir).unwrap();
}
