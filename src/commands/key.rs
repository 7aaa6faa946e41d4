//! `key generate|import|fetch|refresh|list|export|certify|revoke|delete|publish-wkd`.

use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use openpgp::parse::Parse;
use openpgp::serialize::SerializeInto;
use sequoia_openpgp as openpgp;

use super::{fetching, read_input, Verdict};
use crate::cli::{KeyCommand, KeyserverArgs};
use crate::keys::discovery::config::key_sources;
use crate::keys::discovery::origins::Origins;
use crate::keys::discovery::{cert_emails, wkd, Discovery, KeyQuery};
use crate::keys::home::{Home, WriteLock};
use crate::keys::keyring::{parse_key_material, CertLookup, IssuerLookup, Keyring, ParsedKeys};
use crate::keys::signing::{armored, generate_key, parse_validity, revoke_key};
use crate::keys::signing::{certify_user_id, choose_own_key};
use crate::model::timestamp;
use crate::net::Http;
use crate::trust::snapshot::Stamps;
use crate::trust::wot::CertValidity;
use crate::trust::TrustLevel;

pub(crate) fn run(home: &Home, http: &Http, cmd: KeyCommand) -> Result<Verdict> {
    match cmd {
        KeyCommand::Generate { user_id, expires } => generate(home, &user_id, &expires),
        KeyCommand::Import { files } => import(home, &files),
        KeyCommand::Fetch { queries, servers } => fetch(home, http, &queries, &servers),
        KeyCommand::Refresh {
            fingerprints,
            servers,
        } => refresh(home, http, &fingerprints, &servers),
        KeyCommand::Revoke {
            fingerprint,
            reason,
            message,
        } => revoke(home, fingerprint.as_deref(), &reason, &message),
        KeyCommand::Delete {
            fingerprint,
            secret,
        } => delete(home, &fingerprint, secret),
        KeyCommand::PublishWkd {
            fingerprint,
            directory,
            domain,
        } => publish_wkd(home, fingerprint.as_deref(), &directory, domain.as_deref()),
        KeyCommand::List { json } => list(home, json),
        KeyCommand::Export { fingerprint } => export(home, &fingerprint),
        KeyCommand::Certify {
            fingerprint,
            user_id,
            key,
        } => certify(home, &fingerprint, &user_id, key.as_deref()),
    }
}

fn generate(home: &Home, user_id: &str, expires: &str) -> Result<Verdict> {
    let validity = parse_validity(expires)?;
    let (tsk, revocation) = generate_key(user_id, validity)?;
    let fpr = tsk.fingerprint();
    let (lock, mut keyring) = load_for_change(home)?;
    keyring.import(
        home,
        &lock,
        ParsedKeys {
            certs: vec![tsk.clone()],
            ..ParsedKeys::default()
        },
    )?;
    // The revocation certificate first: a key is never in the home without it.
    // Armored as gpg writes its own (a public-key block): gpg imports only those.
    let rev_path = home.revocation_path(&fpr);
    let rev = armored(
        &[revocation.into()],
        openpgp::armor::Kind::PublicKey,
        &format!("Revocation certificate for {fpr}: import it to revoke the key"),
    )?;
    home.write_atomic(&lock, &rev_path, rev.as_bytes(), true)?;
    save_change(home, lock, keyring)?;
    outln!("{}", fpr.to_hex());
    let until = validity
        .map(|v| format!("valid until {}", timestamp(SystemTime::now() + v)))
        .unwrap_or_else(|| "does not expire".to_string());
    eprintln!(
        "pgp-pkg: new key {fpr} ({until}); its revocation certificate is in {} \
         (keep a copy somewhere safe: `pgp-pkg key import` of it revokes the key)",
        rev_path.display()
    );
    Ok(Verdict::Pass)
}

