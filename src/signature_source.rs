//! Where a package's signatures come from (SPEC §2): `--signature FILE`, or
//! `ARCHIVE.asc` beside the package. Beside a signature `X.asc` may lie
//! `X.checksums`, the checksum file that was signed: when its signature is
//! good, it tells *which* files of a package changed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A signature file that was found, with its bytes.
pub struct SignatureFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    /// The signed checksum file published beside it, if any.
    pub signed_checksums: Option<String>,
}

/// Finds the signature for `package`. `Ok(None)` with the places looked at
/// when there is none; a named `--signature` that cannot be read is an error.
pub fn locate(package: &Path, explicit: Option<&Path>) -> Result<Result<SignatureFile, String>> {
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
        signed_checksums,
    }))
}

/// `foo-1.0.0.tar` → `foo-1.0.0.tar.asc`; `dir/` → `dir.asc`.
pub fn beside(package: &Path, suffix: &str) -> PathBuf {
    let trimmed: PathBuf = package.components().collect();
    let mut name: OsString = trimmed
        .file_name()
        .map(OsString::from)
        .unwrap_or_else(|| "package".into());
    name.push(suffix);
    trimmed.with_file_name(name)
}

/// `X.asc` → `X.checksums`; any other name gets `.checksums` appended.
pub fn signed_checksums_path(signature: &Path) -> PathBuf {
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
