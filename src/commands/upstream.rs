//! `--git` for `verify-tree` and the hooks (docs/git-evidence.md): which
//! upstream repository a package has, what its release says there, and how
//! that joins the package's report.

use std::path::Path;

use crate::checksum_file::ChecksumFile;
use crate::decision::report::PackageReport;
use crate::git::{self, Finding, GitSignature, Repos};
use crate::lockfile::Upstream;
use crate::model::{Ecosystem, PackageId};
use crate::package::Limits;
use crate::project::installed::ProjectLayout;
use crate::project::policy_file::{package_key, ProjectPolicy};

/// What `--git` found for one package.
pub(super) enum GitStep {
    /// `--git` is off for this package's project.
    Off,
    /// Nothing to ask, or nothing the repository says: notes for the report.
    Silent(Vec<String>),
    /// The release was read upstream.
    Found(Finding),
    /// The repository could not be reached or read: the run exits 2.
    Failed(String),
}

impl GitStep {
    /// The signature upstream, for the evidence.
    pub(super) fn signature(&self) -> Option<&GitSignature> {
        match self {
            GitStep::Found(f) => Some(&f.signature),
            _ => None,
        }
    }

    /// What fails the package before any signature is looked at: the tag
    /// points elsewhere, the files differ.
    pub(super) fn problems(&self) -> &[String] {
        match self {
            GitStep::Found(f) => &f.problems,
            _ => &[],
        }
    }

    /// Adds what was seen to a decided report.
    pub(super) fn annotate(&self, report: &mut PackageReport) {
        match self {
            GitStep::Off => {}
            GitStep::Silent(notes) => report.reasons.extend(notes.iter().cloned()),
            GitStep::Found(f) => report.reasons.extend(f.notes.iter().cloned()),
            GitStep::Failed(why) => {
                report.reasons.push(why.clone());
                report.passes = false;
                report.malformed = true;
            }
        }
    }
}

/// Where a package's release is upstream (SPEC §8): the policy file's
/// `[sources]`, else the lockfile's git source, else, for Hex, the first
/// GitHub/GitLab/Codeberg/Source link of the installed package's metadata.
///
/// Only the user's own `[sources]` may name any local repository; a
/// `file://` URL from the lockfile, the package manager or a package's
/// metadata is read only inside the project, as a local `dist.url` is
/// (docs/git-evidence.md).
pub(super) fn upstream_of(
    id: &PackageId,
    locked: Option<&Upstream>,
    rules: &ProjectPolicy,
    layout: &ProjectLayout,
    installed_tree: Option<&Path>,
) -> Result<Option<Upstream>, String> {
    if let Some(url) = rules.sources.get(&package_key(id)) {
        return Ok(Some(Upstream {
            url: url.clone(),
            commit: locked.and_then(|l| l.commit.clone()),
        }));
    }
    let found = from_package(id, locked, installed_tree)?;
    if let Some(path) = found.as_ref().and_then(|u| u.url.strip_prefix("file://")) {
        // A path that does not exist reads nothing (the cache may still
        // answer for it, offline); one that does must be inside.
        if Path::new(path).exists() && !layout.contains(Path::new(path)) {
            return Err(format!(
                "the repository {} lies outside the project; only [sources] in pgp-pkg.toml \
                 may name a local repository there",
                found.as_ref().map_or("", |u| u.url.as_str())
            ));
        }
    }
    Ok(found)
}

/// The repository the lockfile or the package itself names.
fn from_package(
    id: &PackageId,
    locked: Option<&Upstream>,
    installed_tree: Option<&Path>,
) -> Result<Option<Upstream>, String> {
    if let Some(locked) = locked {
        return Ok(Some(locked.clone()));
    }
    if id.ecosystem != Ecosystem::Hex {
        return Ok(None);
    }
    let Some(metadata) = installed_tree
        .map(|t| t.join("hex_metadata.config"))
        .filter(|m| m.is_file())
    else {
        return Ok(None);
    };
    let bytes =
        std::fs::read(&metadata).map_err(|e| format!("cannot read {}: {e}", metadata.display()))?;
    crate::package::metadata_source(&bytes)
        .map(|url| url.map(|url| Upstream { url, commit: None }))
        .map_err(|e| format!("{}: {e:#}", metadata.display()))
}

/// What is installed, as `--git` compares it.
pub(super) struct WhatRuns<'a> {
    pub(super) checksum_file: &'a ChecksumFile,
    /// The commit its dist archive says it was made from (the zip comment
    /// `git archive` writes): it must be the tag's.
    pub(super) archive_commit: Option<&'a str>,
    /// The installed tree, when it is a git checkout.
    pub(super) checkout: Option<&'a Path>,
}

/// Reads the release of what is installed upstream, when `--git` is on.
pub(super) fn examine(
    repos: &Repos,
    upstream: Result<Option<Upstream>, String>,
    installed: &WhatRuns,
    limits: &Limits,
) -> GitStep {
    let (checksum_file, archive_commit) = (installed.checksum_file, installed.archive_commit);
    let upstream = match upstream {
        Ok(Some(u)) => u,
        Ok(None) => {
            return GitStep::Silent(vec![format!(
                "git: no upstream repository is known for this package (add \"{}\" = \"URL\" \
                 under [sources] in pgp-pkg.toml)",
                package_key(&checksum_file.package)
            )])
        }
        Err(why) => return GitStep::Failed(format!("git: {why}")),
    };
    let finding = match installed.checkout {
        Some(dir) => git::examine_checkout(repos, &upstream, dir, checksum_file, limits),
        None => git::examine(repos, &upstream, checksum_file, limits),
    };
    match finding {
        Ok(finding) if finding.tag.is_none() => GitStep::Silent(finding.notes),
        Ok(mut finding) => {
            if let (Some(made), Some(tagged)) = (archive_commit, finding.commit.as_deref()) {
                if !made.eq_ignore_ascii_case(tagged) {
                    finding.problems.push(format!(
                        "git: the dist archive says git archive made it from commit {made}, but \
                         {} is commit {tagged}",
                        finding.describe()
                    ));
                }
            }
            GitStep::Found(finding)
        }
        Err(e) => GitStep::Failed(failure(&e)),
    }
}

/// A fetch or read that failed, in one sentence: what pgp-pkg was doing,
/// the innermost cause (not the transport's whole chain), and what to do.
fn failure(e: &anyhow::Error) -> String {
    let cause = e.root_cause().to_string();
    let what = e.to_string();
    let cause = if cause == what {
        String::new()
    } else {
        format!(" ({cause})")
    };
    format!(
        "git: {what}{cause}; --git needs the repository: check the URL and the network, map \
         the package to a reachable copy with [sources] in pgp-pkg.toml, or run without --git"
    )
}
