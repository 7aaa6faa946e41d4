//! The certification network, validated once and cached in the home.
//!
//! Checking every certification signature is by far the most expensive part
//! of the web of trust (Debian's keyring: ~42,000 certifications, seconds of
//! RSA). Two caches make it cheap: sequoia's signature verification cache
//! (`keys::sig_cache`), so a changed keyring re-checks only the signatures
//! it has not checked before, and sequoia-wot's result — certificate
//! synopses and valid certifications — in `HOME/cache/network.json`, keyed
//! by the SHA-256 of `keyring.pgp` and kept until the first moment its
//! result could change (a signature or key expiring or coming into effect,
//! a crypto-policy cut-off): never for a fixed age, so no hook call pays for
//! a rebuild just because a day has passed.
//! Both are optimisations only: delete them and nothing changes but speed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use openpgp::packet::UserID;
use openpgp::Fingerprint;
use rayon::prelude::*;
use sequoia_openpgp as openpgp;
use sequoia_wot::store::{CertStore, Store};
use sequoia_wot::{CertSynopsis, Certification, Depth, RevocationStatus, UserIDSynopsis};
use serde::{Deserialize, Serialize};

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use openpgp::packet::Signature;
use openpgp::{Cert, KeyID};

use crate::keys::cache_file;
use crate::keys::home::Home;
use crate::keys::keyring::Keyring;
use crate::model::{hex, unhex};

pub(crate) const FORMAT: u32 = 2;

/// The validated network: what sequoia-wot needs to answer queries.
pub(crate) struct Network {
    pub(crate) certs: Vec<CertSynopsis>,
    pub(crate) certifications: Vec<Certification>,
    /// Until when (exclusive) this network, and validity computed from it,
    /// hold: `None` when nothing in the keyring or the policy changes.
    pub(crate) valid_until: Option<SystemTime>,
    /// The moment it was computed for.
    pub(crate) computed_at: SystemTime,
    /// The keyring's certificates sequoia-wot could not use at all (no
    /// valid self-signature under the policy, a key this backend cannot
    /// check): still listed, authenticated by nothing.
    pub(crate) unusable: Vec<Unusable>,
}

/// What updating a network for some changed certificates needs from the
/// keyring, gathered in one pass over it.
///
/// What can differ: the changed certificates, and every certificate holding
/// a signature by one of them (a certification counts only if its issuer
/// was valid when it was made, and a new key makes its certifications
/// checkable at all). Checking them needs them and every possible issuer of
/// a signature on them; nothing else is looked at again.
pub(crate) struct Change {
    touched: BTreeSet<Fingerprint>,
    affected: BTreeSet<Fingerprint>,
    /// The affected certificates and their possible issuers.
    subset: Vec<Cert>,
    /// Each affected certificate still in the keyring, as listed should
    /// sequoia-wot not be able to use it.
    present: Vec<(Fingerprint, Unusable)>,
    valid_until: Option<SystemTime>,
}

impl Change {
    pub(crate) fn of(keyring: &Keyring, touched: BTreeSet<Fingerprint>, now: SystemTime) -> Change {
        let touched_ids: HashSet<KeyID> = touched
            .iter()
            .map(KeyID::from)
            .chain(
                touched
                    .iter()
                    .filter_map(|f| keyring.get(f))
                    .flat_map(|c| c.keys().map(|k| k.key().keyid())),
            )
            .collect();
        let mut affected = touched.clone();
        for cert in keyring.certs() {
            let by_touched = signatures_on(cert).any(|sig| {
                sig.get_issuers()
                    .iter()
                    .any(|h| touched_ids.contains(&KeyID::from(h)))
            });
            if by_touched {
                affected.insert(cert.fingerprint());
            }
        }
        let mut subset: BTreeMap<Fingerprint, &Cert> = BTreeMap::new();
        let mut present = Vec::new();
        for cert in affected.iter().filter_map(|f| keyring.get(f)) {
            subset.insert(cert.fingerprint(), cert);
            present.push((cert.fingerprint(), Unusable::of(cert, now)));
            for sig in signatures_on(cert) {
                for issuer in keyring.candidates(&sig.get_issuers()) {
                    subset.insert(issuer.fingerprint(), issuer);
                }
            }
        }
        Change {
            touched,
            affected,
            subset: subset.into_values().cloned().collect(),
            present,
            valid_until: horizon(keyring, now),
        }
    }
}

