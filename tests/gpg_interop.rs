//! Interop with the real GnuPG, both ways (docs/interface.md, "Signature sources"): signatures `gpg` makes
//! verify in pgp-pkg, and pgp-pkg's verify in `gpg --verify`. With
//! `PGP_PKG_E2E=1` a missing gpg fails these tests.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use tempfile::TempDir;

/// A throw-away GnuPG home.
struct Gpg {
    home: TempDir,
}

impl Gpg {
    fn new() -> Option<Gpg> {
        if !require_program("gpg") {
            return None;
        }
        // Short path: gpg-agent's socket path must fit in sun_path.
        let home = tempfile::Builder::new()
            .prefix("g")
            .tempdir_in("/tmp")
            .unwrap();
        Some(Gpg { home })
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::new("gpg");
        cmd.env("GNUPGHOME", self.home.path()).args([
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
        ]);
        cmd
    }

    fn ok(&self, args: &[&str]) -> std::process::Output {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `gpg --detach-sign --armor` of `data` by `signer`, into `out`.
    fn detach_sign(&self, signer: &str, data: &Path, out: &Path, extra: &[&str]) {
        let mut args = vec!["--yes", "--detach-sign", "--armor", "--local-user", signer];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--output", out.to_str().unwrap(), data.to_str().unwrap()]);
        self.ok(&args);
    }

    /// `gpg --verify SIG DATA`.
    fn verify(&self, sig: &Path, data: &Path) -> std::process::Output {
        self.cmd()
            .args(["--verify", sig.to_str().unwrap(), data.to_str().unwrap()])
            .output()
            .unwrap()
    }

    fn import(&self, key: &str) {
        self.ok(&["--import", testkey(key).to_str().unwrap()]);
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "all"])
            .output();
    }
}

