//! Composer dist archives (`.zip`). Their bytes are not stable across
//! downloads, so only the extracted contents count, laid out the way
//! Composer's `ArchiveDownloader` installs them: a single top-level folder is
//! stripped, and a `.DS_Store` at the top is dropped.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::contents::ContentCollector;
use super::zip_layout::{Kind, ZipLayout};
use super::{resolve_identity, IdentityHints, Limits, ReadPackage, Refused};
use crate::model::Ecosystem;

/// `composer.json` is read whole to learn the package name; this bounds it.
const MAX_COMPOSER_JSON: u64 = 16 << 20;

/// Composer's installer leaves `.DS_Store` out when it moves files one by
/// one and keeps it when it renames a folder as a whole: where it stands at
/// the top, the installed tree depends on the target, so it is refused.
const DS_STORE: &str = ".DS_Store";

/// Reads a dist archive into its checksum file.
pub(crate) fn read(path: &Path, hints: &IdentityHints, limits: &Limits) -> Result<ReadPackage> {
    read_into(path, hints, limits, None)
}

/// Reads a dist archive and writes exactly the files it hashed below `dest`
/// (which must not exist yet), laid out as installed: the Composer gate
/// installs these files, never another extractor's reading of the zip.
/// On error, `dest` may hold part of the package: the caller removes it.
pub(crate) fn extract(
    path: &Path,
    hints: &IdentityHints,
    limits: &Limits,
    dest: &Path,
) -> Result<ReadPackage> {
    std::fs::create_dir(dest)
        .with_context(|| format!("cannot create the extraction folder {}", dest.display()))?;
    read_into(path, hints, limits, Some(dest))
}

fn read_into(
    path: &Path,
    hints: &IdentityHints,
    limits: &Limits,
    dest: Option<&Path>,
) -> Result<ReadPackage> {
    let file = File::open(path)?;
    let mut composer_json: Option<Vec<u8>> = None;
    let mut comment = Vec::new();
    let entries = read_members(file, limits, dest, &mut composer_json, &mut comment)
        .map_err(|e| e.context(Refused("refusing the zip archive".into())))?;
    let (stated_name, stated_version) = match &composer_json {
        Some(bytes) => composer_json_identity(bytes)?,
        None => (None, None),
    };
    let package = resolve_identity(
        Ecosystem::Composer,
        hints,
        stated_name,
        stated_version,
        "composer.json",
    )?;
    Ok(ReadPackage {
        made_from_commit: commit_id(&comment),
        ..ReadPackage::from_contents(package, entries)
    })
}

/// A comment that is exactly an object id (40 or 64 hex digits), as `git
/// archive` writes it.
fn commit_id(comment: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(comment).ok()?;
    ((text.len() == 40 || text.len() == 64) && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| text.to_ascii_lowercase())
}

/// Every member, hashed (and written below `dest`); what the archive holds
/// by name, not who it says it is.
fn read_members(
    file: File,
    limits: &Limits,
    dest: Option<&Path>,
    composer_json: &mut Option<Vec<u8>>,
    comment: &mut Vec<u8>,
) -> Result<std::collections::BTreeMap<String, crate::checksum_file::Entry>> {
    let zip = ZipLayout::read(file, limits.max_entries)?;
    comment.clone_from(&zip.comment);
    let names: Vec<&str> = zip.members.iter().map(|m| m.name.as_str()).collect();
    let prefix = single_top_level_folder(&names)?;

    let mut collector = ContentCollector::new(limits);
    for member in &zip.members {
        let Some(name) = strip(&member.name, prefix.as_deref()) else {
            continue;
        };
        let rel = name.trim_end_matches('/');
        if rel == DS_STORE {
            bail!("entry {:?}: a `.DS_Store` at the top is installed or dropped depending on the target folder", member.name);
        }
        let context = || format!("entry {:?}", member.name);
        if member.kind == Kind::Dir {
            collector.add_dir(rel).with_context(context)?;
            if let Some(dest) = dest {
                std::fs::create_dir_all(dest.join(rel))?;
            }
            continue;
        }
        let mut data = zip.open(member).with_context(context)?;
        let mut out = match dest {
            Some(dest) => Some(create_file(dest, rel, member.executable())?),
            None => None,
        };
        let mut reader = Tee {
            inner: &mut data,
            out: out.as_mut(),
        };
        if rel == "composer.json" {
            let mut buf = Vec::new();
            // One byte past the bound tells a large file from one that fits;
            // reading to the end is also what checks its size and CRC.
            (&mut reader)
                .take(MAX_COMPOSER_JSON + 1)
                .read_to_end(&mut buf)
                .with_context(context)?;
            if buf.len() as u64 > MAX_COMPOSER_JSON {
                bail!(
                    "entry {:?}: composer.json is larger than {MAX_COMPOSER_JSON} bytes",
                    member.name
                );
            }
            collector
                .add_file(rel, &mut &buf[..])
                .with_context(context)?;
            *composer_json = Some(buf);
        } else {
            collector.add_file(rel, &mut reader).with_context(context)?;
        }
        if let Some(out) = out {
            out.sync_all()?;
        }
    }
    collector.finish()
}

