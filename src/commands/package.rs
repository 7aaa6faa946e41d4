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
use crate::signatures::sources::{beside, signature_for, signed_checksums_path, SignatureSources};
use crate::signatures::verify::{parse_signatures, Verifier};

fn read(package: &Path, identity: &IdentityArgs) -> Result<ReadPackage> {
    let hints = IdentityHints {
        ecosystem: identity.ecosystem,
        name: identity.name.clone(),
        version: identity.pkg_version.clone(),
    };
    let limits = Limits::from_env()?;
    if package.is_dir() && package.join(".git").exists() {
        // An author's checkout: what git archive exports, or with --plain the
        // files as they are, but never the repository itself.
        if identity.plain {
            return crate::package::read_checkout(package, &hints, &limits);
        }
        if let Some(read) = crate::git::read_work_tree(package, &hints, &limits)? {
            return Ok(read);
        }
    }
    read_package(package, &hints, &limits)
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

/// How `sign` signs and where it writes.
pub(crate) struct SignWith<'a> {
    pub(crate) key: Option<&'a str>,
    pub(crate) output: Option<&'a Path>,
    pub(crate) gpg: bool,
    /// Replace an existing signature file rather than add to it.
    pub(crate) replace: bool,
}

pub(crate) fn sign(
    home: &Home,
    package: &Path,
    with: &SignWith,
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
    // Re-signing replaces the signer's own earlier signatures: after a key
    // rotation, the old key's signature must not stay behind to fail.
    let (armored, own) = if with.gpg {
        // Without --key: the home's own key, when it has exactly one (gpg's
        // default key may be another identity altogether).
        let own_key = match with.key {
            Some(k) => Some(k.to_string()),
            None => {
                let own = crate::keys::keyring::own_key_fingerprints(home)?;
                match own.len() {
                    1 => own.iter().next().map(|f| f.to_hex()),
                    _ => None,
                }
            }
        };
        (
            signing::sign_with_gpg(own_key.as_deref(), text.as_bytes())?,
            Vec::new(),
        )
    } else {
        let keyring = Keyring::load(home)?;
        let fpr = signing::choose_own_key(&keyring, with.key)?;
        let own: Vec<sequoia_openpgp::KeyHandle> = keyring
            .own_keys()
            .iter()
            .filter_map(|f| keyring.get(f))
            .flat_map(|c| c.keys().map(|k| k.key().key_handle()).collect::<Vec<_>>())
            .collect();
        (
            signing::sign_with_own_key(home, &fpr, text.as_bytes())?,
            own,
        )
    };
    let output: PathBuf = with
        .output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| beside(package, ".asc"));
    if output == Path::new("-") {
        super::emit(&armored)?;
        return Ok(Verdict::Pass);
    }
    let checksums = signed_checksums_path(&output);
    let (signature, cosigned) = if with.replace {
        (armored, 0)
    } else {
        cosign(&output, &checksums, &text, &armored, &own)?
    };
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_file(&output, signature.as_bytes())?;
    // Publishing the signed checksum file beside the signature lets verifiers
    // name the files that changed, not just say that something did.
    write_file(&checksums, text.as_bytes())?;
    let with_others = if cosigned > 0 {
        format!(" (beside {cosigned} earlier signature(s))")
    } else {
        String::new()
    };
    eprintln!(
        "pgp-pkg: signed {}: wrote {}{with_others} and {}",
        read.checksum_file.package,
        output.display(),
        checksums.display()
    );
    Ok(Verdict::Pass)
}

/// Co-signing: an existing signature file keeps other people's signatures
/// and gains the new one (earlier ones by the same key, or by any of the
/// signer's `own` keys, are replaced). It must be a signature file over this
/// same checksum file, else signing stops rather than mix signatures over
/// different contents or destroy a co-signer's.
fn cosign(
    output: &Path,
    checksums: &Path,
    text: &str,
    new: &str,
    own: &[sequoia_openpgp::KeyHandle],
) -> Result<(String, usize)> {
    let existing = match std::fs::read(output) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((new.to_string(), 0)),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", output.display())),
    };
    let old = parse_signatures(&existing).map_err(|e| {
        anyhow::anyhow!(
            "{} exists and is not a signature file ({e:#}): pass --replace to overwrite it",
            output.display()
        )
    })?;
    match std::fs::read_to_string(checksums) {
        Ok(signed) if signed == text => {}
        Ok(_) => anyhow::bail!(
            "{} holds signatures over other contents ({} differs from this package's checksum \
             file): pass --replace to start over, or sign into another file",
            output.display(),
            checksums.display()
        ),
        Err(_) => anyhow::bail!(
            "{} exists, but {} (what it signs) does not: pass --replace to overwrite it",
            output.display(),
            checksums.display()
        ),
    }
    let new_sigs = parse_signatures(new.as_bytes())?;
    let mut issuers: Vec<_> = new_sigs.iter().flat_map(|s| s.get_issuers()).collect();
    issuers.extend(own.iter().cloned());
    let kept: Vec<_> = old
        .into_iter()
        .filter(|s| {
            !s.get_issuers()
                .iter()
                .any(|i| issuers.iter().any(|n| n.aliases(i)))
        })
        .collect();
    let count = kept.len();
    let packets: Vec<sequoia_openpgp::Packet> =
        kept.into_iter().chain(new_sigs).map(Into::into).collect();
    let armored = signing::armored(&packets, sequoia_openpgp::armor::Kind::Signature, "")?;
    Ok((armored, count))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

pub(crate) fn verify(
    home: &Home,
    http: &Http,
    package: &Path,
    (signature, sources): (Option<&Path>, &[String]),
    identity: &IdentityArgs,
    run: &super::Run,
) -> Result<Verdict> {
    let read = read(package, identity)?;
    // The cheap path: the signers' certificates through the keyring index,
    // their trust from the cached snapshot (both rebuilt when stale).
    let verifier = Verifier::open(home)?;
    // In order (docs/interface.md, "Signature sources"): --signature, the
    // signature directories and templates, PACKAGE.asc beside the package.
    let sources = SignatureSources::new(sources, &[], http)?;
    let found = match signature {
        Some(_) => signature_for(package, signature)?,
        None if sources.entries.is_empty() => signature_for(package, None)?,
        None => match sources.find(&read.checksum_file.package)? {
            Ok(file) => Ok(file),
            Err(looked) => {
                signature_for(package, None)?.map_err(|beside| format!("{looked}; {beside}"))
            }
        },
    };
    let evidence = super::fetching::evidence_all(
        home,
        http,
        &run.fetch,
        verifier,
        &[super::fetching::Signed {
            checksum_file: &read.checksum_file,
            found,
            git: None,
        }],
    )?
    .pop()
    .expect("one package, one evidence");
    let policy = Policy {
        min_trust: run.min_trust,
        ..Policy::default()
    };
    let mut decided = decide(
        &read.checksum_file.package,
        &read.integrity_errors,
        &evidence,
        &policy,
    );
    if let (true, Some(commit)) = (package.is_dir(), &read.made_from_commit) {
        decided.reasons.push(format!(
            "read as `git archive HEAD` exports this work tree (commit {commit}); files \
             outside that export are not checked: use --plain to check the folder as it is"
        ));
    }
    let report = Report {
        notes: Vec::new(),
        packages: vec![decided],
    };
    super::finish(&report, run.json, super::Layout::Blocks)
}
