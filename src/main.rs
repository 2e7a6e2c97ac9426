//! The `frontline` binary: parse the command line, run it, report the error chain once.

use std::process::ExitCode;

use clap::Parser;
use frontline::cli::{Cli, Failure};

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
