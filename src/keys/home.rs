//! The pgp-pkg home (docs/trust-model.md): where it is, how it is locked, and how files in
//! it are replaced atomically so a crash or a concurrent run never leaves a
//! half-written keyring.
//!
//! Layout:
//! - `keyring.pgp`: every known certificate, public parts only (binary OpenPGP).
//! - `secret/FINGERPRINT.pgp`: the user's own keys with their secrets (mode 0600).
//! - `ownertrust.txt`: owner trust, in `gpg --export-ownertrust` format.
//! - `cache/`: derived data (the validated certification network); deletable.
//! - `lock`: held exclusively by writers for the whole read-modify-write.
//!
//! Readers take no lock: files are only ever replaced by `rename`, so a reader
//! sees either the old or the new file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

#[derive(Clone, Debug)]
pub(crate) struct Home {
    root: PathBuf,
    /// Named by `--home` or `PGP_PKG_HOME` (not the platform's default).
    explicit: bool,
}

/// Proof that the caller holds the home's write lock; released on drop.
pub(crate) struct WriteLock {
    _file: fs::File,
}

impl Home {
    /// `--home` (clap also reads `PGP_PKG_HOME` into it), else the platform's
    /// data directory.
    pub(crate) fn resolve(explicit: Option<PathBuf>) -> Result<Home> {
        let named = explicit.is_some();
        let root = match explicit {
            Some(p) => p,
            None => directories::ProjectDirs::from("org", "pgp-pkg", "pgp-pkg")
                .context("cannot determine a home directory: pass --home or set PGP_PKG_HOME")?
                .data_dir()
                .to_path_buf(),
        };
        Ok(Home {
            root,
            explicit: named,
        })
    }

    /// For commands that only read: a home named by `--home` or
    /// `PGP_PKG_HOME` must exist. A typo there would otherwise be an empty
    /// keyring, and every signer "unknown" under the lenient default policy.
    /// (The platform's default home may be missing: nothing was set up yet.)
    pub(crate) fn require_existing(&self) -> Result<()> {
        if self.explicit && !self.root.is_dir() {
            anyhow::bail!(
                "the home {} (from --home or PGP_PKG_HOME) does not exist: check the path; \
                 a new home is made by `pgp-pkg key import`, `key fetch` or `key generate`",
                self.root.display()
            );
        }
        Ok(())
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn keyring_path(&self) -> PathBuf {
        self.root.join("keyring.pgp")
    }

    pub(crate) fn owner_trust_path(&self) -> PathBuf {
        self.root.join("ownertrust.txt")
    }

    /// Derived data that can be rebuilt at any time (see `wot_cache`).
    pub(crate) fn cache_dir(&self) -> PathBuf {
        self.root.join("cache")
    }

    pub(crate) fn secret_dir(&self) -> PathBuf {
        self.root.join("secret")
    }

    /// Where `key generate` keeps a new key's revocation certificate.
    pub(crate) fn revocation_path(&self, fpr: &sequoia_openpgp::Fingerprint) -> PathBuf {
        self.root
            .join("revocations")
            .join(format!("{}.rev", fpr.to_hex()))
    }

    /// Creates the home if needed and takes the write lock, waiting for other
    /// writers to finish.
    pub(crate) fn lock(&self) -> Result<WriteLock> {
        create_private_dir(&self.root)?;
        let path = self.root.join("lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        // std's advisory lock (flock on Unix); released when the file is closed.
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(WriteLock { _file: file })
    }

    /// The write lock if it can be had at once, for optional writes (caches):
    /// `None` when the home is read-only or another writer holds it.
    pub(crate) fn try_lock(&self) -> Option<WriteLock> {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join("lock"))
            .ok()?;
        file.try_lock().ok()?;
        Some(WriteLock { _file: file })
    }

    /// Replaces `path` (inside the home) with `bytes` in one rename.
    /// `private` files are readable by the owner only, from their first byte on.
    pub(crate) fn write_atomic(
        &self,
        lock: &WriteLock,
        path: &Path,
        bytes: &[u8],
        private: bool,
    ) -> Result<()> {
        commit(vec![self.stage(lock, path, bytes, private)?])
    }

    /// Writes `bytes` to a temporary file beside `path`, to replace it at
    /// [`commit`]. Dropped uncommitted, it vanishes: a command that fails
    /// after staging changes nothing.
    pub(crate) fn stage(
        &self,
        lock: &WriteLock,
        path: &Path,
        bytes: &[u8],
        private: bool,
    ) -> Result<Staged> {
        self.stage_with(lock, path, private, |out| Ok(out.write_all(bytes)?))
    }

    /// [`Home::stage`] for content that `write` streams (a keyring too big
    /// to hold twice in memory).
    pub(crate) fn stage_with(
        &self,
        _lock: &WriteLock,
        path: &Path,
        private: bool,
        write: impl FnOnce(&mut dyn Write) -> Result<()>,
    ) -> Result<Staged> {
        let dir = path.parent().context("path without a parent")?;
        if private {
            create_private_dir(dir)?;
        } else {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        // tempfile creates files with mode 0600 already; public files are widened.
        #[cfg(unix)]
        if !private {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(0o644))?;
        }
        write(&mut tmp)
            .and_then(|()| Ok(tmp.as_file().sync_all()?))
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Staged {
            tmp,
            target: path.to_path_buf(),
        })
    }
}

/// A file written in full, waiting to replace its target.
pub(crate) struct Staged {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

/// Moves staged files into place, in the order given, each by one rename.
/// Every byte was written before the first rename, so the only failure left
/// is the rename itself.
pub(crate) fn commit(staged: Vec<Staged>) -> Result<()> {
    let mut dirs = Vec::new();
    for s in staged {
        let target = s.target;
        s.tmp
            .persist(&target)
            .with_context(|| format!("cannot replace {}", target.display()))?;
        if let Some(dir) = target.parent() {
            if !dirs.contains(&dir.to_path_buf()) {
                dirs.push(dir.to_path_buf());
            }
        }
    }
    for dir in dirs {
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}
