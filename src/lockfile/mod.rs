//! Lockfile readers (docs/interface.md, "Where packages are"): what a project pins, one `LockedPackage` per
//! dependency. Parse errors name the file and the line.

pub mod composer;
pub mod mix;
pub mod names;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::model::{Ecosystem, PackageId, Sha256};

/// One pinned dependency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedPackage {
    pub id: PackageId,
    pub source: Source,
    /// The upstream git repository the lockfile names (Composer's `source`
    /// of type `git`), for `--git` (docs/git-evidence.md).
    pub upstream: Option<Upstream>,
    /// 1-based line and column of the entry in the lockfile, for messages.
    pub line: usize,
    pub column: usize,
}

/// Where a dependency comes from, as the lockfile records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Hex {
        /// The OTP application: the key in mix.lock and the folder in `deps/`
        /// (it differs from the package name when a dep says `hex: :other`).
        app: String,
        /// `hexpm` or a private repository's name.
        repo: String,
        inner: Option<Sha256>,
        outer: Option<Sha256>,
    },
    Composer {
        dist_type: Option<String>,
        dist_url: Option<String>,
        /// SHA-1 of the dist archive, when Composer recorded one.
        dist_shasum: Option<String>,
    },
    /// Nothing to verify against (a `:git` dependency, a `path` package).
    Unverifiable { reason: String },
}

/// Where a release's upstream repository is, as the lockfile or the policy
/// file names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    pub url: String,
    /// The commit the release was built from, where the lockfile records it
    /// (Composer's `source.reference`): the release tag must point to it.
    pub commit: Option<String>,
}

pub(crate) struct Lockfile {
    pub(crate) path: PathBuf,
    pub(crate) ecosystem: Ecosystem,
    pub(crate) packages: Vec<LockedPackage>,
}

impl Lockfile {
    /// Reads `mix.lock` or `composer.lock`, recognised by name.
    pub(crate) fn read(path: &Path) -> Result<Lockfile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let (ecosystem, packages) = if name.ends_with("mix.lock") {
            (Ecosystem::Hex, mix::parse(&text))
        } else if name.ends_with("composer.lock") {
            (Ecosystem::Composer, composer::parse(&text))
        } else {
            bail!(
                "{}: not a mix.lock or composer.lock (recognised by file name)",
                path.display()
            );
        };
        let packages = packages.map_err(|e| crate::model::in_file(path, e))?;
        // Names become paths: none is used before all are checked.
        for p in &packages {
            names::check(p).map_err(|e| {
                anyhow::anyhow!(
                    "{}:{}:{}: the entry {:?}: {e:#}",
                    path.display(),
                    p.line,
                    p.column,
                    p.id.name
                )
            })?;
        }
        Ok(Lockfile {
            path: path.to_path_buf(),
            ecosystem,
            packages,
        })
    }

    /// The folder the lockfile lives in: where `deps/` or `vendor/` is.
    pub(crate) fn project_dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| ".".into())
    }
}
