//! The certification network, validated once and cached in the home.
//!
//! Checking every certification signature is by far the most expensive part
//! of the web of trust (Debian's keyring: ~42,000 certifications, seconds of
//! RSA). sequoia-wot's own result of that work — certificate synopses and
//! valid certifications — is written to `HOME/cache/network.json`, keyed by
//! the SHA-256 of `keyring.pgp`. Any change to the keyring changes the key;
//! the cache is also redone once a day, since validity depends on the time.
//! The cache is an optimisation only: delete it and nothing changes but speed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use openpgp::packet::UserID;
use openpgp::Fingerprint;
use sequoia_openpgp as openpgp;
use sequoia_wot::store::{Backend, CertStore, Store};
use sequoia_wot::{CertSynopsis, Certification, Depth, RevocationStatus, UserIDSynopsis};
use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use crate::keys::cache_file;
use crate::keys::home::Home;
use crate::keys::keyring::Keyring;

pub(crate) const FORMAT: u32 = 1;
/// How long a validated network may be reused.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// The validated network: what sequoia-wot needs to answer queries.
pub(crate) struct Network {
    pub(crate) certs: Vec<CertSynopsis>,
    pub(crate) certifications: Vec<Certification>,
}

impl Network {
    /// Validates every certificate and certification in the keyring (in
    /// parallel: sequoia-wot's `precompute`).
    pub(crate) fn build(keyring: &Keyring, now: SystemTime) -> Result<Network> {
        let policy = crate::keys::crypto::policy(now);
        let store = CertStore::from_cert_refs(keyring.certs(), &policy, now)
            .context("building the web of trust")?;
        store.precompute();
        let certs: Vec<CertSynopsis> = store.synopses().collect();
        let certifications = certs
            .iter()
            .flat_map(|s| store.third_party_certifications_of(&s.fingerprint()))
            .collect();
        Ok(Network {
            certs,
            certifications,
        })
    }

    /// The cached network if it is fresh for this keyring, else a new one,
    /// which is then cached (when the home exists).
    pub(crate) fn load_or_build(
        home: &Home,
        keyring: &Keyring,
        now: SystemTime,
    ) -> Result<Network> {
        if let Some(network) = cache_file::load::<Cached>(home, "network.json") {
            let age = now.duration_since(from_secs(network.checked_at)).ok();
            if network.format == FORMAT
                && network.keyring_sha256 == keyring.digest()
                && age.is_some_and(|a| a < MAX_AGE)
            {
                if let Ok(n) = network.into_network() {
                    return Ok(n);
                }
            }
        }
        let network = Network::build(keyring, now)?;
        if keyring.certs().next().is_some() {
            let cached = Cached::from_network(&network, keyring.digest(), now);
            cache_file::store(home, "network.json", &cached);
        }
        Ok(network)
    }
}

#[derive(Serialize, Deserialize)]
struct Cached {
    format: u32,
    keyring_sha256: String,
    checked_at: u64,
    certs: Vec<CachedCert>,
    certifications: Vec<CachedCertification>,
}

#[derive(Serialize, Deserialize)]
struct CachedCert {
    fingerprint: String,
    expires: Option<u64>,
    revocation: CachedRevocation,
    user_ids: Vec<CachedUserId>,
}

#[derive(Serialize, Deserialize)]
struct CachedUserId {
    /// Hex, since user IDs need not be UTF-8.
    value: String,
    self_signed_at: Option<u64>,
    revocation: CachedRevocation,
}

#[derive(Serialize, Deserialize)]
enum CachedRevocation {
    None,
    Soft(u64),
    Hard,
}

#[derive(Serialize, Deserialize)]
struct CachedCertification {
    /// Indices into `certs`.
    issuer: usize,
    target: usize,
    /// Hex user ID; `None` for a delegation over the whole certificate.
    user_id: Option<String>,
    created: u64,
    expires: Option<u64>,
    exportable: bool,
    amount: usize,
    /// `None`: unconstrained.
    depth: Option<usize>,
    regexes: Vec<String>,
}

