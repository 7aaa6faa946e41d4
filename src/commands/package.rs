//! `checksum`, `sign` and `verify`: one package at a time.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::Verdict;
use crate::cli::IdentityArgs;
use crate::decision::report::Report;
use crate::decision::rules::{decide, Policy};
use crate::keys::home::Home;
use crate::keys::keyring::Keyring;
use crate::keys::signing;
use crate::net::Http;
use crate::package::{read_package, IdentityHints, Limits, ReadPackage};
use crate::signatures::sources::{beside, signature_for, signed_checksums_path};
use crate::signatures::verify::Verifier;

fn read(package: &Path, identity: &IdentityArgs) -> Result<ReadPackage> {
    let hints = IdentityHints {
        ecosystem: identity.ecosystem,
        name: identity.name.clone(),
        version: identity.pkg_version.clone(),
    };
    read_package(package, &hints, &Limits::from_env()?)
}

pub(crate) fn checksum(package: &Path, identity: &IdentityArgs) -> Result<Verdict> {
    let read = read(package, identity)?;
    out!("{}", read.checksum_file.render());
    for e in &read.integrity_errors {
        eprintln!("pgp-pkg: {}: {e}", package.display());
    }
    Ok(if read.integrity_errors.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail
    })
}

pub(crate) fn sign(
    home: &Home,
    package: &Path,
    key: Option<&str>,
    output: Option<&Path>,
    use_gpg: bool,
    identity: &IdentityArgs,
) -> Result<Verdict> {
    let read = read(package, identity)?;
    if !read.integrity_errors.is_empty() {
        anyhow::bail!(
            "refusing to sign a damaged package: {}",
            read.integrity_errors.join("; ")
        );
    }
    let text = read.checksum_file.render();
    let armored = if use_gpg {
        signing::sign_with_gpg(key, text.as_bytes())?
    } else {
        let keyring = Keyring::load(home)?;
        let fpr = signing::choose_own_key(&keyring, key)?;
        signing::sign_with_own_key(home, &fpr, text.as_bytes())?
    };
    let output: PathBuf = output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| beside(package, ".asc"));
    if output == Path::new("-") {
        super::emit(&armored)?;
        return Ok(Verdict::Pass);
    }
    write_file(&output, armored.as_bytes())?;
    // Publishing the signed checksum file beside the signature lets verifiers
    // name the files that changed, not just say that something did.
    let checksums = signed_checksums_path(&output);
    write_file(&checksums, text.as_bytes())?;
    eprintln!(
        "pgp-pkg: signed {}: wrote {} and {}",
        read.checksum_file.package,
        output.display(),
        checksums.display()
    );
    Ok(Verdict::Pass)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

pub(crate) fn verify(
    home: &Home,
    http: &Http,
    package: &Path,
    signature: Option<&Path>,
    identity: &IdentityArgs,
    run: &super::Run,
) -> Result<Verdict> {
    let read = read(package, identity)?;
    // The cheap path: the signers' certificates through the keyring index,
    // their trust from the cached snapshot (both rebuilt when stale).
    let verifier = Verifier::open(home)?;
    let found = signature_for(package, signature)?;
    let evidence = super::fetching::evidence_all(
        home,
        http,
        &run.fetch,
        verifier,
        &[(&read.checksum_file, found)],
    )?
    .pop()
    .expect("one package, one evidence");
    let policy = Policy {
        min_trust: run.min_trust,
        ..Policy::default()
    };
    let report = Report {
        notes: Vec::new(),
        packages: vec![decide(
            &read.checksum_file.package,
            &read.integrity_errors,
            &evidence,
            &policy,
        )],
    };
    super::finish(&report, run.json, super::Layout::Blocks)
}
