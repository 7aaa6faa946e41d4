//! Checking detached signatures over a checksum file against the keyring.
//!
//! Sequoia does the cryptography and the certificate validation; this module
//! decides *which* failure a signature has, so the user gets a precise status
//! (docs/interface.md). Revocation and expiry are judged at verification time, never at
//! the creation time a signature claims: a thief can backdate.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};
use openpgp::cert::prelude::*;
use openpgp::packet::{Packet, Signature};
use std::io::Read;

use openpgp::armor;
use openpgp::parse::{Dearmor, PacketParserBuilder, PacketParserResult, Parse};
use openpgp::policy::{HashAlgoSecurity, NullPolicy, Policy, StandardPolicy};
use openpgp::types::{RevocationStatus, SignatureType};
use openpgp::{Fingerprint, KeyHandle};
use sequoia_openpgp as openpgp;

use crate::checksum_file::ChecksumFile;
use crate::git::{GitSignature, SignedObject};
use crate::keys::crypto::{display_user_id, is_rsa, variable_time_rsa};
use crate::keys::home::Home;
use crate::keys::keyring::{CertLookup, IssuerLookup};
use crate::model::timestamp;
use crate::signatures::sources::SignatureFile;
use crate::trust::snapshot::KeyTrust;
use crate::trust::{TrustLevel, TrustModel};

/// How far a signature's clock may run ahead of ours.
const CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// What was found about a package's signatures.
#[derive(Clone, Debug)]
pub(crate) enum Evidence {
    /// No signature anywhere we looked; the string says where that was.
    Unsigned(String),
    /// A signature file that is not an OpenPGP signature.
    Unreadable(String),
    Checked {
        checks: Vec<SignatureCheck>,
        /// Set when no signature verified over the package, but one did over
        /// the signed checksum file published beside it: how the two differ.
        signed_diff: Option<SignedDiff>,
    },
}

/// How an authentic signed checksum file differs from the package at hand.
#[derive(Clone, Debug)]
pub(crate) enum SignedDiff {
    /// It was signed for another package or version (named here).
    OtherPackage(String),
    /// Same package, different contents: one line per kind of change.
    Contents(Vec<String>),
    /// Every file is what was signed, but the package at hand (an installed
    /// Hex tree) does not carry the Hex checksums the signature also covers.
    HexChecksumsUnknown,
}

/// The verdict on one signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Cryptographically good, by a valid key; `trust` is the key's.
    Good {
        trust: TrustLevel,
    },
    /// No key in the keyring issued it.
    UnknownKey,
    /// Does not verify over this checksum file, or cannot be checked at all.
    Bad(String),
    Revoked(String),
    Expired(String),
    WeakCrypto(String),
}

/// What a signature is over (`signers[].kind` in JSON, docs/interface.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum SignatureKind {
    /// A detached signature over the package's checksum file.
    #[default]
    ChecksumFile,
    /// The OpenPGP signature of the release's annotated tag upstream.
    GitTag,
    /// The OpenPGP signature of the commit the release tag points to.
    GitCommit,
}

impl SignatureKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SignatureKind::ChecksumFile => "checksum-file",
            SignatureKind::GitTag => "git-tag",
            SignatureKind::GitCommit => "git-commit",
        }
    }
}

/// One signature and what is known about its signer.
#[derive(Clone, Debug)]
pub(crate) struct SignatureCheck {
    pub(crate) kind: SignatureKind,
    /// The issuer as named by the signature (fingerprint if present, else key ID).
    pub(crate) issuer: String,
    /// The signer's certificate (primary key), when it is in the keyring.
    pub(crate) cert: Option<Fingerprint>,
    /// The (sub)key that made the signature.
    pub(crate) signing_key: Option<Fingerprint>,
    pub(crate) user_id: Option<String>,
    pub(crate) created: Option<SystemTime>,
    pub(crate) outcome: Outcome,
    /// Addresses the signer can be looked up by (`--fetch-keys`): the
    /// certificate's, or the signature's Signer's User ID when the key is unknown.
    pub(crate) emails: Vec<String>,
}