/// A certificate of the keyring that is not in the network.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Unusable {
    pub(crate) fingerprint: String,
    /// A valid revocation says so.
    pub(crate) revoked: bool,
    /// Hex, since user IDs need not be UTF-8.
    pub(crate) user_ids: Vec<String>,
}

impl Unusable {
    fn of(cert: &Cert, now: SystemTime) -> Unusable {
        Unusable {
            fingerprint: cert.fingerprint().to_hex(),
            revoked: matches!(
                cert.revocation_status(&crate::keys::crypto::policy(now), now),
                openpgp::types::RevocationStatus::Revoked(_)
            ),
            user_ids: cert.userids().map(|u| hex(u.userid().value())).collect(),
        }
    }
}

impl Network {
    /// Validates every certificate and certification in the keyring (in
    /// parallel: sequoia-wot's `precompute`).
    pub(crate) fn build(keyring: &Keyring, now: SystemTime) -> Result<Network> {
        let policy = crate::keys::crypto::policy(now);
        let store = CertStore::from_cert_refs(keyring.certs(), &policy, now)
            .context("building the web of trust")?;
        let certs: Vec<CertSynopsis> = store.synopses().collect();
        let certifications = certs
            .par_iter()
            .flat_map_iter(|s| certifications_of(&store, &s.fingerprint()))
            .collect();
        let listed: HashSet<Fingerprint> = certs.iter().map(|s| s.fingerprint()).collect();
        let unusable = keyring
            .certs()
            .filter(|c| !listed.contains(&c.fingerprint()))
            .map(|c| Unusable::of(c, now))
            .collect();
        let mut network = Network {
            certs,
            certifications,
            valid_until: horizon(keyring, now),
            computed_at: now,
            unusable,
        };
        network.normalize();
        Ok(network)
    }

    /// This network — that of the keyring as it was loaded, or of the same
    /// keyring at an earlier moment with no crypto-policy change since —
    /// brought up to date for `now` and the certificates `changed` since
    /// (changed in the keyring, or with an event in between: an expiry, a
    /// signature coming into effect). See [`Change`]. The result equals
    /// [`Network::build`]'s (the tests below check that).
    #[cfg(test)]
    fn update(
        self,
        keyring: &Keyring,
        changed: &BTreeSet<Fingerprint>,
        now: SystemTime,
    ) -> Result<Network> {
        self.apply(Change::of(keyring, changed.clone(), now), now)
    }

    /// This network with `change` (taken from the keyring at `now`) applied.
    fn apply(mut self, change: Change, now: SystemTime) -> Result<Network> {
        let affected = &change.affected;
        // A removed certificate's certifications go with it; the change
        // found their targets by the issuer's key ID. If one was missed (a
        // certification by a removed subkey), rebuild instead.
        if self.certifications.iter().any(|c| {
            change.touched.contains(&c.issuer().fingerprint())
                && !affected.contains(&c.target().fingerprint())
        }) {
            bail!("a change touches certifications it cannot see");
        }
        let policy = crate::keys::crypto::policy(now);
        let store = CertStore::from_cert_refs(change.subset.iter(), &policy, now)
            .context("building the web of trust")?;
        self.certs.retain(|s| !affected.contains(&s.fingerprint()));
        self.certifications
            .retain(|c| !affected.contains(&c.target().fingerprint()));
        self.unusable.retain(|u| {
            u.fingerprint
                .parse()
                .map_or(true, |f: Fingerprint| !affected.contains(&f))
        });
        for (fpr, unusable) in change.present {
            match store.lookup_synopsis_by_fpr(&fpr) {
                Ok(synopsis) => {
                    self.certs.push(synopsis);
                    self.certifications.extend(certifications_of(&store, &fpr));
                }
                Err(_) => self.unusable.push(unusable),
            }
        }
        self.valid_until = change.valid_until;
        self.computed_at = now;
        self.normalize();
        Ok(self)
    }

