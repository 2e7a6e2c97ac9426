//! The `frontline` binary: parse the command line, run it, report the error chain once.

use std::process::ExitCode;

use clap::Parser;
use frontline::cli::{Cli, Failure};

/// jemalloc, not glibc's malloc. Under the load test's reads and batches the live heap stays
/// flat (about 13 MB), but glibc's per-thread arenas kept what they had once held and resident
/// memory climbed in steps past 100 MB; jemalloc gives unused pages back after a few seconds
/// (SECURITY.md, "Load test").
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
