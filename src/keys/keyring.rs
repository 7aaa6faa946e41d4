//! The keyring in the home: known certificates, the user's own keys, and
//! importing (with merging) of certificates, secret keys and revocations.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::Path;
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use openpgp::cert::prelude::*;
use openpgp::packet::Tag;
use openpgp::packet::{Packet, Signature};
use openpgp::parse::{PacketParser, PacketParserResult, Parse};
use openpgp::serialize::Serialize;
use openpgp::types::SignatureType;
use openpgp::{Fingerprint, KeyHandle, KeyID};
use sequoia_openpgp as openpgp;

use sha2::Digest;

use crate::keys::home::{Home, WriteLock};
use crate::keys::index::{FileStamp, KeyringIndex};
use crate::model::Sha256;

/// Every certificate the user knows, public parts only, plus which of them
/// are the user's own keys (their secrets live in `secret/`).
#[derive(Default)]
pub(crate) struct Keyring {
    certs: BTreeMap<Fingerprint, Cert>,
    /// Key ID of every primary key and subkey, for finding a signature's issuer.
    by_key_id: HashMap<KeyID, Vec<Fingerprint>>,
    own: BTreeSet<Fingerprint>,
    /// SHA-256 of `keyring.pgp` as loaded (or last saved): the key of caches
    /// derived from it.
    digest: String,
    /// SHA-256 of `keyring.pgp` as loaded, and the certificates changed in
    /// memory since: what lets the network be updated instead of rebuilt.
    loaded_digest: String,
    changed: BTreeSet<Fingerprint>,
    /// Own keys imported since loading, written by [`Keyring::save`].
    pending_secrets: Vec<Cert>,
    /// keyring.pgp's metadata, taken before its bytes were read.
    loaded_stamp: Option<FileStamp>,
    /// keyring.pgp as loaded, when it was parsed along its index.
    source: Option<Source>,
}

/// keyring.pgp as loaded, held open, and where each certificate's bytes
/// are in it: [`Keyring::save`] copies an unchanged certificate's bytes
/// instead of serialising it again.
struct Source {
    file: fs::File,
    /// The open file's metadata when it was read: a file changed in place
    /// since is not copied from.
    stamp: Option<FileStamp>,
    spans: HashMap<Fingerprint, Span>,
}

/// Where a certificate's bytes are in keyring.pgp: (offset, length).
type Span = (u64, u64);

/// What an import changed, for the user's report.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ImportSummary {
    pub(crate) new: Vec<Fingerprint>,
    pub(crate) updated: Vec<Fingerprint>,
    pub(crate) unchanged: Vec<Fingerprint>,
    pub(crate) new_secret: Vec<Fingerprint>,
    /// Revocation certificates whose key is not in the keyring.
    pub(crate) orphan_revocations: usize,
}

impl Keyring {
    /// Reads the keyring; a missing home is an empty keyring, a damaged one an
    /// error that names the file.
    pub(crate) fn load(home: &Home) -> Result<Keyring> {
        // Own keys first: writers replace keyring.pgp before adding a secret,
        // so every own key seen here is in the keyring read next.
        let mut keyring = Keyring {
            own: own_key_fingerprints(home)?,
            ..Keyring::default()
        };
        let path = home.keyring_path();
        keyring.loaded_stamp = FileStamp::of(&path);
        // The whole keyring is about to be checked: recall earlier checks.
        crate::keys::sig_cache::restore(home);
        if path.exists() {
            let file = fs::File::open(&path).map_err(|e| damaged(&path, e.into()))?;
            let whole = PositionalReader { file: &file, at: 0 };
            keyring.digest = crate::keys::index::sha256_hex(whole)
                .ok_or_else(|| damaged(&path, anyhow::anyhow!("cannot read it")))?;
            keyring.loaded_digest = keyring.digest.clone();
            let mut spans = HashMap::new();
            for (cert, span) in
                parse_keyring(home, &file, &keyring.digest).map_err(|e| damaged(&path, e))?
            {
                if let Some(span) = span {
                    spans.insert(cert.fingerprint(), span);
                }
                keyring.insert(cert);
            }
            if !spans.is_empty() {
                keyring.source = Some(Source {
                    stamp: FileStamp::of_file(&file),
                    file,
                    spans,
                });
            }
        }
        if let Some(missing) = keyring.own.iter().find(|f| !keyring.certs.contains_key(*f)) {
            bail!(
                "damaged home: {} lacks your own key {} (the file was truncated or replaced); restore it from a backup, or re-import the key with `pgp-pkg key import {}`",
                path.display(),
                missing.to_hex(),
                secret_path(home, missing).display()
            );
        }
        Ok(keyring)
    }

