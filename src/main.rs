use std::process::ExitCode;

use clap::Parser;
use pgp_pkg::cli::Cli;
use pgp_pkg::commands::{self, EXIT_ERROR};

fn main() -> ExitCode {
    // With RUST_BACKTRACE set (common in CI and development shells), anyhow
    // captures a backtrace for every error it creates, and sequoia creates and
    // discards errors by the thousand while checking a keyring (every rejected
    // SHA-1 signature): a Debian-keyring import took 17.1 s instead of 11.5 s.
    // pgp-pkg never prints those backtraces, so library backtraces stay off
    // unless RUST_LIB_BACKTRACE asks for them. (Panics still honour
    // RUST_BACKTRACE.) Set before any thread exists.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("pgp-pkg: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
