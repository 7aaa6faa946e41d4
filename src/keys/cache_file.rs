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
use crate::model::hex;

/// The sealed bytes of `value`.
pub(crate) fn seal<T: Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    Ok(seal_bytes(&serde_json::to_vec(value)?))
}

/// `payload` sealed: the hex SHA-256 of `payload`, a newline, `payload`.
pub(crate) fn seal_bytes(payload: &[u8]) -> Vec<u8> {
    let mut out = hex(&Sha256::digest(payload)).into_bytes();
    out.push(b'\n');
    out.extend_from_slice(payload);
    out
}

/// The value in sealed `bytes`, or `None` when they are damaged, from an
/// older format, or not sealed at all.
pub(crate) fn unseal<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(unseal_bytes(bytes)?).ok()
}

/// The payload of sealed `bytes`, or `None` when they are damaged.
pub(crate) fn unseal_bytes(bytes: &[u8]) -> Option<&[u8]> {
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let (digest, payload) = (&bytes[..newline], &bytes[newline + 1..]);
    (digest == hex(&Sha256::digest(payload)).as_bytes()).then_some(payload)
}

/// Reads and unseals `HOME/cache/NAME`.
pub(crate) fn load<T: DeserializeOwned>(home: &Home, name: &str) -> Option<T> {
    unseal(&std::fs::read(home.cache_dir().join(name)).ok()?)
}

/// Writes `HOME/cache/NAME` if the home can take it right now: without
/// waiting for the write lock and without failing the command.
pub(crate) fn store<T: Serialize>(home: &Home, name: &str, value: &T) {
    let Ok(bytes) = serde_json::to_vec(value) else {
        return;
    };
    store_bytes(home, name, &bytes);
}

/// [`store`] for a payload that is not JSON.
pub(crate) fn store_bytes(home: &Home, name: &str, payload: &[u8]) {
    if !home.root().is_dir() {
        return;
    }
    if let Some(lock) = home.try_lock() {
        let path = home.cache_dir().join(name);
        let _ = home.write_atomic(&lock, &path, &seal_bytes(payload), false);
    }
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
