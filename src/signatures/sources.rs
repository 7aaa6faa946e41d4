//! Where a package's signatures come from (docs/interface.md, "Signature sources"): `--signature FILE`, or
//! `ARCHIVE.asc` beside the package. Beside a signature `X.asc` may lie
//! `X.checksums`, the checksum file that was signed: when its signature is
//! good, it tells *which* files of a package changed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::model::PackageId;
use crate::net::Http;
use crate::signatures::fetch;

/// A signature file that was found, with its bytes.
#[derive(Clone)]
pub(crate) struct SignatureFile {
    pub(crate) path: PathBuf,
    pub(crate) bytes: Vec<u8>,
    /// The signed checksum file published beside it, if any.
    pub(crate) signed_checksums: SignedChecksums,
    /// Folders that may hold the signers' certificates (docs/keys.md):
    /// the signature directory's `keys/`, the project's `pgp-pkg-keys/`.
    pub(crate) key_dirs: Vec<PathBuf>,
}

/// The signed checksum file beside a signature: read with a local signature,
/// fetched only when needed for a remote one (it only explains a signature
/// that does not verify, so a good package costs one request, not two).
#[derive(Clone)]
pub(crate) enum SignedChecksums {
    Read(Option<String>),
    Remote { url: String, http: Http },
}

impl SignedChecksums {
    /// The text, if there is one. It is optional help: a failure to fetch it
    /// is no error.
    pub(crate) fn get(&self) -> Option<String> {
        match self {
            SignedChecksums::Read(text) => text.clone(),
            SignedChecksums::Remote { url, http } => fetch::get(http, url)
                .ok()
                .flatten()
                .and_then(|b| String::from_utf8(b).ok()),
        }
    }
}

/// Finds the signature for `package`. `Ok(None)` with the places looked at
/// when there is none; a named `--signature` that cannot be read is an error.
pub(crate) fn signature_for(
    package: &Path,
    explicit: Option<&Path>,
) -> Result<Result<SignatureFile, String>> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let beside = beside(package, ".asc");
            if !beside.exists() {
                return Ok(Err(format!("looked for {}", beside.display())));
            }
            beside
        }
    };
    let bytes = std::fs::read(&path)
        .with_context(|| format!("cannot read signature file {}", path.display()))?;
    let checksums_path = signed_checksums_path(&path);
    let signed_checksums = std::fs::read(&checksums_path)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    Ok(Ok(SignatureFile {
        path,
        bytes,
        signed_checksums: SignedChecksums::Read(signed_checksums),
        key_dirs: Vec::new(),
    }))
}

/// Signature directories and URL templates (`--signatures`,
/// `PGP_PKG_SIGNATURES`), searched in order.
pub(crate) struct SignatureSources {
    pub(crate) entries: Vec<String>,
    http: Http,
    /// The project's own certificates, `pgp-pkg-keys/` beside its policy file.
    project_keys: Option<PathBuf>,
}

impl SignatureSources {
    /// Command-line entries win; without them, `PGP_PKG_SIGNATURES`
    /// (whitespace-separated); without that, the policy file's (docs/policy.md).
    ///
    /// A directory that does not exist is an error, not an empty source: a
    /// typo in `--signatures` must not turn every package into `unsigned`,
    /// which the default policy lets pass.
    pub(crate) fn new(
        cli: &[String],
        from_policy: &[String],
        http: &Http,
    ) -> Result<SignatureSources> {
        let env: Vec<String> = std::env::var("PGP_PKG_SIGNATURES")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let (entries, origin) = [
            (cli.to_vec(), "--signatures"),
            (env, "PGP_PKG_SIGNATURES"),
            (from_policy.to_vec(), "`signatures` in pgp-pkg.toml"),
        ]
        .into_iter()
        .find(|(e, _)| !e.is_empty())
        .unwrap_or_default();
        for entry in &entries {
            if entry.contains("://") {
                crate::net::check_url(entry).with_context(|| origin.to_string())?;
            } else if !Path::new(entry).is_dir() {
                anyhow::bail!(
                    "{origin}: the signature directory {entry} does not exist \
                     (expected DIR/ECOSYSTEM/NAME/VERSION.asc below it, or a URL template)"
                );
            }
        }
        Ok(SignatureSources {
            entries,
            http: http.clone(),
            project_keys: None,
        })
    }

