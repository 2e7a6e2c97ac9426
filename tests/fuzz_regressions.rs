//! Replays the fuzz targets' committed inputs (`fuzz/corpus/<target>/`, the minimized seed
//! corpus, and `fuzz/regressions/<target>/`, every input that once found a bug) through the
//! same target bodies libFuzzer runs (`fuzz/src/lib.rs`), without libFuzzer: each input must
//! give a clean answer or a clean error, and the targets' invariants must hold.

use std::path::{Path, PathBuf};

#[path = "../fuzz/src/lib.rs"]
mod harness;

/// Every file in `fuzz/<kind>/<target>/`, sorted.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a folder entry").path())
        // `.keep` holds an empty folder in git.
        .filter(|path| {
            path.is_file()
                && !path
                    .file_name()
                    .expect("a file name")
                    .to_string_lossy()
                    .starts_with('.')
        })
        .collect();
    files.sort();
    files
}

/// Runs `run` on every committed input of `target`; fails naming each input that panics.
fn replay(target: &str, run: fn(&[u8])) {
    let corpus = inputs("corpus", target);
    assert!(!corpus.is_empty(), "fuzz/corpus/{target} is empty");
    let regressions = inputs("regressions", target);
    let failed: Vec<String> = corpus
        .iter()
        .chain(&regressions)
        .filter(|path| {
            let data = std::fs::read(path).expect("an input file");
            std::panic::catch_unwind(|| run(&data)).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: {} of {} inputs fail:\n{}",
        failed.len(),
        corpus.len() + regressions.len(),
        failed.join("\n")
    );
}

#[test]
fn geodata_inputs_load_or_are_refused_cleanly() {
    replay("geodata", harness::geodata);
}

#[test]
fn params_inputs_answer_without_server_errors() {
    replay("params", harness::params);
}

#[test]
fn batch_inputs_answer_without_server_errors() {
    replay("batch", harness::batch);
}
