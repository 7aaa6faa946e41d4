//! The keyring in the home: known certificates, the user's own keys, and
//! importing (with merging) of certificates, secret keys and revocations.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use openpgp::cert::prelude::*;
use openpgp::packet::{Packet, Signature};
use openpgp::parse::{PacketParser, PacketParserResult, Parse};
use openpgp::serialize::Serialize;
use openpgp::types::SignatureType;
use openpgp::{Fingerprint, KeyHandle, KeyID};
use sequoia_openpgp as openpgp;

use crate::home::{Home, WriteLock};

/// Every certificate the user knows, public parts only, plus which of them
/// are the user's own keys (their secrets live in `secret/`).
#[derive(Default)]
pub struct Keyring {
    certs: BTreeMap<Fingerprint, Cert>,
    /// Key ID of every primary key and subkey, for finding a signature's issuer.
    by_key_id: HashMap<KeyID, Vec<Fingerprint>>,
    own: BTreeSet<Fingerprint>,
}

/// What an import changed, for the user's report.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub new: Vec<Fingerprint>,
    pub updated: Vec<Fingerprint>,
    pub unchanged: Vec<Fingerprint>,
    pub new_secret: Vec<Fingerprint>,
    /// Revocation certificates whose key is not in the keyring.
    pub orphan_revocations: usize,
}

impl Keyring {
    /// Reads the keyring; a missing home is an empty keyring, a damaged one an
    /// error that names the file.
    pub fn load(home: &Home) -> Result<Keyring> {
        let mut keyring = Keyring::default();
        let path = home.keyring_path();
        if path.exists() {
            for cert in CertParser::from_file(&path).map_err(|e| damaged(&path, e))? {
                keyring.insert(cert.map_err(|e| damaged(&path, e))?);
            }
        }
        let secret_dir = home.secret_dir();
        if secret_dir.is_dir() {
            for item in fs::read_dir(&secret_dir)
                .with_context(|| format!("listing {}", secret_dir.display()))?
            {
                let name = item?.file_name();
                let Some(fpr) = name.to_str().and_then(|n| n.strip_suffix(".pgp")) else {
                    continue;
                };
                if let Ok(fpr) = fpr.parse::<Fingerprint>() {
                    keyring.own.insert(fpr);
                }
            }
        }
        Ok(keyring)
    }

    pub fn certs(&self) -> impl Iterator<Item = &Cert> {
        self.certs.values()
    }

    pub fn get(&self, fpr: &Fingerprint) -> Option<&Cert> {
        self.certs.get(fpr)
    }

    pub fn own_keys(&self) -> &BTreeSet<Fingerprint> {
        &self.own
    }

    /// The certificate holding a key named by any of `issuers`.
    pub fn find_issuer(&self, issuers: &[KeyHandle]) -> Option<&Cert> {
        issuers.iter().find_map(|handle| {
            let id = KeyID::from(handle);
            self.by_key_id
                .get(&id)?
                .iter()
                .filter_map(|f| self.certs.get(f))
                .find(|cert| cert.keys().any(|k| k.key().key_handle().aliases(handle)))
        })
    }

    /// Looks a certificate up by full fingerprint (of the primary key or a
    /// subkey) or by key ID, as a user types it.
    pub fn lookup(&self, query: &str) -> Result<&Cert> {
        let handle: KeyHandle = query
            .replace(' ', "")
            .parse()
            .with_context(|| format!("{query:?} is not a fingerprint or key ID"))?;
        self.find_issuer(&[handle])
            .with_context(|| format!("no key {query} in the keyring"))
    }

    /// Merges certificates, secret keys and revocation certificates into the
    /// keyring in memory. Secrets are written to `secret/` right away; call
    /// [`Keyring::save`] under the same lock to persist the public part.
    pub fn import(
        &mut self,
        home: &Home,
        lock: &WriteLock,
        material: ParsedKeys,
    ) -> Result<ImportSummary> {
        let mut summary = ImportSummary::default();
        for cert in material.certs {
            let fpr = cert.fingerprint();
            if cert.is_tsk() {
                let merged_secret = match read_secret(home, &fpr)? {
                    Some(old) => old.merge_public_and_secret(cert.clone())?,
                    None => cert.clone(),
                };
                write_secret(home, lock, &merged_secret)?;
                if self.own.insert(fpr.clone()) {
                    summary.new_secret.push(fpr.clone());
                }
            }
            let public = cert.strip_secret_key_material();
            match self.certs.get(&fpr) {
                None => {
                    summary.new.push(fpr);
                    self.insert(public);
                }
                Some(old) => {
                    let merged = old.clone().merge_public(public)?;
                    if merged == *old {
                        summary.unchanged.push(fpr);
                    } else {
                        summary.updated.push(fpr);
                        self.insert(merged);
                    }
                }
            }
        }
        for rev in material.revocations {
            let Some(cert) = self.find_issuer(&rev.get_issuers()).cloned() else {
                summary.orphan_revocations += 1;
                continue;
            };
            let fpr = cert.fingerprint();
            let (merged, changed) = cert.insert_packets(rev)?;
            if changed {
                summary.updated.push(fpr);
                self.insert(merged);
            } else {
                summary.unchanged.push(fpr);
            }
        }
        Ok(summary)
    }

