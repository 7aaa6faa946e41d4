//! Package readers: each turns one form of package (Hex `.tar`, Composer
//! `.zip`, directory) into its [`ChecksumFile`], streaming, with bounded memory.

mod composer;
pub(crate) mod contents;
mod directory;
mod hex;
pub(crate) use hex::metadata_source;
mod zip_layout;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::checksum_file::ChecksumFile;
use crate::model::{Ecosystem, PackageId};

/// Marks a package that cannot be read safely at all (an ambiguous or
/// malformed archive): bad input, exit 2, wherever it is found. Found with
/// `error.downcast_ref::<Refused>()`.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Bounds that keep a hostile archive from filling the disk-less memory of a
/// verifier or running it for hours. Sizes count *unpacked* bytes.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_unpacked_bytes: u64,
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_unpacked_bytes: 8 << 30,
            max_entries: 500_000,
        }
    }
}

impl Limits {
    /// The defaults, with `PGP_PKG_MAX_UNPACKED_BYTES` as an override for
    /// unusually large packages (and for tests).
    pub(crate) fn from_env() -> Result<Self> {
        let mut limits = Limits::default();
        if let Ok(v) = std::env::var("PGP_PKG_MAX_UNPACKED_BYTES") {
            limits.max_unpacked_bytes = v
                .trim()
                .parse()
                .with_context(|| format!("PGP_PKG_MAX_UNPACKED_BYTES={v:?} is not a number"))?;
        }
        Ok(limits)
    }
}

/// What the command line says about a package. Where the package itself says
/// it too, both must agree.
#[derive(Clone, Debug, Default)]
pub struct IdentityHints {
    pub ecosystem: Option<Ecosystem>,
    pub name: Option<String>,
    pub version: Option<String>,
}

/// The result of reading a package.
#[derive(Debug)]
pub struct ReadPackage {
    pub checksum_file: ChecksumFile,
    /// Integrity failures found in the package itself, before any signature
    /// is consulted (a Hex tarball whose `CHECKSUM` member does not match).
    pub integrity_errors: Vec<String>,
    /// The commit a Composer dist says it was made from: `git archive`
    /// (and so GitHub's and GitLab's dist zips) writes its id as the zip
    /// comment; a claim, checked against the release tag with `--git`. For a
    /// git work tree read as HEAD exports it, HEAD's commit.
    pub made_from_commit: Option<String>,
}

impl ReadPackage {
    /// A package known only by its contents (no registry checksums of its own).
    fn from_contents(
        package: PackageId,
        entries: std::collections::BTreeMap<String, crate::checksum_file::Entry>,
    ) -> Self {
        ReadPackage {
            checksum_file: ChecksumFile {
                package,
                hex: None,
                entries,
            },
            integrity_errors: Vec::new(),
            made_from_commit: None,
        }
    }
}

/// Reads the package at `path`, recognising its form by content, not name.
pub fn read_package(path: &Path, hints: &IdentityHints, limits: &Limits) -> Result<ReadPackage> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read package {}", path.display()))?;
    let read = if meta.is_dir() {
        directory::read(path, hints, limits)
    } else {
        match sniff(path)? {
            Form::Tar => {
                ensure_ecosystem(hints, Ecosystem::Hex, "a Hex tarball (.tar)")?;
                hex::read(path, hints, limits)
            }
            Form::Zip => {
                ensure_ecosystem(hints, Ecosystem::Composer, "a Composer archive (.zip)")?;
                composer::read(path, hints, limits)
            }
        }
    };
    read.with_context(|| format!("package {}", path.display()))
}

/// Reads an installed tree that is a git checkout (`composer install
/// --prefer-source`): every file but the top-level `.git`, which `--git`
/// checks as a repository (docs/git-evidence.md).
pub fn read_checkout(path: &Path, hints: &IdentityHints, limits: &Limits) -> Result<ReadPackage> {
    directory::read_leaving_out(path, hints, limits, &[".git"])
        .with_context(|| format!("package {}", path.display()))
}

/// Reads a Composer dist zip and writes the files it hashed below `dest`
/// (created here; it must not exist). The Composer gate installs these
/// files, so what lands in `vendor/` is what was verified (docs/integrations.md).
/// On error nothing is left at `dest`.
pub fn extract_composer_zip(
    path: &Path,
    hints: &IdentityHints,
    limits: &Limits,
    dest: &Path,
) -> Result<ReadPackage> {
    // Never remove a folder this call did not create.
    if dest.exists() {
        bail!(
            "the extraction folder {} exists already: it must be a new folder",
            dest.display()
        );
    }
    let read = composer::extract(path, hints, limits, dest);
    if read.is_err() && dest.exists() {
        let _ = std::fs::remove_dir_all(dest);
    }
    read.with_context(|| format!("package {}", path.display()))
}

enum Form {
    Tar,
    Zip,
}

fn sniff(path: &Path) -> Result<Form> {
    let mut head = Vec::with_capacity(512);
    File::open(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .take(512)
        .read_to_end(&mut head)?;
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(Form::Zip);
    }
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        return Ok(Form::Tar);
    }
    // A zip with bytes before it (prepended data, a second archive) still
    // has its end record near the end: let the strict zip reader say why it
    // refuses it, rather than "not a package".
    if has_zip_end_record(path)? {
        return Ok(Form::Zip);
    }
    bail!(
        "{}: neither a Hex tarball (.tar) nor a Composer archive (.zip), nor a directory",
        path.display()
    )
}

/// Whether the last 64 KiB of the file hold a zip end-of-central-directory
/// signature.
fn has_zip_end_record(path: &Path) -> Result<bool> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(22 + 0xFFFF)))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    Ok(tail.windows(4).any(|w| w == b"PK\x05\x06"))
}

fn ensure_ecosystem(hints: &IdentityHints, found: Ecosystem, what: &str) -> Result<()> {
    match hints.ecosystem {
        Some(e) if e != found => bail!("--ecosystem {e} given, but the package is {what}"),
        _ => Ok(()),
    }
}

/// Combines what the package says about itself with the command line.
fn resolve_identity(
    ecosystem: Ecosystem,
    hints: &IdentityHints,
    stated_name: Option<String>,
    stated_version: Option<String>,
    source: &str,
) -> Result<PackageId> {
    let pick = |what: &str, stated: Option<String>, hint: &Option<String>| -> Result<String> {
        match (stated, hint) {
            (Some(s), Some(h)) if !same_name(ecosystem, &s, h) => {
                bail!("--{what} {h:?} given, but {source} says {s:?}")
            }
            (Some(s), _) => Ok(s),
            (None, Some(h)) => Ok(h.clone()),
            (None, None) => bail!("the package's {what} is not recorded in it: pass --{what}"),
        }
    };
    let mut name = pick("name", stated_name, &hints.name)?;
    let version = pick("version", stated_version, &hints.version)?;
    if ecosystem == Ecosystem::Composer {
        // Composer treats package names case-insensitively and locks them in lower case.
        name = name.to_lowercase();
    }
    for (what, value) in [("name", &name), ("version", &version)] {
        if value.is_empty() || value.chars().any(char::is_control) {
            bail!("invalid package {what} {value:?}");
        }
    }
    Ok(PackageId {
        ecosystem,
        name,
        version,
    })
}

fn same_name(ecosystem: Ecosystem, a: &str, b: &str) -> bool {
    match ecosystem {
        Ecosystem::Composer => a.eq_ignore_ascii_case(b),
        Ecosystem::Hex => a == b,
    }
}
