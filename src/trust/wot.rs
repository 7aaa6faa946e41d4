//! Validity by the web of trust, as GnuPG's classic `pgp` trust model
//! computes it, with sequoia-wot doing the OpenPGP work.
//!
//! GnuPG's rules (defaults: 1 full or 3 marginal, depth 5):
//! - the user's ultimately trusted keys are valid (`ultimate`);
//! - a key's owner trust counts only once the key is itself *fully* valid;
//! - validation proceeds depth by depth: the introducers at depth `d` are the
//!   keys that became fully valid at depth `d - 1` and have owner trust
//!   `marginal` or `full`;
//! - a user ID is fully valid when its certifications by the current
//!   introducers add up to one full or three marginal ones, marginally
//!   valid when they add up to less.
//!
//! sequoia-wot expresses exactly one such step: roots with trust amounts
//! (120 = full, 40 = marginal, so three marginals make 120) and paths of one
//! hop (`maximum_depth(0)`). It decides which certifications are valid (not
//! revoked, not expired, not using weak algorithms, by a live issuer) and adds
//! up independent introducers. This module only sequences the depths and
//! owner trust. See docs/trust-model.md.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use anyhow::Result;
use openpgp::packet::UserID;
use openpgp::Fingerprint;
use sequoia_openpgp as openpgp;
use sequoia_wot::store::SynopsisSlice;
use sequoia_wot::{
    CertSynopsis, Certification, NetworkBuilder, Root, Roots, FULLY_TRUSTED, PARTIALLY_TRUSTED,
};

use crate::keys::keyring::Keyring;
use crate::trust::network::Network;
use crate::trust::owner_trust::OwnerTrust;
use crate::trust::{TrustLevel, TrustModel};

/// GnuPG's `--max-cert-depth` default.
pub(crate) const MAX_DEPTH: usize = 5;

/// One certifier's contribution to a user ID's validity.
#[derive(Clone, Debug)]
pub(crate) struct Introduction {
    pub(crate) certifier: String,
}

#[derive(Clone, Debug)]
pub(crate) struct UserIdValidity {
    /// The exact user ID, which need not be UTF-8.
    pub(crate) raw: UserID,
    pub(crate) user_id: String,
    pub(crate) validity: TrustLevel,
    pub(crate) revoked: bool,
    /// The depth at which the validity was established (0 for own keys).
    pub(crate) depth: Option<usize>,
    /// The summed trust amount of the introducers (120 means fully valid).
    pub(crate) amount: usize,
    pub(crate) certified_by: Vec<Introduction>,
}

#[derive(Clone, Debug)]
pub(crate) struct CertValidity {
    pub(crate) fingerprint: String,
    pub(crate) owner_trust: TrustLevel,
    pub(crate) revoked: bool,
    pub(crate) expired: bool,
    /// The key's validity: the best of its user IDs' (as GnuPG shows it).
    pub(crate) validity: TrustLevel,
    pub(crate) user_ids: Vec<UserIdValidity>,
}

/// The validity of every binding in the keyring.
pub(crate) struct WebOfTrust {
    certs: BTreeMap<Fingerprint, CertValidity>,
}

