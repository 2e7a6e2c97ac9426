//! The `frontline` binary: parse the command line, run it, report the error chain once.

use std::process::ExitCode;

use clap::Parser;
use frontline::cli::{Cli, Failure};

/// jemalloc, not glibc's malloc. Under the load test's reads and batches the live heap stays
/// flat (about 13 MB), but glibc's per-thread arenas kept what they had once held and resident
/// memory climbed in steps past 100 MB; jemalloc gives unused pages back after a few seconds
/// (SECURITY.md, "Load test").
///
/// Two options are compiled in (`.cargo/config.toml`) so that the memory loading frees is
/// used again for the indexes built next, rather than fresh pages: `oversize_threshold:0` keeps
/// the geodata files' texts (hundreds of megabytes at 100,000 regions) in the ordinary arenas,
/// where jemalloc's own arena for large allocations would hand their pages back at once, and
/// `lg_extent_max_active_fit:20` lets a freed extent up to 2²⁰ times the size asked for be
/// cut up (the default, 2⁶, keeps a freed text from ever serving an index's small blocks). At
/// 100,000 regions the start-up peak fell from 1.39 GB to 0.98 GB and the page faults by a
/// third (BENCHMARKS.md, "The fifth sitting").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    match frontline::cli::run(Cli::parse()) {
        Ok(code) => code,
        Err(Failure { code, error }) => {
            #[expect(clippy::print_stderr, reason = "main reports the one fatal error")]
            {
                eprintln!("frontline: {error:#}");
            }
            ExitCode::from(code)
        }
    }
}
