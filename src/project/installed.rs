//! Finding what will actually run for a locked package (docs/interface.md, "Where packages are"): the
//! installed tree next to the lockfile and the cached archive, checked
//! against each other and against the lockfile's checksums.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::checksum_file::{ChecksumFile, HexChecksums};
use crate::lockfile::{LockedPackage, Source};
use crate::model::Ecosystem;
use crate::package::{read_checkout, read_package, IdentityHints, Limits};

/// Where package managers keep their caches (overridable for tests and CI).
#[derive(Clone, Debug, Default)]
pub(crate) struct Caches {
    pub(crate) hex_home: Option<PathBuf>,
    pub(crate) composer_cache: Option<PathBuf>,
}

impl Caches {
    /// `HEX_HOME` (default `~/.hex`, or `~/.cache/hex` with `MIX_XDG`), and
    /// `COMPOSER_CACHE_DIR` (default `~/.cache/composer`).
    pub(crate) fn from_env() -> Caches {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let hex_home = std::env::var_os("HEX_HOME").map(PathBuf::from).or_else(|| {
            let home = home.clone()?;
            Some(if std::env::var_os("MIX_XDG").is_some() {
                home.join(".cache/hex")
            } else {
                home.join(".hex")
            })
        });
        let composer_cache = std::env::var_os("COMPOSER_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("COMPOSER_HOME").map(|h| PathBuf::from(h).join("cache")))
            .or_else(|| home.map(|h| h.join(".cache/composer")));
        Caches {
            hex_home,
            composer_cache,
        }
    }
}

/// Where a project's packages are installed (docs/interface.md, "Where
/// packages are"): `deps/` unless `MIX_DEPS_PATH` says otherwise, `vendor/`
/// unless `COMPOSER_VENDOR_DIR` or `config.vendor-dir` in the project's
/// `composer.json` does, relative to the project folder.
#[derive(Clone, Debug)]
pub(crate) struct ProjectLayout {
    pub(crate) dir: PathBuf,
    pub(crate) deps: PathBuf,
    pub(crate) vendor: PathBuf,
}

impl ProjectLayout {
    pub(crate) fn of(dir: &Path, ecosystem: Ecosystem) -> Result<ProjectLayout> {
        let deps = std::env::var_os("MIX_DEPS_PATH")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| "deps".into());
        let vendor = match std::env::var_os("COMPOSER_VENDOR_DIR").filter(|v| !v.is_empty()) {
            Some(v) => PathBuf::from(v),
            None if ecosystem == Ecosystem::Composer => {
                composer_vendor_dir(dir)?.unwrap_or_else(|| "vendor".into())
            }
            None => "vendor".into(),
        };
        Ok(ProjectLayout {
            dir: dir.to_path_buf(),
            deps: dir.join(deps),
            vendor: dir.join(vendor),
        })
    }

    /// The installed tree of a Composer package when it is a git checkout
    /// (`composer install --prefer-source`, or a package with no dist).
    pub(crate) fn git_checkout(&self, pkg: &LockedPackage) -> Option<PathBuf> {
        let tree = self.vendor.join(&pkg.id.name);
        (pkg.id.ecosystem == Ecosystem::Composer && tree.join(".git").exists()).then_some(tree)
    }

    /// Whether `path` lies inside the project folder: a lockfile's local
    /// `dist.url` (or `file://` source repository) is read only then. Decided
    /// on the names first, so that a path outside is never even looked at;
    /// then with links resolved.
    pub(crate) fn contains(&self, path: &Path) -> bool {
        use std::path::Component;
        let (Ok(dir), Ok(path)) = (std::path::absolute(&self.dir), std::path::absolute(path))
        else {
            return false;
        };
        let lexically_inside = path.strip_prefix(&dir).is_ok_and(|rest| {
            !rest
                .components()
                .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
        });
        lexically_inside
            && match (dir.canonicalize(), path.canonicalize()) {
                (Ok(dir), Ok(path)) => path.starts_with(dir),
                _ => false,
            }
    }
}

/// `config.vendor-dir` from the project's `composer.json`, if it sets one.
fn composer_vendor_dir(dir: &Path) -> Result<Option<PathBuf>> {
    let path = dir.join("composer.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}:{}:{}: {e}", path.display(), e.line(), e.column()))?;
    match json.pointer("/config/vendor-dir") {
        None => Ok(None),
        Some(serde_json::Value::String(v)) if !v.is_empty() => Ok(Some(PathBuf::from(v))),
        Some(_) => anyhow::bail!(
            "{}: config.vendor-dir must be a folder name",
            path.display()
        ),
    }
}

/// What was found for one package.
pub(crate) enum Located {
    /// The checksum file of what will run, and integrity problems found
    /// along the way (a cache that disagrees with the lock or the tree).
    Found {
        checksum_file: ChecksumFile,
        problems: Vec<String>,
        /// The commit the cached Composer dist says it was made from (its
        /// zip comment), for `--git`.
        archive_commit: Option<String>,
        /// With `--git`: the installed tree is a git checkout (`composer
        /// install --prefer-source`), read without its `.git`.
        checkout: Option<PathBuf>,
    },
    /// Nothing on disk: not installed, not cached.
    Missing(String),
}

