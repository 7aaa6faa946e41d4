//! The commands: each reads its inputs, calls the library, prints, and says
//! which exit code applies (docs/interface.md: 0 pass, 1 policy not met, 2 could not run).

#[macro_use]
mod output {
    /// `print!` through `emit`: a closed standard output is no panic.
    macro_rules! out {
        ($($arg:tt)*) => { $crate::commands::emit(&format!($($arg)*))? };
    }

    /// `println!` through `emit`.
    macro_rules! outln {
        ($($arg:tt)*) => { $crate::commands::emit(&format!("{}\n", format_args!($($arg)*)))? };
    }
}

mod fetching;
mod hook;
mod key;
mod package;
mod tree;
mod trust;
mod upstream;

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, ColorChoice, Command};
use crate::decision::report::Report;
use crate::decision::report::TableStyle;
use crate::keys::home::Home;
use crate::net::{Http, NetSettings};

pub const EXIT_POLICY_FAILED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub use crate::decision::report::Verdict;

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
    if cli.command.only_reads_the_home() {
        home.require_existing()?;
    }
    let http = Http::new(&NetSettings::from_env(cli.offline)?);
    match cli.command {
        Command::Key(cmd) => key::run(&home, &http, cmd),
        Command::Trust(cmd) => trust::run(&home, cmd),
        Command::Hook(cmd) => hook::run(&home, &http, cmd),
        Command::VerifyTree {
            lockfiles,
            signatures,
            trust,
            fetch,
            git,
            record_pins,
            problems,
            json,
        } => tree::verify_tree(
            &home,
            &http,
            &lockfiles,
            &signatures,
            record_pins,
            &Run {
                min_trust: trust.min_trust,
                fetch,
                git: git.git,
                json,
                table: TableStyle {
                    color: use_color(cli.color),
                    problems_only: problems,
                },
            },
        ),
        Command::Checksum { package, identity } => package::checksum(&package, &identity),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "pgp-pkg", &mut out);
            emit(&String::from_utf8_lossy(&out))?;
            Ok(Verdict::Pass)
        }
        Command::Man { output_dir: None } => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut out)?;
            emit(&String::from_utf8_lossy(&out))?;
            Ok(Verdict::Pass)
        }
        Command::Man {
            output_dir: Some(dir),
        } => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(Cli::command(), &dir)
                .with_context(|| format!("cannot write the manual pages into {}", dir.display()))?;
            Ok(Verdict::Pass)
        }
        Command::Sign {
            package,
            key,
            output,
            gpg,
            replace,
            identity,
        } => package::sign(
            &home,
            &package,
            &package::SignWith {
                key: key.as_deref(),
                output: output.as_deref(),
                gpg,
                replace,
            },
            &identity,
        ),
        Command::Verify {
            package,
            signature,
            signatures,
            trust,
            fetch,
            json,
            identity,
        } => package::verify(
            &home,
            &http,
            &package,
            (signature.as_deref(), &signatures),
            &identity,
            &Run {
                min_trust: trust.min_trust,
                fetch,
                git: false,
                json,
                table: TableStyle::default(),
            },
        ),
    }
}

/// How a verifying command runs (`verify`, `verify-tree`, the hooks).
pub(crate) struct Run {
    /// `--min-trust` or `PGP_PKG_MIN_TRUST`, over the policy file's.
    pub(crate) min_trust: Option<crate::trust::TrustLevel>,
    pub(crate) fetch: crate::cli::FetchArgs,
    /// `--git` or `PGP_PKG_GIT` (a project's `git = true` adds to it).
    pub(crate) git: bool,
    pub(crate) json: bool,
    /// How `verify-tree` draws its table.
    pub(crate) table: TableStyle,
}

/// `--color`: `auto` colours only a terminal, and not when `NO_COLOR` is set
/// (no-color.org); `always` and `never` say it outright.
fn use_color(choice: ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// How a report is laid out for people.
#[derive(Clone, Copy)]
pub(crate) enum Layout {
    /// One block per package (`verify`, `hook`).
    Blocks,
    /// One line per package (`verify-tree`).
    Table(TableStyle),
}

/// The one path from a report to output and exit code, for every command
/// that reports on packages.
pub(crate) fn finish(report: &Report, json: bool, layout: Layout) -> Result<Verdict> {
    if json {
        outln!(
            "{}",
            crate::json::to_string(&crate::json::ReportJson::new(report))
        );
    } else {
        match layout {
            Layout::Blocks => out!("{}", report.to_human()),
            Layout::Table(style) => out!("{}", report.to_table(&style)),
        }
    }
    Ok(report.verdict())
}

/// Writes to standard output. A reader that went away (`| head`) ends the
/// output quietly, never with a panic; the exit code still says how the
/// command came out, so a closed pipe cannot turn a failure into success.
pub(crate) fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to standard output"),
    }
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
