//! `key generate|import|list|export`.

use std::time::SystemTime;

use anyhow::{bail, Result};
use openpgp::serialize::SerializeInto;
use sequoia_openpgp as openpgp;

use super::{read_input, Verdict};
use crate::cli::KeyCommand;
use crate::keys::home::{Home, WriteLock};
use crate::keys::keyring::{parse_key_material, CertLookup, IssuerLookup, Keyring, ParsedKeys};
use crate::keys::signing::generate_key;
use crate::keys::signing::{certify_user_id, choose_own_key};
use crate::trust::snapshot::Stamps;
use crate::trust::wot::CertValidity;
use crate::trust::TrustLevel;

pub(crate) fn run(home: &Home, cmd: KeyCommand) -> Result<Verdict> {
    match cmd {
        KeyCommand::Generate { user_id } => generate(home, &user_id),
        KeyCommand::Import { files } => import(home, &files),
        KeyCommand::List { json } => list(home, json),
        KeyCommand::Export { fingerprint } => export(home, &fingerprint),
        KeyCommand::Certify {
            fingerprint,
            user_id,
            key,
        } => certify(home, &fingerprint, &user_id, key.as_deref()),
    }
}

fn generate(home: &Home, user_id: &str) -> Result<Verdict> {
    let tsk = generate_key(user_id)?;
    let (lock, mut keyring) = load_for_change(home)?;
    keyring.import(
        home,
        &lock,
        ParsedKeys {
            certs: vec![tsk.clone()],
            ..ParsedKeys::default()
        },
    )?;
    keyring.save(home, &lock)?;
    let stamps = Stamps::now(home)?;
    drop(lock);
    warm_caches(home, keyring, stamps)?;
    outln!("{}", tsk.fingerprint().to_hex());
    Ok(Verdict::Pass)
}

fn import(home: &Home, files: &[std::path::PathBuf]) -> Result<Verdict> {
    // Parse everything before touching the home: a bad file imports nothing.
    let mut material = ParsedKeys::default();
    for file in files {
        let parsed = parse_key_material(&read_input(file)?, &file.display().to_string())?;
        material.certs.extend(parsed.certs);
        material.revocations.extend(parsed.revocations);
        material.skipped_packets += parsed.skipped_packets;
        material.skipped_certs += parsed.skipped_certs;
    }
    if material.skipped_packets + material.skipped_certs > 0 {
        eprintln!(
            "pgp-pkg: warning: skipped {} unreadable packet(s) and {} certificate(s) with an unreadable primary key",
            material.skipped_packets, material.skipped_certs
        );
    }
    let (lock, mut keyring) = load_for_change(home)?;
    let summary = keyring.import(home, &lock, material)?;
    keyring.save(home, &lock)?;
    let stamps = Stamps::now(home)?;
    drop(lock);
    // The report first: warming the caches takes the keyring (and frees it
    // before the web of trust is computed).
    let mut report = Vec::new();
    for (label, fprs) in [
        ("new:      ", &summary.new),
        ("updated:  ", &summary.updated),
        ("unchanged:", &summary.unchanged),
    ] {
        report.extend(
            fprs.iter()
                .map(|f| format!("{label} {}", describe(&keyring, f))),
        );
    }
    warm_caches(home, keyring, stamps)?;
    for line in report {
        outln!("{line}");
    }
    for fpr in &summary.new_secret {
        outln!(
            "own key:   {} (secret key imported; ultimately trusted)",
            fpr.to_hex()
        );
    }
    if summary.orphan_revocations > 0 {
        eprintln!(
            "pgp-pkg: warning: {} revocation certificate(s) for keys not in the keyring were skipped",
            summary.orphan_revocations
        );
    }
    Ok(Verdict::Pass)
}

/// Takes the write lock and loads the keyring for a change, after checking
/// every primary file the change will need (owner trust too): a damaged home
/// fails here, before anything is written (docs/interface.md, "The home").
fn load_for_change(home: &Home) -> Result<(WriteLock, Keyring)> {
    let lock = home.lock()?;
    let keyring = Keyring::load(home)?;
    crate::trust::owner_trust::OwnerTrust::load(home)?;
    Ok((lock, keyring))
}

