//! An index of `keyring.pgp`: where each certificate's bytes are, by the
//! key IDs of all its keys. It lets `verify` parse only the signers'
//! certificates instead of the whole keyring (Debian's: 28 MB, ~0.45 s).
//!
//! Written next to every keyring save (`HOME/cache/keyring-index.json`,
//! sealed: see `cache_file`) and used only while `keyring.pgp` is exactly the
//! file it was made for (same size, modification time and inode), while its
//! spans lie inside that file, and while each span parses to the certificate
//! it names; anything else falls back to reading the whole keyring. Derived
//! data: deletable.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};

use crate::keys::cache_file;
use openpgp::parse::Parse;
use openpgp::{Cert, KeyHandle, KeyID};
use sequoia_openpgp as openpgp;
use serde::{Deserialize, Serialize};

use crate::keys::home::{Home, WriteLock};

/// Identifies one version of a file: cheaply by its metadata, and by the
/// SHA-256 of the bytes a derived file was computed from, so that a copy of
/// the home (`cp -a`, rsync, a CI cache: other inode, maybe other mtime)
/// still matches by content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileStamp {
    len: u64,
    modified_ns: u128,
    inode: u64,
    #[serde(default)]
    sha256: Option<String>,
}

impl FileStamp {
    /// The metadata of the file now (no content digest).
    pub(crate) fn of(path: &Path) -> Option<FileStamp> {
        Self::from_metadata(std::fs::metadata(path).ok()?)
    }

    /// This stamp, recording that the derived data was computed from bytes
    /// with this SHA-256 (lower-case hex).
    pub(crate) fn with_sha256(mut self, digest: &str) -> FileStamp {
        self.sha256 = Some(digest.to_string());
        self
    }

    /// Whether the file whose metadata is `now` holds what this stamp
    /// describes: same metadata, or else the same length and content.
    /// `content` reads the file's bytes, and is only called when needed.
    pub(crate) fn describes(
        &self,
        now: &FileStamp,
        content: impl FnOnce() -> Option<String>,
    ) -> bool {
        if self.len != now.len {
            return false;
        }
        if self.modified_ns == now.modified_ns && self.inode == now.inode {
            return true;
        }
        self.sha256.is_some() && content() == self.sha256
    }

    /// Same content as this stamp, with `now`'s metadata: what to store after
    /// `describes` matched by content, so the next look is cheap again.
    pub(crate) fn restamped(&self, now: &FileStamp) -> FileStamp {
        FileStamp {
            sha256: self.sha256.clone(),
            ..now.clone()
        }
    }

    fn same_metadata(&self, other: &FileStamp) -> bool {
        self.len == other.len && self.modified_ns == other.modified_ns && self.inode == other.inode
    }

    /// The metadata of an open file now (no content digest).
    pub(crate) fn of_file(file: &File) -> Option<FileStamp> {
        Self::from_metadata(file.metadata().ok()?)
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
            sha256: None,
        })
    }
}

/// SHA-256 (lower-case hex) of everything `reader` yields.
pub(crate) fn sha256_hex(mut reader: impl std::io::Read) -> Option<String> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
    Some(crate::model::Sha256(hasher.finalize().into()).to_hex())
}

#[derive(Serialize, Deserialize)]
pub(crate) struct KeyringIndex {
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
    /// The fingerprint of the certificate each span must hold.
    fingerprints: Vec<String>,
    /// Key ID (hex) of every primary key and subkey → indices into `spans`.
    by_key_id: HashMap<String, Vec<usize>>,
}

#[cfg(unix)]
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
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

const INDEX_FILE: &str = "keyring-index.json";

/// The index does not describe the keyring it was opened with: the caller
/// uses the whole keyring instead.
#[derive(Debug)]
pub(crate) struct StaleIndex;

impl std::fmt::Display for StaleIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the keyring index does not match keyring.pgp")
    }
}

impl std::error::Error for StaleIndex {}