    /// One order for the same network, however it was computed
    /// (sequoia-wot yields synopses in no particular order).
    fn normalize(&mut self) {
        self.unusable
            .sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        self.certs.sort_by_key(|s| s.fingerprint());
        self.certifications.sort_by(|a, b| {
            let key = |c: &Certification| {
                (
                    c.target().fingerprint(),
                    c.issuer().fingerprint(),
                    c.userid().map(|u| u.value().to_vec()),
                    c.creation_time(),
                )
            };
            key(a).cmp(&key(b))
        });
    }

    /// Whether validity computed from this network at its build time still
    /// holds at `now`.
    #[cfg(test)]
    fn holds_at(&self, now: SystemTime) -> bool {
        holds(self.valid_until.map(secs), now)
    }

    /// The cached network if it is for this keyring and still holds, else
    /// that network updated for what changed since (in the keyring, or by
    /// the clock), else a new one; cached (when the home exists).
    pub(crate) fn load_or_build(
        home: &Home,
        keyring: &Keyring,
        now: SystemTime,
    ) -> Result<Network> {
        let Some(cached) = Cached::load(home).filter(|_| keyring.is_saved()) else {
            return Self::build_and_store(home, keyring, now);
        };
        let digest = keyring.digest();
        if cached.keyring_sha256 == digest && cached.holds_at(now) {
            return cached.into_network();
        }
        let (loaded, changed) = keyring.changes_since_load();
        if !cached.can_update_to(now)
            || (cached.keyring_sha256 != digest && cached.keyring_sha256 != loaded)
        {
            return Self::build_and_store(home, keyring, now);
        }
        // The same keyring later: only what the events touched; the keyring
        // as loaded: that and what this command changed.
        let mut touched = keyring.with_events_between(from_secs(cached.computed_at), now);
        if cached.keyring_sha256 != digest {
            touched.extend(changed.iter().cloned());
        }
        let change = Change::of(keyring, touched, now);
        match cached.into_network().and_then(|n| n.apply(change, now)) {
            Ok(network) => {
                crate::keys::sig_cache::save_after_partial_pass(home);
                network.store(home, keyring);
                Ok(network)
            }
            Err(_) => Self::build_and_store(home, keyring, now),
        }
    }

    /// The cached network of the keyring file whose SHA-256 is `digest`,
    /// if it still holds at `now`: what a reader needs to recompute validity
    /// without parsing the keyring.
    pub(crate) fn cached_for(home: &Home, digest: &str, now: SystemTime) -> Option<Network> {
        Cached::load(home)
            .filter(|c| c.keyring_sha256 == digest && c.holds_at(now))?
            .into_network()
            .ok()
    }