    pub(crate) fn certs(&self) -> impl Iterator<Item = &Cert> {
        self.certs.values()
    }

    pub(crate) fn get(&self, fpr: &Fingerprint) -> Option<&Cert> {
        self.certs.get(fpr)
    }

    /// Identifies the keyring's content, for caches.
    pub(crate) fn digest(&self) -> String {
        self.digest.clone()
    }

    /// The digest of the keyring as loaded, and the certificates changed
    /// (added, merged, replaced) since: this keyring is that one with those
    /// certificates changed.
    pub(crate) fn changes_since_load(&self) -> (&str, &BTreeSet<Fingerprint>) {
        (&self.loaded_digest, &self.changed)
    }

    /// Whether `digest()` describes the certificates in memory: false
    /// between a change and the save that writes it.
    pub(crate) fn is_saved(&self) -> bool {
        self.changed.is_empty() || self.digest != self.loaded_digest
    }

    pub(crate) fn own_keys(&self) -> &BTreeSet<Fingerprint> {
        &self.own
    }

    /// The certificate holding a key named by any of `issuers`.
    pub(crate) fn find_issuer(&self, issuers: &[KeyHandle]) -> Option<&Cert> {
        issuers.iter().find_map(|handle| {
            let id = KeyID::from(handle);
            self.by_key_id
                .get(&id)?
                .iter()
                .filter_map(|f| self.certs.get(f))
                .find(|cert| cert.keys().any(|k| k.key().key_handle().aliases(handle)))
        })
    }

    /// Every certificate holding a key named by any of `issuers` (a key ID
    /// may be shared).
    pub(crate) fn candidates(&self, issuers: &[KeyHandle]) -> Vec<&Cert> {
        issuers
            .iter()
            .filter_map(|handle| self.by_key_id.get(&KeyID::from(handle)))
            .flatten()
            .filter_map(|f| self.certs.get(f))
            .collect()
    }

    /// Looks a certificate up by full fingerprint (of the primary key or a
    /// subkey) or by key ID, as a user types it.
    pub(crate) fn lookup(&self, query: &str) -> Result<&Cert> {
        self.find_issuer(&[key_query(query)?])
            .with_context(|| format!("no key {query} in the keyring"))
    }

