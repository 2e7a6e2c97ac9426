//! A change log written by an earlier frontline replays to the same data today.
//!
//! `tests/fixtures/log-3a5cc6c/frontline.db` was written by the server of commit 3a5cc6c,
//! before the form of a change was versioned (its `make.sh` says how): additions, replacements,
//! reverts of additions and of replacements, a revert of a revert and a forced revert, of
//! history entries and events. `expected/` is what that commit's `frontline export` wrote from
//! it. Today's binary, migrating a copy of the database, must export exactly the same files.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURE: &str = "tests/fixtures/log-3a5cc6c";
const FILES: [&str; 4] = [
    "factions.json",
    "regions.geojson",
    "events.geojson",
    "places.geojson",
];

fn scratch(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("frontline-replay-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn frontline(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("FRONTLINE_DATA")
        .env_remove("FRONTLINE_DB")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn the_log_of_commit_3a5cc6c_replays_to_the_data_it_exported() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = scratch("export");
    // Opening migrates the schema: never on the committed file.
    let db = dir.join("frontline.db");
    std::fs::copy(root.join(FIXTURE).join("frontline.db"), &db).unwrap();
    let out = dir.join("out");
    frontline(&[
        "export".as_ref(),
        "--data".as_ref(),
        "tests/fixtures/valid".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    for name in FILES {
        let expected =
            std::fs::read_to_string(root.join(FIXTURE).join("expected").join(name)).unwrap();
        let written = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(
            written == expected,
            "{name} differs from expected/{name}:\n{written}"
        );
    }
    // And a point query over the replayed log answers from it: the forced revert removed the
    // 2013-06-01 entry of `big`, the revert of change 2 restored the file's 2015-08-11 one.
    let answer = |at: &str| {
        let out = frontline(&[
            "query".as_ref(),
            "--lon".as_ref(),
            "1.5".as_ref(),
            "--lat".as_ref(),
            "1.5".as_ref(),
            "--at".as_ref(),
            at.as_ref(),
            "--data".as_ref(),
            "tests/fixtures/valid".as_ref(),
            "--db".as_ref(),
            db.as_os_str(),
        ]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["control"]["since"].clone()
    };
    assert_eq!(answer("2013-07-01"), "2011-03-01");
    assert_eq!(answer("2015-08-20"), "2015-08-11");
    std::fs::remove_dir_all(&dir).unwrap();
}