/// Checks every certification now, once, so later commands read the result
/// (see wot_cache). Runs after the write lock is released: the cache
/// writers take it themselves.
/// `stamps` were taken under the write lock, right after `keyring` was saved.
fn warm_caches(home: &Home, keyring: Keyring, stamps: Stamps) -> Result<()> {
    crate::trust::snapshot::build(home, keyring, stamps, SystemTime::now())?;
    Ok(())
}

fn describe(keyring: &Keyring, fpr: &openpgp::Fingerprint) -> String {
    let uid = keyring
        .get(fpr)
        .and_then(|c| {
            crate::keys::crypto::display_user_id(
                c,
                &crate::keys::crypto::policy(SystemTime::now()),
                SystemTime::now(),
            )
        })
        .unwrap_or_default();
    format!("{} {uid}", fpr.to_hex())
}

/// `key list --json` (docs/interface.md, stable interface): `fingerprint`, `revoked`,
/// `expired`, `user_ids[].user_id`, `user_ids[].validity`, and more.
struct CertListing<'a> {
    validity: &'a CertValidity,
    own: bool,
}

fn list(home: &Home, json: bool) -> Result<Verdict> {
    let validity = crate::trust::snapshot::validity(home, SystemTime::now())?;
    let listings: Vec<CertListing> = validity
        .wot
        .certs()
        .map(|v| CertListing {
            own: validity
                .own_keys
                .iter()
                .any(|f| f.to_hex() == v.fingerprint),
            validity: v,
        })
        .collect();
    if json {
        let keys: Vec<_> = listings
            .iter()
            .map(|c| crate::json::KeyJson::new(c.validity, c.own))
            .collect();
        outln!("{}", crate::json::to_string(&keys));
        return Ok(Verdict::Pass);
    }
    for c in &listings {
        let v = c.validity;
        let mut flags = Vec::new();
        if c.own {
            flags.push("own".to_string());
        }
        if v.owner_trust != TrustLevel::Unknown {
            flags.push(format!("owner trust {}", v.owner_trust));
        }
        if v.revoked {
            flags.push("revoked".into());
        }
        if v.expired {
            flags.push("expired".into());
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", flags.join(", "))
        };
        outln!("{}{flags}", v.fingerprint);
        for u in &v.user_ids {
            let revoked = if u.revoked { " [revoked]" } else { "" };
            outln!("    [{:>8}] {}{revoked}", u.validity, u.user_id);
        }
    }
    Ok(Verdict::Pass)
}

/// A local certification: the user vouches for one binding, for their own
/// web of trust only (it is never exported).
fn certify(home: &Home, query: &str, user_id: &str, key: Option<&str>) -> Result<Verdict> {
    let (lock, mut keyring) = load_for_change(home)?;
    let target = keyring.lookup(query)?.clone();
    let Some(uid) = target
        .userids()
        .find(|u| u.userid().value() == user_id.as_bytes())
    else {
        let known: Vec<String> = target
            .userids()
            .map(|u| format!("{:?}", String::from_utf8_lossy(u.userid().value())))
            .collect();
        bail!(
            "{} has no user ID {user_id:?} (it has: {})",
            target.fingerprint(),
            known.join(", ")
        );
    };
    let certifier = choose_own_key(&keyring, key)?;
    let sig = certify_user_id(home, &certifier, &target, uid.userid())?;
    let (updated, _) = target.insert_packets(sig)?;
    keyring.update(updated);
    keyring.save(home, &lock)?;
    let stamps = Stamps::now(home)?;
    drop(lock);
    warm_caches(home, keyring, stamps)?;
    outln!(
        "certified {user_id:?} on {} with {} (local)",
        query,
        certifier.to_hex()
    );
    Ok(Verdict::Pass)
}

fn export(home: &Home, query: &str) -> Result<Verdict> {
    // Through the index: one certificate parsed, not the whole keyring.
    let cert = CertLookup::open(home)?.lookup(query)?;
    // `export` leaves out local (non-exportable) certifications.
    let armored = cert.armored().export_to_vec()?;
    out!("{}", String::from_utf8(armored)?);
    Ok(Verdict::Pass)
}
