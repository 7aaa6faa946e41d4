//! What `key fetch`, `key refresh` and `--fetch-keys` share: asking the
//! servers, importing what they sent (with where it came from), and saying
//! what changed (docs/keys.md).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{bail, Result};
use openpgp::{Cert, Fingerprint, KeyHandle};
use sequoia_openpgp as openpgp;

use super::key::{load_for_change, save_change};
use crate::checksum_file::ChecksumFile;
use crate::cli::FetchArgs;
use crate::git::GitSignature;
use crate::keys::discovery::changes;
use crate::keys::discovery::config::key_sources;
use crate::keys::discovery::not_found::NotFound;
use crate::keys::discovery::origins::{Origin, Origins};
use crate::keys::discovery::{Discovery, Outcome, Request};
use crate::keys::home::Home;
use crate::keys::keyring::ParsedKeys;
use crate::model::timestamp;
use crate::net::Http;
use crate::signatures::sources::SignatureFile;
use crate::signatures::verify::{Evidence, Verifier};

/// What importing found certificates did to one of them.
pub(super) enum Effect {
    New,
    Updated(Vec<String>),
    Unchanged,
}

/// One certificate that came back, and what it did to the keyring.
pub(super) struct Imported {
    pub(super) fingerprint: Fingerprint,
    pub(super) user_id: String,
    pub(super) source: String,
    pub(super) effect: Effect,
}

/// Imports every certificate in `outcomes` (public parts only: the
/// discovery layer stripped any secret) and records where each came from.
/// The web of trust decides their validity, as for any other key.
pub(super) fn import_found(home: &Home, outcomes: &[Outcome]) -> Result<Vec<Imported>> {
    let found: Vec<_> = outcomes.iter().flat_map(|o| &o.found).collect();
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let now = SystemTime::now();
    let policy = crate::keys::crypto::policy(now);
    let (lock, mut keyring) = load_for_change(home)?;
    let mut origins = Origins::load(home)?;
    let before: BTreeMap<Fingerprint, Option<Cert>> = found
        .iter()
        .map(|f| {
            (
                f.cert.fingerprint(),
                keyring.get(&f.cert.fingerprint()).cloned(),
            )
        })
        .collect();
    keyring.import(
        home,
        &lock,
        ParsedKeys {
            certs: found.iter().map(|f| f.cert.clone()).collect(),
            ..ParsedKeys::default()
        },
    )?;
    let mut imported = Vec::new();
    for f in &found {
        let fpr = f.cert.fingerprint();
        if imported.iter().any(|i: &Imported| i.fingerprint == fpr) {
            continue;
        }
        let now_cert = keyring.get(&fpr).expect("just imported");
        let effect = match &before[&fpr] {
            None => Effect::New,
            Some(old) => match changes::describe(old, now_cert, &policy, now) {
                c if c.is_empty() => Effect::Unchanged,
                c => Effect::Updated(c),
            },
        };
        origins.record(
            fpr.to_hex(),
            Origin {
                source: f.source.clone(),
                fetched: timestamp(now),
            },
        );
        imported.push(Imported {
            user_id: crate::keys::crypto::display_user_id(now_cert, &policy, now)
                .unwrap_or_default(),
            fingerprint: fpr,
            source: f.source.clone(),
            effect,
        });
    }
    crate::keys::home::commit(vec![origins.stage(home, &lock)?])?;
    save_change(home, lock, keyring)?;
    Ok(imported)
}

/// One line per imported certificate, for people.
pub(super) fn describe(i: &Imported) -> String {
    let effect = match &i.effect {
        Effect::New => "new".to_string(),
        Effect::Updated(c) => format!("updated: {}", c.join(", ")),
        Effect::Unchanged => "unchanged".to_string(),
    };
    format!(
        "{} {} from {} ({effect})",
        i.fingerprint.to_hex(),
        i.user_id,
        i.source
    )
}

/// What one package's evidence is made from: its checksum file, the
/// signature file found for it, and with `--git` the signature upstream.
pub(super) struct Signed<'a> {
    pub(super) checksum_file: &'a ChecksumFile,
    pub(super) found: Result<SignatureFile, String>,
    pub(super) git: Option<&'a GitSignature>,
}

impl Signed<'_> {
    fn evidence(&self, verifier: &Verifier) -> Result<Evidence> {
        verifier.evidence(self.checksum_file, self.found.clone(), self.git)
    }
}