/// `key fetch QUERY...`: exit 0 when every query found a certificate, 1
/// when some found nothing, 2 when some could not be looked up at all.
fn fetch(home: &Home, http: &Http, queries: &[String], servers: &KeyserverArgs) -> Result<Verdict> {
    let parsed = queries
        .iter()
        .map(|q| KeyQuery::parse(q))
        .collect::<Result<Vec<_>>>()?;
    http.require_online("key fetch")?;
    let sources = key_sources(home, &servers.keyservers)?;
    let requests: Vec<_> = parsed
        .iter()
        .zip(queries)
        .map(|(q, label)| sources.fetch(q, label))
        .collect();
    let outcomes = Discovery::new(http, &sources, None).lookup_all(&requests);
    let imported = fetching::import_found(home, &outcomes)?;
    let mut verdict = Verdict::Pass;
    for (request, outcome) in requests.iter().zip(&outcomes) {
        if outcome.found.is_empty() {
            if outcome.unreachable() {
                verdict = Verdict::BadInput;
                outln!(
                    "{}: could not be looked up: {}",
                    request.label,
                    outcome.failed.join("; ")
                );
            } else {
                if verdict == Verdict::Pass {
                    verdict = Verdict::Fail;
                }
                outln!(
                    "{}: not found (asked {})",
                    request.label,
                    outcome.not_found.join(", ")
                );
            }
            continue;
        }
        for found in &outcome.found {
            if let Some(i) = imported
                .iter()
                .find(|i| i.fingerprint == found.cert.fingerprint())
            {
                outln!("{}: {}", request.label, fetching::describe(i));
            }
        }
        for failure in &outcome.failed {
            eprintln!("pgp-pkg: warning: {}: {failure}", request.label);
        }
    }
    if !imported.is_empty() {
        eprintln!(
            "pgp-pkg: a fetched key is not trusted for being fetched: certify it \
             (`pgp-pkg key certify`) or trust a key that did, to rely on it"
        );
    }
    Ok(verdict)
}

/// `key refresh [FPR...]`: exit 0 when every source answered, 2 when one
/// could not be reached (what did answer is merged all the same).
fn refresh(
    home: &Home,
    http: &Http,
    wanted: &[String],
    servers: &KeyserverArgs,
) -> Result<Verdict> {
    http.require_online("key refresh")?;
    let sources = key_sources(home, &servers.keyservers)?;
    // What to ask for, not the certificates themselves: the keyring as it is
    // when the answers arrive is read again, under the lock, by the import.
    let requests: Vec<_> = if wanted.is_empty() {
        Keyring::load(home)?
            .certs()
            .map(|c| sources.refresh(&c.fingerprint(), &cert_emails(c)))
            .collect()
    } else {
        let lookup = CertLookup::open(home)?;
        wanted
            .iter()
            .map(|q| {
                let c = lookup.lookup(q)?;
                Ok(sources.refresh(&c.fingerprint(), &cert_emails(&c)))
            })
            .collect::<Result<_>>()?
    };
    let outcomes = Discovery::new(http, &sources, None).lookup_all(&requests);
    let imported = fetching::import_found(home, &outcomes)?;
    let mut changed = 0;
    for i in &imported {
        if let fetching::Effect::Updated(_) = i.effect {
            changed += 1;
            outln!("{}", fetching::describe(i));
        }
    }
    let mut verdict = Verdict::Pass;
    for (request, outcome) in requests.iter().zip(&outcomes) {
        if !outcome.failed.is_empty() {
            verdict = Verdict::BadInput;
            outln!(
                "{}: could not be refreshed from every source: {}",
                request.label,
                outcome.failed.join("; ")
            );
        }
    }
    eprintln!(
        "pgp-pkg: refreshed {} certificate(s): {changed} changed, {} found nowhere",
        requests.len(),
        outcomes
            .iter()
            .filter(|o| o.found.is_empty() && o.failed.is_empty())
            .count()
    );
    Ok(verdict)
}

/// `key revoke [FPR]`: revokes one of the user's own keys, imports the
/// revocation and prints the revoked certificate for publishing.
fn revoke(home: &Home, query: Option<&str>, reason: &str, message: &str) -> Result<Verdict> {
    let (lock, mut keyring) = load_for_change(home)?;
    let fpr = match query {
        Some(q) => {
            let fpr = keyring.lookup(q)?.fingerprint();
            anyhow::ensure!(
                keyring.own_keys().contains(&fpr),
                "{q} is not one of your own keys: only its owner can revoke a key \
                 (import their revocation certificate instead)"
            );
            fpr
        }
        None => choose_own_key(&keyring, None)?,
    };
    let rev = revoke_key(home, &fpr, reason, message)?;
    let cert = keyring
        .get(&fpr)
        .context("own key not in the keyring")?
        .clone();
    let (revoked, _) = cert.insert_packets(rev)?;
    keyring.update(revoked.clone());
    save_change(home, lock, keyring)?;
    out!("{}", String::from_utf8(revoked.armored().export_to_vec()?)?);
    eprintln!(
        "pgp-pkg: revoked {fpr}: publish the certificate above (keyserver, your WKD with \
         `pgp-pkg key publish-wkd`) so that verifiers pick the revocation up"
    );
    Ok(Verdict::Pass)
}

