//! The commands: each reads its inputs, calls the library, prints, and says
//! which exit code applies (SPEC §4: 0 pass, 1 policy not met, 2 could not run).

mod hook;
mod key;
mod package;
mod tree;
mod trust;

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command};
use crate::home::Home;

pub const EXIT_POLICY_FAILED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// How a command that ran to the end came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// It ran, but some input was malformed: reported, and exit 2.
    BadInput,
}

impl From<Verdict> for ExitCode {
    fn from(v: Verdict) -> ExitCode {
        match v {
            Verdict::Pass => ExitCode::SUCCESS,
            Verdict::Fail => ExitCode::from(EXIT_POLICY_FAILED),
            Verdict::BadInput => ExitCode::from(EXIT_ERROR),
        }
    }
}

pub fn run(cli: Cli) -> Result<Verdict> {
    let home = Home::resolve(cli.home)?;
    match cli.command {
        Command::Key(cmd) => key::run(&home, cmd),
        Command::Trust(cmd) => trust::run(&home, cmd),
        Command::Hook(cmd) => hook::run(&home, cmd),
        Command::VerifyTree {
            lockfiles,
            signatures,
            trust,
            record_pins,
            json,
        } => tree::verify_tree(
            &home,
            &lockfiles,
            &signatures,
            trust.min_trust,
            record_pins,
            json,
        ),
        Command::Checksum { package, identity } => package::checksum(&package, &identity),
        Command::Sign {
            package,
            key,
            output,
            gpg,
            identity,
        } => package::sign(
            &home,
            &package,
            key.as_deref(),
            output.as_deref(),
            gpg,
            &identity,
        ),
        Command::Verify {
            package,
            signature,
            trust,
            json,
            identity,
        } => package::verify(
            &home,
            &package,
            signature.as_deref(),
            trust.min_trust,
            json,
            &identity,
        ),
    }
}

/// The keyring with every binding's validity, as `verify` and `key list` need it.
fn load_web_of_trust(home: &Home) -> Result<(crate::keyring::Keyring, crate::wot::WebOfTrust)> {
    let keyring = crate::keyring::Keyring::load(home)?;
    let (_, wot) = crate::wot_cache::web_of_trust(home, &keyring, std::time::SystemTime::now())?;
    Ok((keyring, wot))
}

/// Reads a file, or standard input for "-".
fn read_input(path: &Path) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        Ok(buf)
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    }
}
