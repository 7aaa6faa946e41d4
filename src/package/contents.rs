//! Turns a stream of archive or directory members into checksum-file entries,
//! rejecting everything that could make the installed package differ from what
//! was hashed: escaping paths, duplicates, links leading out, files hidden
//! under links, and archives that expand past the bound.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256 as Sha256Hasher};

use super::Limits;
use crate::checksum_file::Entry;
use crate::model::Sha256;

/// Collects the members of one package.
pub(crate) struct ContentCollector<'a> {
    limits: &'a Limits,
    entries: BTreeMap<String, Entry>,
    dirs: BTreeSet<String>,
    unpacked_bytes: u64,
}

impl<'a> ContentCollector<'a> {
    pub(crate) fn new(limits: &'a Limits) -> Self {
        ContentCollector {
            limits,
            entries: BTreeMap::new(),
            dirs: BTreeSet::new(),
            unpacked_bytes: 0,
        }
    }

    /// Hashes a regular file while reading it, never holding it in memory.
    /// Returns the normalised path; the package root itself is not a file.
    pub(crate) fn add_file(&mut self, raw_path: &str, reader: &mut dyn Read) -> Result<String> {
        let path = self.claim(raw_path)?;
        let budget = self.limits.max_unpacked_bytes - self.unpacked_bytes;
        let (sha256, size) = hash_bounded(reader, budget)
            .with_context(|| format!("reading {path:?}"))?
            .with_context(|| self.too_large())?;
        self.unpacked_bytes += size;
        self.entries
            .insert(path.clone(), Entry::File { sha256, size });
        Ok(path)
    }

    pub(crate) fn add_symlink(&mut self, raw_path: &str, target: &str) -> Result<()> {
        let path = self.claim(raw_path)?;
        if target.is_empty()
            || target.starts_with('/')
            || target.contains('\\')
            || target.contains('\0')
        {
            bail!("symlink {path:?} points to {target:?}, outside the package");
        }
        self.entries.insert(
            path,
            Entry::Symlink {
                target: target.to_string(),
            },
        );
        Ok(())
    }

    pub(crate) fn add_dir(&mut self, raw_path: &str) -> Result<()> {
        if let Some(path) = normalize(raw_path)? {
            if self.entries.contains_key(&path) {
                bail!("{path:?} appears both as a file and as a directory");
            }
            self.dirs.insert(path);
        }
        Ok(())
    }

    /// Checks what can only be checked once every member is known.
    pub(crate) fn finish(self) -> Result<BTreeMap<String, Entry>> {
        for path in self.entries.keys() {
            for ancestor in ancestors(path) {
                match self.entries.get(ancestor) {
                    Some(Entry::Symlink { .. }) => {
                        bail!("{path:?} lies under the symlink {ancestor:?}: extracting it would write through the link")
                    }
                    Some(Entry::File { .. }) => {
                        bail!("{path:?} lies under {ancestor:?}, which is a file")
                    }
                    None => {}
                }
            }
        }
        for (path, entry) in &self.entries {
            if let Entry::Symlink { target } = entry {
                check_link_target(path, target, &self.entries)?;
            }
        }
        Ok(self.entries)
    }

    fn claim(&mut self, raw_path: &str) -> Result<String> {
        let Some(path) = normalize(raw_path)? else {
            bail!("member {raw_path:?} names the package root, not a file");
        };
        if self.entries.contains_key(&path) || self.dirs.contains(&path) {
            bail!("duplicate entry {path:?}");
        }
        if self.entries.len() >= self.limits.max_entries {
            bail!(
                "more than {} files: {}",
                self.limits.max_entries,
                self.too_large()
            );
        }
        Ok(path)
    }

    fn too_large(&self) -> String {
        format!(
            "package expands past the bound of {} bytes / {} files (set PGP_PKG_MAX_UNPACKED_BYTES to raise it)",
            self.limits.max_unpacked_bytes, self.limits.max_entries
        )
    }
}

