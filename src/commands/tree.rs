//! `verify-tree`: every package a lockfile pins (SPEC §5).

use std::path::Path;
use std::time::SystemTime;

use anyhow::Result;
use rayon::prelude::*;

use super::Verdict;
use crate::home::Home;
use crate::keyring::CertLookup;
use crate::locate::{locate, Caches, Located};
use crate::lockfile::{LockedPackage, Lockfile, Source};
use crate::package::Limits;
use std::collections::{BTreeMap, BTreeSet};

use sequoia_openpgp::Fingerprint;

use crate::policy::{decide, Evidence, Policy};
use crate::project_policy::{self, ProjectPolicy};
use crate::report::{PackageReport, Report, Status};
use crate::signature_source::SignatureSources;
use crate::trust::TrustLevel;
use crate::verify::gather_evidence;
use crate::wot_cache::KeyTrust;

pub fn verify_tree(
    home: &Home,
    lockfile: &Path,
    signatures: &[String],
    min_trust: Option<TrustLevel>,
    record_pins: bool,
    json: bool,
) -> Result<Verdict> {
    let lock = Lockfile::read(lockfile)?;
    let project = lock.project_dir();
    let sources = SignatureSources::new(signatures);
    let caches = Caches::from_env();
    let limits = Limits::from_env()?;
    let now = SystemTime::now();
    // Keys and trust are loaded once per run, not per package.
    let keyring = CertLookup::open(home)?;
    let trust = KeyTrust::load(home, now)?;
    let rules = ProjectPolicy::load(&project)?.unwrap_or_default();

    // Packages are independent: verify them in parallel, keep lockfile order.
    let packages = lock
        .packages
        .par_iter()
        .map(|pkg| -> Result<PackageReport> {
            let policy = rules.for_package(&pkg.id, min_trust);
            Ok(match &pkg.source {
                Source::Unverifiable { reason } => unverifiable(pkg, reason, &policy),
                _ => match locate(&project, pkg, &caches, &limits) {
                    // What is on disk cannot even be read safely: that package fails.
                    Err(e) => unreadable(pkg, &e),
                    Ok(Located::Missing(why)) => missing(pkg, &why),
                    Ok(Located::Found {
                        checksum_file,
                        problems,
                        ..
                    }) => {
                        let found = sources.find(&pkg.id)?;
                        let evidence =
                            gather_evidence(&checksum_file, found, &keyring, &trust, now)?;
                        decide(&pkg.id, &problems, &evidence, &policy)
                    }
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let report = Report { packages };
    if record_pins {
        let added = project_policy::record_pins(&project, &pins_to_record(&report, &rules))?;
        eprintln!(
            "pgp-pkg: recorded the signers of {added} package(s) in {}",
            ProjectPolicy::path_for(&project).display()
        );
    }
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_table());
    }
    Ok(if report.passes() {
        Verdict::Pass
    } else {
        Verdict::Fail
    })
}

/// The good signers of each package that passes and has no pin yet.
fn pins_to_record(
    report: &Report,
    policy: &ProjectPolicy,
) -> BTreeMap<String, BTreeSet<Fingerprint>> {
    report
        .packages
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
/// only where an unsigned package would (SPEC §4).
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

fn unreadable(pkg: &LockedPackage, error: &anyhow::Error) -> PackageReport {
    let mut report = PackageReport::new(&pkg.id);
    report.status = Status::ChecksumMismatch;
    report.trust = Status::ChecksumMismatch.as_str().to_string();
    report.reasons.push(format!(
        "what is installed or cached cannot be checked: {error:#}"
    ));
    report.passes = false;
    report
}

fn missing(pkg: &LockedPackage, why: &str) -> PackageReport {
    let mut report = PackageReport::new(&pkg.id);
    report.status = Status::MissingPackage;
    report.trust = Status::MissingPackage.as_str().to_string();
    report.reasons.push(format!(
        "{why}: fetch the dependencies first (mix deps.get, composer install)"
    ));
    report.passes = false;
    report
}
