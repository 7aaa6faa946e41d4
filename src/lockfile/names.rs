//! What a lockfile may name (docs/interface.md, "Lockfile names"). Names and
//! versions from a lockfile become path components: `deps/APP`,
//! `vendor/VENDOR/NAME`, `HEX_HOME/packages/REPO/NAME-VERSION.tar`,
//! `SIGDIR/ECOSYSTEM/NAME/VERSION.asc`. A hostile lockfile must not make
//! pgp-pkg read outside the project, the caches and the signature
//! directories, so every one is checked against the package manager's own
//! rules before it is used, and anything else stops the run (exit 2).

use anyhow::{bail, ensure, Result};

use super::{LockedPackage, Source};
use crate::model::{Ecosystem, PackageId};

/// Checks every name and version of one locked package. (The version of an
/// unverifiable entry, a git ref such as `dev-feature/x`, is only reported,
/// never looked up on disk, so it is not held to the path rule.)
pub fn check(pkg: &LockedPackage) -> Result<()> {
    match pkg.id.ecosystem {
        Ecosystem::Composer => composer_name(&pkg.id.name)?,
        Ecosystem::Hex => hex_name("package name", &pkg.id.name)?,
    }
    match &pkg.source {
        Source::Hex { app, repo, .. } => {
            hex_name("application", app)?;
            hex_repo(repo)?;
        }
        Source::Composer { .. } => {}
        Source::Unverifiable { .. } => return Ok(()),
    }
    version(&pkg.id.version)
}

/// Checks a package identity before it becomes a path (signature
/// directories, URL templates), whoever supplied it.
pub fn package_id(id: &PackageId) -> Result<()> {
    match id.ecosystem {
        Ecosystem::Composer => composer_name(&id.name)?,
        Ecosystem::Hex => hex_name("package name", &id.name)?,
    }
    version(&id.version)
}

/// Composer's rule for package names (its JSON schema), on the lower-cased
/// name: `vendor/name`, each part lower-case letters and digits joined by
/// single `.`, `_` or `-` (up to two `-`).
pub fn composer_name(name: &str) -> Result<()> {
    let ok = name
        .split_once('/')
        .is_some_and(|(vendor, pkg)| part(vendor, false) && part(pkg, true));
    ensure!(
        ok,
        "{name:?} is not a Composer package name (vendor/name, lower-case letters, digits, `.`, `_`, `-`)"
    );
    Ok(())
}

fn part(s: &str, double_dash: bool) -> bool {
    let bytes = s.as_bytes();
    if bytes.is_empty() || !is_alnum(bytes[0]) || !is_alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut run = 0;
    for &b in bytes {
        if is_alnum(b) {
            run = 0;
        } else if matches!(b, b'.' | b'_' | b'-') {
            run += 1;
            let allowed = if double_dash && b == b'-' { 2 } else { 1 };
            if run > allowed {
                return false;
            }
        } else {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// Hex's rule for package and application names: a lower-case letter, then
/// letters, digits and `_`.
pub fn hex_name(what: &str, name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    ensure!(
        ok,
        "{name:?} is not a Hex {what} (a lower-case letter, then letters, digits and `_`)"
    );
    Ok(())
}

/// `hexpm`, or a private repository `hexpm:ORG` or a self-hosted one.
fn hex_repo(repo: &str) -> Result<()> {
    let ok = !repo.is_empty()
        && repo.split(':').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
        && repo.matches(':').count() <= 1;
    ensure!(ok, "{repo:?} is not a Hex repository name");
    Ok(())
}

/// A version is one path component: no separator, not `.` or `..`, no
/// control character.
pub fn version(v: &str) -> Result<()> {
    if v.is_empty() || v == "." || v == ".." || v.len() > 255 {
        bail!("{v:?} is not a version");
    }
    ensure!(
        !v.chars().any(|c| c == '/' || c == '\\' || c.is_control()),
        "version {v:?} contains a path separator or control character"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composer_names() {
        for ok in [
            "acme/widget",
            "a/b",
            "sym-fony/http-kernel",
            "a.b/c_d",
            "x/a--b",
            "psr/log",
        ] {
            composer_name(ok).unwrap();
        }
        for bad in [
            "../x", "a/../b", "a/b/c", "a", "/a/b", "a/", "a/b.", "-a/b", "a..b/c", "a/b\n",
            "a/b c", "a/b/..", "./a", "a/.b", "a/---b",
        ] {
            assert!(composer_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn hex_names_repos_and_versions() {
        hex_name("app", "plug_cowboy").unwrap();
        for bad in ["/etc", "..", "Plug", "_x", "a-b", "a/b", ""] {
            assert!(hex_name("app", bad).is_err(), "{bad:?} accepted");
        }
        hex_repo("hexpm").unwrap();
        hex_repo("hexpm:acme").unwrap();
        for bad in ["../x", "a/b", "", "a:b:c", "."] {
            assert!(hex_repo(bad).is_err(), "{bad:?} accepted");
        }
        for ok in ["1.0.0", "v2.0.0-rc.1+build", "dev-main", "1.0.x-dev"] {
            version(ok).unwrap();
        }
        for bad in ["", ".", "..", "1/../../x", "a\\b", "dev-feature/x", "1\n"] {
            assert!(version(bad).is_err(), "{bad:?} accepted");
        }
    }
}