    /// Merges certificates, secret keys and revocation certificates into the
    /// keyring in memory; [`Keyring::save`], under the same lock, writes the
    /// keyring and the new secrets together.
    pub(crate) fn import(
        &mut self,
        home: &Home,
        _lock: &WriteLock,
        material: ParsedKeys,
    ) -> Result<ImportSummary> {
        let mut summary = ImportSummary::default();
        for cert in material.certs {
            let fpr = cert.fingerprint();
            if cert.is_tsk() {
                let earlier = match self
                    .pending_secrets
                    .iter()
                    .position(|p| p.fingerprint() == fpr)
                {
                    Some(i) => Some(self.pending_secrets.remove(i)),
                    None => read_secret(home, &fpr)?,
                };
                let merged_secret = match earlier {
                    Some(old) => old.merge_public_and_secret(cert.clone())?,
                    None => cert.clone(),
                };
                self.pending_secrets.push(merged_secret);
                if self.own.insert(fpr.clone()) {
                    summary.new_secret.push(fpr.clone());
                }
            }
            let public = cert.strip_secret_key_material();
            match self.certs.get(&fpr) {
                None => {
                    summary.new.push(fpr);
                    self.update(public);
                }
                Some(old) => {
                    let merged = old.clone().merge_public(public)?;
                    if merged == *old {
                        summary.unchanged.push(fpr);
                    } else {
                        summary.updated.push(fpr);
                        self.update(merged);
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
                self.update(merged);
            } else {
                summary.unchanged.push(fpr);
            }
        }
        Ok(summary)
    }

    /// Writes the public keyring atomically.
    /// Writes the public keyring atomically, and its index.
    /// Afterwards `digest()` describes the file just written, so caches
    /// can be built from this keyring without reading it back.
    ///
    /// All or nothing: the keyring and every secret imported since loading
    /// are written in full before any of them replaces a file; the keyring
    /// goes first, so a reader never sees an own key missing from it.
    pub(crate) fn save(&mut self, home: &Home, lock: &WriteLock) -> Result<()> {
        let mut spans = Vec::with_capacity(self.certs.len());
        let mut digest = String::new();
        let source = self
            .source
            .as_ref()
            .filter(|s| s.stamp.is_some() && FileStamp::of_file(&s.file) == s.stamp);
        let keyring = home.stage_with(lock, &home.keyring_path(), false, |out| {
            let mut out = Hashing::new(std::io::BufWriter::with_capacity(1 << 16, out));
            let mut buf = Vec::new();
            for (fpr, cert) in &self.certs {
                let start = out.written;
                let span = source.and_then(|s| Some((&s.file, *s.spans.get(fpr)?)));
                match span {
                    Some((file, (offset, len))) if !self.changed.contains(fpr) => {
                        buf.resize(usize::try_from(len)?, 0);
                        crate::keys::index::read_at(file, &mut buf, offset)?;
                        std::io::Write::write_all(&mut out, &buf)?;
                    }
                    _ => cert.serialize(&mut out)?,
                }
                spans.push((cert, start, out.written - start));
            }
            digest = out.finish()?;
            Ok(())
        })?;
        let mut staged = vec![keyring];
        for tsk in &self.pending_secrets {
            let mut secret = Vec::new();
            tsk.as_tsk().serialize(&mut secret)?;
            staged.push(home.stage(lock, &secret_path(home, &tsk.fingerprint()), &secret, true)?);
        }
        crate::keys::home::commit(staged)?;
        self.pending_secrets.clear();
        self.digest = digest;
        self.loaded_stamp = FileStamp::of(&home.keyring_path());
        // Derived: a failure here leaves a stale index, which is ignored.
        if let Some(stamp) = self.loaded_stamp.clone() {
            let _ = KeyringIndex::save(home, lock, stamp.with_sha256(&self.digest), &spans);
        }
        Ok(())
    }

    /// Writes a fresh index for the keyring as loaded, if the home can take
    /// it now and keyring.pgp is still the file that was read and is laid out
    /// as `save` writes it. For read paths that found the index stale (a
    /// keyring replaced by a restore or a sync tool): the next call is fast.
    pub(crate) fn store_index(&self, home: &Home) {
        let Some(lock) = home.try_lock() else { return };
        let Some(loaded) = &self.loaded_stamp else {
            return;
        };
        if FileStamp::of(&home.keyring_path()).as_ref() != Some(loaded) {
            return;
        }
        let mut bytes = Vec::new();
        let mut spans = Vec::with_capacity(self.certs.len());
        for cert in self.certs.values() {
            let start = bytes.len() as u64;
            if cert.serialize(&mut bytes).is_err() {
                return;
            }
            spans.push((cert, start, bytes.len() as u64 - start));
        }
        if digest_of(&bytes) != self.digest {
            return;
        }
        let _ = KeyringIndex::save(
            home,
            &lock,
            loaded.clone().with_sha256(&self.digest),
            &spans,
        );
    }

    /// The first moment after `now` at which a signature in the keyring
    /// comes into effect (a future creation time) or expires, or a key
    /// expires: validity computed at `now` may change then, and not before
    /// (with the crypto policy's own cut-offs, `crypto::policy_changes_after`).
    pub(crate) fn next_event_after(&self, now: SystemTime) -> Option<SystemTime> {
        self.certs
            .values()
            .flat_map(events_of)
            .filter(|t| *t > now)
            .min()
    }

    /// The certificates with an event (see [`Keyring::next_event_after`])
    /// in `(after, until]`: what can have changed between the two moments.
    pub(crate) fn with_events_between(
        &self,
        after: SystemTime,
        until: SystemTime,
    ) -> BTreeSet<Fingerprint> {
        self.certs
            .values()
            .filter(|c| events_of(c).any(|t| after < t && t <= until))
            .map(|c| c.fingerprint())
            .collect()
    }

    /// Adds a certificate, or replaces one with an updated version of itself.
    /// Takes a certificate out of the keyring (and, for an own key, its
    /// secret: removed from the home first, so a crash in between leaves an
    /// ordinary certificate, never an own key without its public half).
    /// A removal is rare: the network is rebuilt, not updated.
    pub(crate) fn remove(
        &mut self,
        home: &Home,
        _lock: &WriteLock,
        fpr: &Fingerprint,
    ) -> Result<bool> {
        let Some(cert) = self.certs.remove(fpr) else {
            return Ok(false);
        };
        if self.own.remove(fpr) {
            let path = secret_path(home, fpr);
            fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
        self.pending_secrets.retain(|p| p.fingerprint() != *fpr);
        for key in cert.keys() {
            if let Some(ids) = self.by_key_id.get_mut(&key.key().keyid()) {
                ids.retain(|f| f != fpr);
            }
        }
        self.changed.insert(fpr.clone());
        self.loaded_digest.clear();
        Ok(true)
    }

    pub(crate) fn update(&mut self, cert: Cert) {
        self.changed.insert(cert.fingerprint());
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

/// The moments at which something about `cert` starts or stops holding:
/// every signature's creation and expiration time, and every key expiry a
/// signature states (whether or not it is the binding in force: a spare
/// moment only costs a recomputation).
fn events_of(cert: &Cert) -> impl Iterator<Item = SystemTime> + '_ {
    fn events(sig: &Signature, key_created: SystemTime) -> [Option<SystemTime>; 3] {
        [
            sig.signature_creation_time(),
            sig.signature_expiration_time(),
            sig.key_validity_period().map(|p| key_created + p),
        ]
    }
    let created = cert.primary_key().key().creation_time();
    let uid_sigs = cert
        .userids()
        .flat_map(|u| u.bundle().signatures())
        .chain(cert.user_attributes().flat_map(|u| u.bundle().signatures()))
        .map(move |s| (s, created));
    let key_sigs = cert.keys().flat_map(|k| {
        k.bundle()
            .signatures()
            .map(move |s| (s, k.key().creation_time()))
    });
    uid_sigs
        .chain(key_sigs)
        .flat_map(|(s, created)| events(s, created))
        .flatten()
}

/// A key named as a user types it: a fingerprint or key ID, spaces allowed.
fn key_query(query: &str) -> Result<KeyHandle> {
    if query.contains('@') {
        bail!(
            "{query:?} is an email address; this command takes a fingerprint or key ID: \
             `pgp-pkg key list` shows them, `pgp-pkg key fetch {query}` looks the address up"
        );
    }
    query.replace(' ', "").parse().map_err(|_| {
        anyhow::anyhow!("{query:?} is not a fingerprint (40 or 64 hex digits) or key ID (16)")
    })
}

/// Finds the certificate that issued a signature. Errors mean the keyring
/// could not be read: never to be mistaken for "no such key".
pub(crate) trait IssuerLookup: Sync {
    fn issuer_cert(&self, issuers: &[KeyHandle]) -> Result<Option<Cert>>;

    /// [`Keyring::lookup`] through this lookup.
    fn lookup(&self, query: &str) -> Result<Cert> {
        self.issuer_cert(&[key_query(query)?])?
            .with_context(|| format!("no key {query} in the keyring"))
    }
}

impl IssuerLookup for Keyring {
    fn issuer_cert(&self, issuers: &[KeyHandle]) -> Result<Option<Cert>> {
        Ok(self.find_issuer(issuers).cloned())
    }
}

/// The cheapest lookup available: through the keyring index when it is
/// fresh (parsing only the signers' certificates), else the whole keyring.
pub(crate) enum CertLookup {
    /// The index, and the whole keyring should the index prove stale.
    Indexed(
        KeyringIndex,
        Home,
        Box<std::sync::OnceLock<std::result::Result<Keyring, String>>>,
    ),
    Loaded(Keyring),
}

impl CertLookup {
    pub(crate) fn open(home: &Home) -> Result<CertLookup> {
        check_own_keys_present(home)?;
        Ok(match KeyringIndex::load_fresh(home) {
            Some(index) => CertLookup::Indexed(index, home.clone(), Box::default()),
            None => {
                let keyring = Keyring::load(home)?;
                keyring.store_index(home);
                CertLookup::Loaded(keyring)
            }
        })
    }
}

impl IssuerLookup for CertLookup {
    fn issuer_cert(&self, issuers: &[KeyHandle]) -> Result<Option<Cert>> {
        match self {
            CertLookup::Indexed(index, home, fallback) => match index.find_issuer(issuers) {
                Err(e) if e.is::<crate::keys::index::StaleIndex>() => {
                    let keyring =
                        fallback.get_or_init(|| Keyring::load(home).map_err(|e| format!("{e:#}")));
                    match keyring {
                        Ok(k) => k.issuer_cert(issuers),
                        Err(e) => Err(anyhow::anyhow!("{e}")),
                    }
                }
                other => other,
            },
            CertLookup::Loaded(keyring) => keyring.issuer_cert(issuers),
        }
    }
}

/// A keyring that lacks one of the user's own keys was truncated or
/// replaced: a damaged home, not an empty keyring.
fn check_own_keys_present(home: &Home) -> Result<()> {
    let own = own_key_fingerprints(home)?;
    if own.is_empty() {
        return Ok(());
    }
    let path = home.keyring_path();
    let len = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        bail!(
            "damaged home: {} is empty or missing, but {} holds your own key(s); restore the file from a backup, or re-import them with `pgp-pkg key import {}`",
            path.display(),
            home.secret_dir().display(),
            secret_path(home, own.iter().next().expect("not empty")).display()
        );
    }
    Ok(())
}

/// The certificates in keyring.pgp, open as `file`, whose SHA-256 is
/// `digest`: in parallel, one per span, when the index was written for
/// exactly these bytes (each span must parse to the one certificate the
/// index names), else in one pass. Read in pieces: the file's bytes are
/// never all in memory beside the certificates parsed from them.
///
/// Each certificate comes with its span (offset, length) when parsed from one.
fn parse_keyring(home: &Home, file: &fs::File, digest: &str) -> Result<Vec<(Cert, Option<Span>)>> {
    use rayon::prelude::*;
    let len = file.metadata()?.len();
    if let Some(tiling) = KeyringIndex::tiling(home, len, digest) {
        let parsed: Option<Vec<_>> = tiling
            .par_iter()
            .map(|(span, fpr)| {
                let mut bytes = vec![0u8; span.end - span.start];
                crate::keys::index::read_at(file, &mut bytes, span.start as u64).ok()?;
                let cert = Cert::from_bytes(&bytes)
                    .ok()
                    .filter(|c| c.fingerprint().to_hex() == *fpr)?;
                Some((cert, Some((span.start as u64, bytes.len() as u64))))
            })
            .collect();
        if let Some(certs) = parsed {
            return Ok(certs);
        }
    }
    let reader = std::io::BufReader::with_capacity(1 << 16, PositionalReader { file, at: 0 });
    CertParser::from_reader(reader)?
        .map(|cert| Ok((cert?, None)))
        .collect()
}

/// Reads `file` from the start without moving its shared cursor.
struct PositionalReader<'a> {
    file: &'a fs::File,
    at: u64,
}

impl std::io::Read for PositionalReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.at)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// A writer that hashes (SHA-256) and counts what passes through it.
struct Hashing<W: std::io::Write> {
    inner: W,
    hasher: sha2::Sha256,
    written: u64,
}

impl<W: std::io::Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            hasher: sha2::Sha256::new(),
            written: 0,
        }
    }

    /// Flushes, and returns the hex SHA-256 of everything written.
    fn finish(mut self) -> std::io::Result<String> {
        self.inner.flush()?;
        Ok(Sha256(self.hasher.finalize().into()).to_hex())
    }
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn digest_of(bytes: &[u8]) -> String {
    Sha256(sha2::Sha256::digest(bytes).into()).to_hex()
}

