//! Certificates that travel with signatures and projects (docs/keys.md,
//! "Keys beside signatures and in the project"): `DIR/keys/FINGERPRINT.asc` in a signature
//! directory, and `pgp-pkg-keys/FINGERPRINT.asc` beside a project's
//! `pgp-pkg.toml`. One armored certificate per file, named by its primary
//! key's fingerprint, so a review shows which key changed.
//!
//! They are used to *check* signatures (a signer not in the keyring, or a
//! newer copy of one that is, with a revocation or an extended expiry);
//! they add no trust: a certificate's validity still comes from the user's
//! web of trust, and one known only from such a file is `unknown`.

use std::path::Path;

use anyhow::{bail, Context, Result};
use openpgp::parse::Parse;
use openpgp::Cert;
use sequoia_openpgp as openpgp;

/// The folder of a signature directory that holds its signers' certificates.
pub(crate) const SIGNATURE_DIR_KEYS: &str = "keys";

/// The folder beside `pgp-pkg.toml` that holds the project's certificates.
pub(crate) const PROJECT_KEYS: &str = "pgp-pkg-keys";

/// Every certificate in `dir` (none if it does not exist). Each `*.asc`
/// file must hold exactly the one certificate its name gives; anything
/// else is an error naming the file. Other files (a README) are left alone.
/// Secret key material is stripped: these are never the user's own keys.
pub(crate) fn load_dir(dir: &Path) -> Result<Vec<Cert>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    let mut certs = Vec::new();
    let mut paths: Vec<_> = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    paths.sort();
    for path in paths {
        if path.extension().and_then(|e| e.to_str()) != Some("asc") || !path.is_file() {
            continue;
        }
        certs.push(load_file(&path)?);
    }
    Ok(certs)
}

fn load_file(path: &Path) -> Result<Cert> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_ascii_uppercase();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let certs: Vec<Cert> = openpgp::cert::CertParser::from_bytes(&bytes)
        .and_then(|p| p.collect::<openpgp::Result<Vec<Cert>>>())
        .with_context(|| format!("{}: not an OpenPGP certificate", path.display()))?;
    let [cert] = <[Cert; 1]>::try_from(certs).map_err(|certs| {
        anyhow::anyhow!(
            "{}: expected exactly one certificate, found {}",
            path.display(),
            certs.len()
        )
    })?;
    if cert.fingerprint().to_hex() != stem {
        bail!(
            "{}: holds the certificate {}, not the one its name gives (name it {}.asc)",
            path.display(),
            cert.fingerprint(),
            cert.fingerprint().to_hex()
        );
    }
    Ok(cert.strip_secret_key_material())
}
