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
        None => {
            // Keys that can no longer sign (revoked, expired) are not a
            // choice: after a rotation the new key is the only one.
            let now = SystemTime::now();
            let policy = crate::keys::crypto::policy(now);
            let usable: Vec<&Fingerprint> = own
                .iter()
                .filter(|f| {
                    keyring.get(f).is_some_and(|c| {
                        c.with_policy(&policy, now).is_ok_and(|v| {
                            v.alive().is_ok()
                                && !matches!(
                                    v.revocation_status(),
                                    openpgp::types::RevocationStatus::Revoked(_)
                                )
                                && v.keys()
                                    .alive()
                                    .revoked(false)
                                    .for_signing()
                                    .next()
                                    .is_some()
                        })
                    })
                })
                .collect();
            match (own.len(), usable.as_slice()) {
                (0, _) => bail!("you have no signing key: create one with `pgp-pkg key generate`, import one, or sign with --gpg"),
                (_, [one]) => Ok((*one).clone()),
                (1, []) => Ok(own.iter().next().expect("one key").clone()),
                _ => bail!(
                    "you have several keys ({}): choose one with --key",
                    own.iter().map(|f| f.to_hex()).collect::<Vec<_>>().join(", ")
                ),
            }
        }
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
    armored(&[packet], armor::Kind::Signature, "")
}

fn gpg() -> Command {
    Command::new(std::env::var_os("PGP_PKG_GPG").unwrap_or_else(|| "gpg".into()))
}

/// Signs `data` through `gpg --detach-sign --armor`, honouring `GNUPGHOME`
/// and gpg's own agent and pinentry; then checks that `verify` would accept
/// what gpg made (the key and hash under the one crypto policy), so an
/// author never publishes a signature every verifier rejects.
pub(crate) fn sign_with_gpg(key: Option<&str>, data: &[u8]) -> Result<String> {
    let mut cmd = gpg();
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
    let fed = feeder.join().expect("stdin writer");
    // gpg's own message first: a gpg that gave up early (no secret key)
    // also makes the write fail, with a meaningless "Broken pipe".
    if !output.status.success() {
        bail!(
            "gpg failed to sign: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    fed.context("writing to gpg")?;
    let armored = String::from_utf8(output.stdout).context("gpg wrote a non-ASCII signature")?;
    check_gpg_signature(&armored, data)?;
    Ok(armored)
}

/// Refuses a gpg-made signature that pgp-pkg's verifiers would reject.
fn check_gpg_signature(armored: &str, data: &[u8]) -> Result<()> {
    use openpgp::parse::Parse;
    use openpgp::policy::{HashAlgoSecurity, Policy};
    let now = SystemTime::now();
    let policy = crate::keys::crypto::policy(now);
    let Packet::Signature(sig) =
        Packet::from_bytes(armored.as_bytes()).context("gpg did not write an OpenPGP signature")?
    else {
        bail!("gpg did not write an OpenPGP signature");
    };
    let issuer = sig
        .get_issuers()
        .into_iter()
        .next()
        .context("gpg's signature names no issuer")?;
    let refuse = |why: String| -> anyhow::Error {
        anyhow::anyhow!(
            "refusing gpg's signature by {}: {why}; verifiers would reject it. Sign with a modern \
             key (Ed25519, or RSA of 3072 bits) and hash (SHA-256 or better)",
            issuer.to_hex()
        )
    };
    if let Err(e) = policy.signature(&sig, HashAlgoSecurity::CollisionResistance) {
        return Err(refuse(format!("it uses {} ({e})", sig.hash_algo())));
    }
    let exported = gpg()
        .args(["--export", &issuer.to_hex()])
        .output()
        .context("cannot run gpg --export")?;
    let cert = Cert::from_bytes(&exported.stdout)
        .map_err(|_| refuse("gpg could not export the key that made it".into()))?;
    let valid = cert.with_policy(&policy, now).map_err(|e| {
        refuse(format!(
            "the key is not valid under the crypto policy ({e})"
        ))
    })?;
    let key = valid
        .keys()
        .key_handle(issuer.clone())
        .next()
        .ok_or_else(|| refuse("its signing key is too weak or not validly bound".into()))?;
    sig.verify_message(key.key(), data)
        .map_err(|_| refuse("it does not check out against the key gpg exported".into()))?;
    Ok(())
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
/// Ed25519), returning it with its secrets and a revocation certificate to
/// keep for the day the key is lost. `validity`: how long it is valid
/// (`None`: it does not expire).
pub(crate) fn generate_key(
    user_id: &str,
    validity: Option<std::time::Duration>,
) -> Result<(Cert, Signature)> {
    if user_id.trim().is_empty() {
        bail!("the user ID is empty: give one like --user-id \"Alice Author <alice@example.org>\"");
    }
    let (cert, revocation) = CertBuilder::new()
        .set_cipher_suite(CipherSuite::Cv25519)
        .set_validity_period(validity)
        .add_userid(user_id)
        .add_signing_subkey()
        .generate()?;
    Ok((cert, revocation))
}

/// `3y`, `18m`, `90d`, `2w`, or `never` (`None`).
pub(crate) fn parse_validity(text: &str) -> Result<Option<std::time::Duration>> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = digits.parse().ok().filter(|n| *n > 0).with_context(|| {
        format!("--expires {text:?}: expected a duration like 3y, 18m, 90d, 2w, or never")
    })?;
    let day = 86_400;
    let secs = match unit {
        "y" => n * 365 * day,
        "m" => n * 30 * day,
        "w" => n * 7 * day,
        "d" | "" => n * day,
        _ => bail!("--expires {text:?}: expected a duration like 3y, 18m, 90d, 2w, or never"),
    };
    Ok(Some(std::time::Duration::from_secs(secs)))
}

/// A revocation of the user's own key `fpr`, made with its secret primary key.
pub(crate) fn revoke_key(
    home: &Home,
    fpr: &Fingerprint,
    reason: &str,
    message: &str,
) -> Result<Signature> {
    use openpgp::types::ReasonForRevocation as R;
    let code = match reason {
        "compromised" => R::KeyCompromised,
        "superseded" => R::KeySuperseded,
        "retired" => R::KeyRetired,
        "unspecified" => R::Unspecified,
        other => {
            bail!("--reason {other:?}: expected compromised, superseded, retired or unspecified")
        }
    };
    let tsk = read_secret(home, fpr)?
        .with_context(|| format!("the secret key {fpr} is missing from the home"))?;
    let mut signer = usable_secret(&tsk.primary_key().key().clone().parts_into_secret()?)?;
    CertRevocationBuilder::new()
        .set_reason_for_revocation(code, message.as_bytes())?
        .build(&mut signer, &tsk, None)
}

/// A certificate or revocation, armored.
pub(crate) fn armored(packets: &[Packet], kind: armor::Kind, comment: &str) -> Result<String> {
    let mut out = Vec::new();
    let headers = [("Comment", comment)];
    let mut writer = armor::Writer::with_headers(
        &mut out,
        kind,
        headers.iter().filter(|(_, v)| !v.is_empty()).copied(),
    )?;
    for p in packets {
        p.serialize(&mut writer)?;
    }
    writer.finalize()?;
    Ok(String::from_utf8(out).expect("armor is ASCII"))
}