/// The evidence for every package, with `--fetch-keys` applied: the
/// signers that are unknown, expired or revoked are looked up once for the
/// whole run (concurrently), what is found is imported, and only those
/// packages are checked again. Network failures are exit 2, never a pass.
pub(super) fn evidence_all(
    home: &Home,
    http: &Http,
    fetch: &FetchArgs,
    verifier: Verifier,
    packages: &[Signed],
) -> Result<Vec<Evidence>> {
    use rayon::prelude::*;
    let evidence: Vec<Evidence> = packages
        .par_iter()
        .map(|p| p.evidence(&verifier))
        .collect::<Result<_>>()?;
    if !fetch.fetch_keys {
        return Ok(evidence);
    }
    let wanted = wanted_keys(&evidence);
    if wanted.is_empty() {
        return Ok(evidence);
    }
    let Some(extra) = fetch_signers(home, http, fetch, &wanted)? else {
        return Ok(evidence);
    };
    let verifier = Verifier::open(home)?.with_certs(extra);
    packages
        .par_iter()
        .zip(evidence)
        .map(|(p, before)| {
            if wanted_keys(std::slice::from_ref(&before)).is_empty() {
                Ok(before)
            } else {
                p.evidence(&verifier)
            }
        })
        .collect()
}

/// A key to look up: by handle, with the addresses it may be found by, and
/// whether it is a refresh of a certificate already held.
struct Wanted {
    handle: KeyHandle,
    emails: Vec<String>,
    refresh: bool,
}

fn wanted_keys(evidence: &[Evidence]) -> Vec<Wanted> {
    let mut wanted: BTreeMap<String, Wanted> = BTreeMap::new();
    for e in evidence {
        let Evidence::Checked { checks, .. } = e else {
            continue;
        };
        for c in checks {
            if let Some((handle, refresh)) = c.wanted_key() {
                wanted.entry(handle.to_hex()).or_insert(Wanted {
                    handle,
                    emails: c.emails.clone(),
                    refresh,
                });
            }
        }
    }
    wanted.into_values().collect()
}

/// Looks the wanted keys up and imports what is found. `Some` when
/// anything was found: the certificates to use in memory as well (all of
/// them when the home cannot be written; none when it took them).
fn fetch_signers(
    home: &Home,
    http: &Http,
    fetch: &FetchArgs,
    wanted: &[Wanted],
) -> Result<Option<Vec<Cert>>> {
    http.require_online("--fetch-keys")?;
    let sources = key_sources(home, &fetch.servers.keyservers)?;
    let requests: Vec<Request> = wanted
        .iter()
        .map(|w| match (&w.handle, w.refresh) {
            (KeyHandle::Fingerprint(fpr), true) => sources.refresh(fpr, &w.emails),
            (handle, _) => sources.signer(handle, w.emails.first().map(String::as_str)),
        })
        .collect();
    let memory = Mutex::new(NotFound::load(home));
    let outcomes = Discovery::new(http, &sources, Some(&memory)).lookup_all(&requests);
    memory
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .store(home, SystemTime::now());
    let unreachable: Vec<String> = requests
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| o.unreachable())
        .map(|(r, o)| format!("{}: {}", r.label, o.failed.join("; ")))
        .collect();
    if !unreachable.is_empty() {
        bail!(
            "--fetch-keys: could not look up {} signer(s), so they cannot be judged: {}",
            unreachable.len(),
            unreachable.join(" | ")
        );
    }
    if outcomes.iter().all(|o| o.found.is_empty()) {
        return Ok(None);
    }
    match import_found(home, &outcomes) {
        Ok(imported) => {
            for i in &imported {
                eprintln!("pgp-pkg: fetched {}", describe(i));
            }
            Ok(Some(Vec::new()))
        }
        // A home that cannot take them (read-only, a shared CI keyring): the
        // certificates are used for this run only. That gives no trust away:
        // the web of trust is not asked about them, so they are `unknown`
        // unless the keyring already authenticates the key.
        Err(e) => {
            eprintln!(
                "pgp-pkg: warning: the home cannot take the fetched certificates ({e:#}); \
                 they are used for this run only"
            );
            Ok(Some(
                outcomes
                    .into_iter()
                    .flat_map(|o| o.found)
                    .map(|f| f.cert)
                    .collect(),
            ))
        }
    }
}
