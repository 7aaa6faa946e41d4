//! Where and when each fetched certificate came from
//! (`HOME/key-origins.json`, docs/interface.md, "The home"): shown by
//! `key list`, so a user can tell a key they imported by hand from one a
//! server handed them. Primary data (it cannot be rebuilt), written under
//! the write lock with the keyring.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::keys::home::{Home, Staged, WriteLock};

const FILE: &str = "key-origins.json";

/// The last fetch of one certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Origin {
    /// The URL that answered.
    pub(crate) source: String,
    /// When (RFC 3339, UTC).
    pub(crate) fetched: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Origins {
    format: u32,
    /// Fingerprint (hex) → its last fetch.
    keys: BTreeMap<String, Origin>,
}

impl Origins {
    /// The home's record; none yet is an empty one. A damaged file is a
    /// damaged home (exit 2), left for the user to inspect.
    pub(crate) fn load(home: &Home) -> Result<Origins> {
        let path = home.root().join(FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Origins {
                    format: 1,
                    ..Origins::default()
                })
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let origins: Origins = serde_json::from_slice(&bytes).map_err(|e| {
            anyhow::anyhow!(
                "{}:{}:{}: damaged home: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        anyhow::ensure!(
            origins.format == 1,
            "{}: unknown format {} (written by a newer pgp-pkg?)",
            path.display(),
            origins.format
        );
        Ok(origins)
    }

    pub(crate) fn get(&self, fpr: &str) -> Option<&Origin> {
        self.keys.get(fpr)
    }

    pub(crate) fn record(&mut self, fpr: String, origin: Origin) {
        self.keys.insert(fpr, origin);
    }

    pub(crate) fn forget(&mut self, fpr: &str) -> bool {
        self.keys.remove(fpr).is_some()
    }

    /// The file, staged to be committed with the keyring.
    pub(crate) fn stage(&self, home: &Home, lock: &WriteLock) -> Result<Staged> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        home.stage(lock, &home.root().join(FILE), &bytes, false)
    }
}