    /// Writes the public keyring atomically.
    pub fn save(&self, home: &Home, lock: &WriteLock) -> Result<()> {
        let mut bytes = Vec::new();
        for cert in self.certs.values() {
            cert.serialize(&mut bytes)?;
        }
        home.write_atomic(lock, &home.keyring_path(), &bytes, false)
    }

    /// Replaces a certificate with an updated version of itself.
    pub fn update(&mut self, cert: Cert) {
        self.insert(cert);
    }

    fn insert(&mut self, cert: Cert) {
        let fpr = cert.fingerprint();
        for key in cert.keys() {
            let ids = self.by_key_id.entry(key.key().keyid()).or_default();
            if !ids.contains(&fpr) {
                ids.push(fpr.clone());
            }
        }
        self.certs.insert(fpr, cert);
    }
}

/// Reads one of the user's own keys, with its secrets.
pub fn read_secret(home: &Home, fpr: &Fingerprint) -> Result<Option<Cert>> {
    let path = secret_path(home, fpr);
    if !path.exists() {
        return Ok(None);
    }
    Cert::from_file(&path)
        .map(Some)
        .map_err(|e| damaged(&path, e))
}

/// Stores one of the user's own keys with its secrets, readable by the owner only.
pub fn write_secret(home: &Home, lock: &WriteLock, tsk: &Cert) -> Result<()> {
    let mut bytes = Vec::new();
    tsk.as_tsk().serialize(&mut bytes)?;
    home.write_atomic(lock, &secret_path(home, &tsk.fingerprint()), &bytes, true)
}

fn secret_path(home: &Home, fpr: &Fingerprint) -> std::path::PathBuf {
    home.secret_dir().join(format!("{}.pgp", fpr.to_hex()))
}

fn damaged(path: &Path, e: anyhow::Error) -> anyhow::Error {
    anyhow::anyhow!("damaged home: {} cannot be read: {e}", path.display())
}

/// OpenPGP key material read from a file: certificates (possibly with
/// secrets) and stand-alone revocation certificates.
#[derive(Default)]
pub struct ParsedKeys {
    pub certs: Vec<Cert>,
    pub revocations: Vec<Signature>,
}

/// Parses armored or binary key material: any number of certificates and
/// revocation certificates, as `gpg --export`, `--export-secret-keys` and
/// `--gen-revoke` write them.
pub fn parse_key_material(bytes: &[u8], source: &str) -> Result<ParsedKeys> {
    let mut parsed = ParsedKeys::default();
    let mut pending: Vec<Packet> = Vec::new();
    let mut ppr =
        PacketParser::from_bytes(bytes).with_context(|| format!("{source}: not OpenPGP data"))?;
    while let PacketParserResult::Some(pp) = ppr {
        let (packet, next) = pp
            .recurse()
            .with_context(|| format!("{source}: malformed OpenPGP data"))?;
        ppr = next;
        let starts_cert = matches!(packet, Packet::PublicKey(_) | Packet::SecretKey(_));
        if starts_cert && !pending.is_empty() {
            parsed
                .certs
                .push(cert_from_packets(std::mem::take(&mut pending), source)?);
        }
        match packet {
            Packet::Signature(sig) if pending.is_empty() => {
                if !matches!(
                    sig.typ(),
                    SignatureType::KeyRevocation | SignatureType::SubkeyRevocation
                ) {
                    bail!(
                        "{source}: a {} signature outside any certificate",
                        sig.typ()
                    );
                }
                parsed.revocations.push(sig);
            }
            // Marker packets are padding; trust packets are GnuPG-local and never exported.
            Packet::Marker(_) | Packet::Trust(_) => {}
            Packet::Unknown(u) => bail!(
                "{source}: unsupported OpenPGP packet {}: {}",
                u.tag(),
                u.error()
            ),
            other => pending.push(other),
        }
    }
    if !pending.is_empty() {
        parsed.certs.push(cert_from_packets(pending, source)?);
    }
    if parsed.certs.is_empty() && parsed.revocations.is_empty() {
        bail!("{source}: no certificates or revocations found");
    }
    Ok(parsed)
}

fn cert_from_packets(packets: Vec<Packet>, source: &str) -> Result<Cert> {
    Cert::from_packets(packets.into_iter())
        .with_context(|| format!("{source}: malformed certificate"))
}
