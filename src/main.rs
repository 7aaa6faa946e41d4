use std::process::ExitCode;

use clap::Parser;
use pgp_pkg::cli::Cli;
use pgp_pkg::commands::{self, EXIT_ERROR};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("pgp-pkg: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
