//! The trust snapshots commands read instead of the keyring: every
//! certificate's trust (`HOME/cache/trust.json`, for `verify` and the hooks)
//! and every binding's validity (`HOME/cache/wot.json`, for `key list` and
//! `trust explain`), computed from the web of trust and kept until the
//! home's inputs change or the next expiry in the network takes effect.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::Result;
use sequoia_openpgp::Fingerprint;
use serde::{Deserialize, Serialize};

use crate::keys::cache_file;
use crate::keys::home::Home;
use crate::keys::index::{sha256_hex, FileStamp};
use crate::keys::keyring::{own_key_fingerprints, Keyring};
use crate::trust::network::{holds, secs, Network, FORMAT};
use crate::trust::owner_trust::OwnerTrust;
use crate::trust::wot::{CertValidity, WebOfTrust};
use crate::trust::{TrustLevel, TrustModel};

/// Every certificate's trust as `verify` reports it, precomputed: a lookup
/// costs a small file read instead of the keyring and the whole web of trust.
pub(crate) struct KeyTrust(HashMap<Fingerprint, TrustLevel>);

impl TrustModel for KeyTrust {
    fn key_trust(&self, fpr: &Fingerprint) -> TrustLevel {
        self.0.get(fpr).copied().unwrap_or(TrustLevel::Unknown)
    }
}

/// The two snapshots: `trust.json` (each key's trust, small, for `verify`
/// and the hooks) and `wot.json` (every binding's validity with its
/// introducers, for `key list` and `trust explain`). Both are computed
/// together, from the same inputs, and carry the same stamps.
const TRUST_FILE: &str = "trust.json";
const WOT_FILE: &str = "wot.json";

#[derive(Serialize, Deserialize)]
struct Cached<T> {
    format: u32,
    stamps: Stamps,
    /// The snapshot is stale from here on (seconds since the epoch): the
    /// next moment anything in the keyring or the crypto policy changes
    /// what validity is (`Network::valid_until`); `None`: never.
    valid_until: Option<u64>,
    body: T,
}

impl<T: Serialize + serde::de::DeserializeOwned> Cached<T> {
    /// The cached body if it was computed from the home's current inputs and
    /// still holds at `now`. A copy of the home (same content, other inodes)
    /// is restamped, if the home can take it, so the next call needs no hash.
    fn load(home: &Home, name: &str, stamps: &Stamps, now: SystemTime) -> Option<T> {
        let mut cached: Cached<T> = cache_file::load(home, name)?;
        let fresh = cached.format == FORMAT
            && holds(cached.valid_until, now)
            && cached.stamps.describe(stamps, home);
        if !fresh {
            return None;
        }
        let restamped = cached.stamps.restamped(stamps);
        if cached.stamps != restamped {
            cached.stamps = restamped;
            cache_file::store(home, name, &cached);
        }
        Some(cached.body)
    }
}

/// Which versions of the home's inputs a trust snapshot was computed from.
/// Taken *before* those inputs are read (or while the write lock holds them
/// still): a change in between then makes the snapshot stale, never wrong.
/// The stored stamps also carry the SHA-256 of the bytes actually used, so a
/// copied home matches by content (`FileStamp::describes`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamps {
    keyring: Option<FileStamp>,
    owner_trust: Option<FileStamp>,
    own_keys: Vec<String>,
}

impl Stamps {
    pub(crate) fn now(home: &Home) -> Result<Stamps> {
        Ok(Stamps {
            keyring: FileStamp::of(&home.keyring_path()),
            owner_trust: FileStamp::of(&home.owner_trust_path()),
            own_keys: own_key_fingerprints(home)?
                .iter()
                .map(|f| f.to_hex())
                .collect(),
        })
    }

    /// Whether the home, whose stamps are `now` (metadata only), holds the
    /// inputs these stored stamps describe.
    fn describe(&self, now: &Stamps, home: &Home) -> bool {
        let file = |stored: &Option<FileStamp>, current: &Option<FileStamp>, path: PathBuf| match (
            stored, current,
        ) {
            (None, None) => true,
            (Some(s), Some(c)) => s.describes(c, || sha256_hex(std::fs::File::open(&path).ok()?)),
            _ => false,
        };
        self.own_keys == now.own_keys
            && file(&self.keyring, &now.keyring, home.keyring_path())
            && file(&self.owner_trust, &now.owner_trust, home.owner_trust_path())
    }

    /// These stamps with `now`'s metadata (after a match by content).
    fn restamped(&self, now: &Stamps) -> Stamps {
        let file = |stored: &Option<FileStamp>, current: &Option<FileStamp>| match (stored, current)
        {
            (Some(s), Some(c)) => Some(s.restamped(c)),
            _ => current.clone(),
        };
        Stamps {
            keyring: file(&self.keyring, &now.keyring),
            owner_trust: file(&self.owner_trust, &now.owner_trust),
            own_keys: now.own_keys.clone(),
        }
    }
}

