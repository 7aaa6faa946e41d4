//! `pgp-pkg verify`: every outcome reachable with one package, each asserted
//! by status and exit code (docs/interface.md).

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use sequoia_openpgp::types::HashAlgorithm;

/// A zip's name, its files, and a text the outcome must mention.
type ZipCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);

/// Alice (own key) signs acme/widget 1.0.0; returns the env and the zip's name.
fn signed_widget() -> Env {
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    write_zip(&env.path("widget.zip"), WIDGET);
    let out = env.run(&["sign", "widget.zip", "--version", "1.0.0"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    env
}

fn assert_status(result: &(i32, serde_json::Value), code: i32, status: &str) {
    assert_eq!(result.1["status"], status, "{:#}", result.1);
    assert_eq!(result.0, code, "{:#}", result.1);
}

/// Every reason the report gives for a package: its signers' and its own.
fn reasons(pkg: &serde_json::Value) -> String {
    let signers = pkg["signers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["reason"].as_str());
    let own = pkg["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap());
    signers.chain(own).collect::<Vec<_>>().join("\n")
}

#[test]
fn good_signature_by_own_key_is_ultimate() {
    let env = signed_widget();
    let r = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_status(&r, 0, "ok");
    assert_eq!(r.1["trust"], "ultimate");
    assert_eq!(r.1["name"], "acme/widget");
    assert_eq!(r.1["signers"][0]["fingerprint"], ALICE);
    assert_eq!(
        r.1["signers"][0]["user_id"],
        "Alice Author (TEST KEY) <alice@example.org>"
    );
    assert_eq!(r.1["signers"][0]["trust"], "ultimate");
    // --min-trust ultimate is met by an own key.
    let r = env.verify_json(&[
        "widget.zip",
        "--version",
        "1.0.0",
        "--min-trust",
        "ultimate",
    ]);
    assert_status(&r, 0, "ok");
}

#[test]
fn changed_added_and_removed_files_are_named() {
    let env = signed_widget();
    let cases: [ZipCase; 3] = [
        (
            "changed",
            vec![WIDGET[0], ("src/Widget.php", "<?php evil();\n"), WIDGET[2]],
            "files changed: src/Widget.php",
        ),
        (
            "added",
            [WIDGET, &[("src/Backdoor.php", "<?php\n")]].concat(),
            "added (not in the signed package): src/Backdoor.php",
        ),
        (
            "removed",
            vec![WIDGET[0], WIDGET[1]],
            "missing (signed, but not in the package): README.md",
        ),
    ];
    for (label, files, expected) in cases {
        let zip = format!("{label}.zip");
        write_zip(&env.path(&zip), &files);
        std::fs::copy(env.path("widget.zip.asc"), env.path(&format!("{zip}.asc"))).unwrap();
        std::fs::copy(
            env.path("widget.zip.checksums"),
            env.path(&format!("{zip}.checksums")),
        )
        .unwrap();
        let r = env.verify_json(&[&zip, "--version", "1.0.0"]);
        assert_status(&r, 1, "checksum-mismatch");
        assert!(
            reasons(&r.1).contains(expected),
            "{label}: {}",
            reasons(&r.1)
        );

        // Without the signed checksum file the change is still caught.
        std::fs::remove_file(env.path(&format!("{zip}.checksums"))).unwrap();
        let r = env.verify_json(&[&zip, "--version", "1.0.0"]);
        assert_status(&r, 1, "bad-signature");
    }
}

#[test]
fn signature_of_another_version_or_package_fails() {
    let env = signed_widget();
    let r = env.verify_json(&[
        "widget.zip",
        "--version",
        "1.0.1",
        "--signature",
        "widget.zip.asc",
    ]);
    assert_status(&r, 1, "bad-signature");
    assert!(
        reasons(&r.1).contains("is for composer acme/widget 1.0.0"),
        "{}",
        reasons(&r.1)
    );

    let other = [
        ("composer.json", r#"{"name": "acme/gadget"}"#),
        WIDGET[1],
        WIDGET[2],
    ];
    write_zip(&env.path("gadget.zip"), &other);
    let r = env.verify_json(&[
        "gadget.zip",
        "--version",
        "1.0.0",
        "--signature",
        "widget.zip.asc",
    ]);
    assert_status(&r, 1, "bad-signature");
    assert_eq!(r.1["name"], "acme/gadget");
}

#[test]
fn garbage_and_truncated_signatures_are_bad_input() {
    let env = signed_widget();
    let armored = std::fs::read_to_string(env.path("widget.zip.asc")).unwrap();
    let cases = [
        ("garbage.asc", "this is not a signature\n".to_string()),
        ("truncated.asc", armored[..armored.len() / 2].to_string()),
        ("empty.asc", String::new()),
    ];
    for (name, text) in cases {
        std::fs::write(env.path(name), text).unwrap();
        let r = env.verify_json(&["widget.zip", "--version", "1.0.0", "--signature", name]);
        assert_status(&r, 2, "bad-signature");
        assert!(
            reasons(&r.1).contains(name),
            "reason must name the file: {}",
            reasons(&r.1)
        );
    }
}

#[test]
fn unknown_signer_passes_by_default_and_fails_a_minimum() {
    let env = Env::new();
    write_zip(&env.path("widget.zip"), WIDGET);
    let text = env.checksum(&["widget.zip", "--version", "1.0.0"]);
    std::fs::write(
        env.path("widget.zip.asc"),
        sign_raw(
            &read_tsk("mallory.sec.asc"),
            text.as_bytes(),
            RawSig::default(),
        ),
    )
    .unwrap();
    let r = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_status(&r, 0, "unknown-key");
    assert_eq!(r.1["signers"][0]["fingerprint"], MALLORY);
    let r = env.verify_json(&[
        "widget.zip",
        "--version",
        "1.0.0",
        "--min-trust",
        "marginal",
    ]);
    assert_status(&r, 1, "unknown-key");

    // In the keyring but not authenticated: good signature, trust unknown, a warning.
    env.import(&["mallory.pub.asc"]);
    let r = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_status(&r, 0, "ok");
    assert_eq!(r.1["trust"], "unknown");
    assert!(reasons(&r.1).contains("warning"));
    let r = env.verify_json(&["widget.zip", "--version", "1.0.0", "--min-trust", "full"]);
    assert_status(&r, 1, "below-policy");
    // The environment sets the minimum too; the flag wins over it.
    let out = env
        .cmd()
        .args(["verify", "widget.zip", "--version", "1.0.0"])
        .env("PGP_PKG_MIN_TRUST", "full")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = env
        .cmd()
        .args([
            "verify",
            "widget.zip",
            "--version",
            "1.0.0",
            "--min-trust",
            "unknown",
        ])
        .env("PGP_PKG_MIN_TRUST", "full")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn unsigned_passes_by_default_and_fails_a_minimum() {
    let env = Env::new();
    write_zip(&env.path("widget.zip"), WIDGET);
    let r = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_status(&r, 0, "unsigned");
    let r = env.verify_json(&["widget.zip", "--version", "1.0.0", "--min-trust", "never"]);
    assert_status(&r, 1, "unsigned");
}

#[test]
fn revoked_key_fails_whenever_the_signature_was_made() {
    let env = Env::new();
    write_zip(&env.path("widget.zip"), WIDGET);
    let text = env.checksum(&["widget.zip", "--version", "1.0.0"]);
    let day = Duration::from_secs(86_400);
    let (tsk, revocation) = new_key("Rev <rev@example.org>", SystemTime::now() - 30 * day, None);
    // Signed (or claiming to be signed) long before the revocation.
    let sig = sign_raw(
        &tsk,
        text.as_bytes(),
        RawSig {
            created: Some(SystemTime::now() - 20 * day),
            ..Default::default()
        },
    );
    std::fs::write(env.path("widget.zip.asc"), sig).unwrap();
    write_armored_cert(
        &env.path("rev.asc"),
        &tsk.clone().strip_secret_key_material(),
    );
    assert_eq!(env.run(&["key", "import", "rev.asc"]).code, 0);
    assert_status(
        &env.verify_json(&["widget.zip", "--version", "1.0.0"]),
        0,
        "ok",
    );

    std::fs::write(env.path("revocation.asc"), armor_sig(revocation)).unwrap();
    let out = env.run(&["key", "import", "revocation.asc"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("updated"), "{}", out.stdout);
    let r = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_status(&r, 1, "revoked");
    assert!(
        reasons(&r.1).contains("refresh"),
        "the reason says what to do: {}",
        reasons(&r.1)
    );

    let list: serde_json::Value =
        serde_json::from_str(&env.run(&["key", "list", "--json"]).stdout).unwrap();
    assert_eq!(list[0]["revoked"], true);
}

/// Verifies the widget signed by a fresh key created 30 days ago, valid for
/// `valid_days`, with a signature claiming to be `signed_days_ago` old.
fn verify_with_dated_key(valid_days: u32, signed_days_ago: u32) -> (i32, serde_json::Value) {
    let env = Env::new();
    write_zip(&env.path("widget.zip"), WIDGET);
    let text = env.checksum(&["widget.zip", "--version", "1.0.0"]);
    let day = Duration::from_secs(86_400);
    let now = SystemTime::now();
    let (tsk, _) = new_key(
        "Dated <dated@example.org>",
        now - 30 * day,
        Some(valid_days * day),
    );
    let created = Some(now - signed_days_ago * day);
    let sig = sign_raw(
        &tsk,
        text.as_bytes(),
        RawSig {
            created,
            ..Default::default()
        },
    );
    std::fs::write(env.path("widget.zip.asc"), sig).unwrap();
    write_armored_cert(&env.path("dated.asc"), &tsk.strip_secret_key_material());
    env.run(&["key", "import", "dated.asc"]);
    env.verify_json(&["widget.zip", "--version", "1.0.0"])
}

#[test]
fn key_expired_before_the_signature_fails() {
    // Expired on day 29 before now, signature claims day 10 before now.
    assert_status(&verify_with_dated_key(1, 10), 1, "expired");
}

#[test]
fn key_expired_after_a_good_signature_fails_now() {
    // Made while the key was valid: still `expired` today (docs/trust-model.md).
    assert_status(&verify_with_dated_key(10, 25), 1, "expired");
}

#[test]
fn a_valid_dated_key_passes() {
    // The control case: the helper itself does not produce `expired`.
    assert_status(&verify_with_dated_key(100, 25), 0, "ok");
}

#[test]
fn sha1_signature_is_weak_crypto() {
    let env = Env::new();
    env.import(&["alice.pub.asc"]);
    write_zip(&env.path("widget.zip"), WIDGET);
    let text = env.checksum(&["widget.zip", "--version", "1.0.0"]);
    let sig = sign_raw(
        &read_tsk("alice.sec.asc"),
        text.as_bytes(),
        RawSig {
            hash: HashAlgorithm::SHA1,
            created: None,
        },
    );
    std::fs::write(env.path("widget.zip.asc"), sig).unwrap();
    let r = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_status(&r, 1, "weak-crypto");
    assert!(reasons(&r.1).contains("SHA1"), "{}", reasons(&r.1));
}

#[test]
fn a_bad_cosignature_fails_the_package() {
    let env = signed_widget();
    env.import(&["mallory.pub.asc"]);
    let text = env.checksum(&["widget.zip", "--version", "1.0.0"]);
    let good = std::fs::read_to_string(env.path("widget.zip.asc")).unwrap();
    let weak = sign_raw(
        &read_tsk("mallory.sec.asc"),
        text.as_bytes(),
        RawSig {
            hash: HashAlgorithm::SHA1,
            created: None,
        },
    );
    std::fs::write(env.path("widget.zip.asc"), format!("{good}{weak}")).unwrap();
    let r = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_status(&r, 1, "weak-crypto");
    assert_eq!(r.1["signers"].as_array().unwrap().len(), 2);
}

#[test]
fn two_good_signers_are_both_reported() {
    let env = signed_widget();
    env.import(&["carol.pub.asc"]);
    let text = env.checksum(&["widget.zip", "--version", "1.0.0"]);
    let alice = std::fs::read_to_string(env.path("widget.zip.asc")).unwrap();
    let carol = sign_raw(
        &read_tsk("carol.sec.asc"),
        text.as_bytes(),
        RawSig::default(),
    );
    std::fs::write(env.path("widget.zip.asc"), format!("{alice}{carol}")).unwrap();
    let r = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_status(&r, 0, "ok");
    assert_eq!(r.1["trust"], "ultimate", "the best signer's trust");
    let signers = r.1["signers"].as_array().unwrap();
    assert_eq!(signers[1]["fingerprint"], CAROL);
    assert_ne!(
        signers[1]["signing_key"], CAROL,
        "Carol signs with her subkey"
    );
}

#[test]
fn malformed_archives_are_errors_naming_the_file() {
    let env = Env::new();
    write_zip(&env.path("widget.zip"), WIDGET);
    let bytes = std::fs::read(env.path("widget.zip")).unwrap();
    std::fs::write(env.path("truncated.zip"), &bytes[..bytes.len() - 30]).unwrap();
    std::fs::write(env.path("noise.tar"), vec![7u8; 2048]).unwrap();
    for name in ["truncated.zip", "noise.tar"] {
        for cmd in ["checksum", "verify"] {
            let out = env.run(&[cmd, name, "--version", "1.0.0"]);
            assert_eq!(out.code, 2, "{cmd} {name}: {}", out.stderr);
            assert!(
                out.stderr.contains(name),
                "error must name the file: {}",
                out.stderr
            );
            assert!(!out.stderr.contains("panicked"));
        }
    }
}

#[test]
fn dangerous_archive_entries_are_rejected() {
    let env = Env::new();
    let cases: [ZipCase; 2] = [
        (
            "escape.zip",
            vec![("../evil.php", "x")],
            "leaves the package",
        ),
        ("absolute.zip", vec![("/etc/evil", "x")], "absolute path"),
    ];
    for (name, files, expected) in cases {
        write_zip(&env.path(name), &files);
        let out = env.run(&["checksum", name, "--name", "a/b", "--version", "1"]);
        assert_eq!(out.code, 2);
        assert!(out.stderr.contains(expected), "{name}: {}", out.stderr);
    }
    write_zip(&env.path("big.zip"), &[("big.txt", &"x".repeat(10_000))]);
    let out = env
        .cmd()
        .args(["checksum", "big.zip", "--name", "a/b", "--version", "1"])
        .env("PGP_PKG_MAX_UNPACKED_BYTES", "1000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expands past"));
}

#[test]
fn identity_flags_must_agree_with_the_package() {
    let env = Env::new();
    write_zip(&env.path("widget.zip"), WIDGET);
    let out = env.run(&[
        "checksum",
        "widget.zip",
        "--name",
        "acme/other",
        "--version",
        "1.0.0",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("composer.json says"), "{}", out.stderr);
    let out = env.run(&["checksum", "widget.zip"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--version"), "{}", out.stderr);
}

#[test]
fn a_directory_verifies_like_its_archive() {
    let env = signed_widget();
    let dir = env.path("installed");
    for (name, content) in WIDGET {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    let r = env.verify_json(&[
        "installed",
        "--version",
        "1.0.0",
        "--signature",
        "widget.zip.asc",
    ]);
    assert_status(&r, 0, "ok");
    std::fs::write(dir.join("src/Extra.php"), "<?php\n").unwrap();
    let r = env.verify_json(&[
        "installed",
        "--version",
        "1.0.0",
        "--signature",
        "widget.zip.asc",
    ]);
    assert_status(&r, 1, "checksum-mismatch");
}

#[test]
fn own_rsa_keys_do_not_sign_with_the_variable_time_backend() {
    let env = Env::new();
    env.import(&["bob.sec.asc"]);
    write_zip(&env.path("widget.zip"), WIDGET);
    let out = env.run(&["sign", "widget.zip", "--version", "1.0.0"]);
    if cfg!(not(any(
        feature = "crypto-nettle",
        feature = "crypto-openssl"
    ))) {
        assert_eq!(out.code, 2);
        assert!(
            out.stderr.contains("--gpg") && out.stderr.contains("RUSTSEC-2023-0071"),
            "{}",
            out.stderr
        );
        assert!(!env.path("widget.zip.asc").exists());
    }
}

#[test]
fn generated_keys_are_ed25519_own_keys_that_sign() {
    let env = Env::new();
    let out = env.run(&[
        "key",
        "generate",
        "--user-id",
        "New Author <new@example.org>",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let fpr = out.stdout.trim().to_string();
    assert_eq!(fpr.len(), 40);
    let list: serde_json::Value =
        serde_json::from_str(&env.run(&["key", "list", "--json"]).stdout).unwrap();
    assert_eq!(list[0]["fingerprint"], fpr.as_str());
    assert_eq!(list[0]["user_ids"][0]["validity"], "ultimate");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let secret = env.home().join("secret").join(format!("{fpr}.pgp"));
        assert_eq!(
            std::fs::metadata(&secret).unwrap().permissions().mode() & 0o077,
            0,
            "secret key readable by others"
        );
    }
    write_zip(&env.path("widget.zip"), WIDGET);
    assert_eq!(
        env.run(&["sign", "widget.zip", "--version", "1.0.0"]).code,
        0
    );
    assert_status(
        &env.verify_json(&["widget.zip", "--version", "1.0.0"]),
        0,
        "ok",
    );
    let exported = env.run(&["key", "export", &fpr]);
    assert!(
        exported
            .stdout
            .starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
        "{}",
        exported.stdout
    );
    assert!(!exported.stdout.contains("PRIVATE"));
}

#[test]
fn verify_looks_in_signature_directories_like_verify_tree() {
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    std::fs::copy(fixture("hex/foo-1.0.0.tar"), env.path("foo-1.0.0.tar")).unwrap();
    let out = env.run(&[
        "sign",
        "foo-1.0.0.tar",
        "--output",
        "sigs/hex/foo/1.0.0.asc",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (code, json) = env.verify_json(&["foo-1.0.0.tar", "--signatures", "sigs"]);
    assert_eq!((code, json["status"].as_str()), (0, Some("ok")), "{json}");
    let (code, json) = env.verify_json(&["foo-1.0.0.tar"]);
    assert_eq!(
        (code, json["status"].as_str()),
        (0, Some("unsigned")),
        "not beside it: {json}"
    );
    let out = env.run(&["verify", "foo-1.0.0.tar", "--signatures", "nosuch"]);
    assert_eq!(out.code, 2);
}

#[test]
fn an_untouched_installed_hex_tree_is_explained_not_called_tampered() {
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    std::fs::copy(fixture("hex/foo-1.0.0.tar"), env.path("foo-1.0.0.tar")).unwrap();
    assert_eq!(env.run(&["sign", "foo-1.0.0.tar"]).code, 0);
    install_hex(&env.path("foo-1.0.0.tar"), &env.path("deps/foo"));
    let (code, json) = env.verify_json(&["deps/foo", "--signature", "foo-1.0.0.tar.asc"]);
    assert_eq!(
        (code, json["status"].as_str()),
        (0, Some("unverifiable")),
        "{json}"
    );
    assert!(
        json["reasons"].to_string().contains("verify-tree mix.lock"),
        "{json}"
    );
    let (code, _) = env.verify_json(&[
        "deps/foo",
        "--signature",
        "foo-1.0.0.tar.asc",
        "--min-trust",
        "full",
    ]);
    assert_eq!(code, 1);
    // A changed file is still tampering.
    std::fs::write(env.path("deps/foo/lib/foo.ex"), "evil").unwrap();
    let (code, json) = env.verify_json(&["deps/foo", "--signature", "foo-1.0.0.tar.asc"]);
    assert_eq!(
        (code, json["status"].as_str()),
        (1, Some("checksum-mismatch")),
        "{json}"
    );
}