fn widget_checksum(env: &Env) -> std::path::PathBuf {
    write_zip(&env.path("widget.zip"), WIDGET);
    let text = env.checksum(&["widget.zip", "--version", "1.0.0"]);
    let path = env.path("widget.checksums");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn gpg_detached_signatures_verify_in_pgp_pkg() {
    let Some(gpg) = Gpg::new() else { return };
    // Ed25519 primary; RSA-3072 signing subkey; Ed25519 signing subkey.
    for (name, fpr, subkey) in [
        ("alice", ALICE, false),
        ("bob", BOB, true),
        ("carol", CAROL, true),
    ] {
        let env = Env::new();
        let checksums = widget_checksum(&env);
        gpg.import(&format!("{name}.sec.asc"));
        let sig = env.path("widget.zip.asc");
        gpg.detach_sign(fpr, &checksums, &sig, &[]);
        env.import(&[&format!("{name}.pub.asc")]);
        let (code, pkg) = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
        assert_eq!(
            (code, pkg["status"].as_str()),
            (0, Some("ok")),
            "{name}: {pkg:#}"
        );
        assert_eq!(pkg["signers"][0]["fingerprint"], fpr);
        assert_eq!(
            pkg["signers"][0]["signing_key"] != fpr,
            subkey,
            "{name}: {pkg:#}"
        );

        // The same gpg signature over another version must fail.
        let (code, pkg) = env.verify_json(&[
            "widget.zip",
            "--version",
            "1.0.1",
            "--signature",
            "widget.zip.asc",
        ]);
        assert_eq!(
            (code, pkg["status"].as_str()),
            (1, Some("bad-signature")),
            "{name}: {pkg:#}"
        );
    }
}

#[test]
fn pgp_pkg_signatures_verify_in_gpg() {
    let Some(gpg) = Gpg::new() else { return };
    for (name, fpr) in [("alice", ALICE), ("carol", CAROL)] {
        let env = Env::new();
        env.import(&[&format!("{name}.sec.asc")]);
        let checksums = widget_checksum(&env);
        let out = env.run(&["sign", "widget.zip", "--version", "1.0.0", "--key", fpr]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        gpg.import(&format!("{name}.pub.asc"));
        let out = gpg.verify(&env.path("widget.zip.asc"), &checksums);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{name}: gpg --verify failed: {stderr}"
        );
        assert!(stderr.contains("Good signature"), "{stderr}");

        // gpg also rejects it over different bytes.
        std::fs::write(
            &checksums,
            std::fs::read_to_string(&checksums)
                .unwrap()
                .replace("1.0.0", "1.0.1"),
        )
        .unwrap();
        let out = gpg.verify(&env.path("widget.zip.asc"), &checksums);
        assert!(
            !out.status.success(),
            "gpg accepted a signature over altered bytes"
        );
    }
}

#[test]
fn sign_with_gpg_uses_the_gpg_keyring() {
    let Some(gpg) = Gpg::new() else { return };
    gpg.import("bob.sec.asc");
    let env = Env::new();
    write_zip(&env.path("widget.zip"), WIDGET);
    let out = env
        .cmd()
        .env("GNUPGHOME", gpg.home.path())
        .args([
            "sign",
            "--gpg",
            "--key",
            BOB,
            "widget.zip",
            "--version",
            "1.0.0",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.import(&["bob.pub.asc"]);
    let (code, pkg) = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_eq!((code, pkg["status"].as_str()), (0, Some("ok")), "{pkg:#}");
    assert_eq!(pkg["signers"][0]["fingerprint"], BOB);
}

#[test]
fn gpg_sha1_signature_is_weak_crypto() {
    let Some(gpg) = Gpg::new() else { return };
    gpg.import("alice.sec.asc");
    let env = Env::new();
    let checksums = widget_checksum(&env);
    let sig = env.path("widget.zip.asc");
    gpg.detach_sign(ALICE, &checksums, &sig, &["--digest-algo", "SHA1"]);
    env.import(&["alice.pub.asc"]);
    let (code, pkg) = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_eq!(
        (code, pkg["status"].as_str()),
        (1, Some("weak-crypto")),
        "{pkg:#}"
    );
}

#[test]
fn gpg_revocation_certificate_revokes_in_pgp_pkg() {
    let Some(gpg) = Gpg::new() else { return };
    gpg.ok(&[
        "--quick-generate-key",
        "Revokee <revokee@example.org>",
        "ed25519",
        "sign,cert",
        "never",
    ]);
    let listing = String::from_utf8(
        gpg.ok(&["--with-colons", "--list-keys", "revokee@example.org"])
            .stdout,
    )
    .unwrap();
    let fpr = listing
        .lines()
        .find(|l| l.starts_with("fpr"))
        .unwrap()
        .split(':')
        .nth(9)
        .unwrap()
        .to_string();
    let env = Env::new();
    let checksums = widget_checksum(&env);
    let sig = env.path("widget.zip.asc");
    gpg.detach_sign(&fpr, &checksums, &sig, &[]);
    let cert = gpg.ok(&["--armor", "--export", &fpr]).stdout;
    std::fs::write(env.path("revokee.asc"), cert).unwrap();
    env.run(&["key", "import", "revokee.asc"]);
    assert_eq!(
        env.verify_json(&["widget.zip", "--version", "1.0.0"]).1["status"],
        "ok"
    );

    // gpg writes a revocation certificate at key generation, defused with a leading ':'.
    let rev_path = gpg
        .home
        .path()
        .join("openpgp-revocs.d")
        .join(format!("{fpr}.rev"));
    let rev = std::fs::read_to_string(rev_path)
        .unwrap()
        .replace(":-----BEGIN", "-----BEGIN");
    std::fs::write(env.path("revoke.asc"), rev).unwrap();
    let out = env.run(&["key", "import", "revoke.asc"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (code, pkg) = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_eq!(
        (code, pkg["status"].as_str()),
        (1, Some("revoked")),
        "{pkg:#}"
    );
}

#[test]
fn a_gpg_export_of_many_keys_imports_at_once() {
    let Some(gpg) = Gpg::new() else { return };
    for k in ["alice.pub.asc", "bob.pub.asc", "carol.pub.asc"] {
        gpg.import(k);
    }
    let env = Env::new();
    let exported = gpg.ok(&["--export", ALICE, BOB, CAROL]).stdout;
    std::fs::write(env.path("all.pgp"), exported).unwrap();
    let out = env
        .cmd()
        .args(["key", "import", "-"])
        .stdin(std::fs::File::open(env.path("all.pgp")).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value =
        serde_json::from_str(&env.run(&["key", "list", "--json"]).stdout).unwrap();
    let mut fprs: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["fingerprint"].as_str().unwrap())
        .collect();
    fprs.sort();
    let mut expected = vec![ALICE, BOB, CAROL];
    expected.sort();
    assert_eq!(fprs, expected);
}

#[test]
fn rsa_above_4096_bits_gets_a_clear_reason() {
    let Some(gpg) = Gpg::new() else { return };
    gpg.import("dave.sec.asc");
    let env = Env::new();
    let checksums = widget_checksum(&env);
    let sig = env.path("widget.zip.asc");
    gpg.detach_sign(DAVE, &checksums, &sig, &[]);
    env.import(&["dave.pub.asc"]);
    let (code, pkg) = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_eq!(code, 1, "{pkg:#}");
    assert_eq!(pkg["status"], "bad-signature");
    if cfg!(not(any(
        feature = "crypto-nettle",
        feature = "crypto-openssl"
    ))) {
        assert!(
            pkg["signers"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("at most 4096 bits"),
            "{pkg:#}"
        );
    }
}

#[test]
fn gpg_textmode_signatures_verify() {
    // Many gpg.conf files say `textmode`: the signature then covers CRLF lines.
    let Some(gpg) = Gpg::new() else { return };
    gpg.import("alice.sec.asc");
    let env = Env::new();
    let checksums = widget_checksum(&env);
    let sig = env.path("widget.zip.asc");
    gpg.detach_sign(ALICE, &checksums, &sig, &["--textmode"]);
    env.import(&["alice.pub.asc"]);
    let (code, pkg) = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_eq!((code, pkg["status"].as_str()), (0, Some("ok")), "{pkg:#}");
    let (code, pkg) = env.verify_json(&[
        "widget.zip",
        "--version",
        "1.0.1",
        "--signature",
        "widget.zip.asc",
    ]);
    assert_eq!(
        (code, pkg["status"].as_str()),
        (1, Some("bad-signature")),
        "{pkg:#}"
    );
}

/// What `key generate` makes, gpg reads: the expiry date, and the stored
/// revocation certificate revokes the key in gpg too; `key revoke`'s
/// published certificate is revoked in gpg.
#[test]
fn generated_keys_their_expiry_and_revocations_read_in_gpg() {
    let Some(gpg) = Gpg::new() else { return };
    let env = Env::new();
    let out = env.run(&[
        "key",
        "generate",
        "--user-id",
        "Gen <gen@example.org>",
        "--expires",
        "2y",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let fpr = out.stdout.trim().to_string();
    std::fs::write(
        env.path("gen.asc"),
        env.run(&["key", "export", &fpr]).stdout,
    )
    .unwrap();
    gpg.ok(&["--import", env.path("gen.asc").to_str().unwrap()]);
    let colons = |gpg: &Gpg| {
        String::from_utf8(gpg.ok(&["--with-colons", "--list-keys", &fpr]).stdout).unwrap()
    };
    let pub_line = colons(&gpg)
        .lines()
        .find(|l| l.starts_with("pub"))
        .unwrap()
        .to_string();
    let fields: Vec<&str> = pub_line.split(':').collect();
    let (created, expires): (u64, u64) = (fields[5].parse().unwrap(), fields[6].parse().unwrap());
    let days = (expires - created) / 86_400;
    assert!(
        (729..=731).contains(&days),
        "gpg sees an expiry two years on: {pub_line}"
    );
    assert_eq!(fields[1], "-", "not revoked yet: {pub_line}");

    let rev = env.home().join(format!("revocations/{fpr}.rev"));
    gpg.ok(&["--import", rev.to_str().unwrap()]);
    let pub_line = colons(&gpg)
        .lines()
        .find(|l| l.starts_with("pub"))
        .unwrap()
        .to_string();
    assert_eq!(
        pub_line.split(':').nth(1),
        Some("r"),
        "revoked in gpg: {pub_line}"
    );

    // `key revoke` prints a certificate to publish; gpg sees it revoked.
    let gpg2 = Gpg::new().unwrap();
    let out = env.run(&["key", "generate", "--user-id", "Two <two@example.org>"]);
    let two = out.stdout.trim().to_string();
    let out = env.run(&["key", "revoke", &two, "--reason", "retired"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    std::fs::write(env.path("two-revoked.asc"), &out.stdout).unwrap();
    gpg2.ok(&["--import", env.path("two-revoked.asc").to_str().unwrap()]);
    let listing =
        String::from_utf8(gpg2.ok(&["--with-colons", "--list-keys", &two]).stdout).unwrap();
    let pub_line = listing.lines().find(|l| l.starts_with("pub")).unwrap();
    assert_eq!(pub_line.split(':').nth(1), Some("r"), "{listing}");
}

/// A co-signed file (two `sign` runs into one `.asc`) verifies in gpg with
/// both signatures.
#[test]
fn a_cosigned_signature_file_verifies_in_gpg_with_both_signers() {
    let Some(gpg) = Gpg::new() else { return };
    // Two signers, each in their own home.
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    let carol = Env::new();
    carol.import(&["carol.sec.asc"]);
    let checksums = widget_checksum(&env);
    let zip = env.path("widget.zip");
    for (who, fpr) in [(&env, ALICE), (&carol, CAROL)] {
        let out = who.run(&[
            "sign",
            zip.to_str().unwrap(),
            "--version",
            "1.0.0",
            "--key",
            fpr,
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    gpg.import("alice.pub.asc");
    gpg.import("carol.pub.asc");
    let out = gpg.verify(&env.path("widget.zip.asc"), &checksums);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.matches("Good signature").count(), 2, "{stderr}");
}

/// `sign --gpg` uses the home's own key by default, refuses what verify
/// would reject (an RSA-1024 key), and says what gpg said when it cannot
/// sign at all.
#[test]
fn sign_with_gpg_picks_the_own_key_and_refuses_weak_keys() {
    let Some(gpg) = Gpg::new() else { return };
    let env = Env::new();
    write_zip(&env.path("widget.zip"), WIDGET);
    let home = gpg.home.path().to_str().unwrap().to_string();
    let sign = |extra: &[&str]| {
        let mut args = vec![
            "sign",
            "--gpg",
            "widget.zip",
            "--version",
            "1.0.0",
            "--replace",
        ];
        args.extend_from_slice(extra);
        env.run_with(&args, &[("GNUPGHOME", &home)])
    };
    // An empty gpg home: gpg's own reason, not "Broken pipe".
    let out = sign(&[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("gpg failed to sign") && !out.stderr.contains("Broken pipe"),
        "{}",
        out.stderr
    );

    // gpg's default key is Bob; the home's own key is Alice: Alice signs.
    gpg.import("bob.sec.asc");
    gpg.import("alice.sec.asc");
    env.import(&["alice.sec.asc"]);
    let out = sign(&[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (code, pkg) = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_eq!(
        (code, pkg["signers"][0]["fingerprint"].as_str()),
        (0, Some(ALICE)),
        "{pkg:#}"
    );

    // A weak key is refused before a signature is written.
    gpg.ok(&[
        "--quick-generate-key",
        "Weak <weak@example.org>",
        "rsa1024",
        "sign",
        "never",
    ]);
    std::fs::remove_file(env.path("widget.zip.asc")).unwrap();
    let out = sign(&["--key", "weak@example.org"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("refusing gpg's signature"),
        "{}",
        out.stderr
    );
    assert!(!env.path("widget.zip.asc").exists());
}