/// `key delete FPR`: an own key only with `--secret`.
fn delete(home: &Home, query: &str, secret: bool) -> Result<Verdict> {
    let (lock, mut keyring) = load_for_change(home)?;
    let fpr = keyring.lookup(query)?.fingerprint();
    if keyring.own_keys().contains(&fpr) && !secret {
        bail!(
            "{fpr} is one of your own keys: deleting it deletes its secret key too; \
             pass --secret if that is what you want (export or back it up first)"
        );
    }
    let mut origins = Origins::load(home)?;
    keyring.remove(home, &lock, &fpr)?;
    if origins.forget(&fpr.to_hex()) {
        crate::keys::home::commit(vec![origins.stage(home, &lock)?])?;
    }
    save_change(home, lock, keyring)?;
    outln!("deleted {}", fpr.to_hex());
    Ok(Verdict::Pass)
}

/// `key publish-wkd`: the key in a WKD tree, for the author to serve.
fn publish_wkd(
    home: &Home,
    query: Option<&str>,
    directory: &std::path::Path,
    domain: Option<&str>,
) -> Result<Verdict> {
    let cert = match query {
        Some(q) => CertLookup::open(home)?.lookup(q)?,
        None => {
            let keyring = Keyring::load(home)?;
            let fpr = choose_own_key(&keyring, None)?;
            keyring
                .get(&fpr)
                .context("own key not in the keyring")?
                .clone()
        }
    };
    // Exported form: local certifications stay home.
    let public = openpgp::Cert::from_bytes(&cert.armored().export_to_vec()?)?;
    let mut domains: Vec<String> = match domain {
        Some(d) => vec![d.to_lowercase()],
        None => cert_emails(&public)
            .iter()
            .filter_map(|e| e.rsplit_once('@').map(|(_, d)| d.to_string()))
            .collect(),
    };
    domains.sort();
    domains.dedup();
    if domains.is_empty() {
        bail!(
            "{} has no user ID with an email address: a Web Key Directory is looked up by address",
            public.fingerprint()
        );
    }
    for d in &domains {
        for path in wkd::publish(directory, d, &public)? {
            outln!("{}", path.display());
        }
    }
    eprintln!(
        "pgp-pkg: serve {}/.well-known/openpgpkey/ as https://openpgpkey.DOMAIN/.well-known/openpgpkey/ \
         (with its policy file); pgp-pkg key fetch ADDRESS then finds the key",
        directory.display()
    );
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
    // The report first: saving hands the keyring to the caches.
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
    save_change(home, lock, keyring)?;
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
pub(super) fn load_for_change(home: &Home) -> Result<(WriteLock, Keyring)> {
    let lock = home.lock()?;
    let keyring = Keyring::load(home)?;
    crate::trust::owner_trust::OwnerTrust::load(home)?;
    Ok((lock, keyring))
}

/// Ends a change: saves `keyring` under `lock`, releases the lock, and
/// checks every certification now, once, so later commands read the result
/// (the trust snapshot). The caches are built after the lock is released
/// (their writers take it themselves) from stamps taken under it, right
/// after the save; they take the keyring, and free it before the web of
/// trust is computed.
pub(super) fn save_change(home: &Home, lock: WriteLock, mut keyring: Keyring) -> Result<()> {
    keyring.save(home, &lock)?;
    let stamps = Stamps::now(home)?;
    drop(lock);
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
    origin: Option<&'a crate::keys::discovery::origins::Origin>,
}

fn list(home: &Home, json: bool) -> Result<Verdict> {
    let validity = crate::trust::snapshot::validity(home, SystemTime::now())?;
    let origins = Origins::load(home)?;
    let listings: Vec<CertListing> = validity
        .wot
        .certs()
        .map(|v| CertListing {
            own: validity
                .own_keys
                .iter()
                .any(|f| f.to_hex() == v.fingerprint),
            origin: origins.get(&v.fingerprint),
            validity: v,
        })
        .collect();
    if json {
        let keys: Vec<_> = listings
            .iter()
            .map(|c| crate::json::KeyJson::new(c.validity, c.own, c.origin))
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
        if let Some(o) = c.origin {
            outln!("    fetched from {} on {}", o.source, o.fetched);
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
    save_change(home, lock, keyring)?;
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
