//! `key generate|import|list|export`.

use std::time::SystemTime;

use anyhow::Result;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::SerializeInto;
use openpgp::types::RevocationStatus;
use sequoia_openpgp as openpgp;
use serde::Serialize;

use super::{read_input, Verdict};
use crate::cli::KeyCommand;
use crate::home::Home;
use crate::keyring::{parse_key_material, Keyring, ParsedKeys};
use crate::signing::generate_key;
use crate::trust::{OwnKeysOnly, TrustLevel, TrustModel};

pub fn run(home: &Home, cmd: KeyCommand) -> Result<Verdict> {
    match cmd {
        KeyCommand::Generate { user_id } => generate(home, &user_id),
        KeyCommand::Import { files } => import(home, &files),
        KeyCommand::List { json } => list(home, json),
        KeyCommand::Export { fingerprint } => export(home, &fingerprint),
    }
}

fn generate(home: &Home, user_id: &str) -> Result<Verdict> {
    let tsk = generate_key(user_id)?;
    let lock = home.lock()?;
    let mut keyring = Keyring::load(home)?;
    keyring.import(
        home,
        &lock,
        ParsedKeys {
            certs: vec![tsk.clone()],
            revocations: vec![],
        },
    )?;
    keyring.save(home, &lock)?;
    println!("{}", tsk.fingerprint().to_hex());
    Ok(Verdict::Pass)
}

fn import(home: &Home, files: &[std::path::PathBuf]) -> Result<Verdict> {
    // Parse everything before touching the home: a bad file imports nothing.
    let mut material = ParsedKeys::default();
    for file in files {
        let parsed = parse_key_material(&read_input(file)?, &file.display().to_string())?;
        material.certs.extend(parsed.certs);
        material.revocations.extend(parsed.revocations);
    }
    let lock = home.lock()?;
    let mut keyring = Keyring::load(home)?;
    let summary = keyring.import(home, &lock, material)?;
    keyring.save(home, &lock)?;
    for fpr in &summary.new {
        println!("new:       {}", describe(&keyring, fpr));
    }
    for fpr in &summary.updated {
        println!("updated:   {}", describe(&keyring, fpr));
    }
    for fpr in &summary.unchanged {
        println!("unchanged: {}", describe(&keyring, fpr));
    }
    for fpr in &summary.new_secret {
        println!(
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

fn describe(keyring: &Keyring, fpr: &openpgp::Fingerprint) -> String {
    let uid = keyring
        .get(fpr)
        .and_then(|c| crate::verify::display_user_id(c, &StandardPolicy::new(), SystemTime::now()))
        .unwrap_or_default();
    format!("{} {uid}", fpr.to_hex())
}

/// `key list --json` (SPEC §4, stable interface): `fingerprint`, `revoked`,
/// `expired`, `user_ids[].user_id`, `user_ids[].validity`.
#[derive(Serialize)]
struct CertListing {
    fingerprint: String,
    own: bool,
    revoked: bool,
    expired: bool,
    user_ids: Vec<UserIdListing>,
}

#[derive(Serialize)]
struct UserIdListing {
    user_id: String,
    validity: TrustLevel,
    revoked: bool,
}

fn list(home: &Home, json: bool) -> Result<Verdict> {
    let keyring = Keyring::load(home)?;
    let trust = OwnKeysOnly {
        own: keyring.own_keys(),
    };
    let policy = StandardPolicy::new();
    let now = SystemTime::now();
    let listings: Vec<CertListing> = keyring
        .certs()
        .map(|cert| {
            let valid = cert.with_policy(&policy, now).ok();
            let revoked = matches!(
                cert.revocation_status(&policy, now),
                RevocationStatus::Revoked(_)
            );
            let expired = valid.as_ref().is_some_and(|vc| vc.alive().is_err());
            let key_trust = trust.key_trust(&cert.fingerprint());
            let user_ids = cert
                .userids()
                .map(|ua| {
                    let uid_revoked = matches!(
                        ua.revocation_status(&policy, now),
                        RevocationStatus::Revoked(_)
                    );
                    let bound = valid
                        .as_ref()
                        .is_some_and(|vc| vc.userids().any(|u| u.userid() == ua.userid()));
                    // Revoked, expired or unbound bindings confer nothing.
                    let validity = if revoked || expired || uid_revoked || !bound {
                        TrustLevel::Unknown
                    } else {
                        key_trust
                    };
                    UserIdListing {
                        user_id: String::from_utf8_lossy(ua.userid().value()).into_owned(),
                        validity,
                        revoked: uid_revoked,
                    }
                })
                .collect();
            CertListing {
                fingerprint: cert.fingerprint().to_hex(),
                own: keyring.own_keys().contains(&cert.fingerprint()),
                revoked,
                expired,
                user_ids,
            }
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&listings)?);
        return Ok(Verdict::Pass);
    }
    for c in &listings {
        let mut flags = Vec::new();
        if c.own {
            flags.push("own");
        }
        if c.revoked {
            flags.push("revoked");
        }
        if c.expired {
            flags.push("expired");
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", flags.join(", "))
        };
        println!("{}{flags}", c.fingerprint);
        for u in &c.user_ids {
            let revoked = if u.revoked { " [revoked]" } else { "" };
            println!("    [{:>8}] {}{revoked}", u.validity, u.user_id);
        }
    }
    Ok(Verdict::Pass)
}

fn export(home: &Home, query: &str) -> Result<Verdict> {
    let keyring = Keyring::load(home)?;
    let cert = keyring.lookup(query)?;
    let armored = cert.armored().to_vec()?;
    print!("{}", String::from_utf8(armored)?);
    Ok(Verdict::Pass)
}
