//! Validity by the web of trust, as GnuPG's classic `pgp` trust model
//! computes it, with sequoia-wot doing the OpenPGP work.
//!
//! GnuPG's rules (defaults: 1 full or 3 marginal, depth 5):
//! - the user's ultimately trusted keys are valid (`ultimate`);
//! - a key's owner trust counts only once the key is itself *fully* valid;
//! - validation proceeds depth by depth: the introducers at depth `d` are the
//!   keys that became fully valid at depth `d - 1` and have owner trust
//!   `marginal` or `full`;
//! - each user ID keeps its count of full and marginal introducers from one
//!   depth to the next, and a key is looked at again at every depth until all
//!   its user IDs are fully valid;
//! - a user ID is fully valid when one full or three marginal introducers
//!   (found at any depths) certify it, marginally valid with fewer.
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
use rayon::prelude::*;
use sequoia_openpgp as openpgp;
use sequoia_wot::store::SynopsisSlice;
use sequoia_wot::{
    CertSynopsis, Certification, NetworkBuilder, Root, Roots, FULLY_TRUSTED, PARTIALLY_TRUSTED,
};
use serde::{Deserialize, Serialize};

use crate::trust::network::Network;
use crate::trust::owner_trust::OwnerTrust;
use crate::trust::{TrustLevel, TrustModel};

/// GnuPG's `--max-cert-depth` default.
pub(crate) const MAX_DEPTH: usize = 5;
/// GnuPG's `--completes-needed` and `--marginals-needed` defaults.
const COMPLETES_NEEDED: usize = 1;
const MARGINALS_NEEDED: usize = 3;

/// A user ID's certifications by fully valid introducers so far, as GnuPG
/// keeps them in its trust database from one depth to the next.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    full: usize,
    marginal: usize,
}

impl Counts {
    /// validate_one_keyblock: full with enough of either kind, marginal
    /// with any.
    fn level(self) -> TrustLevel {
        if self.full >= COMPLETES_NEEDED || self.marginal >= MARGINALS_NEEDED {
            TrustLevel::Full
        } else if self.full + self.marginal > 0 {
            TrustLevel::Marginal
        } else {
            TrustLevel::Unknown
        }
    }

    /// As a trust amount (120 = fully valid), for explanations.
    fn amount(self) -> usize {
        (self.full * FULLY_TRUSTED + self.marginal * PARTIALLY_TRUSTED).min(FULLY_TRUSTED)
    }
}

/// The trust amount an introducer carries: full and ultimate 120, marginal
/// 40 (three make 120); none for unknown or never.
fn amount_of(level: TrustLevel) -> Option<usize> {
    match level {
        TrustLevel::Ultimate | TrustLevel::Full => Some(FULLY_TRUSTED),
        TrustLevel::Marginal => Some(PARTIALLY_TRUSTED),
        TrustLevel::Unknown | TrustLevel::Never => None,
    }
}

