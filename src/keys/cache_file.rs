//! Derived files in `HOME/cache/` (keyring index, network, trust snapshot):
//! one format for all of them and one way to write them.
//!
//! A derived file is an optimisation, never a source of truth: it is
//! *sealed* (the first line is the SHA-256 of the JSON that follows), so a
//! damaged or truncated file is detected on load and ignored, and then
//! rebuilt from the primary files. Writing one is best effort: a read-only
//! home, or a writer holding the lock, only means the next run computes it
//! again (docs/interface.md, "Read-only homes").

use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::keys::home::Home;

/// The sealed bytes of `value`.
pub(crate) fn seal<T: Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let payload = serde_json::to_vec(value)?;
    let mut out = hex(&Sha256::digest(&payload)).into_bytes();
    out.push(b'\n');
    out.extend_from_slice(&payload);
    Ok(out)
}

/// The value in sealed `bytes`, or `None` when they are damaged, from an
/// older format, or not sealed at all.
pub(crate) fn unseal<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let (digest, payload) = (&bytes[..newline], &bytes[newline + 1..]);
    if digest != hex(&Sha256::digest(payload)).as_bytes() {
        return None;
    }
    serde_json::from_slice(payload).ok()
}

/// Reads and unseals `HOME/cache/NAME`.
pub(crate) fn load<T: DeserializeOwned>(home: &Home, name: &str) -> Option<T> {
    unseal(&std::fs::read(home.cache_dir().join(name)).ok()?)
}

/// Writes `HOME/cache/NAME` if the home can take it right now: without
/// waiting for the write lock and without failing the command.
pub(crate) fn store<T: Serialize>(home: &Home, name: &str, value: &T) {
    if !home.root().is_dir() {
        return;
    }
    let Ok(bytes) = seal(value) else { return };
    if let Some(lock) = home.try_lock() {
        let _ = home.write_atomic(&lock, &home.cache_dir().join(name), &bytes, false);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_is_detected() {
        let sealed = seal(&vec![1u32, 2, 3]).unwrap();
        assert_eq!(unseal::<Vec<u32>>(&sealed), Some(vec![1, 2, 3]));
        let mut damaged = sealed.clone();
        let last = damaged.len() - 2;
        damaged[last] = b'7';
        assert_eq!(unseal::<Vec<u32>>(&damaged), None);
        assert_eq!(unseal::<Vec<u32>>(&sealed[..sealed.len() - 1]), None);
        assert_eq!(unseal::<Vec<u32>>(b"[1,2,3]"), None);
    }
}
