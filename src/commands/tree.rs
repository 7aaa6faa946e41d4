//! `verify-tree`: every package a lockfile pins (docs/interface.md, "Where packages are").

use std::path::PathBuf;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;

use super::upstream::{self, GitStep, WhatRuns};
use super::{fetching, Run, Verdict};
use crate::checksum_file::ChecksumFile;
use crate::git::Repos;
use crate::keys::home::Home;
use crate::lockfile::{LockedPackage, Lockfile, Source, Upstream};
use crate::model::PackageId;
use crate::net::Http;
use crate::package::Limits;
use crate::project::installed::{what_runs, Caches, Located, ProjectLayout};
use crate::signatures::sources::SignatureFile;
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
    http: Http,
    min_trust: Option<TrustLevel>,
    /// `--git` for every lockfile (a policy file can turn it on for its own).
    git: bool,
    repos: Repos,
}

/// A package after its files were read: decided already, or waiting for
/// its signatures to be checked. `F` is what is known of its signature:
/// `()` while the packages are read, the signature file once looked up.
enum Step<F = Result<SignatureFile, String>> {
    Done(PackageReport),
    Check(Box<ToCheck<F>>),
}

struct ToCheck<F> {
    id: PackageId,
    checksum_file: ChecksumFile,
    problems: Vec<String>,
    found: F,
    policy: Policy,
    /// With `--git`: where the release is upstream (`None`: `--git` is off).
    upstream: Option<Result<Option<Upstream>, String>>,
    /// What the upstream repository said, once asked.
    git: GitStep,
    /// The commit the cached dist says it was made from.
    archive_commit: Option<String>,
    /// The installed tree, when it is a git checkout.
    checkout: Option<PathBuf>,
}

pub(super) fn verify_tree(
    home: &Home,
    http: &Http,
    lockfiles: &[PathBuf],
    signatures: &[String],
    record_pins: bool,
    run: &Run,
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
        http: http.clone(),
        min_trust: run.min_trust,
        git: run.git,
        repos: Repos::new(&home.cache_dir(), http.is_offline()),
    };
    let verifier = Verifier::open(home)?;
    let total = locks.iter().map(|l| l.packages.len()).sum();
    let progress = progress_bar(total, run.json);
    // Read every package of every lockfile, then check every signature in
    // one pass: `--fetch-keys` looks the run's signers up together.
    let mut read = Vec::new();
    let mut no_sources = true;
    for lock in &locks {
        let project = lock.project_dir();
        let rules = ProjectPolicy::load(&project)?.unwrap_or_default();
        let (steps, has_sources) = read_lockfile(&cx, lock, &rules, &progress)?;
        no_sources &= !has_sources;
        read.push((project, rules, steps));
    }
    let signed: Vec<fetching::Signed> = read
        .iter()
        .flat_map(|(_, _, steps)| steps)
        .filter_map(|step| match step {
            Step::Check(c) => Some(fetching::Signed {
                checksum_file: &c.checksum_file,
                found: c.found.clone(),
                git: c.git.signature(),
            }),
            Step::Done(_) => None,
        })
        .collect();
    let mut evidence =
        fetching::evidence_all(home, http, &run.fetch, verifier, &signed)?.into_iter();
    let mut packages = Vec::new();
    for (project, rules, steps) in read {
        let reports: Vec<PackageReport> = steps
            .into_iter()
            .map(|step| match step {
                Step::Done(report) => report,
                Step::Check(c) => {
                    let evidence = evidence.next().expect("one evidence per signed package");
                    let mut problems = c.problems.clone();
                    problems.extend_from_slice(c.git.problems());
                    let mut report = decide(&c.id, &problems, &evidence, &c.policy);
                    c.git.annotate(&mut report);
                    report
                }
            })
            .collect();
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
    let notes = if no_sources {
        vec![
            "no signature source was given (--signatures DIR_OR_URL, PGP_PKG_SIGNATURES or \
              `signatures` in pgp-pkg.toml), so no package could be found signed"
                .to_string(),
        ]
    } else {
        Vec::new()
    };
    let report = Report { packages, notes };
    super::finish(&report, run.json, super::Layout::Table(run.table))
}

