//! The home's cache of upstream repositories (`HOME/cache/git/`): bare,
//! shallow repositories holding release tags, fetched only when a tag is
//! not known yet, never with `--offline` (docs/git-evidence.md, "Fetching").

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// Upstream repositories for one run.
pub(crate) struct Repos {
    /// `HOME/cache/git`.
    dir: PathBuf,
    offline: bool,
    /// One lock per repository, so two packages of one repository do not
    /// fetch into it at once within a run.
    busy: Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>,
    /// Where repositories go when the home cannot take them (a read-only
    /// home verifies too, SPEC §5): removed at the end of the run.
    scratch: Mutex<Option<tempfile::TempDir>>,
}

impl Repos {
    pub(crate) fn new(cache_dir: &Path, offline: bool) -> Repos {
        Repos {
            dir: cache_dir.join("git"),
            offline,
            busy: Mutex::default(),
            scratch: Mutex::default(),
        }
    }

    /// The repository at `url` and the first of `tags` it has, fetching the
    /// tags when none of them is in the cache yet. `Ok((_, None))`: the
    /// repository was reached and has none of them.
    pub(crate) fn with_tag(
        &self,
        url: &str,
        tags: &[String],
    ) -> Result<(gix::Repository, Option<String>)> {
        check_url(url)?;
        // A version becomes a refspec: nothing in it may change what is fetched.
        if let Some(bad) = tags.iter().find(|t| !is_tag_name(t)) {
            bail!(
                "the version {bad:?} cannot be looked up as a git tag (letters, digits, `.`, \
                 `-`, `_` and `+` only)"
            );
        }
        let name = format!(
            "{}.git",
            &crate::model::hex(&Sha256::digest(url.as_bytes()))[..32]
        );
        let cached = self.dir.join(&name);
        let lock = {
            let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
            busy.entry(cached.clone()).or_default().clone()
        };
        let _held = lock.lock().unwrap_or_else(|e| e.into_inner());
        if cached.is_dir() {
            let repo = open(&cached)?;
            if let Some(tag) = first_tag(&repo, tags) {
                return Ok((repo, Some(tag)));
            }
        }
        if self.offline {
            bail!(
                "{url}: no tag {} in the cache of upstream repositories ({}), and --offline \
                 (PGP_PKG_OFFLINE) forbids fetching it",
                tags.join(" or "),
                self.dir.display()
            );
        }
        let path = self.writable_place(&cached, &name)?;
        fetch_tags(&path, url, tags)?;
        let repo = open(&path)?;
        let tag = first_tag(&repo, tags);
        Ok((repo, tag))
    }

    /// The cached repository, created if needed; a temporary one when the
    /// home cannot be written.
    fn writable_place(&self, cached: &Path, name: &str) -> Result<PathBuf> {
        if cached.is_dir() && writable(cached) {
            return Ok(cached.to_path_buf());
        }
        if !cached.exists() && std::fs::create_dir_all(&self.dir).is_ok() && writable(&self.dir) {
            // Made aside and renamed, so another run never sees half a repository.
            let staging = tempfile::Builder::new()
                .prefix(".new-")
                .tempdir_in(&self.dir)
                .with_context(|| format!("cannot write in {}", self.dir.display()))?;
            init(staging.path())?;
            let staged = staging.keep();
            if std::fs::rename(&staged, cached).is_err() {
                // Another run made it first: use theirs.
                let _ = std::fs::remove_dir_all(&staged);
            }
            return Ok(cached.to_path_buf());
        }
        let mut scratch = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        if scratch.is_none() {
            *scratch = Some(
                tempfile::Builder::new()
                    .prefix("pgp-pkg-git-")
                    .tempdir()
                    .context("cannot make a temporary folder for upstream repositories")?,
            );
        }
        let path = scratch.as_ref().expect("just set").path().join(name);
        if !path.exists() {
            init(&path)?;
        }
        Ok(path)
    }
}