impl KeyTrust {
    /// The cached snapshot when it matches the home's keyring, owner trust
    /// and own keys and still holds; else computed afresh and cached.
    pub(crate) fn load(home: &Home, now: SystemTime) -> Result<KeyTrust> {
        let stamps = Stamps::now(home)?;
        if let Some(body) =
            Cached::<BTreeMap<String, TrustLevel>>::load(home, TRUST_FILE, &stamps, now)
        {
            let map = body
                .iter()
                .filter_map(|(f, l)| Some((f.parse().ok()?, *l)))
                .collect();
            return Ok(KeyTrust(map));
        }
        Ok(build_for_reading(home, stamps, now)?.0)
    }
}

/// Every binding's validity and the user's own keys, as `key list` and
/// `trust explain` show them: from `wot.json` when it matches the home,
/// else computed (and cached).
pub(crate) fn validity(home: &Home, now: SystemTime) -> Result<Validity> {
    let stamps = Stamps::now(home)?;
    if let Some(body) = Cached::<Vec<CertValidity>>::load(home, WOT_FILE, &stamps, now) {
        if let Ok(wot) = WebOfTrust::from_certs(body) {
            return Ok(Validity {
                own_keys: own_key_fingerprints(home)?,
                wot,
            });
        }
    }
    let (_, wot) = build_for_reading(home, stamps, now)?;
    Ok(Validity {
        own_keys: own_key_fingerprints(home)?,
        wot,
    })
}

/// What [`validity`] returns.
pub(crate) struct Validity {
    pub(crate) own_keys: BTreeSet<Fingerprint>,
    pub(crate) wot: WebOfTrust,
}

/// Computes and caches both snapshots for `keyring`, the home's keyring as
/// it was when `stamps` were taken (loaded after, or just saved).
pub(crate) fn build(
    home: &Home,
    keyring: Keyring,
    stamps: Stamps,
    now: SystemTime,
) -> Result<(KeyTrust, WebOfTrust)> {
    let network = Network::load_or_build(home, &keyring, now)?;
    let digest = keyring.digest();
    let own_keys = keyring.own_keys().clone();
    // The web of trust needs only the network: the parsed keyring (the
    // larger of the two, ~115 MB for Debian's) goes first.
    drop(keyring);
    crate::keys::memory::release_freed();
    finish(home, stamps, &network, &own_keys, &digest, now)
}

/// [`build`] for a reader whose snapshots are stale: from the cached
/// network when it is that of the keyring file as it is now (hashed, not
/// parsed: an owner-trust change costs no keyring parse), else from the
/// keyring.
fn build_for_reading(
    home: &Home,
    stamps: Stamps,
    now: SystemTime,
) -> Result<(KeyTrust, WebOfTrust)> {
    let digest = std::fs::File::open(home.keyring_path())
        .ok()
        .and_then(sha256_hex);
    let cached = digest.and_then(|d| Some((Network::cached_for(home, &d, now)?, d)));
    if let Some((network, digest)) = cached {
        let own = own_key_fingerprints(home)?;
        let listed: BTreeSet<Fingerprint> = network.fingerprints().collect();
        // An own key missing from the keyring is a damaged home, which
        // loading the keyring reports.
        if own.is_subset(&listed) {
            return finish(home, stamps, &network, &own, &digest, now);
        }
    }
    build(home, Keyring::load(home)?, stamps, now)
}

/// The web of trust from `network` (of the keyring whose SHA-256 is
/// `keyring_sha256`), and both snapshots of it cached.
fn finish(
    home: &Home,
    stamps: Stamps,
    network: &Network,
    own_keys: &BTreeSet<Fingerprint>,
    keyring_sha256: &str,
    now: SystemTime,
) -> Result<(KeyTrust, WebOfTrust)> {
    let owner_trust = OwnerTrust::load(home)?;
    let wot = WebOfTrust::compute(own_keys, network, &owner_trust, now)?;
    // Record what the snapshot was computed from: these very bytes.
    let mut stamps = stamps;
    stamps.keyring = stamps.keyring.map(|s| s.with_sha256(keyring_sha256));
    stamps.owner_trust = match (stamps.owner_trust, owner_trust.digest()) {
        (Some(s), Some(d)) => Some(s.with_sha256(d)),
        (s, _) => s,
    };
    let map: HashMap<Fingerprint, TrustLevel> = network
        .fingerprints()
        .map(|f| {
            let trust = wot.key_trust(&f);
            (f, trust)
        })
        .collect();
    if stamps.keyring.is_some() {
        let valid_until = network.valid_until.map(secs);
        let trust = Cached {
            format: FORMAT,
            stamps: stamps.clone(),
            valid_until,
            body: map
                .iter()
                .map(|(f, l)| (f.to_hex(), *l))
                .collect::<BTreeMap<_, _>>(),
        };
        cache_file::store(home, TRUST_FILE, &trust);
        let validity = Cached {
            format: FORMAT,
            stamps,
            valid_until,
            body: wot.certs().cloned().collect::<Vec<_>>(),
        };
        cache_file::store(home, WOT_FILE, &validity);
    }
    Ok((KeyTrust(map), wot))
}