impl SignatureCheck {
    /// The key to look up with `--fetch-keys`, if this signature needs one:
    /// an unknown signer (by issuer), or an expired or revoked one (by
    /// certificate, refreshed once: an extension or a new revocation may be out).
    pub(crate) fn wanted_key(&self) -> Option<(KeyHandle, bool)> {
        match (&self.outcome, &self.cert) {
            (Outcome::UnknownKey, None) => self.issuer.parse().ok().map(|h| (h, false)),
            (Outcome::Expired(_) | Outcome::Revoked(_), Some(fpr)) => {
                Some((KeyHandle::from(fpr.clone()), true))
            }
            _ => None,
        }
    }
}

impl SignatureCheck {
    /// A signature that could not even be parsed: it fails, like any bad one.
    fn unreadable(reason: String) -> SignatureCheck {
        SignatureCheck {
            kind: SignatureKind::ChecksumFile,
            issuer: "(unreadable signature)".into(),
            cert: None,
            signing_key: None,
            user_id: None,
            created: None,
            outcome: Outcome::Bad(reason),
            emails: Vec::new(),
        }
    }
}

/// Reads every signature in a detached-signature file: binary, or one or
/// more armored blocks (`cat a.asc b.asc` is a common way to co-sign).
/// Anything else in it is an error: a signature file is not a place for keys.
pub fn parse_signatures(bytes: &[u8]) -> Result<Vec<Signature>> {
    const BEGIN: &[u8] = b"-----BEGIN PGP";
    let starts: Vec<usize> = bytes
        .windows(BEGIN.len())
        .enumerate()
        .filter(|(_, w)| *w == BEGIN)
        .map(|(i, _)| i)
        .collect();
    let mut sigs = Vec::new();
    if starts.is_empty() {
        parse_signature_block(bytes, &mut sigs)?;
    } else {
        for (n, start) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(bytes.len());
            parse_signature_block(&bytes[*start..end], &mut sigs)
                .with_context(|| format!("armored block {} of {}", n + 1, starts.len()))?;
        }
    }
    if sigs.is_empty() {
        bail!("no OpenPGP signature found");
    }
    Ok(sigs)
}

fn parse_signature_block(bytes: &[u8], sigs: &mut Vec<Signature>) -> Result<()> {
    // Dearmor explicitly: letting the packet parser sniff for armor costs
    // more than checking the signature does.
    let binary;
    let packets = if bytes.starts_with(b"-----BEGIN PGP") {
        let mut reader = armor::Reader::from_bytes(bytes, armor::ReaderMode::Tolerant(None));
        let mut decoded = Vec::new();
        reader
            .read_to_end(&mut decoded)
            .map_err(|_| anyhow::anyhow!("its ASCII armor is truncated or damaged"))?;
        binary = decoded;
        &binary[..]
    } else {
        bytes
    };
    let mut ppr = PacketParserBuilder::from_bytes(packets)
        .and_then(|b| b.dearmor(Dearmor::Disabled).build())
        .map_err(|_| {
            anyhow::anyhow!("not an OpenPGP signature: neither ASCII armor nor OpenPGP packets")
        })?;
    while let PacketParserResult::Some(pp) = ppr {
        let (packet, next) = pp.next().map_err(|_| {
            anyhow::anyhow!("a damaged OpenPGP signature (cut short, or not a signature)")
        })?;
        ppr = next;
        match packet {
            Packet::Signature(sig) => sigs.push(sig),
            Packet::Marker(_) => {}
            Packet::Unknown(u) => bail!("unreadable OpenPGP packet ({}): {}", u.tag(), u.error()),
            other => bail!("expected only signatures, found a {} packet", other.tag()),
        }
    }
    Ok(())
}

/// What checking signatures needs, built once per run: where signers'
/// certificates are, how far each is trusted, the one crypto policy and the
/// moment everything is judged at.
pub(crate) struct Verifier {
    keyring: CertLookup,
    trust: Box<dyn TrustModel>,
    policy: StandardPolicy<'static>,
    now: SystemTime,
    /// Certificates from outside the keyring (docs/keys.md): they can make a
    /// signature checkable, never trusted.
    extra: ExtraCerts,
}

