//! Making detached, armored signatures over a checksum file: with one of the
//! user's own keys, or through the installed `gpg` (where authors' keys
//! usually live, often on a token).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use openpgp::armor;
use openpgp::cert::prelude::*;
use openpgp::crypto::KeyPair;
use openpgp::packet::key::SecretParts;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::{Key, Packet, Signature, UserID};
use openpgp::serialize::Serialize;
use openpgp::types::SignatureType;

use crate::keys::crypto::{is_rsa, variable_time_rsa};
use openpgp::Fingerprint;
use sequoia_openpgp as openpgp;

use crate::keys::home::Home;
use crate::keys::keyring::{read_secret, Keyring};

/// Picks the own key to sign with: `--key`, else the only one there is.
pub(crate) fn choose_own_key(keyring: &Keyring, requested: Option<&str>) -> Result<Fingerprint> {
    let own = keyring.own_keys();
    match requested {
        Some(query) => {
            let cert = keyring.lookup(query)?;
            if !own.contains(&cert.fingerprint()) {
                bail!("{query} is not one of your own keys (no secret key in the home): sign with --gpg, or import the secret key");
            }
            Ok(cert.fingerprint())
        }
        None => match own.len() {
            0 => bail!("you have no signing key: create one with `pgp-pkg key generate`, import one, or sign with --gpg"),
            1 => Ok(own.iter().next().expect("one key").clone()),
            _ => bail!(
                "you have several keys ({}): choose one with --key",
                own.iter().map(|f| f.to_hex()).collect::<Vec<_>>().join(", ")
            ),
        },
    }
}

/// Signs `data` with the user's own key `fpr`, returning the armored signature.
pub(crate) fn sign_with_own_key(home: &Home, fpr: &Fingerprint, data: &[u8]) -> Result<String> {
    let tsk = read_secret(home, fpr)?
        .with_context(|| format!("the secret key {fpr} is missing from the home"))?;
    let policy = crate::keys::crypto::policy(std::time::SystemTime::now());
    let now = SystemTime::now();
    let valid = tsk
        .with_policy(&policy, now)
        .with_context(|| format!("key {fpr} is not valid now"))?;
    let key = valid
        .keys()
        .secret()
        .alive()
        .revoked(false)
        .for_signing()
        .next()
        .with_context(|| {
            format!("key {fpr} has no usable signing (sub)key: expired, revoked or missing")
        })?;
    let mut signer = usable_secret(key.key())?;
    let sig = SignatureBuilder::new(SignatureType::Binary).sign_message(&mut signer, data)?;
    armor_signature(Packet::from(sig))
}

/// A key pair for signing, refusing what this build must not sign with.
fn usable_secret<R: openpgp::packet::key::KeyRole>(key: &Key<SecretParts, R>) -> Result<KeyPair> {
    if is_rsa(key.pk_algo()) && variable_time_rsa() {
        bail!(
            "key {} is an RSA key: this build's pure-Rust RSA signing is not constant-time \
             (RUSTSEC-2023-0071) and could leak the key; sign with --gpg, or build pgp-pkg with \
             --features crypto-nettle (docs/crypto-backend.md)",
            key.fingerprint()
        );
    }
    if key.secret().is_encrypted() {
        bail!(
            "the secret key {} is protected by a passphrase, which pgp-pkg does not handle: use gpg (sign --gpg)",
            key.fingerprint()
        );
    }
    key.clone().role_into_unspecified().into_keypair()
}

fn armor_signature(packet: Packet) -> Result<String> {
    let mut out = Vec::new();
    let mut writer = armor::Writer::new(&mut out, armor::Kind::Signature)?;
    packet.serialize(&mut writer)?;
    writer.finalize()?;
    Ok(String::from_utf8(out).expect("armor is ASCII"))
}

/// Signs `data` through `gpg --detach-sign --armor`, honouring `GNUPGHOME`
/// and gpg's own agent and pinentry.
pub(crate) fn sign_with_gpg(key: Option<&str>, data: &[u8]) -> Result<String> {
    let mut cmd = Command::new(std::env::var_os("PGP_PKG_GPG").unwrap_or_else(|| "gpg".into()));
    cmd.args(["--detach-sign", "--armor", "--output", "-"]);
    if let Some(key) = key {
        cmd.args(["--local-user", key]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run gpg (is GnuPG installed? PGP_PKG_GPG names another binary)")?;
    let mut stdin = child.stdin.take().expect("piped");
    let input = data.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output()?;
    feeder
        .join()
        .expect("stdin writer")
        .context("writing to gpg")?;
    if !output.status.success() {
        bail!(
            "gpg failed to sign: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    String::from_utf8(output.stdout).context("gpg wrote a non-ASCII signature")
}

/// A local (non-exportable) certification of `userid` on `target` by the
/// user's own key `certifier`.
pub(crate) fn certify_user_id(
    home: &Home,
    certifier: &Fingerprint,
    target: &Cert,
    userid: &UserID,
) -> Result<Signature> {
    check_certifiable(target, userid, SystemTime::now())?;
    let tsk = read_secret(home, certifier)?
        .with_context(|| format!("the secret key {certifier} is missing from the home"))?;
    let mut signer = usable_secret(&tsk.primary_key().key().clone().parts_into_secret()?)?;
    SignatureBuilder::new(SignatureType::GenericCertification)
        .set_exportable_certification(false)?
        .sign_userid_binding(&mut signer, target.primary_key().key(), userid)
}

/// Refuses what gpg refuses to certify: a key that has no valid
/// self-signature under the policy, has expired or was revoked by its
/// owner, and a user ID the key does not bind or its owner revoked. Such a
/// certification would authenticate nothing (the web of trust ignores it)
/// while looking, in the keyring, like a statement the user made.
fn check_certifiable(target: &Cert, userid: &UserID, now: SystemTime) -> Result<()> {
    use openpgp::types::RevocationStatus;
    let policy = crate::keys::crypto::policy(now);
    let fpr = target.fingerprint();
    let shown = String::from_utf8_lossy(userid.value());
    let valid = target.with_policy(&policy, now).map_err(|e| {
        anyhow::anyhow!(
            "cannot certify {fpr}: it has no valid self-signature under the crypto policy ({e})"
        )
    })?;
    if let RevocationStatus::Revoked(_) = valid.revocation_status() {
        bail!("cannot certify {fpr}: its owner has revoked it");
    }
    if valid.alive().is_err() {
        bail!(
            "cannot certify {fpr}: it has expired (its owner can extend it; then import it again)"
        );
    }
    let Some(ua) = valid.userids().find(|u| u.userid() == userid) else {
        bail!("cannot certify {shown:?} on {fpr}: the key does not bind that user ID with a valid self-signature");
    };
    if let RevocationStatus::Revoked(_) = ua.revocation_status() {
        bail!("cannot certify {shown:?} on {fpr}: its owner has revoked that user ID");
    }
    Ok(())
}

/// Generates a new Ed25519 signing key (see docs/crypto-backend.md for why
/// Ed25519), returning it with its secrets.
pub(crate) fn generate_key(user_id: &str) -> Result<Cert> {
    let (cert, _revocation) = CertBuilder::new()
        .set_cipher_suite(CipherSuite::Cv25519)
        .add_userid(user_id)
        .add_signing_subkey()
        .generate()?;
    Ok(cert)
}