/// Normalises a member path to `a/b/c`: strips `./` and trailing slashes,
/// rejects absolute paths, `..`, backslashes and control characters.
/// `None` means the root itself (`./`).
pub(crate) fn normalize(raw: &str) -> Result<Option<String>> {
    if raw.starts_with('/') {
        bail!("absolute path {raw:?} in package");
    }
    if raw.chars().any(|c| c.is_control() || c == '\\') {
        bail!("path {raw:?} contains a control character or backslash");
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => bail!("path {raw:?} leaves the package (`..`)"),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Ok(Some(parts.join("/")))
}

/// Proper ancestors of `a/b/c`: `a`, `a/b`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// A link may point anywhere inside the package, but not out of it, and not
/// through another link (whose own target would then decide where `..` leads).
fn check_link_target(path: &str, target: &str, entries: &BTreeMap<String, Entry>) -> Result<()> {
    let mut resolved: Vec<&str> = path.split('/').collect();
    resolved.pop();
    let parts: Vec<&str> = target
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for (i, part) in parts.iter().enumerate() {
        if *part == ".." {
            if resolved.pop().is_none() {
                bail!("symlink {path:?} points to {target:?}, outside the package");
            }
            continue;
        }
        resolved.push(part);
        let is_last = i + 1 == parts.len();
        if !is_last
            && matches!(
                entries.get(&resolved.join("/")),
                Some(Entry::Symlink { .. })
            )
        {
            bail!("symlink {path:?} points to {target:?}, through another symlink");
        }
    }
    Ok(())
}

/// SHA-256 and length of a stream, or `None` once it passes `budget` bytes.
pub(crate) fn hash_bounded(
    reader: &mut dyn Read,
    budget: u64,
) -> std::io::Result<Option<(Sha256, u64)>> {
    let mut hasher = Sha256Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if total > budget {
            return Ok(None);
        }
        hasher.update(&buf[..n]);
    }
    Ok(Some((Sha256(hasher.finalize().into()), total)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_unpacked_bytes: 100,
            max_entries: 10,
        }
    }

    #[test]
    fn normalizes_and_rejects_escapes() {
        assert_eq!(
            normalize("./lib//a.ex").unwrap().as_deref(),
            Some("lib/a.ex")
        );
        assert_eq!(normalize("./").unwrap(), None);
        assert!(normalize("../etc/passwd").is_err());
        assert!(normalize("lib/../../x").is_err());
        assert!(normalize("/etc/passwd").is_err());
        assert!(normalize("a\\..\\b").is_err());
    }

    #[test]
    fn rejects_duplicates_and_oversize() {
        let limits = limits();
        let mut c = ContentCollector::new(&limits);
        c.add_file("a", &mut &b"x"[..]).unwrap();
        assert!(
            format!("{:#}", c.add_file("./a", &mut &b"y"[..]).unwrap_err()).contains("duplicate")
        );
        let big = [0u8; 200];
        assert!(
            format!("{:#}", c.add_file("b", &mut &big[..]).unwrap_err()).contains("expands past")
        );
    }

    #[test]
    fn rejects_links_out_and_files_under_links() {
        let limits = limits();
        let mut c = ContentCollector::new(&limits);
        c.add_symlink("lib/up", "../../etc").unwrap();
        assert!(format!("{:#}", c.finish().unwrap_err()).contains("outside the package"));

        let mut c = ContentCollector::new(&limits);
        c.add_symlink("lib", "/etc").unwrap_err();
        c.add_symlink("lib", "other").unwrap();
        c.add_file("lib/passwd", &mut &b"x"[..]).unwrap();
        assert!(format!("{:#}", c.finish().unwrap_err()).contains("under the symlink"));

        let mut c = ContentCollector::new(&limits);
        c.add_symlink("s", ".").unwrap();
        c.add_symlink("l", "s/x/../..").unwrap();
        assert!(
            c.finish().is_err(),
            "a target through another link must be rejected"
        );

        let mut c = ContentCollector::new(&limits);
        c.add_file("lib/a.ex", &mut &b"x"[..]).unwrap();
        c.add_symlink("lib/b.ex", "a.ex").unwrap();
        c.add_symlink("top", "lib/../lib/a.ex").unwrap();
        assert_eq!(c.finish().unwrap().len(), 3);
    }
}