/// A new file below `dest` (never an existing one, never through a link:
/// names are canonical and the archive holds no links).
fn create_file(dest: &Path, rel: &str, executable: bool) -> Result<File> {
    let target = dest.join(rel);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if executable { 0o755 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = executable;
    options
        .open(&target)
        .with_context(|| format!("cannot create {}", target.display()))
}

/// Copies what is read to `out` as well, so one pass hashes and extracts.
struct Tee<'a, R: Read> {
    inner: &'a mut R,
    out: Option<&'a mut File>,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(out) = self.out.as_mut() {
            out.write_all(&buf[..n])?;
        }
        Ok(n)
    }
}

/// `name` and (rarely present) `version` from a package's `composer.json`.
pub(crate) fn composer_json_identity(bytes: &[u8]) -> Result<(Option<String>, Option<String>)> {
    let json: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        anyhow::anyhow!(
            "composer.json: line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    let get = |key: &str| json.get(key).and_then(|v| v.as_str()).map(str::to_string);
    Ok((get("name"), get("version")))
}

/// Composer moves the contents of a lone top-level folder up; returns that
/// folder's name. Names are canonical (`zip_layout::check_name`), so every
/// member either lies inside the folder or makes the archive not stripped:
/// no member is skipped by the stripping.
fn single_top_level_folder(names: &[&str]) -> Result<Option<String>> {
    let mut top: Option<&str> = None;
    let mut folder = true;
    for name in names {
        let (first, rest) = name.split_once('/').unwrap_or((name, ""));
        if first == DS_STORE && rest.is_empty() {
            bail!("entry {name:?}: a `.DS_Store` at the top is installed or dropped depending on the archive's layout");
        }
        match top {
            None => top = Some(first),
            Some(t) if t != first => return Ok(None),
            Some(_) => {}
        }
        folder &= name.contains('/');
    }
    Ok(top.filter(|_| folder).map(str::to_string))
}

/// The member's path inside the installed package; `None` for the stripped
/// folder itself.
fn strip(name: &str, prefix: Option<&str>) -> Option<String> {
    match prefix {
        None => Some(name.to_string()),
        Some(prefix) => {
            let rest = name.strip_prefix(prefix)?.strip_prefix('/')?;
            (!rest.is_empty()).then(|| rest.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_a_lone_folder() {
        let top = |names: &[&str]| single_top_level_folder(names).unwrap();
        assert_eq!(top(&["pkg/", "pkg/src/a.php"]).as_deref(), Some("pkg"));
        assert_eq!(top(&["pkg/a.php"]).as_deref(), Some("pkg"));
        assert_eq!(top(&["pkg/a.php", "README"]), None);
        assert_eq!(top(&["a.php"]), None);
        assert!(single_top_level_folder(&["pkg/a.php", ".DS_Store"]).is_err());
        assert_eq!(
            strip("pkg/src/a.php", Some("pkg")).as_deref(),
            Some("src/a.php")
        );
        assert_eq!(strip("pkg/", Some("pkg")), None);
    }
}