    /// Every certificate of the keyring, by fingerprint: those in the
    /// network and those it leaves out.
    pub(crate) fn fingerprints(&self) -> impl Iterator<Item = Fingerprint> + '_ {
        self.certs.iter().map(|s| s.fingerprint()).chain(
            self.unusable
                .iter()
                .filter_map(|u| u.fingerprint.parse().ok()),
        )
    }

    /// A full build, cached.
    fn build_and_store(home: &Home, keyring: &Keyring, now: SystemTime) -> Result<Network> {
        let network = Network::build(keyring, now)?;
        crate::keys::sig_cache::save_after_full_pass(home);
        network.store(home, keyring);
        Ok(network)
    }

    /// Caches this network of `keyring` (when the home exists and the
    /// keyring in memory is the one on disk).
    fn store(&self, home: &Home, keyring: &Keyring) {
        if keyring.is_saved() && keyring.certs().next().is_some() {
            let cached = Cached::from_network(self, keyring.digest());
            cache_file::store(home, "network.json", &cached);
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Cached {
    format: u32,
    keyring_sha256: String,
    valid_until: Option<u64>,
    computed_at: u64,
    unusable: Vec<Unusable>,
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
    /// `HOME/cache/network.json`, if intact and of this format.
    fn load(home: &Home) -> Option<Cached> {
        cache_file::load::<Cached>(home, "network.json").filter(|c| c.format == FORMAT)
    }

    fn holds_at(&self, now: SystemTime) -> bool {
        holds(self.valid_until, now)
    }

    /// Whether [`Network::apply`] can bring this network to `now`: no
    /// crypto-policy cut-off passed since it was computed (a cut-off can
    /// change any certificate), and `now` is not before it.
    fn can_update_to(&self, now: SystemTime) -> bool {
        let computed_at = from_secs(self.computed_at);
        now >= computed_at
            && crate::keys::crypto::policy_changes_after(computed_at).is_none_or(|t| t > now)
    }

    fn from_network(network: &Network, keyring_sha256: String) -> Cached {
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
            valid_until: network.valid_until.map(secs),
            computed_at: secs(network.computed_at),
            unusable: network.unusable.clone(),
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
        let lean_certs: Vec<CertSynopsis> = certs.iter().map(lean_synopsis).collect();
        let certifications = self
            .certifications
            .iter()
            .map(|c| {
                let (Some(issuer), Some(target)) =
                    (lean_certs.get(c.issuer), lean_certs.get(c.target))
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
            valid_until: self.valid_until.map(from_secs),
            computed_at: from_secs(self.computed_at),
            unusable: self.unusable,
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

/// Whether a result valid until `valid_until` (seconds since the epoch,
/// exclusive; `None`: for ever) still holds at `now`.
pub(crate) fn holds(valid_until: Option<u64>, now: SystemTime) -> bool {
    valid_until.is_none_or(|t| secs(now) < t)
}

pub(crate) fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(crate) fn from_secs(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

/// Until when a network (and validity) computed at `now` holds: the next
/// event in the keyring or the crypto policy.
fn horizon(keyring: &Keyring, now: SystemTime) -> Option<SystemTime> {
    [
        keyring.next_event_after(now),
        crate::keys::crypto::policy_changes_after(now),
    ]
    .into_iter()
    .flatten()
    .min()
}

/// The valid third-party certifications of `target`, lean (see [`lean`]):
/// sequoia-wot's own selection (`backend_redges_default`, what its
/// `precompute` runs per certificate), without its cache, which would keep
/// every certification set with full synopses for the life of the store.
fn certifications_of<'a, S>(
    store: &CertStore<'a, '_, S>,
    target: &Fingerprint,
) -> Vec<Certification>
where
    S: sequoia_wot::sequoia_cert_store::store::Store<'a> + Send + Sync,
{
    use sequoia_wot::sequoia_cert_store::Store as _;
    let Ok(cert) = store.lookup_by_cert_fpr(target) else {
        return Vec::new();
    };
    let Ok(valid) = cert
        .to_cert()
        .and_then(|c| c.with_policy(store.policy(), store.reference_time()))
    else {
        return Vec::new();
    };
    sequoia_wot::store::backend_redges_default(store, valid, Depth::new(0))
        .iter()
        .flat_map(|set| set.certifications().flat_map(|(_, c)| c.iter().map(lean)))
        .collect()
}

/// `certification` with its issuer's and target's synopses reduced to
/// what a certification needs of them (fingerprint, expiry, revocation):
/// no user IDs.
///
/// Why: sequoia-wot copies both synopses, user IDs and all, into every
/// certification, and again into every certification set it builds; on
/// Debian's keyring that is ~70 MB in the network and as much again in the
/// computation. Its path search takes a certificate's user IDs from the
/// network's synopses (looked up by fingerprint, the full ones listed
/// first), never from a certification's copy; the tests that compare every
/// validity with gpg's (`tests/wot_gpg.rs`) hold with lean certifications.
fn lean(certification: &Certification) -> Certification {
    let c = certification;
    let mut lean = Certification::new(
        lean_synopsis(c.issuer()),
        c.userid().cloned(),
        lean_synopsis(c.target()),
        c.creation_time(),
    )
    .set_expiration_time(c.expiration_time())
    .set_exportable(c.exportable())
    .set_amount(c.amount())
    .set_depth(c.depth());
    if !c.regular_expressions_bytes().is_empty() {
        lean = lean
            .set_regular_expressions(c.regular_expressions_bytes().iter().map(|r| r.as_slice()));
    }
    lean
}

fn lean_synopsis(s: &CertSynopsis) -> CertSynopsis {
    CertSynopsis::new(
        s.fingerprint(),
        s.expiration_time(),
        s.revocation_status(),
        std::iter::empty::<UserIDSynopsis>(),
    )
}

/// Every signature on any component of `cert`.
fn signatures_on(cert: &Cert) -> impl Iterator<Item = &Signature> {
    cert.userids()
        .flat_map(|u| u.bundle().signatures())
        .chain(cert.keys().flat_map(|k| k.bundle().signatures()))
        .chain(cert.user_attributes().flat_map(|u| u.bundle().signatures()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openpgp::cert::prelude::*;
    use openpgp::packet::signature::SignatureBuilder;
    use openpgp::types::{ReasonForRevocation, SignatureType};

    fn key(name: &str) -> Cert {
        let (cert, _) = CertBuilder::general_purpose(Some(format!("{name} <{name}@example.org>")))
            .set_creation_time(UNIX_EPOCH + Duration::from_secs(1_600_000_000))
            .generate()
            .unwrap();
        cert
    }

    /// `certifier`'s certification of `target`'s first user ID, added to `target`.
    fn certify(certifier: &Cert, target: &Cert) -> Cert {
        certify_at(
            certifier,
            target,
            UNIX_EPOCH + Duration::from_secs(1_600_000_100),
        )
    }

    fn signer(key: &Cert) -> openpgp::crypto::KeyPair {
        key.primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap()
    }

    /// The same, made at `created`.
    fn certify_at(certifier: &Cert, target: &Cert, created: SystemTime) -> Cert {
        let mut signer = signer(certifier);
        let uid = target.userids().next().unwrap().userid().clone();
        let sig = SignatureBuilder::new(SignatureType::GenericCertification)
            .set_signature_creation_time(created)
            .unwrap()
            .sign_userid_binding(&mut signer, target.primary_key().key(), &uid)
            .unwrap();
        target.clone().insert_packets(sig).unwrap().0
    }

    /// A key made at `created` that expires `after` that.
    fn expiring(name: &str, created: SystemTime, after: Duration) -> Cert {
        CertBuilder::general_purpose(Some(format!("{name} <{name}@example.org>")))
            .set_creation_time(created)
            .set_validity_period(after)
            .generate()
            .unwrap()
            .0
    }

    fn public(c: &Cert) -> Cert {
        c.clone().strip_secret_key_material()
    }

    fn keyring(certs: &[&Cert]) -> Keyring {
        let mut k = Keyring::default();
        for c in certs {
            k.update(public(c));
        }
        k
    }

    fn same(a: &Network, b: &Network) {
        let a = serde_json::to_string(&Cached::from_network(a, String::new())).unwrap();
        let b = serde_json::to_string(&Cached::from_network(b, String::new())).unwrap();
        assert_eq!(a, b);
    }

    /// Every kind of change gives, updated, exactly the network a full build
    /// gives: a new key that certifies what the keyring already holds
    /// (its certifications were uncheckable before), a revoked introducer,
    /// a new certification, a new key certified by a known one.
    #[test]
    fn an_update_equals_a_full_build() {
        let now = UNIX_EPOCH + Duration::from_secs(1_650_000_000);
        let (a, b, c, d, e) = (key("a"), key("b"), key("c"), key("d"), key("e"));
        let b1 = certify(&a, &b);
        let c1 = certify(&b, &certify(&e, &c)); // e is not in the keyring yet
        let before = keyring(&[&a, &b1, &c1]);
        let base = Network::build(&before, now).unwrap();
        assert_eq!(
            base.certifications.len(),
            2,
            "a→b and b→c; e→c is uncheckable"
        );

        let revocation = b
            .revoke(&mut signer(&b), ReasonForRevocation::KeyCompromised, b"")
            .unwrap();
        let b_revoked = b1.clone().insert_packets(revocation).unwrap().0;
        let d1 = certify(&c, &d);
        let a1 = certify(&d, &a);
        let cases: Vec<(&str, Vec<&Cert>, Vec<&Cert>)> = vec![
            (
                "the missing issuer arrives",
                vec![&a, &b1, &c1, &e],
                vec![&e],
            ),
            (
                "an introducer is revoked",
                vec![&a, &b_revoked, &c1],
                vec![&b_revoked],
            ),
            ("a new key, certified", vec![&a, &b1, &c1, &d1], vec![&d1]),
            (
                "a new key, certifying",
                vec![&a1, &b1, &c1, &d1],
                vec![&a1, &d1],
            ),
        ];
        for (what, after, changed) in cases {
            let after = keyring(&after);
            let changed: BTreeSet<Fingerprint> = changed.iter().map(|c| c.fingerprint()).collect();
            let full = Network::build(&after, now).unwrap();
            let updated = Network::build(&before, now)
                .unwrap()
                .update(&after, &changed, now)
                .unwrap();
            eprintln!("{what}: {} certifications", full.certifications.len());
            same(&updated, &full);
        }
    }

    /// Issue 11: no fixed age. A network, and validity computed from it,
    /// holds exactly until the next moment something in it changes: here a
    /// key's expiry, then a certification dated in the future.
    #[test]
    fn a_network_holds_until_the_next_event_in_the_keyring() {
        let created = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        let now = created + Duration::from_secs(1000);
        let expires = created + Duration::from_secs(5000);
        let a = expiring("a", created, Duration::from_secs(5000));
        let b = key("b");
        let only_a = keyring(&[&a, &b]);
        let network = Network::build(&only_a, now).unwrap();
        assert_eq!(network.valid_until, Some(expires));
        assert!(network.holds_at(expires - Duration::from_secs(1)));
        assert!(!network.holds_at(expires));

        // A certification made "later" (created after now) changes validity
        // when its time comes, before the expiry.
        let later = now + Duration::from_secs(100);
        let a1 = certify_at(&b, &a, later);
        let network = Network::build(&keyring(&[&a1, &b]), now).unwrap();
        assert_eq!(network.valid_until, Some(later));
    }

    /// Issue 11: time passing over an event costs an update of what the
    /// event touches, not a rebuild, and gives what a rebuild gives: an
    /// expiring introducer, a certification coming into effect.
    #[test]
    fn an_update_across_an_event_equals_a_full_build() {
        let created = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        let now = created + Duration::from_secs(1000);
        let a = expiring("a", created, Duration::from_secs(5000));
        let (b, c) = (key("b"), key("c"));
        let b1 = certify(&a, &b);
        let b2 = certify_at(&c, &b1, now + Duration::from_secs(3000));
        let ring = keyring(&[&a, &b2, &c]);
        for later in [4000, 5000, 5001, 9000].map(|s| created + Duration::from_secs(s)) {
            let touched = ring.with_events_between(now, later);
            let updated = Network::build(&ring, now)
                .unwrap()
                .update(&ring, &touched, later)
                .unwrap();
            same(&updated, &Network::build(&ring, later).unwrap());
        }
    }
}
