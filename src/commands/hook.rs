//! `hook composer|mix`: what the package-manager integrations call (docs/integrations.md).
//! The project (and its `pgp-pkg.toml`) is found from the working directory,
//! which is where composer and mix run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::upstream::{self, GitStep};
use super::{Run, Verdict};
use crate::cli::HookCommand;
use crate::decision::report::Report;
use crate::decision::rules::decide;
use crate::git::Repos;
use crate::keys::home::Home;
use crate::model::{Ecosystem, PackageId};
use crate::net::Http;
use crate::package::{extract_composer_zip, read_package, IdentityHints, Limits};
use crate::project::installed::ProjectLayout;
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
            source_url,
            source_reference,
            trust,
            fetch,
            git,
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
                git: git.git,
                json: false,
                table: super::TableStyle::default(),
            };
            let upstream = source_url.map(|url| crate::lockfile::Upstream {
                url,
                commit: source_reference,
            });
            let verdict = composer(
                home,
                http,
                &ComposerPackage {
                    path: &package,
                    extract_to: extract_to.as_deref(),
                    name: &name,
                    version: &pkg_version,
                    upstream,
                },
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
            git,
        } => {
            let lockfile = match lockfile {
                Some(l) => l,
                None => project_dir("mix.lock")?.join("mix.lock"),
            };
            let run = Run {
                min_trust: trust.min_trust,
                fetch,
                git: git.git,
                json: false,
                table: super::TableStyle::default(),
            };
            super::tree::verify_tree(home, http, &[lockfile], &[], false, &run)
        }
    }
}

/// What the Composer plugin says about the package it is installing.
struct ComposerPackage<'a> {
    /// The dist archive or the installed tree.
    path: &'a Path,
    extract_to: Option<&'a Path>,
    name: &'a str,
    version: &'a str,
    /// Composer's source URL and reference, for `--git`.
    upstream: Option<crate::lockfile::Upstream>,
}

/// One Composer package, archive or installed tree, against the project's policy.
fn composer(home: &Home, http: &Http, pkg: &ComposerPackage, run: &Run) -> Result<Verdict> {
    let (package, extract_to) = (pkg.path, pkg.extract_to);
    let project = project_dir("composer.json").unwrap_or_else(|_| PathBuf::from("."));
    let rules = ProjectPolicy::load(&project)?.unwrap_or_default();
    let id = PackageId {
        ecosystem: Ecosystem::Composer,
        name: pkg.name.to_lowercase(),
        version: pkg.version.to_string(),
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
    let git = if run.git || rules.git {
        let layout = ProjectLayout::of(&project, Ecosystem::Composer)?;
        let upstream = upstream::upstream_of(&id, pkg.upstream.as_ref(), &rules, &layout, None);
        let repos = Repos::new(&home.cache_dir(), http.is_offline());
        upstream::examine(
            &repos,
            upstream,
            &upstream::WhatRuns {
                checksum_file: &read.checksum_file,
                archive_commit: read.made_from_commit.as_deref(),
                checkout: None,
            },
            &limits,
        )
    } else {
        GitStep::Off
    };
    let evidence = super::fetching::evidence_all(
        home,
        http,
        &run.fetch,
        Verifier::open(home)?,
        &[super::fetching::Signed {
            checksum_file: &read.checksum_file,
            found: sources.find(&id)?,
            git: git.signature(),
        }],
    )?
    .pop()
    .expect("one package, one evidence");
    let mut problems = read.integrity_errors.clone();
    problems.extend_from_slice(git.problems());
    let mut report = decide(
        &id,
        &problems,
        &evidence,
        &rules.for_package(&id, run.min_trust),
    );
    git.annotate(&mut report);
    let report = Report {
        notes: Vec::new(),
        packages: vec![report],
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