impl WebOfTrust {
    pub(crate) fn compute(
        keyring: &Keyring,
        network: &Network,
        owner_trust: &OwnerTrust,
        now: SystemTime,
    ) -> Result<WebOfTrust> {
        let synopses = &network.certs;

        let usable = |s: &CertSynopsis| !is_revoked(s) && !is_expired(s, now);
        let ultimate: BTreeSet<Fingerprint> = synopses
            .iter()
            .filter(|s| usable(s))
            .map(|s| s.fingerprint())
            .filter(|f| {
                keyring.own_keys().contains(f) || owner_trust.get(f) == TrustLevel::Ultimate
            })
            .collect();
        // Local (non-exportable) certifications count only when an
        // ultimately trusted key made them: they are the user's own word.
        let certifications: Vec<Certification> = network
            .certifications
            .iter()
            .filter(|c| c.exportable() || ultimate.contains(&c.issuer().fingerprint()))
            .cloned()
            .collect();
        // Who certified whom: each depth only looks at what its introducers certified.
        let mut certified_by: BTreeMap<Fingerprint, BTreeSet<Fingerprint>> = BTreeMap::new();
        for c in &certifications {
            certified_by
                .entry(c.issuer().fingerprint())
                .or_default()
                .insert(c.target().fingerprint());
        }
        let by_fpr: BTreeMap<Fingerprint, &CertSynopsis> =
            synopses.iter().map(|s| (s.fingerprint(), s)).collect();

        let mut certs: BTreeMap<Fingerprint, CertValidity> = synopses
            .iter()
            .map(|s| {
                let fpr = s.fingerprint();
                let validity = CertValidity {
                    fingerprint: fpr.to_hex(),
                    owner_trust: owner_trust.get(&fpr),
                    revoked: is_revoked(s),
                    expired: is_expired(s, now),
                    validity: TrustLevel::Unknown,
                    user_ids: s
                        .self_signed_and_revoked_userids()
                        .map(|u| UserIdValidity {
                            raw: u.userid().clone(),
                            user_id: String::from_utf8_lossy(u.value()).into_owned(),
                            validity: if ultimate.contains(&fpr)
                                && !u.revocation_status().in_effect(now)
                            {
                                TrustLevel::Ultimate
                            } else {
                                TrustLevel::Unknown
                            },
                            revoked: !matches!(
                                u.revocation_status(),
                                sequoia_wot::RevocationStatus::NotAsFarAsWeKnow
                            ),
                            depth: ultimate.contains(&fpr).then_some(0),
                            amount: if ultimate.contains(&fpr) {
                                FULLY_TRUSTED
                            } else {
                                0
                            },
                            certified_by: Vec::new(),
                        })
                        .collect(),
                };
                (fpr, validity)
            })
            .collect();

        let mut introducers: Vec<(Fingerprint, usize)> = ultimate
            .iter()
            .map(|f| (f.clone(), FULLY_TRUSTED))
            .collect();
        let mut settled: BTreeSet<Fingerprint> = ultimate.clone();
        for depth in 1..=MAX_DEPTH {
            if introducers.is_empty() {
                break;
            }
            let roots = Roots::new(introducers.iter().map(|(f, a)| Root::new(f.clone(), *a)));
            let slice = SynopsisSlice::new(synopses, &certifications, now)?;
            let network = NetworkBuilder::rooted(slice, roots)
                .maximum_depth(0)
                .build();
            let mut next = Vec::new();
            let candidates: Vec<&CertSynopsis> = introducers
                .iter()
                .filter_map(|(f, _)| certified_by.get(f))
                .flatten()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .filter_map(|f| by_fpr.get(f).copied())
                .filter(|s| usable(s) && !settled.contains(&s.fingerprint()))
                .collect();
            for s in candidates {
                let fpr = s.fingerprint();
                let entry = certs.get_mut(&fpr).expect("every synopsis has an entry");
                let mut fully_valid = false;
                for uid in entry.user_ids.iter_mut().filter(|u| !u.revoked) {
                    let paths = network.authenticate(&uid.raw, &fpr, FULLY_TRUSTED);
                    let amount = paths.amount().min(FULLY_TRUSTED);
                    let level = match amount {
                        0 => continue,
                        a if a >= FULLY_TRUSTED => TrustLevel::Full,
                        _ => TrustLevel::Marginal,
                    };
                    fully_valid |= level == TrustLevel::Full;
                    if level > uid.validity {
                        uid.validity = level;
                        uid.depth = Some(depth);
                        uid.amount = amount;
                        uid.certified_by = paths
                            .iter()
                            .map(|(p, _)| Introduction {
                                certifier: p.root().fingerprint().to_hex(),
                            })
                            .collect();
                    }
                }
                if fully_valid {
                    settled.insert(fpr.clone());
                    match owner_trust.get(&fpr) {
                        TrustLevel::Full => next.push((fpr, FULLY_TRUSTED)),
                        TrustLevel::Marginal => next.push((fpr, PARTIALLY_TRUSTED)),
                        _ => {}
                    }
                }
            }
            introducers = next;
        }

        // Certificates sequoia-wot could not use at all (no valid
        // self-signature under the policy, or a key this backend cannot
        // check) are still listed, authenticated by nothing, and revoked
        // if a valid revocation says so.
        let policy = crate::keys::crypto::policy(now);
        for cert in keyring.certs() {
            certs
                .entry(cert.fingerprint())
                .or_insert_with(|| CertValidity {
                    fingerprint: cert.fingerprint().to_hex(),
                    owner_trust: owner_trust.get(&cert.fingerprint()),
                    revoked: matches!(
                        cert.revocation_status(&policy, now),
                        sequoia_openpgp::types::RevocationStatus::Revoked(_)
                    ),
                    expired: false,
                    validity: TrustLevel::Unknown,
                    user_ids: cert
                        .userids()
                        .map(|u| UserIdValidity {
                            raw: u.userid().clone(),
                            user_id: String::from_utf8_lossy(u.userid().value()).into_owned(),
                            validity: TrustLevel::Unknown,
                            revoked: false,
                            depth: None,
                            amount: 0,
                            certified_by: Vec::new(),
                        })
                        .collect(),
                });
        }
        for c in certs.values_mut() {
            c.validity = c
                .user_ids
                .iter()
                .filter(|u| !u.revoked)
                .map(|u| u.validity)
                .max()
                .unwrap_or(TrustLevel::Unknown);
        }
        Ok(WebOfTrust { certs })
    }

    pub(crate) fn cert(&self, fpr: &Fingerprint) -> Option<&CertValidity> {
        self.certs.get(fpr)
    }

    pub(crate) fn certs(&self) -> impl Iterator<Item = &CertValidity> {
        self.certs.values()
    }
}

impl TrustModel for WebOfTrust {
    /// What `verify` reports for a signer: `never` when the user distrusts
    /// the key, else its validity.
    fn key_trust(&self, fpr: &Fingerprint) -> TrustLevel {
        match self.certs.get(fpr) {
            Some(c) if c.owner_trust == TrustLevel::Never => TrustLevel::Never,
            Some(c) if c.revoked || c.expired => TrustLevel::Unknown,
            Some(c) => c.validity,
            None => TrustLevel::Unknown,
        }
    }
}

fn is_revoked(s: &CertSynopsis) -> bool {
    // Any revocation, whatever its reason: docs/trust-model.md.
    !matches!(
        s.revocation_status(),
        sequoia_wot::RevocationStatus::NotAsFarAsWeKnow
    )
}

fn is_expired(s: &CertSynopsis, now: SystemTime) -> bool {
    s.expiration_time().is_some_and(|t| t <= now)
}