/// Reads one lockfile's packages in parallel, in lockfile order, and finds
/// their signatures; says whether there was any signature source to look in
/// (a directory, a URL template, or with `--git` the upstream repositories).
fn read_lockfile(
    cx: &Context,
    lock: &Lockfile,
    rules: &ProjectPolicy,
    progress: &ProgressBar,
) -> Result<(Vec<Step>, bool)> {
    let project = lock.project_dir();
    let sources =
        SignatureSources::new(&cx.signatures, &rules.signature_sources(&project), &cx.http)?
            .with_project(&project);
    let layout = ProjectLayout::of(&project, lock.ecosystem)?;
    let git_on = cx.git || rules.git;
    let steps = lock
        .packages
        .par_iter()
        .map(|pkg| -> Result<Step<()>> {
            let policy = rules.for_package(&pkg.id, cx.min_trust);
            // With --git, a source install (a git checkout in vendor/) can be checked.
            let checkout = git_on && layout.git_checkout(pkg).is_some();
            let step = match &pkg.source {
                Source::Unverifiable { reason } if !checkout => {
                    Step::Done(unverifiable(pkg, reason, &policy))
                }
                _ => match what_runs(&layout, pkg, &cx.caches, &cx.limits, git_on) {
                    // What is on disk cannot even be read safely: that package fails.
                    Err(e) => Step::Done(unreadable(pkg, &e)),
                    Ok(Located::Missing(why)) => Step::Done(missing(pkg, &why)),
                    Ok(Located::Found {
                        checksum_file,
                        problems,
                        archive_commit,
                        checkout,
                    }) => Step::Check(Box::new(ToCheck {
                        archive_commit,
                        checkout,
                        id: pkg.id.clone(),
                        // Looked up below, with the network's own parallelism.
                        found: (),
                        upstream: git_on.then(|| {
                            let tree = match &pkg.source {
                                Source::Hex { app, .. } => Some(layout.deps.join(app)),
                                _ => None,
                            };
                            upstream::upstream_of(
                                &pkg.id,
                                pkg.upstream.as_ref(),
                                rules,
                                &layout,
                                tree.as_deref(),
                            )
                        }),
                        git: GitStep::Off,
                        checksum_file,
                        problems,
                        policy,
                    })),
                },
            };
            progress.inc(1);
            Ok(step)
        })
        .collect::<Result<Vec<Step<()>>>>()?;
    let find = |steps: Vec<Step<()>>| -> Result<Vec<Step>> {
        steps
            .into_par_iter()
            .map(|step| match step {
                Step::Done(report) => Ok(Step::Done(report)),
                Step::Check(c) => {
                    let ToCheck {
                        id,
                        checksum_file,
                        problems,
                        policy,
                        upstream,
                        found: (),
                        git: _,
                        archive_commit,
                        checkout,
                    } = *c;
                    let git = match upstream {
                        None => GitStep::Off,
                        Some(u) => upstream::examine(
                            &cx.repos,
                            u,
                            &WhatRuns {
                                checksum_file: &checksum_file,
                                archive_commit: archive_commit.as_deref(),
                                checkout: checkout.as_deref(),
                            },
                            &cx.limits,
                        ),
                    };
                    Ok(Step::Check(Box::new(ToCheck {
                        found: sources.find(&id)?,
                        id,
                        checksum_file,
                        problems,
                        policy,
                        upstream: None,
                        git,
                        archive_commit,
                        checkout,
                    })))
                }
            })
            .collect()
    };
    // Reading packages is CPU work, one thread per core; fetching
    // signatures from URL templates waits on the network, so it gets many
    // more threads (docs/performance.md, "Remote signatures").
    let steps = if git_on || sources.entries.iter().any(|e| e.contains("://")) {
        rayon::ThreadPoolBuilder::new()
            .num_threads(crate::net::CONCURRENT_REQUESTS)
            .build()?
            .install(|| find(steps))?
    } else {
        find(steps)?
    };
    // The upstream repository is a signature source too.
    Ok((steps, git_on || !sources.entries.is_empty()))
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
