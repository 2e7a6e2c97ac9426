//! `frontline synth`: the real binary writes synthetic data that `frontline check` accepts, the
//! same seed writes the same bytes, and the files load back as the generator's data set.

#![allow(
    clippy::unwrap_used,
    reason = "a test should fail loudly at the first surprise"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use frontline::geodata;
use frontline::synth::{Spec, generate};

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("frontline-synth-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn frontline(args: &[&str], out: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_frontline"));
    command.args(args).env_remove("FRONTLINE_DATA");
    if let Some(dir) = out {
        command.arg(dir);
    }
    command.output().expect("the frontline binary runs")
}

fn assert_exit(out: &Output, code: i32) -> String {
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout + &stderr
}

fn synth(regions: &str, seed: &str, dir: &Path) -> String {
    let out = frontline(
        &[
            "synth",
            "--regions",
            regions,
            "--vertices",
            "30",
            "--statements",
            "150",
            "--seed",
            seed,
            "--out",
        ],
        Some(dir),
    );
    assert_exit(&out, 0)
}

fn bytes(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

#[test]
fn check_accepts_what_synth_writes() {
    let dir = TempDir::new("check");
    let said = synth("200", "9", &dir.0);
    assert!(
        said.contains("wrote 200 regions of 30 vertices and 150 control areas (seed 9)"),
        "{said}"
    );
    let out = frontline(&["check", "--data"], Some(&dir.0));
    let report = assert_exit(&out, 0);
    assert!(
        report.contains("200 regions") && report.contains("150 control areas"),
        "{report}"
    );
    // Random region-wide entries end random areas: `check` warns of that (the audit), and
    // still accepts the data.
    assert!(report.contains(": valid: format 2"), "{report}");
}

#[test]
fn the_same_seed_writes_the_same_bytes_and_another_seed_other_bytes() {
    let (a, b, c) = (TempDir::new("a"), TempDir::new("b"), TempDir::new("c"));
    synth("120", "4", &a.0);
    synth("120", "4", &b.0);
    synth("120", "5", &c.0);
    for name in [
        geodata::FACTIONS,
        geodata::REGIONS,
        geodata::CONTROL,
        geodata::EVENTS,
    ] {
        assert!(
            bytes(&a.0, name) == bytes(&b.0, name),
            "{name} differs between two runs with seed 4"
        );
    }
    for name in [geodata::REGIONS, geodata::CONTROL] {
        assert!(
            bytes(&a.0, name) != bytes(&c.0, name),
            "{name} is the same with seeds 4 and 5"
        );
    }
}

#[test]
fn the_files_load_back_as_the_generated_data_set() {
    let dir = TempDir::new("load");
    synth("60", "2", &dir.0);
    let loaded = geodata::load(&dir.0).unwrap_or_else(|report| panic!("{report}"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert!(loaded.dataset == generate(&Spec::new(60, 30, 150, 2).unwrap()));
}

#[test]
fn a_spec_that_cannot_be_generated_is_a_usage_error() {
    let dir = TempDir::new("bad");
    let out = frontline(
        &["synth", "--regions", "10", "--vertices", "4", "--out"],
        Some(&dir.0),
    );
    let said = assert_exit(&out, 2);
    assert!(
        said.contains("frontline: cannot generate synthetic data: vertices 4: a region needs at least 6 vertices"),
        "{said}"
    );
    assert!(!dir.0.exists(), "nothing is written");
}
