//! `hook composer|mix`: what the package-manager integrations call (docs/integrations.md).
//! The project (and its `pgp-pkg.toml`) is found from the working directory,
//! which is where composer and mix run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{Run, Verdict};
use crate::cli::HookCommand;
use crate::decision::report::Report;
use crate::decision::rules::decide;
use crate::keys::home::Home;
use crate::model::{Ecosystem, PackageId};
use crate::net::Http;
use crate::package::{extract_composer_zip, read_package, IdentityHints, Limits};
use crate::project::policy_file::ProjectPolicy;
use crate::signatures::sources::SignatureSources;
use crate::signatures::verify::Verifier;

pub(crate) fn run(home: &Home, http: &Http, cmd: HookCommand) -> Result<Verdict> {
    match cmd {
        HookCommand::Composer {
            archive,
            tree,
            extract_to,
            name,
            pkg_version,
            trust,
            fetch,
        } => {
            let package = archive
                .or(tree)
                .context("--archive or --tree is required")?;
            if let Some(dest) = &extract_to {
                // Checked before anything else: only a folder pgp-pkg made is removed below.
                anyhow::ensure!(
                    !dest.exists(),
                    "--extract-to {} exists already: it must be a new folder",
                    dest.display()
                );
            }
            let run = Run {
                min_trust: trust.min_trust,
                fetch,
                json: false,
                table: super::TableStyle::default(),
            };
            let verdict = composer(
                home,
                http,
                &package,
                extract_to.as_deref(),
                (&name, &pkg_version),
                &run,
            );
            // Only a package that meets the policy keeps its extracted files.
            if let Some(dest) = &extract_to {
                if !matches!(verdict, Ok(Verdict::Pass)) && dest.exists() {
                    std::fs::remove_dir_all(dest).with_context(|| {
                        format!("cannot remove the refused files in {}", dest.display())
                    })?;
                }
            }
            verdict
        }
        HookCommand::Mix {
            lockfile,
            trust,
            fetch,
        } => {
            let lockfile = match lockfile {
                Some(l) => l,
                None => project_dir("mix.lock")?.join("mix.lock"),
            };
            let run = Run {
                min_trust: trust.min_trust,
                fetch,
                json: false,
                table: super::TableStyle::default(),
            };
            super::tree::verify_tree(home, http, &[lockfile], &[], false, &run)
        }
    }
}

/// One Composer package, archive or installed tree, against the project's policy.
fn composer(
    home: &Home,
    http: &Http,
    package: &Path,
    extract_to: Option<&Path>,
    (name, version): (&str, &str),
    run: &Run,
) -> Result<Verdict> {
    let project = project_dir("composer.json").unwrap_or_else(|_| PathBuf::from("."));
    let rules = ProjectPolicy::load(&project)?.unwrap_or_default();
    let id = PackageId {
        ecosystem: Ecosystem::Composer,
        name: name.to_lowercase(),
        version: version.to_string(),
    };
    let hints = IdentityHints {
        ecosystem: Some(id.ecosystem),
        name: Some(id.name.clone()),
        version: Some(id.version.clone()),
    };
    let limits = Limits::from_env()?;
    let read = match extract_to {
        Some(dest) => extract_composer_zip(package, &hints, &limits, dest)?,
        None => read_package(package, &hints, &limits)?,
    };
    let sources = SignatureSources::new(&[], &rules.signature_sources(&project), http)?
        .with_project(&project);
    let evidence = super::fetching::evidence_all(
        home,
        http,
        &run.fetch,
        Verifier::open(home)?,
        &[(&read.checksum_file, sources.find(&id)?)],
    )?
    .pop()
    .expect("one package, one evidence");
    let report = Report {
        notes: Vec::new(),
        packages: vec![decide(
            &id,
            &read.integrity_errors,
            &evidence,
            &rules.for_package(&id, run.min_trust),
        )],
    };
    super::finish(&report, false, super::Layout::Blocks)
}

/// The nearest folder, from the working directory up, that holds `marker`.
fn project_dir(marker: &str) -> Result<PathBuf> {
    let cwd = std::env::current_dir()?;
    cwd.ancestors()
        .find(|d| d.join(marker).is_file())
        .map(Path::to_path_buf)
        .with_context(|| format!("no {marker} in {} or any folder above it", cwd.display()))
}