/// One certifier's contribution to a user ID's validity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Introduction {
    pub(crate) certifier: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct UserIdValidity {
    /// The exact user ID, which need not be UTF-8.
    #[serde(with = "user_id_as_hex")]
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

#[derive(Clone, Debug, Serialize, Deserialize)]
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
    /// `own_keys` are the user's own keys (ultimately trusted, like owner
    /// trust `ultimate`).
    pub(crate) fn compute(
        own_keys: &BTreeSet<Fingerprint>,
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
            .filter(|f| own_keys.contains(f) || owner_trust.get(f) == TrustLevel::Ultimate)
            .collect();
        // Local (non-exportable) certifications count only when an
        // ultimately trusted key made them: they are the user's own word.
        // (Copied only when some must go.)
        let counts_here =
            |c: &Certification| c.exportable() || ultimate.contains(&c.issuer().fingerprint());
        let certifications: std::borrow::Cow<[Certification]> =
            if network.certifications.iter().all(counts_here) {
                std::borrow::Cow::Borrowed(&network.certifications)
            } else {
                network
                    .certifications
                    .iter()
                    .filter(|c| counts_here(c))
                    .cloned()
                    .collect()
            };
        // Who certified whom: each depth only looks at what its introducers certified.
        let mut certified_by: BTreeMap<Fingerprint, BTreeSet<Fingerprint>> = BTreeMap::new();
        for c in certifications.iter() {
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

        // g10/trustdb.c, validate_keys: `introducers` is GnuPG's klist, the
        // keys that became fully valid at the previous depth (the ultimate
        // keys first); `used` are the keys already introduced; `done` are the
        // keys all of whose user IDs are fully valid, which need no look again.
        // Every other key is examined at every depth, and each user ID keeps
        // its full and marginal counts from one depth to the next
        // (get_validity_counts), so introducers found at different depths add up.
        let mut introducers: Vec<(Fingerprint, TrustLevel)> = ultimate
            .iter()
            .map(|f| (f.clone(), TrustLevel::Ultimate))
            .collect();
        let mut used: BTreeSet<Fingerprint> = ultimate.clone();
        let mut done: BTreeSet<Fingerprint> = ultimate.clone();
        let mut counts: BTreeMap<(Fingerprint, usize), Counts> = BTreeMap::new();
        // Indexing the certifications is the expensive part of a network:
        // done once, shared by every depth's networks.
        let slice = SynopsisSlice::new(synopses, &certifications, now)?;
        for depth in 1..=MAX_DEPTH {
            if introducers.is_empty() {
                break;
            }
            let role: BTreeMap<Fingerprint, TrustLevel> = introducers.iter().cloned().collect();
            // Introducers without owner trust (unknown, never) count for nothing.
            // One-hop networks rooted at this depth's introducers. A candidate
            // that is an introducer itself is authenticated without itself as a
            // root: sequoia-wot answers a root's own user IDs with the root
            // alone, which would hide the other introducers' certifications.
            let rooted = |without: Option<&Fingerprint>| -> Result<_> {
                let roots = Roots::new(
                    introducers
                        .iter()
                        .filter(|(f, _)| Some(f) != without)
                        .filter_map(|(f, level)| Some(Root::new(f.clone(), amount_of(*level)?))),
                );
                Ok(NetworkBuilder::rooted(&slice, roots)
                    .maximum_depth(0)
                    .build())
            };
            let network = rooted(None)?;
            let mut next = Vec::new();
            let candidates: Vec<&CertSynopsis> = introducers
                .iter()
                .filter_map(|(f, _)| certified_by.get(f))
                .flatten()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .filter_map(|f| by_fpr.get(f).copied())
                .filter(|s| usable(s) && !done.contains(&s.fingerprint()))
                .collect();
            // Who certifies each candidate's user IDs, one hop from an
            // introducer: independent per candidate, so found in parallel;
            // the counts are then taken in order, as before.
            let found: Vec<Vec<Option<Vec<Fingerprint>>>> = candidates
                .par_iter()
                .map(|s| {
                    let fpr = s.fingerprint();
                    let own_network;
                    let is_root = role
                        .get(&fpr)
                        .is_some_and(|level| amount_of(*level).is_some());
                    let network = if is_root {
                        own_network = rooted(Some(&fpr))?;
                        &own_network
                    } else {
                        &network
                    };
                    let entry = certs.get(&fpr).expect("every synopsis has an entry");
                    // One hop from each introducer: a path per valid
                    // certification, until 120 is reached (which already
                    // makes the user ID fully valid).
                    Ok(entry
                        .user_ids
                        .iter()
                        .map(|uid| {
                            (!uid.revoked).then(|| {
                                network
                                    .authenticate(&uid.raw, &fpr, FULLY_TRUSTED)
                                    .iter()
                                    .map(|(path, _)| path.root().fingerprint())
                                    .collect()
                            })
                        })
                        .collect())
                })
                .collect::<Result<_>>()?;
            for (s, certifiers) in candidates.iter().zip(found) {
                let fpr = s.fingerprint();
                let entry = certs.get_mut(&fpr).expect("every synopsis has an entry");
                let mut any_full = false;
                let mut every_full = true;
                for (i, (uid, certifiers)) in entry.user_ids.iter_mut().zip(certifiers).enumerate()
                {
                    let Some(certifiers) = certifiers else {
                        every_full = false;
                        continue;
                    };
                    let count = counts.entry((fpr.clone(), i)).or_default();
                    for certifier in certifiers {
                        // An introducer's own user IDs are "authenticated" by a
                        // path of no hops from itself; GnuPG never counts a
                        // key's self-signature as an introduction
                        // (mark_usable_uid_certs skips them).
                        if certifier == fpr {
                            continue;
                        }
                        match role.get(&certifier) {
                            Some(TrustLevel::Ultimate) => {
                                count.full = count.full.max(COMPLETES_NEEDED)
                            }
                            Some(TrustLevel::Full) => count.full += 1,
                            Some(TrustLevel::Marginal) => count.marginal += 1,
                            _ => continue,
                        }
                        uid.certified_by.push(Introduction {
                            certifier: certifier.to_hex(),
                        });
                    }
                    let level = count.level();
                    if level > uid.validity {
                        uid.validity = level;
                        uid.depth = Some(depth);
                        uid.amount = count.amount();
                    }
                    any_full |= uid.validity >= TrustLevel::Full;
                    every_full &= uid.validity >= TrustLevel::Full;
                }
                if any_full && used.insert(fpr.clone()) {
                    next.push((fpr.clone(), owner_trust.get(&fpr)));
                }
                if every_full {
                    done.insert(fpr);
                }
            }
            introducers = next;
        }

        // Certificates sequoia-wot could not use at all are still listed,
        // authenticated by nothing, and revoked if a valid revocation says so.
        for u in &network.unusable {
            let Ok(fpr) = u.fingerprint.parse::<Fingerprint>() else {
                continue;
            };
            certs.entry(fpr.clone()).or_insert_with(|| CertValidity {
                fingerprint: u.fingerprint.clone(),
                owner_trust: owner_trust.get(&fpr),
                revoked: u.revoked,
                expired: false,
                validity: TrustLevel::Unknown,
                user_ids: u
                    .user_ids
                    .iter()
                    .filter_map(|hex| crate::model::unhex(hex).ok())
                    .map(|raw| UserIdValidity {
                        user_id: String::from_utf8_lossy(&raw).into_owned(),
                        raw: UserID::from(raw),
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

    /// A web of trust as [`WebOfTrust::certs`] listed it (from the cache).
    pub(crate) fn from_certs(certs: Vec<CertValidity>) -> Result<WebOfTrust> {
        let certs = certs
            .into_iter()
            .map(|c| Ok((c.fingerprint.parse()?, c)))
            .collect::<Result<_>>()?;
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

/// User IDs in cache files: hex, since they need not be UTF-8.
mod user_id_as_hex {
    use sequoia_openpgp::packet::UserID;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(uid: &UserID, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::model::hex(uid.value()))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<UserID, D::Error> {
        let hex = String::deserialize(d)?;
        crate::model::unhex(&hex)
            .map(UserID::from)
            .map_err(serde::de::Error::custom)
    }
}
