//! `geodata::write_dir`: a written directory loads back as the same dataset, and the real
//! `frontline check` accepts it with the same warnings as its source.

#![allow(
    clippy::unwrap_used,
    reason = "a test should fail loudly at the first surprise"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use frontline::geodata::{self, Loaded, write_dir};
use frontline::model::{ControlEntry, ControlStatus, FactionId, Precision, Region, Source};

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "frontline-export-{}-{n}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn load(dir: &Path) -> Loaded {
    geodata::load(dir).unwrap_or_else(|report| panic!("{} does not load:\n{report}", dir.display()))
}

/// Runs `frontline check --data dir`, asserts exit 0 and nothing on stderr, and returns stdout
/// with the directory's name as `DIR`.
fn check(dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["check", "--data"])
        .arg(dir)
        .env_remove("FRONTLINE_DATA")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(stderr, "");
    stdout.replace(&dir.display().to_string(), "DIR")
}

/// `frontline check` accepts `dir` with one summary line and no warning.
fn assert_checks_clean(dir: &Path) {
    let stdout = check(dir);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.trim_end().ends_with(", 0 warnings"), "{stdout}");
}

/// `frontline check` says the same of `copy` as of `source`: the same warnings (what the
/// resolution rule makes of the statements survives the round trip) and the same summary.
fn assert_checks_as(copy: &Path, source: &Path) {
    assert_eq!(check(copy), check(source));
}

/// Loads `source`, writes it out, and checks the copy loads as the same dataset.
fn round_trip(source: &str, name: &str) -> TempDir {
    let original = load(Path::new(source));
    let tmp = TempDir::new(name);
    write_dir(&original.dataset, &tmp.0).unwrap();
    let copy = load(&tmp.0);
    assert!(
        copy.dataset == original.dataset,
        "{source} changed in the round trip"
    );
    assert_eq!(copy.warnings.len(), 0, "{:?}", copy.warnings);
    assert_checks_as(&tmp.0, Path::new(source));
    tmp
}