/// Certificates that are not in the keyring: fetched ones a read-only home
/// could not take, and those shipped in key folders beside the signatures
/// (each folder loaded once per run).
#[derive(Default)]
struct ExtraCerts {
    fixed: Vec<Cert>,
    dirs: Mutex<HashMap<PathBuf, KeyDir>>,
}

/// One key folder's certificates, or why it cannot be read.
type KeyDir = std::result::Result<Arc<Vec<Cert>>, String>;

/// The certificates from outside the keyring that one signature file may
/// use: borrowed or shared, never copied per package.
pub(crate) struct Extra<'a> {
    fixed: &'a [Cert],
    dirs: Vec<Arc<Vec<Cert>>>,
}

impl Extra<'_> {
    /// The certificate holding one of `issuers`, if any.
    fn find(&self, issuers: &[KeyHandle]) -> Option<&Cert> {
        self.fixed
            .iter()
            .chain(self.dirs.iter().flat_map(|d| d.iter()))
            .find(|c| {
                issuers
                    .iter()
                    .any(|h| crate::keys::discovery::contains_key(c, h))
            })
    }
}

impl ExtraCerts {
    /// The fixed certificates and those of `dirs`; an unreadable key file is
    /// an error naming it.
    fn for_dirs(&self, dirs: &[PathBuf]) -> std::result::Result<Extra<'_>, String> {
        let mut loaded = Vec::with_capacity(dirs.len());
        for dir in dirs {
            let mut memo = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
            let entry = memo.entry(dir.clone()).or_insert_with(|| {
                crate::keys::shipped::load_dir(dir)
                    .map(Arc::new)
                    .map_err(|e| format!("{e:#}"))
            });
            loaded.push(entry.clone()?);
        }
        Ok(Extra {
            fixed: &self.fixed,
            dirs: loaded,
        })
    }
}

impl Verifier {
    /// The home's keyring (through its index) and trust snapshot, judged now.
    pub(crate) fn open(home: &Home) -> Result<Verifier> {
        let now = SystemTime::now();
        Ok(Verifier::new(
            CertLookup::open(home)?,
            Box::new(KeyTrust::load(home, now)?),
            now,
        ))
    }

    pub(crate) fn new(
        keyring: CertLookup,
        trust: Box<dyn TrustModel>,
        now: SystemTime,
    ) -> Verifier {
        Verifier {
            keyring,
            trust,
            policy: crate::keys::crypto::policy(now),
            now,
            extra: ExtraCerts::default(),
        }
    }

    /// Also checks signatures against `certs` (fetched certificates a
    /// read-only home could not take): merged into the keyring's copies,
    /// trusted only as far as the web of trust already trusts them.
    pub(crate) fn with_certs(mut self, certs: Vec<Cert>) -> Verifier {
        self.extra.fixed.extend(certs);
        self
    }

    /// Everything known about a package's signatures, ready for the policy:
    /// those over its checksum file and, with `--git`, the one on its release
    /// tag or commit upstream, which counts exactly the same (SPEC §8).
    pub(crate) fn evidence(
        &self,
        package: &ChecksumFile,
        found: Result<SignatureFile, String>,
        git: Option<&GitSignature>,
    ) -> Result<Evidence> {
        let evidence = self.checksum_file_evidence(package, found)?;
        let Some(GitSignature::OpenPgp {
            object,
            payload,
            armored,
        }) = git
        else {
            return Ok(evidence);
        };
        let kind = match object {
            SignedObject::Tag => SignatureKind::GitTag,
            SignedObject::Commit => SignatureKind::GitCommit,
        };
        let git_checks = match parse_signatures(armored) {
            Ok(sigs) => {
                let extra = self.extra.for_dirs(&[]).map_err(anyhow::Error::msg)?;
                self.check(payload, &sigs, &extra, kind)?
            }
            Err(e) => vec![SignatureCheck::unreadable(format!(
                "the {} carries an OpenPGP signature that cannot be read: {e:#}",
                match object {
                    SignedObject::Tag => "release tag",
                    SignedObject::Commit => "release commit",
                }
            ))],
        };
        let git_checks = git_checks.into_iter().map(|c| SignatureCheck { kind, ..c });
        Ok(match evidence {
            Evidence::Unsigned(_) => Evidence::Checked {
                checks: git_checks.collect(),
                signed_diff: None,
            },
            Evidence::Checked {
                mut checks,
                signed_diff,
            } => {
                checks.extend(git_checks);
                Evidence::Checked {
                    checks,
                    signed_diff,
                }
            }
            unreadable @ Evidence::Unreadable(_) => unreadable,
        })
    }