/// The user's own keys: those whose secrets are in `secret/`.
pub(crate) fn own_key_fingerprints(home: &Home) -> Result<BTreeSet<Fingerprint>> {
    let mut own = BTreeSet::new();
    let secret_dir = home.secret_dir();
    if !secret_dir.is_dir() {
        return Ok(own);
    }
    for item in
        fs::read_dir(&secret_dir).with_context(|| format!("listing {}", secret_dir.display()))?
    {
        let name = item?.file_name();
        if let Some(fpr) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".pgp"))
            .and_then(|f| f.parse().ok())
        {
            own.insert(fpr);
        }
    }
    Ok(own)
}

/// Reads one of the user's own keys, with its secrets.
pub(crate) fn read_secret(home: &Home, fpr: &Fingerprint) -> Result<Option<Cert>> {
    let path = secret_path(home, fpr);
    if !path.exists() {
        return Ok(None);
    }
    Cert::from_file(&path)
        .map(Some)
        .map_err(|e| damaged(&path, e))
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
pub(crate) struct ParsedKeys {
    pub(crate) certs: Vec<Cert>,
    pub(crate) revocations: Vec<Signature>,
    /// Packets inside certificates that could not be read (a malformed old
    /// signature, an unknown algorithm): skipped, as GnuPG skips them.
    pub(crate) skipped_packets: usize,
    /// Certificates whose primary key could not be read at all.
    pub(crate) skipped_certs: usize,
}

/// Parses armored or binary key material: any number of certificates and
/// revocation certificates, as `gpg --export`, `--export-secret-keys` and
/// `--gen-revoke` write them.
pub(crate) fn parse_key_material(bytes: &[u8], source: &str) -> Result<ParsedKeys> {
    let mut parsed = ParsedKeys::default();
    let mut pending: Vec<Packet> = Vec::new();
    let mut ppr =
        PacketParser::from_bytes(bytes).with_context(|| format!("{source}: not OpenPGP data"))?;
    let mut skipping_cert = false;
    while let PacketParserResult::Some(pp) = ppr {
        let (packet, next) = pp
            .recurse()
            .with_context(|| format!("{source}: malformed OpenPGP data"))?;
        ppr = next;
        let starts_cert = match &packet {
            Packet::PublicKey(_) | Packet::SecretKey(_) => true,
            Packet::Unknown(u) => matches!(u.tag(), Tag::PublicKey | Tag::SecretKey),
            _ => false,
        };
        if starts_cert {
            skipping_cert = false;
            if !pending.is_empty() {
                parsed
                    .certs
                    .push(cert_from_packets(std::mem::take(&mut pending), source)?);
            }
        }
        match packet {
            Packet::Unknown(_) if starts_cert => {
                skipping_cert = true;
                parsed.skipped_certs += 1;
            }
            _ if skipping_cert => parsed.skipped_packets += 1,
            Packet::Unknown(u) if pending.is_empty() => bail!(
                "{source}: unreadable OpenPGP packet {}: {}",
                u.tag(),
                u.error()
            ),
            Packet::Unknown(_) => parsed.skipped_packets += 1,
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
