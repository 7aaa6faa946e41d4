//! A package given as a directory: an unpacked release, or an installed tree
//! such as `deps/APP` or `vendor/VENDOR/NAME`. Links are recorded, never
//! followed.

use std::fs::{self, File};
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::composer::composer_json_identity;
use super::contents::ContentCollector;
use super::hex::metadata_identity;
use super::{resolve_identity, IdentityHints, Limits, ReadPackage};
use crate::model::Ecosystem;

/// Files Hex writes into `deps/APP` next to the package's own contents.
const HEX_INSTALL_FILES: &[&str] = &[".hex", "hex_metadata.config"];

pub(crate) fn read(root: &Path, hints: &IdentityHints, limits: &Limits) -> Result<ReadPackage> {
    read_leaving_out(root, hints, limits, &[])
}

/// [`read`], leaving out these top-level names as well (a git checkout's
/// `.git`, which `--git` checks as a repository instead).
pub(crate) fn read_leaving_out(
    root: &Path,
    hints: &IdentityHints,
    limits: &Limits,
    also_ignored: &[&str],
) -> Result<ReadPackage> {
    let hex_metadata = root.join("hex_metadata.config");
    let composer_json = root.join("composer.json");
    let ecosystem = match hints.ecosystem {
        Some(e) => e,
        None if hex_metadata.is_file() => Ecosystem::Hex,
        None if composer_json.is_file() => Ecosystem::Composer,
        None => bail!("cannot tell the ecosystem of this directory: pass --ecosystem hex|composer"),
    };
    let (ignored, stated) = match ecosystem {
        Ecosystem::Hex if hex_metadata.is_file() => {
            let bytes = fs::read(&hex_metadata)
                .with_context(|| format!("reading {}", hex_metadata.display()))?;
            let stated =
                metadata_identity(&bytes).with_context(|| hex_metadata.display().to_string())?;
            (HEX_INSTALL_FILES, stated)
        }
        Ecosystem::Composer if composer_json.is_file() => {
            let bytes = fs::read(&composer_json)
                .with_context(|| format!("reading {}", composer_json.display()))?;
            let stated = composer_json_identity(&bytes)?;
            (&[][..], stated)
        }
        _ => (&[][..], (None, None)),
    };
    let source = match ecosystem {
        Ecosystem::Hex => "hex_metadata.config",
        Ecosystem::Composer => "composer.json",
    };
    let package = resolve_identity(ecosystem, hints, stated.0, stated.1, source)?;

    let ignored: Vec<&str> = ignored.iter().chain(also_ignored).copied().collect();
    let mut collector = ContentCollector::new(limits);
    walk(root, "", &ignored, &mut collector)?;
    Ok(ReadPackage::from_contents(package, collector.finish()?))
}

fn walk(
    dir: &Path,
    prefix: &str,
    ignored: &[&str],
    collector: &mut ContentCollector<'_>,
) -> Result<()> {
    let listing = fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    for item in listing {
        let item = item.with_context(|| format!("listing {}", dir.display()))?;
        let file_name = item.file_name();
        let Some(name) = file_name.to_str() else {
            bail!(
                "file name {:?} in {} is not UTF-8",
                file_name,
                dir.display()
            );
        };
        let rel = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        };
        if prefix.is_empty() && ignored.contains(&name) {
            continue;
        }
        let path = item.path();
        let kind = item
            .file_type()
            .with_context(|| format!("reading {}", path.display()))?;
        if kind.is_symlink() {
            let target =
                fs::read_link(&path).with_context(|| format!("reading link {}", path.display()))?;
            let target = target
                .to_str()
                .with_context(|| format!("link target of {rel:?} is not UTF-8"))?;
            collector.add_symlink(&rel, target)?;
        } else if kind.is_dir() {
            collector.add_dir(&rel)?;
            walk(&path, &rel, ignored, collector)?;
        } else if kind.is_file() {
            let mut file =
                File::open(&path).with_context(|| format!("opening {}", path.display()))?;
            collector.add_file(&rel, &mut file)?;
        } else {
            bail!(
                "{} is not a regular file, directory or symlink",
                path.display()
            );
        }
    }
    Ok(())
}