    fn checksum_file_evidence(
        &self,
        package: &ChecksumFile,
        found: Result<SignatureFile, String>,
    ) -> Result<Evidence> {
        let file = match found {
            Ok(file) => file,
            Err(looked) => return Ok(Evidence::Unsigned(looked)),
        };
        let sigs = match parse_signatures(&file.bytes) {
            Ok(sigs) => sigs,
            Err(e) => {
                return Ok(Evidence::Unreadable(format!(
                    "{}: {e:#}; a signature file is what `pgp-pkg sign` or `gpg --detach-sign \
                     --armor` writes: ask the author for the right file, or remove this one",
                    file.path.display()
                )))
            }
        };
        let extra = match self.extra.for_dirs(&file.key_dirs) {
            Ok(certs) => certs,
            Err(e) => return Ok(Evidence::Unreadable(e)),
        };
        let checks = self.check(
            package.render().as_bytes(),
            &sigs,
            &extra,
            SignatureKind::ChecksumFile,
        )?;
        let signed_diff = if checks.iter().any(|c| matches!(c.outcome, Outcome::Bad(_)))
            && !checks
                .iter()
                .any(|c| matches!(c.outcome, Outcome::Good { .. }))
        {
            match file.signed_checksums.get().as_deref() {
                Some(text) => self.explain_mismatch(package, text, &sigs, &extra)?,
                None => None,
            }
        } else {
            None
        };
        Ok(Evidence::Checked {
            checks,
            signed_diff,
        })
    }

    /// Checks each signature over `data` (what `kind` of signature says it
    /// is), with the keyring and `extra` certificates.
    fn check(
        &self,
        data: &[u8],
        sigs: &[Signature],
        extra: &Extra,
        kind: SignatureKind,
    ) -> Result<Vec<SignatureCheck>> {
        sigs.iter()
            .map(|sig| self.check_one(data, sig, extra, kind))
            .collect()
    }