/// Only `https://` (and `http://` to this machine, like every request
/// pgp-pkg makes) and `file://`; ssh and the unauthenticated `git://` are
/// refused with a reason.
fn check_url(url: &str) -> Result<()> {
    if url.starts_with("file://") {
        return Ok(());
    }
    if url.starts_with("https://") || url.starts_with("http://") {
        return crate::net::check_url(url);
    }
    bail!(
        "{url}: pgp-pkg fetches upstream repositories only from https:// and file:// URLs \
         (map others to one with [sources] in pgp-pkg.toml, docs/git-evidence.md)"
    )
}

/// Opens a cache repository with none of the user's or system's git
/// configuration: no URL rewrites, filters, credential helpers or hooks.
fn open(path: &Path) -> Result<gix::Repository> {
    gix::open_opts(path, gix::open::Options::isolated())
        .with_context(|| format!("cannot open the cached repository {}", path.display()))
}

fn init(path: &Path) -> Result<()> {
    gix::init_bare(path)
        .with_context(|| format!("cannot create a repository in {}", path.display()))?;
    Ok(())
}

/// Opens an installed tree that is a git checkout, isolated as the cache is.
pub(super) fn open_checkout(dir: &Path) -> Result<gix::Repository> {
    gix::open_opts(dir, gix::open::Options::isolated())
        .with_context(|| format!("cannot open the git checkout {}", dir.display()))
}

/// The first of `tags` that `repo` has.
pub(super) fn first_tag(repo: &gix::Repository, tags: &[String]) -> Option<String> {
    tags.iter()
        .find(|t| {
            repo.try_find_reference(format!("refs/tags/{t}").as_str())
                .ok()
                .flatten()
                .is_some()
        })
        .cloned()
}

/// Fetches exactly the candidate tags, one commit deep: the tag, its commit
/// and that commit's tree are all the evidence needs.
fn fetch_tags(path: &Path, url: &str, tags: &[String]) -> Result<()> {
    use gix::remote::Direction;
    // gix's https:// client (reqwest) is built without a TLS provider of its
    // own: it uses the process default, ring, as ureq does (Cargo.toml).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cannot = || format!("cannot fetch the release tag from {url}");
    let repo = open(path)?;
    let specs: Vec<String> = tags
        .iter()
        .map(|t| format!("+refs/tags/{t}:refs/tags/{t}"))
        .collect();
    let remote = repo
        .remote_at(url)
        .with_context(cannot)?
        .with_refspecs(specs.iter().map(String::as_str), Direction::Fetch)
        .with_context(cannot)?;
    let connection = remote.connect(Direction::Fetch).with_context(cannot)?;
    let depth = std::num::NonZeroU32::new(1).expect("1 is not zero");
    connection
        .prepare_fetch(gix::progress::Discard, Default::default())
        .with_context(cannot)?
        .with_shallow(gix::remote::fetch::Shallow::DepthAtRemote(depth))
        .receive(gix::progress::Discard, &AtomicBool::new(false))
        .with_context(cannot)?;
    Ok(())
}

fn writable(dir: &Path) -> bool {
    tempfile::tempfile_in(dir).is_ok()
}

/// A release tag pgp-pkg will ask for: what versions are made of, and
/// nothing a refspec or ref name gives a meaning to (`*`, `:`, `^`, `~`, `..`).
fn is_tag_name(tag: &str) -> bool {
    !tag.is_empty()
        && !tag.starts_with(['.', '-'])
        && !tag.contains("..")
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
}

#[cfg(test)]
mod tests {
    use super::is_tag_name;

    #[test]
    fn versions_that_would_change_the_refspec_are_not_tag_names() {
        for ok in [
            "1.0.0",
            "v1.2.3-beta.1",
            "2.0.0+build.5",
            "dev-main",
            "v1_0",
        ] {
            assert!(is_tag_name(ok), "{ok}");
        }
        for bad in [
            "*",
            "1.0:refs/heads/x",
            "1.0^{}",
            "a..b",
            "-x",
            "1.0~1",
            "",
            "a b",
        ] {
            assert!(!is_tag_name(bad), "{bad}");
        }
    }
}
