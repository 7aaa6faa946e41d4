//! `verify-tree`: every package a lockfile pins (docs/interface.md, "Where packages are").

use std::path::PathBuf;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;

use super::Verdict;
use crate::keys::home::Home;
use crate::lockfile::{LockedPackage, Lockfile, Source};
use crate::package::Limits;
use crate::project::installed::{what_runs, Caches, Located, ProjectLayout};
use std::collections::{BTreeMap, BTreeSet};

use sequoia_openpgp::Fingerprint;

use crate::decision::report::{PackageReport, Report, Status};
use crate::decision::rules::{decide, Policy};
use crate::project::policy_file::{self, ProjectPolicy};
use crate::signatures::sources::SignatureSources;
use crate::signatures::verify::Evidence;
use crate::signatures::verify::Verifier;
use crate::trust::TrustLevel;

/// What every lockfile of a run shares: loaded once, not per package.
struct Context {
    /// `--signatures` from the command line.
    signatures: Vec<String>,
    caches: Caches,
    limits: Limits,
    verifier: Verifier,
    min_trust: Option<TrustLevel>,
}

pub(super) fn verify_tree(
    home: &Home,
    lockfiles: &[PathBuf],
    signatures: &[String],
    min_trust: Option<TrustLevel>,
    record_pins: bool,
    json: bool,
) -> Result<Verdict> {
    // Every lockfile is read first: a malformed one stops the run before any output.
    let locks = lockfiles
        .iter()
        .map(|l| Lockfile::read(l))
        .collect::<Result<Vec<_>>>()?;
    let cx = Context {
        signatures: signatures.to_vec(),
        caches: Caches::from_env(),
        limits: Limits::from_env()?,
        verifier: Verifier::open(home)?,
        min_trust,
    };
    let total = locks.iter().map(|l| l.packages.len()).sum();
    let progress = progress_bar(total, json);
    let mut packages = Vec::new();
    for lock in &locks {
        let project = lock.project_dir();
        let rules = ProjectPolicy::load(&project)?.unwrap_or_default();
        let reports = verify_lockfile(&cx, lock, &rules, &progress)?;
        if record_pins {
            let added = policy_file::record_pins(&project, &pins_to_record(&reports, &rules))?;
            let path = ProjectPolicy::path_for(&project);
            eprintln!(
                "pgp-pkg: recorded the signers of {added} package(s) in {}",
                path.display()
            );
        }
        packages.extend(reports);
    }
    progress.finish_and_clear();
    let report = Report { packages };
    super::finish(&report, json, super::Layout::Table)
}

/// Verifies one lockfile's packages in parallel, in lockfile order.
fn verify_lockfile(
    cx: &Context,
    lock: &Lockfile,
    rules: &ProjectPolicy,
    progress: &ProgressBar,
) -> Result<Vec<PackageReport>> {
    let project = lock.project_dir();
    let sources = SignatureSources::new(&cx.signatures, &rules.signature_sources(&project));
    let layout = ProjectLayout::of(&project, lock.ecosystem)?;
    lock.packages
        .par_iter()
        .map(|pkg| -> Result<PackageReport> {
            let policy = rules.for_package(&pkg.id, cx.min_trust);
            let report = match &pkg.source {
                Source::Unverifiable { reason } => unverifiable(pkg, reason, &policy),
                _ => match what_runs(&layout, pkg, &cx.caches, &cx.limits) {
                    // What is on disk cannot even be read safely: that package fails.
                    Err(e) => unreadable(pkg, &e),
                    Ok(Located::Missing(why)) => missing(pkg, &why),
                    Ok(Located::Found {
                        checksum_file,
                        problems,
                        ..
                    }) => {
                        let found = sources.find(&pkg.id)?;
                        let evidence = cx.verifier.evidence(&checksum_file, found)?;
                        decide(&pkg.id, &problems, &evidence, &policy)
                    }
                },
            };
            progress.inc(1);
            Ok(report)
        })
        .collect()
}

/// A progress bar on stderr for long runs at a terminal; hidden otherwise
/// (with `--json`, in CI, in hooks).
fn progress_bar(total: usize, json: bool) -> ProgressBar {
    if json || total < 50 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("verifying {pos}/{len} packages {wide_bar} {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// The good signers of each package that passes and has no pin yet.
fn pins_to_record(
    reports: &[PackageReport],
    policy: &ProjectPolicy,
) -> BTreeMap<String, BTreeSet<Fingerprint>> {
    reports
        .iter()
        .filter(|p| p.passes && p.status == Status::Ok)
        .filter_map(|p| {
            let key = format!("{}/{}", p.ecosystem, p.name);
            if policy.signers.contains_key(&key) {
                return None;
            }
            let signers: BTreeSet<Fingerprint> = p
                .signers
                .iter()
                .filter(|s| s.status == Status::Ok)
                .filter_map(|s| s.fingerprint.parse().ok())
                .collect();
            (!signers.is_empty()).then_some((key, signers))
        })
        .collect()
}

/// A `:git` (or path) dependency: nothing to check it against. It passes
/// only where an unsigned package would (docs/interface.md).
fn unverifiable(pkg: &LockedPackage, reason: &str, policy: &Policy) -> PackageReport {
    let unsigned = decide(
        &pkg.id,
        &[],
        &Evidence::Unsigned(reason.to_string()),
        policy,
    );
    PackageReport {
        status: Status::Unverifiable,
        trust: Status::Unverifiable.as_str().to_string(),
        reasons: vec![reason.to_string()],
        ..unsigned
    }
}

/// What is installed or cached cannot be checked. An archive refused as
/// ambiguous or malformed is bad input (exit 2, as in `verify`); one that
/// claims another release, or a tree that differs, is tampering (exit 1).
fn unreadable(pkg: &LockedPackage, error: &anyhow::Error) -> PackageReport {
    PackageReport {
        malformed: error.downcast_ref::<crate::package::Refused>().is_some(),
        ..failed(
            pkg,
            Status::ChecksumMismatch,
            format!("what is installed or cached cannot be checked: {error:#}"),
        )
    }
}

fn missing(pkg: &LockedPackage, why: &str) -> PackageReport {
    failed(
        pkg,
        Status::MissingPackage,
        format!("{why}: fetch the dependencies first (mix deps.get, composer install)"),
    )
}

/// A package that fails before any signature is looked at.
fn failed(pkg: &LockedPackage, status: Status, reason: String) -> PackageReport {
    PackageReport {
        status,
        trust: status.as_str().to_string(),
        reasons: vec![reason],
        passes: false,
        ..PackageReport::new(&pkg.id)
    }
}