    /// When the signed checksum file verifies, it says what changed. It is
    /// attacker-supplied until its signature checks out, so nothing is read
    /// from it before that.
    fn explain_mismatch(
        &self,
        package: &ChecksumFile,
        signed_text: &str,
        sigs: &[Signature],
        extra: &Extra,
    ) -> Result<Option<SignedDiff>> {
        let authentic = self
            .check(
                signed_text.as_bytes(),
                sigs,
                extra,
                SignatureKind::ChecksumFile,
            )?
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Good { .. }));
        if !authentic {
            return Ok(None);
        }
        let Ok(signed) = ChecksumFile::parse(signed_text) else {
            return Ok(None);
        };
        if signed.package != package.package {
            return Ok(Some(SignedDiff::OtherPackage(signed.package.to_string())));
        }
        let mut lines = package.diff_contents(&signed).describe();
        if lines.is_empty() && signed.hex.is_some() && package.hex.is_none() {
            return Ok(Some(SignedDiff::HexChecksumsUnknown));
        }
        if signed.hex != package.hex {
            let show = |h: &Option<crate::checksum_file::HexChecksums>| match h {
                Some(h) => format!("inner {} / outer {}", h.inner, h.outer),
                None => "none".to_string(),
            };
            lines.push(format!(
                "Hex checksums signed: {}; found: {}",
                show(&signed.hex),
                show(&package.hex)
            ));
        }
        Ok(Some(SignedDiff::Contents(lines)))
    }

    fn check_one(
        &self,
        data: &[u8],
        sig: &Signature,
        extra: &Extra,
        kind: SignatureKind,
    ) -> Result<SignatureCheck> {
        let (policy, now) = (&self.policy, self.now);
        let issuers = sig.get_issuers();
        let mut check = SignatureCheck {
            kind,
            issuer: describe_issuers(&issuers),
            cert: None,
            signing_key: None,
            user_id: None,
            created: sig.signature_creation_time(),
            outcome: Outcome::UnknownKey,
            emails: sig
                .signers_user_id()
                .and_then(|uid| {
                    openpgp::packet::UserID::from(uid)
                        .email()
                        .ok()
                        .flatten()
                        .map(str::to_string)
                })
                .into_iter()
                .collect(),
        };
        let cert = match (self.keyring.issuer_cert(&issuers)?, extra.find(&issuers)) {
            // A copy from outside can add a revocation or an extension (both
            // signed by the key itself), never take anything away.
            (Some(known), Some(other)) if known.fingerprint() == other.fingerprint() => {
                known.clone().merge_public(other.clone()).unwrap_or(known)
            }
            (Some(known), _) => known,
            (None, Some(other)) => other.clone(),
            (None, None) => return Ok(check),
        };
        let cert = &cert;
        check.cert = Some(cert.fingerprint());
        check.user_id = display_user_id(cert, policy, now);
        let key = cert
            .keys()
            .find(|k| issuers.iter().any(|h| k.key().key_handle().aliases(h)));
        let Some(key) = key else { return Ok(check) };
        check.signing_key = Some(key.key().fingerprint());
        check.outcome = self.judge(data, sig, cert, key.key().fingerprint(), kind);
        // Only a signer `--fetch-keys` would refresh needs its addresses.
        if check.wanted_key().is_some() {
            check.emails = crate::keys::discovery::cert_emails(cert);
        }
        Ok(check)
    }

    fn judge(
        &self,
        data: &[u8],
        sig: &Signature,
        cert: &Cert,
        key_fpr: Fingerprint,
        kind: SignatureKind,
    ) -> Outcome {
        let (policy, now, trust) = (&self.policy, self.now, &*self.trust);
        if !matches!(sig.typ(), SignatureType::Binary | SignatureType::Text) {
            return Outcome::Bad(format!(
                "a {} signature, not a signature over a document",
                sig.typ()
            ));
        }
        // A collision-prone hash makes a "good" result meaningless, so this comes first.
        if let Err(e) = policy.signature(sig, HashAlgoSecurity::CollisionResistance) {
            return Outcome::WeakCrypto(format!("the signature uses {} ({e})", sig.hash_algo()));
        }
        let raw_key = cert
            .keys()
            .key_handle(key_fpr.clone())
            .next()
            .expect("key found in this cert");
        if let Some(reason) = unverifiable_key(raw_key.key()) {
            return Outcome::Bad(reason);
        }
        let verified = if sig.typ() == SignatureType::Text {
            sig.verify_message(raw_key.key(), text_canonical(data))
        } else {
            sig.verify_message(raw_key.key(), data)
        };
        if verified.is_err() {
            return Outcome::Bad(
                match kind {
                    SignatureKind::ChecksumFile => {
                        "the signature does not match this package's checksum file: the package \
                         differs from what was signed, or the signature is for another package or \
                         version"
                    }
                    SignatureKind::GitTag => {
                        "the tag's signature does not match the tag: it was altered after signing"
                    }
                    SignatureKind::GitCommit => {
                        "the commit's signature does not match the commit: it was altered after \
                         signing"
                    }
                }
                .to_string(),
            );
        }
        if let Some(created) = sig.signature_creation_time() {
            if created > now + CLOCK_SKEW {
                return Outcome::Bad(format!(
                    "the signature claims to be made in the future ({})",
                    timestamp(created)
                ));
            }
        }

        let valid_cert = match cert.with_policy(policy, now) {
            Ok(vc) => vc,
            Err(e) => return classify_invalid(cert, now, "the certificate", e),
        };
        if let RevocationStatus::Revoked(revs) = valid_cert.revocation_status() {
            return Outcome::Revoked(format!(
                "the certificate is revoked{}",
                revocation_reason(&revs)
            ));
        }
        if let Err(e) = valid_cert.alive() {
            return Outcome::Expired(match valid_cert.primary_key().key_expiration_time() {
                Some(t) if t <= now => format!("the certificate expired on {}", timestamp(t)),
                _ => format!("the certificate is not valid now ({e})"),
            });
        }
        let Some(key) = valid_cert.keys().key_handle(key_fpr.clone()).next() else {
            return classify_invalid(
                cert,
                now,
                "the signing key's binding",
                anyhow::anyhow!("no valid binding signature"),
            );
        };
        if let RevocationStatus::Revoked(revs) = key.revocation_status() {
            return Outcome::Revoked(format!(
                "the signing subkey {key_fpr} is revoked{}",
                revocation_reason(&revs)
            ));
        }
        if let Err(e) = key.alive() {
            return Outcome::Expired(match key.key_expiration_time() {
                Some(t) if t <= now => {
                    format!("the signing key {key_fpr} expired on {}", timestamp(t))
                }
                _ => format!("the signing key {key_fpr} is not valid now ({e})"),
            });
        }
        if !key.for_signing() {
            return Outcome::Bad(format!(
                "the key {key_fpr} is not allowed to make signatures"
            ));
        }
        if let Err(e) = sig.signature_alive(now, CLOCK_SKEW) {
            return Outcome::Expired(format!("the signature itself has expired ({e})"));
        }
        Outcome::Good {
            trust: trust.key_trust(&cert.fingerprint()),
        }
    }
}