/// `git`: `--git` is on, so an installed Composer tree that is a git
/// checkout is read as one (its `.git` is checked as a repository).
pub(crate) fn what_runs(
    project: &ProjectLayout,
    pkg: &LockedPackage,
    caches: &Caches,
    limits: &Limits,
    git: bool,
) -> Result<Located> {
    let hints = IdentityHints {
        ecosystem: Some(pkg.id.ecosystem),
        name: Some(pkg.id.name.clone()),
        version: Some(pkg.id.version.clone()),
    };
    if let Some(tree) = project.git_checkout(pkg).filter(|_| git) {
        return Ok(Located::Found {
            checksum_file: read_checkout(&tree, &hints, limits)?.checksum_file,
            problems: Vec::new(),
            archive_commit: None,
            checkout: Some(tree),
        });
    }
    match &pkg.source {
        Source::Hex {
            app,
            repo,
            inner,
            outer,
        } => {
            let tree = project.deps.join(app);
            let archive = caches.hex_home.as_ref().map(|h| {
                h.join("packages")
                    .join(repo)
                    .join(format!("{}-{}.tar", pkg.id.name, pkg.id.version))
            });
            let locked = match (inner, outer) {
                (Some(inner), Some(outer)) => Some(HexChecksums {
                    inner: *inner,
                    outer: *outer,
                }),
                _ => None,
            };
            let mut problems = Vec::new();
            let from_archive = match archive.filter(|a| a.is_file()) {
                Some(path) => {
                    let read = read_package(&path, &hints, limits)?;
                    problems.extend(read.integrity_errors);
                    let found = read
                        .checksum_file
                        .hex
                        .expect("Hex tarballs carry their checksums");
                    for (which, locked, found) in
                        [("inner", inner, found.inner), ("outer", outer, found.outer)]
                    {
                        if let Some(locked) = locked.filter(|l| *l != found) {
                            problems.push(format!(
                                "the cached tarball {} has {which} checksum {found}, but mix.lock records {locked}",
                                path.display()
                            ));
                        }
                    }
                    Some((path, read.checksum_file))
                }
                None => None,
            };
            let from_tree = if tree.is_dir() {
                let mut read = read_package(&tree, &hints, limits)?;
                // The installed tree has no checksums of its own: the lock's bind it (docs/checksum-file.md).
                read.checksum_file.hex = locked.or(from_archive.as_ref().and_then(|(_, a)| a.hex));
                Some(read.checksum_file)
            } else {
                None
            };
            finish(from_archive, from_tree, problems, "deps", pkg)
        }
        Source::Composer { .. } => {
            let tree = project.vendor.join(&pkg.id.name);
            let mut archive_commit = None;
            let from_archive = match composer_archive(project, pkg, caches) {
                Some(path) => {
                    let read = read_package(&path, &hints, limits)?;
                    archive_commit = read.made_from_commit;
                    Some((path, read.checksum_file))
                }
                None => None,
            };
            let from_tree = if tree.is_dir() {
                Some(read_package(&tree, &hints, limits)?.checksum_file)
            } else {
                None
            };
            let mut located = finish(from_archive, from_tree, Vec::new(), "vendor", pkg)?;
            if let Located::Found {
                archive_commit: found,
                ..
            } = &mut located
            {
                *found = archive_commit;
            }
            Ok(located)
        }
        Source::Unverifiable { reason } => Ok(Located::Missing(reason.clone())),
    }
}

/// The installed tree is what runs; a cached archive must say the same.
fn finish(
    archive: Option<(PathBuf, ChecksumFile)>,
    tree: Option<ChecksumFile>,
    mut problems: Vec<String>,
    installed_dir: &str,
    pkg: &LockedPackage,
) -> Result<Located> {
    let checksum_file = match (archive, tree) {
        (None, None) => {
            return Ok(Located::Missing(format!(
                "{} {} is neither installed in {installed_dir}/ nor in the package cache",
                pkg.id.name, pkg.id.version
            )))
        }
        (Some((_, a)), None) => a,
        (None, Some(t)) => t,
        (Some((path, a)), Some(t)) => {
            let diff = t.diff_contents(&a);
            if !diff.is_empty() {
                problems.push(format!(
                    "the installed tree differs from the cached archive {}",
                    path.display()
                ));
                problems.extend(diff.describe());
            }
            t
        }
    };
    Ok(Located::Found {
        checksum_file,
        problems,
        archive_commit: None,
        checkout: None,
    })
}

/// A Composer dist archive on disk: a local `dist.url` inside the project, else Composer's
/// cache entry `files/VENDOR/NAME/<sha1 of the URL>.<dist type>`.
fn composer_archive(
    project: &ProjectLayout,
    pkg: &LockedPackage,
    caches: &Caches,
) -> Option<PathBuf> {
    let Source::Composer {
        dist_url: Some(url),
        dist_type,
        ..
    } = &pkg.source
    else {
        return None;
    };
    let local = url.strip_prefix("file://").map(PathBuf::from).or_else(|| {
        (!url.contains("://")).then(|| {
            let p = PathBuf::from(url);
            if p.is_absolute() {
                p
            } else {
                project.dir.join(p)
            }
        })
    });
    // A lockfile may name any path: only archives inside the project are read.
    if let Some(p) = local.filter(|p| project.contains(p) && p.is_file()) {
        return Some(p);
    }
    let name = format!(
        "{}.{}",
        sha1_hex(url),
        dist_type.as_deref().unwrap_or("zip")
    );
    let cached = caches
        .composer_cache
        .as_ref()?
        .join("files")
        .join(&pkg.id.name)
        .join(name);
    cached.is_file().then_some(cached)
}

/// Hex SHA-1, as Composer names its cache files. (Composer's naming, not a
/// security use: archives are judged by their contents.)
fn sha1_hex(text: &str) -> String {
    use sequoia_openpgp::types::HashAlgorithm;
    let mut ctx = HashAlgorithm::SHA1
        .context()
        .expect("SHA-1 is available")
        .for_digest();
    ctx.update(text.as_bytes());
    ctx.into_digest()
        .expect("digest")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
