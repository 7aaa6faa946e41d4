//! An index of `keyring.pgp`: where each certificate's bytes are, by the
//! key IDs of all its keys. It lets `verify` parse only the signers'
//! certificates instead of the whole keyring (Debian's: 28 MB, ~0.45 s).
//!
//! Written next to every keyring save (`HOME/cache/keyring-index.json`) and
//! trusted only while `keyring.pgp` is exactly the file it was made for
//! (same size, modification time and inode). Derived data: deletable.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use openpgp::parse::Parse;
use openpgp::{Cert, KeyHandle, KeyID};
use sequoia_openpgp as openpgp;
use serde::{Deserialize, Serialize};

use crate::home::{Home, WriteLock};

/// Identifies one version of a file without reading it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    len: u64,
    modified_ns: u128,
    inode: u64,
}

impl FileStamp {
    pub fn of(path: &Path) -> Option<FileStamp> {
        Self::from_metadata(std::fs::metadata(path).ok()?)
    }

    fn from_metadata(meta: std::fs::Metadata) -> Option<FileStamp> {
        let modified_ns = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(FileStamp {
            len: meta.len(),
            modified_ns,
            inode,
        })
    }
}

#[derive(Serialize, Deserialize)]
pub struct KeyringIndex {
    keyring: FileStamp,
    /// The keyring file this index was checked against, held open: a
    /// concurrent import replaces the path, never this file's bytes.
    #[serde(skip)]
    file: Option<File>,
    /// Certificates parsed so far, by span: many packages share a signer.
    #[serde(skip)]
    parsed: Mutex<HashMap<usize, Cert>>,
    /// (offset, length) of each certificate.
    spans: Vec<(u64, u64)>,
    /// Key ID (hex) of every primary key and subkey → indices into `spans`.
    by_key_id: HashMap<String, Vec<usize>>,
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let n =
            std::os::windows::fs::FileExt::seek_read(file, &mut buf[done..], offset + done as u64)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        done += n;
    }
    Ok(())
}

impl KeyringIndex {
    /// Writes the index of a keyring that holds `certs` back to back, each
    /// with its (offset, length).
    pub fn save(home: &Home, lock: &WriteLock, certs: &[(&Cert, u64, u64)]) -> Result<()> {
        let Some(keyring) = FileStamp::of(&home.keyring_path()) else {
            return Ok(());
        };
        let mut by_key_id: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (cert, _, _)) in certs.iter().enumerate() {
            for key in cert.keys() {
                by_key_id
                    .entry(key.key().keyid().to_hex())
                    .or_default()
                    .push(i);
            }
        }
        let spans = certs
            .iter()
            .map(|(_, offset, len)| (*offset, *len))
            .collect();
        let index = KeyringIndex {
            keyring,
            file: None,
            parsed: Mutex::default(),
            spans,
            by_key_id,
        };
        let path = home.cache_dir().join("keyring-index.json");
        home.write_atomic(lock, &path, &serde_json::to_vec(&index)?, false)
    }

    /// The index, with the keyring file opened, if it describes that file.
    pub fn load_fresh(home: &Home) -> Option<KeyringIndex> {
        let bytes = std::fs::read(home.cache_dir().join("keyring-index.json")).ok()?;
        let mut index: KeyringIndex = serde_json::from_slice(&bytes).ok()?;
        let file = File::open(home.keyring_path()).ok()?;
        let stamp = FileStamp::from_metadata(file.metadata().ok()?)?;
        if stamp != index.keyring {
            return None;
        }
        index.file = Some(file);
        Some(index)
    }

    fn parse_span(&self, file: &File, i: usize) -> Result<Cert> {
        if let Some(cert) = self.parsed.lock().expect("not poisoned").get(&i) {
            return Ok(cert.clone());
        }
        let (offset, len) = self.spans[i];
        let mut bytes = vec![0u8; len as usize];
        read_at(file, &mut bytes, offset)?;
        let cert = Cert::from_bytes(&bytes).context("damaged home: keyring.pgp")?;
        self.parsed
            .lock()
            .expect("not poisoned")
            .insert(i, cert.clone());
        Ok(cert)
    }

    /// Parses just the certificate holding a key named by `issuers`.
    pub fn find_issuer(&self, issuers: &[KeyHandle]) -> Result<Option<Cert>> {
        // The handle pinned by `load_fresh`, read at offsets: no shared cursor,
        // so parallel lookups do not disturb each other.
        let file = self
            .file
            .as_ref()
            .context("keyring index used without its keyring")?;
        for handle in issuers {
            let Some(candidates) = self.by_key_id.get(&KeyID::from(handle).to_hex()) else {
                continue;
            };
            for &i in candidates {
                let cert = self.parse_span(file, i)?;
                if cert.keys().any(|k| k.key().key_handle().aliases(handle)) {
                    return Ok(Some(cert));
                }
            }
        }
        Ok(None)
    }
}
