//! Signature checks remembered across runs: sequoia-openpgp's signature
//! verification cache, kept in `HOME/cache/signatures.bin`.
//!
//! Checking the ~42,000 certifications of a Debian-sized keyring costs
//! seconds of RSA; without this file every change to the keyring (one
//! import, one `key certify`) paid it all again. Sequoia keys each entry on a
//! digest of the signature's MPIs, the hash it signs and the key that made
//! it, so an entry can only ever answer for that exact signature by that
//! exact key over those exact bytes: a changed certificate misses the
//! cache and is checked afresh. Policy checks (weak hashes, expiry,
//! revocation) are never cached; only the public-key operation is.
//!
//! Derived data, like everything in `cache/`: sealed (see `cache_file`),
//! ignored when damaged, rebuilt by the next full check, deletable. It is
//! as sensitive as the keyring it sits beside: whoever can write it can
//! also rewrite `keyring.pgp` (docs/threat-model.md, "The home").

use std::sync::mpsc;
use std::sync::OnceLock;

use sequoia_openpgp::packet::signature::cache::{Entry, SignatureVerificationCache as Cache};

use crate::keys::cache_file;
use crate::keys::home::Home;

const FILE: &str = "signatures.bin";
/// Each entry is one 32-byte digest.
const ENTRY: usize = 32;
/// Names the payload's layout, so another layout is never misread.
const MAGIC: &[u8] = b"pgp-pkg signature cache 1\n";

static RESTORED: OnceLock<()> = OnceLock::new();

/// Loads the home's remembered signature checks into this process, once,
/// and waits until they are in place (so no check runs before them).
pub(crate) fn restore(home: &Home) {
    RESTORED.get_or_init(|| {
        let Ok(bytes) = std::fs::read(home.cache_dir().join(FILE)) else {
            return;
        };
        let Some(payload) = cache_file::unseal_bytes(&bytes) else {
            return;
        };
        let Some(entries) = payload.strip_prefix(MAGIC) else {
            return;
        };
        if !entries.len().is_multiple_of(ENTRY) {
            return;
        }
        let entries: Vec<Vec<u8>> = entries.chunks(ENTRY).map(<[u8]>::to_vec).collect();
        let (done, wait) = mpsc::channel();
        Cache::restore(entries.into_iter(), move || {
            let _ = done.send(());
        });
        let _ = wait.recv();
    });
}

/// Writes the checks this process used or made, when it made new ones.
/// Call after a pass over the whole keyring (building the network): the
/// entries it did not touch belong to signatures no longer in the keyring,
/// and are dropped, so the file never outgrows the keyring.
pub(crate) fn save_after_full_pass(home: &Home) {
    save(home, |e| e.inserted() || e.accessed());
}

/// Adds the checks this process made to the file, keeping every earlier
/// one: after looking at part of the keyring only.
pub(crate) fn save_after_partial_pass(home: &Home) {
    save(home, |_| true);
}

fn save(home: &Home, keep: impl Fn(&Entry) -> bool) {
    if Cache::insertions() == 0 {
        return;
    }
    let mut payload = MAGIC.to_vec();
    for entry in Cache::dump() {
        if keep(&entry) {
            payload.extend_from_slice(entry.value());
        }
    }
    cache_file::store_bytes(home, FILE, &payload);
    Cache::clear_insertions();
}
