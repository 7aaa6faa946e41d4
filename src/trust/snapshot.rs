//! The trust snapshot `verify` reads: every certificate's trust, computed
//! from the web of trust and cached in `HOME/cache/trust.json` until the home's
//! inputs change or the next expiry in the network takes effect.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::Result;
use sequoia_openpgp::Fingerprint;
use serde::{Deserialize, Serialize};

use crate::keys::cache_file;
use crate::keys::home::Home;
use crate::keys::index::{sha256_hex, FileStamp};
use crate::keys::keyring::{own_key_fingerprints, Keyring};
use crate::trust::network::{secs, Network, FORMAT, MAX_AGE};
use crate::trust::owner_trust::OwnerTrust;
use crate::trust::wot::WebOfTrust;
use crate::trust::{TrustLevel, TrustModel};

/// The web of trust of the home's `keyring`, with the validated network
/// from the cache when it is fresh.
pub(crate) fn web_of_trust(
    home: &Home,
    keyring: &Keyring,
    now: SystemTime,
) -> Result<(Network, WebOfTrust)> {
    let (network, wot, _) = web_of_trust_with_owner_trust(home, keyring, now)?;
    Ok((network, wot))
}

/// The same, also returning the owner trust it was computed with.
fn web_of_trust_with_owner_trust(
    home: &Home,
    keyring: &Keyring,
    now: SystemTime,
) -> Result<(Network, WebOfTrust, OwnerTrust)> {
    let network = Network::load_or_build(home, keyring, now)?;
    let owner_trust = OwnerTrust::load(home)?;
    let wot = WebOfTrust::compute(keyring, &network, &owner_trust, now)?;
    Ok((network, wot, owner_trust))
}

/// Every certificate's trust as `verify` reports it, precomputed: a lookup
/// costs a small file read instead of the keyring and the whole web of trust.
pub(crate) struct KeyTrust(HashMap<Fingerprint, TrustLevel>);

impl TrustModel for KeyTrust {
    fn key_trust(&self, fpr: &Fingerprint) -> TrustLevel {
        self.0.get(fpr).copied().unwrap_or(TrustLevel::Unknown)
    }
}

#[derive(Serialize, Deserialize)]
struct CachedTrust {
    format: u32,
    stamps: Stamps,
    /// The snapshot is stale from here on: a day at most, or the next
    /// moment a certificate or certification in the keyring expires.
    valid_until: u64,
    key_trust: BTreeMap<String, TrustLevel>,
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
    /// and own keys and has not expired; else computed afresh and cached.
    pub(crate) fn load(home: &Home, now: SystemTime) -> Result<KeyTrust> {
        let stamps = Stamps::now(home)?;
        let cached = cache_file::load::<CachedTrust>(home, "trust.json");
        if let Some(mut cached) = cached {
            if cached.format == FORMAT
                && secs(now) < cached.valid_until
                && cached.stamps.describe(&stamps, home)
            {
                let map = cached
                    .key_trust
                    .iter()
                    .filter_map(|(f, l)| Some((f.parse().ok()?, *l)))
                    .collect();
                if cached.stamps != cached.stamps.restamped(&stamps) {
                    // A copied home: restamp so the next call needs no hashing.
                    cached.stamps = cached.stamps.restamped(&stamps);
                    cache_file::store(home, "trust.json", &cached);
                }
                return Ok(KeyTrust(map));
            }
        }
        Self::build(home, &Keyring::load(home)?, stamps, now)
    }

    /// Computes and caches the snapshot for `keyring`, the home's keyring
    /// as it was when `stamps` were taken (loaded after, or just saved).
    pub(crate) fn build(
        home: &Home,
        keyring: &Keyring,
        stamps: Stamps,
        now: SystemTime,
    ) -> Result<KeyTrust> {
        let (network, wot, owner_trust) = web_of_trust_with_owner_trust(home, keyring, now)?;
        // Record what the snapshot was computed from: these very bytes.
        let mut stamps = stamps;
        stamps.keyring = stamps.keyring.map(|s| s.with_sha256(&keyring.digest()));
        stamps.owner_trust = match (stamps.owner_trust, owner_trust.digest()) {
            (Some(s), Some(d)) => Some(s.with_sha256(d)),
            (s, _) => s,
        };
        let map: HashMap<Fingerprint, TrustLevel> = keyring
            .certs()
            .map(|c| (c.fingerprint(), wot.key_trust(&c.fingerprint())))
            .collect();
        if stamps.keyring.is_some() {
            let cached = CachedTrust {
                format: FORMAT,
                stamps,
                valid_until: secs(network.next_change(now).min(now + MAX_AGE)),
                key_trust: map.iter().map(|(f, l)| (f.to_hex(), *l)).collect(),
            };
            cache_file::store(home, "trust.json", &cached);
        }
        Ok(KeyTrust(map))
    }
}