impl Cached {
    fn from_network(network: &Network, keyring_sha256: String, now: SystemTime) -> Cached {
        let index: HashMap<Fingerprint, usize> = network
            .certs
            .iter()
            .enumerate()
            .map(|(i, c)| (c.fingerprint(), i))
            .collect();
        let certs = network
            .certs
            .iter()
            .map(|c| CachedCert {
                fingerprint: c.fingerprint().to_hex(),
                expires: c.expiration_time().map(secs),
                revocation: revocation_to(c.revocation_status()),
                user_ids: c
                    .self_signed_and_revoked_userids()
                    .map(|u| CachedUserId {
                        value: hex(u.value()),
                        self_signed_at: u.binding_signature_creation_time().map(secs),
                        revocation: revocation_to(u.revocation_status()),
                    })
                    .collect(),
            })
            .collect();
        let certifications = network
            .certifications
            .iter()
            .filter_map(|c| {
                Some(CachedCertification {
                    issuer: *index.get(&c.issuer().fingerprint())?,
                    target: *index.get(&c.target().fingerprint())?,
                    user_id: c.userid().map(|u| hex(u.value())),
                    created: secs(c.creation_time()),
                    expires: c.expiration_time().map(secs),
                    exportable: c.exportable(),
                    amount: c.amount(),
                    depth: c.depth().limit(),
                    regexes: c
                        .regular_expressions_bytes()
                        .iter()
                        .map(|r| hex(r))
                        .collect(),
                })
            })
            .collect();
        Cached {
            format: FORMAT,
            keyring_sha256,
            checked_at: secs(now),
            certs,
            certifications,
        }
    }

    fn into_network(self) -> Result<Network> {
        let certs: Vec<CertSynopsis> = self
            .certs
            .iter()
            .map(|c| {
                let uids = c
                    .user_ids
                    .iter()
                    .map(|u| {
                        Ok(UserIDSynopsis::new(
                            UserID::from(unhex(&u.value)?),
                            u.self_signed_at.map(from_secs),
                            revocation_from(&u.revocation),
                        ))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(CertSynopsis::new(
                    c.fingerprint.parse()?,
                    c.expires.map(from_secs),
                    revocation_from(&c.revocation),
                    uids.into_iter(),
                ))
            })
            .collect::<Result<_>>()?;
        let certifications = self
            .certifications
            .iter()
            .map(|c| {
                let (Some(issuer), Some(target)) = (certs.get(c.issuer), certs.get(c.target))
                else {
                    bail!("certification refers to a missing certificate");
                };
                let user_id = c
                    .user_id
                    .as_deref()
                    .map(unhex)
                    .transpose()?
                    .map(UserID::from);
                let mut cert = Certification::new(
                    issuer.clone(),
                    user_id,
                    target.clone(),
                    from_secs(c.created),
                )
                .set_expiration_time(c.expires.map(from_secs))
                .set_exportable(c.exportable)
                .set_amount(c.amount)
                .set_depth(Depth::new(c.depth));
                if !c.regexes.is_empty() {
                    let regexes = c
                        .regexes
                        .iter()
                        .map(|r| unhex(r))
                        .collect::<Result<Vec<_>>>()?;
                    cert = cert.set_regular_expressions(regexes.iter().map(|r| r.as_slice()));
                }
                Ok(cert)
            })
            .collect::<Result<_>>()?;
        Ok(Network {
            certs,
            certifications,
        })
    }
}

fn revocation_to(r: RevocationStatus) -> CachedRevocation {
    match r {
        RevocationStatus::NotAsFarAsWeKnow => CachedRevocation::None,
        RevocationStatus::Soft(t) => CachedRevocation::Soft(secs(t)),
        RevocationStatus::Hard => CachedRevocation::Hard,
    }
}

fn revocation_from(r: &CachedRevocation) -> RevocationStatus {
    match r {
        CachedRevocation::None => RevocationStatus::NotAsFarAsWeKnow,
        CachedRevocation::Soft(t) => RevocationStatus::Soft(from_secs(*t)),
        CachedRevocation::Hard => RevocationStatus::Hard,
    }
}

pub(crate) fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn from_secs(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        bail!("odd-length hex");
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).context("bad hex"))
        .collect()
}

impl Network {
    /// The next moment at which something in the network expires or a
    /// scheduled revocation takes effect: validity may change then.
    pub(crate) fn next_change(&self, now: SystemTime) -> SystemTime {
        let soft = |r: RevocationStatus| match r {
            RevocationStatus::Soft(t) => Some(t),
            _ => None,
        };
        self.certs
            .iter()
            .flat_map(|c| [c.expiration_time(), soft(c.revocation_status())])
            .chain(self.certifications.iter().map(|c| c.expiration_time()))
            .flatten()
            .filter(|t| *t > now)
            .min()
            .unwrap_or(now + MAX_AGE)
    }
}