/// A text signature (`gpg --textmode`) covers the document with CRLF line
/// endings (RFC 9580 §5.2.1.2). Sequoia's `verify_message` hashes bytes as
/// given, so the canonical form is built here.
fn text_canonical(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    let mut prev = 0u8;
    for &b in data {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// A certificate or binding the standard policy rejects is either weak (it
/// would be fine without the policy) or broken.
fn classify_invalid(cert: &Cert, now: SystemTime, what: &str, e: anyhow::Error) -> Outcome {
    // SAFETY-OF-USE: NullPolicy only diagnoses here; it never accepts anything.
    let null = unsafe { NullPolicy::new() };
    if cert.with_policy(&null, now).is_ok() {
        Outcome::WeakCrypto(format!(
            "{what} relies on algorithms too weak to trust ({e})"
        ))
    } else {
        Outcome::Bad(format!("{what} has no valid self-signature ({e})"))
    }
}

/// Keys this build cannot check, with a reason that says what to do.
fn unverifiable_key(
    key: &openpgp::packet::Key<
        openpgp::packet::key::PublicParts,
        openpgp::packet::key::UnspecifiedRole,
    >,
) -> Option<String> {
    let bits = key.mpis().bits().unwrap_or(0);
    if is_rsa(key.pk_algo()) && bits > 4096 && variable_time_rsa() {
        return Some(format!(
            "cannot check this signature: the key is RSA with {bits} bits, and this build's pure-Rust \
             crypto backend verifies RSA keys of at most 4096 bits (build with --features crypto-nettle \
             or crypto-openssl, see docs/crypto-backend.md)"
        ));
    }
    None
}

fn revocation_reason(revs: &[&Signature]) -> String {
    revs.iter()
        .find_map(|r| r.reason_for_revocation())
        .map(|(code, msg)| {
            let msg = String::from_utf8_lossy(msg);
            if msg.is_empty() {
                format!(" ({code})")
            } else {
                format!(" ({code}: {msg})")
            }
        })
        .unwrap_or_default()
}

fn describe_issuers(issuers: &[KeyHandle]) -> String {
    issuers
        .iter()
        .find(|h| matches!(h, KeyHandle::Fingerprint(_)))
        .or_else(|| issuers.first())
        .map(|h| h.to_hex())
        .unwrap_or_else(|| "(no issuer recorded)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(timestamp(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_305_600 + 3_723);
        assert_eq!(timestamp(t), "2026-11-22T01:02:03Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn garbage_is_not_a_signature() {
        assert!(parse_signatures(b"hello world").is_err());
        assert!(parse_signatures(b"").is_err());
    }
}