    /// Signers' certificates may also be in the project's `pgp-pkg-keys/`.
    pub(crate) fn with_project(mut self, project: &Path) -> SignatureSources {
        self.project_keys = Some(project.join(crate::keys::shipped::PROJECT_KEYS));
        self
    }

    /// The key folders that go with a signature found in `dir` (none for a URL).
    fn key_dirs(&self, dir: Option<&Path>) -> Vec<PathBuf> {
        dir.map(|d| d.join(crate::keys::shipped::SIGNATURE_DIR_KEYS))
            .into_iter()
            .chain(self.project_keys.clone())
            .collect()
    }

    /// The first signature for `id`: `DIR/ECOSYSTEM/NAME/VERSION.asc` (stable
    /// layout, docs/interface.md, "Signature sources"), or a URL template. A source that cannot be consulted
    /// is an error: it must never make a package `unsigned`.
    pub(crate) fn find(&self, id: &PackageId) -> Result<Result<SignatureFile, String>> {
        crate::lockfile::names::package_id(id).with_context(|| {
            format!(
                "refusing to look up signatures for {} {}",
                id.name, id.version
            )
        })?;
        let mut looked = Vec::new();
        for entry in &self.entries {
            if entry.contains("://") {
                let url = fetch::expand(entry, id);
                if let Some(bytes) = fetch::get(&self.http, &url)? {
                    // The signed checksum file is optional help, fetched
                    // only if the signature does not verify.
                    let signed_checksums = match url.strip_suffix(".asc") {
                        Some(stem) => SignedChecksums::Remote {
                            url: format!("{stem}.checksums"),
                            http: self.http.clone(),
                        },
                        None => SignedChecksums::Read(None),
                    };
                    return Ok(Ok(SignatureFile {
                        path: PathBuf::from(&url),
                        bytes,
                        signed_checksums,
                        key_dirs: self.key_dirs(None),
                    }));
                }
                looked.push(url);
                continue;
            }
            let path = Path::new(entry)
                .join(id.ecosystem.as_str())
                .join(&id.name)
                .join(format!("{}.asc", id.version));
            if path.is_file() {
                return Ok(signature_for(&path, Some(&path))?.map(|mut file| {
                    file.key_dirs = self.key_dirs(Some(Path::new(entry)));
                    file
                }));
            }
            looked.push(path.display().to_string());
        }
        if looked.is_empty() {
            return Ok(Err(
                "no signature sources given (--signatures DIR or PGP_PKG_SIGNATURES)".into(),
            ));
        }
        Ok(Err(format!("looked for {}", looked.join(", "))))
    }
}

/// `foo-1.0.0.tar` → `foo-1.0.0.tar.asc`; `dir/` → `dir.asc`; `.` →
/// `../NAME.asc`, never a file inside the folder it is about.
pub(crate) fn beside(package: &Path, suffix: &str) -> PathBuf {
    let trimmed: PathBuf = package.components().collect();
    let trimmed = match trimmed.file_name() {
        Some(_) => trimmed,
        None => package.canonicalize().unwrap_or(trimmed),
    };
    let mut name: OsString = trimmed
        .file_name()
        .map(OsString::from)
        .unwrap_or_else(|| "package".into());
    name.push(suffix);
    trimmed.with_file_name(name)
}

/// `X.asc` → `X.checksums`; any other name gets `.checksums` appended.
pub(crate) fn signed_checksums_path(signature: &Path) -> PathBuf {
    match signature.to_str().and_then(|s| s.strip_suffix(".asc")) {
        Some(stem) => PathBuf::from(format!("{stem}.checksums")),
        None => beside(signature, ".checksums"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_beside_the_package() {
        assert_eq!(
            beside(Path::new("a/foo-1.0.0.tar"), ".asc"),
            PathBuf::from("a/foo-1.0.0.tar.asc")
        );
        assert_eq!(
            beside(Path::new("deps/foo/"), ".asc"),
            PathBuf::from("deps/foo.asc")
        );
        assert_eq!(
            signed_checksums_path(Path::new("s/hex/foo/1.0.0.asc")),
            PathBuf::from("s/hex/foo/1.0.0.checksums")
        );
        assert_eq!(
            signed_checksums_path(Path::new("sig.pgp")),
            PathBuf::from("sig.pgp.checksums")
        );
    }
}