#[test]
fn format_2_with_control_areas_round_trips_and_checks_the_same() {
    let tmp = round_trip("tests/fixtures/v2", "v2");
    let control = std::fs::read_to_string(tmp.0.join("control.geojson")).unwrap();
    assert!(control.contains(r#""version": 2"#), "{control}");
    assert!(
        !control.contains(r#""published": null"#),
        "a source with no date is written without one: {control}"
    );
    // Written as format 1 again (no areas), the control file goes.
    let mut v1 = load(Path::new("tests/fixtures/v2")).dataset;
    v1.format = frontline::model::Format::V1;
    v1.areas = std::sync::Arc::default();
    write_dir(&v1, &tmp.0).unwrap();
    assert!(!tmp.0.join("control.geojson").exists());
    assert_checks_clean(&tmp.0);
}

#[test]
fn the_shipped_data_round_trips_and_checks_the_same() {
    let tmp = round_trip("geodata", "shipped");
    let mut names: Vec<String> = std::fs::read_dir(&tmp.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "control.geojson",
            "events.geojson",
            "factions.json",
            "places.geojson",
            "regions.geojson"
        ],
        "no .tmp file left behind"
    );
}

#[test]
fn the_valid_fixture_round_trips_and_checks_clean() {
    let tmp = round_trip("tests/fixtures/valid", "fixture");
    assert_checks_clean(&tmp.0);
}

#[test]
fn written_files_look_like_the_shipped_ones() {
    let tmp = round_trip("geodata", "layout");
    let regions = std::fs::read_to_string(tmp.0.join("regions.geojson")).unwrap();
    assert!(
        regions.starts_with("{\n  \"type\": \"FeatureCollection\",\n  \"version\": 2,\n"),
        "{}",
        &regions[..200]
    );
    assert!(regions.ends_with("}\n"), "one trailing newline");
    assert!(!regions.ends_with("}\n\n"), "one trailing newline");
    // One position a line, as the shipped file has it; the Ghab's first vertex is one.
    let shipped = std::fs::read_to_string("geodata/regions.geojson").unwrap();
    let position = shipped
        .lines()
        .find(|l| l.trim_start().starts_with("[3"))
        .unwrap();
    assert!(
        regions.lines().any(|l| l == position),
        "{position:?} not found"
    );
    assert!(!regions.contains("\"precision\": \"day\""));
    assert!(regions.contains("\"precision\": \"year\""));
    let factions = std::fs::read_to_string(tmp.0.join("factions.json")).unwrap();
    assert!(
        factions.starts_with("{\n  \"version\": 2,\n  \"factions\": [\n    {\n      \"id\": "),
        "{factions}"
    );
}

#[test]
fn an_added_history_entry_is_written_and_loads_back() {
    let mut dataset = load(Path::new("tests/fixtures/valid")).dataset;
    let from = jiff::civil::date(2024, 12, 1);
    let entry = ControlEntry {
        from,
        precision: Precision::Month,
        status: ControlStatus::Held,
        factions: vec![FactionId::new("blue")],
        note: "Blue took the rest — «عربي» too.".into(),
        sources: vec![Source {
            title: "Source D".into(),
            url: "https://example.org/d".into(),
            published: Some(jiff::civil::date(2024, 12, 9)),
        }],
    };
    let mut regions: Vec<Region> = dataset.regions.iter().cloned().collect();
    let big = regions.iter_mut().find(|r| r.id.as_str() == "big").unwrap();
    assert!(big.history.last().unwrap().from < from, "appended in order");
    big.history.push(entry.clone());
    dataset.regions = regions.into();
    let tmp = TempDir::new("edited");
    write_dir(&dataset, &tmp.0).unwrap();
    let copy = load(&tmp.0).dataset;
    let big = copy.region("big").unwrap();
    assert_eq!(big.history.len(), 3);
    assert_eq!(big.history.last(), Some(&entry));
    assert!(copy == dataset);
    assert_checks_clean(&tmp.0);
}

#[test]
fn writing_over_a_previous_export_replaces_it() {
    let full = load(Path::new("tests/fixtures/valid")).dataset;
    let tmp = TempDir::new("overwrite");
    write_dir(&full, &tmp.0).unwrap();
    let mut fewer = full.clone();
    fewer.events.clear();
    fewer.places.clear();
    write_dir(&fewer, &tmp.0).unwrap();
    let copy = load(&tmp.0).dataset;
    assert!(copy == fewer, "no old event or place survives");
    assert!(!tmp.0.join("places.geojson").exists());
}

#[test]
fn an_unwritable_target_names_the_path() {
    let tmp = TempDir::new("blocked");
    std::fs::create_dir_all(&tmp.0).unwrap();
    // A directory where the file should go: the rename over it fails.
    std::fs::create_dir(tmp.0.join("regions.geojson")).unwrap();
    std::fs::write(tmp.0.join("regions.geojson").join("keep"), "x").unwrap();
    let dataset = load(Path::new("tests/fixtures/valid")).dataset;
    let err = write_dir(&dataset, &tmp.0).unwrap_err();
    let target = tmp.0.join("regions.geojson");
    assert_eq!(
        err.to_string(),
        format!("cannot write {}", target.display())
    );
    assert!(std::error::Error::source(&err).is_some(), "the io error");
    assert!(
        !tmp.0.join("regions.geojson.tmp").exists(),
        "the temporary file is cleaned up"
    );
}

#[test]
fn full_precision_coordinates_round_trip_exactly() {
    // As QGIS or GDAL would write them; 1.9994141423413994 is one the fast parser misreads.
    let mut dataset = load(Path::new("tests/fixtures/valid")).dataset;
    let mut regions: Vec<Region> = dataset.regions.iter().cloned().collect();
    let big = regions.iter_mut().find(|r| r.id.as_str() == "big").unwrap();
    big.geometry.0[0].exterior_mut(|ring| {
        assert_eq!((ring.0[1].x, ring.0[1].y), (2.0, 0.0));
        ring.0[1].x = 1.999_414_142_341_399_4;
    });
    dataset.regions = regions.into();
    let tmp = TempDir::new("precision");
    write_dir(&dataset, &tmp.0).unwrap();
    let copy = load(&tmp.0).dataset;
    let x = copy.region("big").unwrap().geometry.0[0].exterior().0[1].x;
    assert_eq!(x, 1.999_414_142_341_399_4);
}

/// `frontline` with the given arguments, from the repository root.
fn frontline(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("FRONTLINE_DATA")
        .env_remove("FRONTLINE_DB")
        .output()
        .unwrap()
}

/// The stored edit of `export_and_backup_commands_carry_the_stored_edits` is a region-wide
/// entry of the Ghab: check accepts the export, and warns (once more than of the shipped data)
/// that the entry ends the finer statements in force there on 14 August 2015.
fn assert_warns_of_the_stored_entry(exported: &Path) {
    let warnings = |stdout: &str| {
        stdout
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .count()
    };
    let shipped = check(Path::new("geodata"));
    let stdout = check(exported);
    assert_eq!(warnings(&stdout), warnings(&shipped) + 1, "{stdout}");
    assert!(
        stdout.lines().any(|l| {
            l.starts_with("warning: regions.geojson: feature \"ghab-plain\": history[")
                && l.contains("] from 2015-08-15 is about the whole region, so it ends ")
        }),
        "{stdout}"
    );
}

#[test]
fn export_and_backup_commands_carry_the_stored_edits() {
    use frontline::store::{ChangeKind, NewChange, SqliteStore, Store};
    let tmp = TempDir::new("cli");
    std::fs::create_dir_all(&tmp.0).unwrap();
    let db = tmp.0.join("edits.db");
    let entry = serde_json::json!({"from": "2015-08-15", "status": "held", "factions": ["government"],
        "note": "Stored edit.", "sources": [{"title": "T", "url": "https://example.org", "published": "2015-08-16"}]});
    let store = SqliteStore::open(&db).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let change = NewChange {
        kind: ChangeKind::Control,
        target: "ghab-plain".into(),
        key: "2015-08-15".into(),
        before: None,
        after: Some(entry),
        author: "editor".into(),
        reverts: None,
        form: frontline::geodata::change::FORM,
    };
    runtime.block_on(store.append(change, 0)).unwrap();
    drop(store);

    // The query applies the edit; the export writes it into files that check clean.
    let out = frontline(
        &[
            "query",
            "--lon",
            "36.33867",
            "--lat",
            "35.68482",
            "--at",
            "2015-08-16",
            "--db",
        ]
        .map(std::ffi::OsStr::new)
        .iter()
        .copied()
        .chain([db.as_os_str()])
        .collect::<Vec<_>>(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["control"]["since"], "2015-08-15");
    let exported = tmp.0.join("exported");
    let out = frontline(&[
        std::ffi::OsStr::new("export"),
        "--db".as_ref(),
        db.as_os_str(),
        "--out".as_ref(),
        exported.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_warns_of_the_stored_entry(&exported);
    let copy = load(&exported);
    let ghab = copy.dataset.region("ghab-plain").unwrap();
    assert!(
        ghab.history
            .iter()
            .any(|e| e.from.to_string() == "2015-08-15" && e.note == "Stored edit.")
    );

    // A backup holds the same log; a second backup to the same file is refused.
    let backup = tmp.0.join("backup.db");
    let out = frontline(&[
        std::ffi::OsStr::new("backup"),
        "--db".as_ref(),
        db.as_os_str(),
        "--out".as_ref(),
        backup.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copied = runtime
        .block_on(SqliteStore::open(&backup).unwrap().since(0, 10))
        .unwrap();
    assert_eq!(copied.len(), 1);
    let again = frontline(&[
        std::ffi::OsStr::new("backup"),
        "--db".as_ref(),
        db.as_os_str(),
        "--out".as_ref(),
        backup.as_os_str(),
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