impl KeyringIndex {
    /// Writes the index of a keyring that holds `certs` back to back, each
    /// with its (offset, length).
    /// `stamp` describes keyring.pgp as written (metadata and the SHA-256 of
    /// its bytes).
    pub(crate) fn save(
        home: &Home,
        lock: &WriteLock,
        stamp: FileStamp,
        certs: &[(&Cert, u64, u64)],
    ) -> Result<()> {
        let keyring = stamp;
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
        let fingerprints = certs
            .iter()
            .map(|(cert, _, _)| cert.fingerprint().to_hex())
            .collect();
        let index = KeyringIndex {
            keyring,
            file: None,
            parsed: Mutex::default(),
            spans,
            fingerprints,
            by_key_id,
        };
        let path = home.cache_dir().join(INDEX_FILE);
        home.write_atomic(lock, &path, &cache_file::seal(&index)?, false)
    }

    /// The index, with the keyring file opened, if it is intact and
    /// describes that file; `None` (use the whole keyring) otherwise.
    pub(crate) fn load_fresh(home: &Home) -> Option<KeyringIndex> {
        let mut index: KeyringIndex = cache_file::load(home, INDEX_FILE)?;
        let file = File::open(home.keyring_path()).ok()?;
        let now = FileStamp::from_metadata(file.metadata().ok()?)?;
        // By content through the handle we keep: what is hashed is what is read.
        if !index.keyring.describes(&now, || sha256_hex(&file)) || !index.is_consistent() {
            return None;
        }
        if !index.keyring.same_metadata(&now) {
            // A copied home: the same keyring under other metadata. Restamp,
            // if the home can take it, so the next call needs no hashing.
            index.keyring = index.keyring.restamped(&now);
            if let Some(lock) = home.try_lock() {
                if let Ok(bytes) = cache_file::seal(&index) {
                    let _ =
                        home.write_atomic(&lock, &home.cache_dir().join(INDEX_FILE), &bytes, false);
                }
            }
        }
        index.file = Some(file);
        Some(index)
    }

    /// Where each certificate of a keyring file of `file_len` bytes (whose
    /// SHA-256 is `digest`) starts and ends, and the fingerprint it must
    /// have: when the index was written for exactly these bytes and its
    /// spans tile them from first byte to last. For parsing in parallel;
    /// the caller still checks every fingerprint.
    pub(crate) fn tiling(
        home: &Home,
        file_len: u64,
        digest: &str,
    ) -> Option<Vec<(std::ops::Range<usize>, String)>> {
        let index: KeyringIndex = cache_file::load(home, INDEX_FILE)?;
        if index.keyring.sha256.as_deref() != Some(digest)
            || index.fingerprints.len() != index.spans.len()
        {
            return None;
        }
        let mut next = 0usize;
        let mut out = Vec::with_capacity(index.spans.len());
        for (&(offset, len), fpr) in index.spans.iter().zip(index.fingerprints) {
            let (offset, len) = (usize::try_from(offset).ok()?, usize::try_from(len).ok()?);
            if offset != next {
                return None;
            }
            next = offset.checked_add(len)?;
            out.push((offset..next, fpr));
        }
        (next as u64 == file_len).then_some(out)
    }

    /// Every span inside the file, every reference to a span that exists.
    fn is_consistent(&self) -> bool {
        let len = self.keyring.len;
        self.fingerprints.len() == self.spans.len()
            && self
                .spans
                .iter()
                .all(|&(offset, n)| offset.checked_add(n).is_some_and(|end| end <= len))
            && self
                .by_key_id
                .values()
                .flatten()
                .all(|&i| i < self.spans.len())
    }

    fn parse_span(&self, file: &File, i: usize) -> Result<Cert> {
        if let Some(cert) = self.parsed.lock().expect("not poisoned").get(&i) {
            return Ok(cert.clone());
        }
        let (offset, len) = self.spans[i];
        let mut bytes = vec![0u8; len as usize];
        read_at(file, &mut bytes, offset)?;
        // The index says where to look, never what is there.
        let cert = match Cert::from_bytes(&bytes) {
            Ok(cert) if cert.fingerprint().to_hex() == self.fingerprints[i] => cert,
            _ => return Err(StaleIndex.into()),
        };
        self.parsed
            .lock()
            .expect("not poisoned")
            .insert(i, cert.clone());
        Ok(cert)
    }

    /// Parses just the certificate holding a key named by `issuers`.
    pub(crate) fn find_issuer(&self, issuers: &[KeyHandle]) -> Result<Option<Cert>> {
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
