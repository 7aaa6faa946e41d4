//! Composer dist archives (`.zip`). Their bytes are not stable across
//! downloads, so only the extracted contents count, laid out the way
//! Composer's `ArchiveDownloader` installs them: a single top-level folder is
//! stripped, and a `.DS_Store` at the top is dropped.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::contents::{normalize, ContentCollector};
use super::{resolve_identity, IdentityHints, Limits, ReadPackage};
use crate::checksum_file::Ecosystem;

/// `composer.json` is read whole to learn the package name; this bounds it.
const MAX_COMPOSER_JSON: u64 = 16 << 20;

pub fn read(path: &Path, hints: &IdentityHints, limits: &Limits) -> Result<ReadPackage> {
    let file = File::open(path)?;
    let mut zip = zip::ZipArchive::new(file).context("not a readable zip archive")?;
    let names = (0..zip.len())
        .map(|i| {
            let member = zip.by_index_raw(i)?;
            let name = raw_name(member.name_raw())?;
            // Validate before deciding what to strip: `../x` must not pass as folder `..`.
            normalize(&name)?;
            Ok((name, member.is_dir()))
        })
        .collect::<Result<Vec<_>>>()?;
    let prefix = single_top_level_folder(&names);

    let mut collector = ContentCollector::new(limits);
    let mut composer_json: Option<Vec<u8>> = None;
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).context("reading the zip archive")?;
        let raw_name = raw_name(member.name_raw())?;
        let Some(name) = strip(&raw_name, prefix.as_deref()) else {
            continue;
        };
        if name.trim_end_matches('/') == ".DS_Store" {
            continue;
        }
        if member.is_dir() {
            collector.add_dir(&name)?;
        } else if member.is_symlink() {
            let mut target = String::new();
            (&mut member)
                .take(4096)
                .read_to_string(&mut target)
                .context("symlink target is not UTF-8")?;
            collector.add_symlink(&name, &target)?;
        } else if member.is_file() {
            if name.trim_start_matches("./") == "composer.json" {
                let mut buf = Vec::new();
                (&mut member)
                    .take(MAX_COMPOSER_JSON)
                    .read_to_end(&mut buf)?;
                collector.add_file(&name, &mut &buf[..])?;
                composer_json = Some(buf);
            } else {
                collector.add_file(&name, &mut member)?;
            }
        } else {
            bail!("member {raw_name:?} is neither a file, a directory nor a symlink");
        }
    }

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
    Ok(ReadPackage::from_contents(package, collector.finish()?))
}

/// The member name exactly as stored. (The zip crate's `name()` quietly
/// rewrites `../x` to `x`; a name like that must be rejected, not hidden.)
fn raw_name(bytes: &[u8]) -> Result<String> {
    match std::str::from_utf8(bytes) {
        Ok(name) => Ok(name.to_string()),
        Err(_) => bail!(
            "member name {:?} is not UTF-8",
            String::from_utf8_lossy(bytes)
        ),
    }
}

/// `name` and (rarely present) `version` from a package's `composer.json`.
pub fn composer_json_identity(bytes: &[u8]) -> Result<(Option<String>, Option<String>)> {
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

/// Composer moves the contents of a lone top-level folder up (ignoring a
/// `.DS_Store` beside it); returns that folder's name.
fn single_top_level_folder(names: &[(String, bool)]) -> Option<String> {
    let mut top: BTreeMap<&str, bool> = BTreeMap::new();
    for (name, is_dir) in names {
        let trimmed = name.trim_start_matches("./");
        let (first, rest) = match trimmed.split_once('/') {
            Some((first, rest)) => (first, rest),
            None => (trimmed, ""),
        };
        if first.is_empty() || first == ".DS_Store" {
            continue;
        }
        let dir = top.entry(first).or_insert(false);
        *dir |= *is_dir || !rest.is_empty();
    }
    match top.into_iter().collect::<Vec<_>>().as_slice() {
        [(name, true)] => Some(name.to_string()),
        _ => None,
    }
}

/// The member's path inside the installed package; `None` for the stripped
/// folder itself and for members outside it.
fn strip(name: &str, prefix: Option<&str>) -> Option<String> {
    let name = name.trim_start_matches("./");
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
        let lone = vec![
            ("pkg/".into(), true),
            ("pkg/src/a.php".into(), false),
            (".DS_Store".into(), false),
        ];
        assert_eq!(single_top_level_folder(&lone).as_deref(), Some("pkg"));
        let implicit = vec![("pkg/a.php".into(), false)];
        assert_eq!(single_top_level_folder(&implicit).as_deref(), Some("pkg"));
        let two = vec![("pkg/a.php".into(), false), ("README".into(), false)];
        assert_eq!(single_top_level_folder(&two), None);
        let file_only = vec![("a.php".into(), false)];
        assert_eq!(single_top_level_folder(&file_only), None);
        assert_eq!(
            strip("pkg/src/a.php", Some("pkg")).as_deref(),
            Some("src/a.php")
        );
        assert_eq!(strip("pkg/", Some("pkg")), None);
    }
}
