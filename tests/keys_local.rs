//! Keys without a keyserver (issue 12): certificates shipped beside
//! signatures and committed in a project, the project's `trusted_keys`, and
//! the author's side (generate with expiry and a revocation certificate,
//! revoke, delete, a second own key, publishing in a WKD tree).

mod common;

use common::keyserver::{Reply, Server};
use common::*;
use openpgp::parse::Parse;
use openpgp::Cert;
use sequoia_openpgp as openpgp;

/// A mix project with foo 1.0.0 installed and cached, signed by Carol into
/// `sigs/`; Carol's key is not in the user's keyring.
fn carol_signed_project() -> Env {
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    let (tar, line) = cached_hex_package(&env, "foo", "deps");
    std::fs::write(env.path("project/mix.lock"), format!("%{{\n{line}}}\n")).unwrap();
    let text = env.checksum(&[tar.to_str().unwrap()]);
    std::fs::create_dir_all(env.path("sigs/hex/foo")).unwrap();
    let sig = sign_raw(
        &read_tsk("carol.sec.asc"),
        text.as_bytes(),
        RawSig::default(),
    );
    std::fs::write(env.path("sigs/hex/foo/1.0.0.asc"), sig).unwrap();
    env
}

/// Puts the test key NAME into the signature directory's `keys/` as Carol's
/// file, `sigs/keys/CAROL.asc` (Mallory's there is a misnamed file).
fn ship_key(env: &Env, name: &str) {
    std::fs::create_dir_all(env.path("sigs/keys")).unwrap();
    std::fs::copy(testkey(name), env.path(&format!("sigs/keys/{CAROL}.asc"))).unwrap();
}

fn tree(env: &Env, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let out = env
        .cmd()
        .args([
            "verify-tree",
            "project/mix.lock",
            "--signatures",
            "sigs",
            "--json",
        ])
        .args(extra)
        .env("HEX_HOME", env.path("hex"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
    (
        out.status.code().unwrap(),
        json["packages"][0].clone(),
        stderr,
    )
}

#[test]
fn a_signature_directory_may_carry_its_signers_keys_which_add_no_trust() {
    let env = carol_signed_project();
    let (code, foo, _) = tree(&env, &[]);
    assert_eq!(
        (code, foo["status"].as_str()),
        (0, Some("unknown-key")),
        "{foo}"
    );

    ship_key(&env, "carol.pub.asc");
    let (code, foo, _) = tree(&env, &[]);
    assert_eq!((code, foo["status"].as_str()), (0, Some("ok")), "{foo}");
    assert_eq!(
        foo["trust"], "unknown",
        "shipped beside the signature, not trusted"
    );
    assert_eq!(foo["signers"][0]["fingerprint"], CAROL);
    let (code, foo, _) = tree(&env, &["--min-trust", "full"]);
    assert_eq!(
        (code, foo["status"].as_str()),
        (1, Some("below-policy")),
        "{foo}"
    );
    // Nothing was imported: the keyring still does not know Carol.
    assert!(!env.run(&["key", "list"]).stdout.contains(CAROL));

    // A key file that holds another key than its name says is bad input.
    ship_key(&env, "mallory.pub.asc");
    let (code, foo, _) = tree(&env, &[]);
    assert_eq!(code, 2, "{foo}");
    assert!(
        foo["reasons"]
            .to_string()
            .contains("not the one its name gives"),
        "{foo}"
    );
}

#[test]
fn a_shipped_copy_can_bring_a_revocation_but_never_remove_one() {
    let env = carol_signed_project();
    env.import(&["carol.pub.asc"]);
    let tsk = read_tsk("carol.sec.asc");
    let mut signer = primary_signer(&tsk);
    let rev = openpgp::cert::CertRevocationBuilder::new()
        .set_reason_for_revocation(openpgp::types::ReasonForRevocation::KeyCompromised, b"")
        .unwrap()
        .build(&mut signer, &tsk, None)
        .unwrap();
    let revoked = tsk
        .clone()
        .insert_packets(rev)
        .unwrap()
        .0
        .strip_secret_key_material();
    std::fs::create_dir_all(env.path("sigs/keys")).unwrap();
    write_armored_cert(&env.path(&format!("sigs/keys/{CAROL}.asc")), &revoked);
    let (code, foo, _) = tree(&env, &[]);
    assert_eq!(
        (code, foo["status"].as_str()),
        (1, Some("revoked")),
        "{foo}"
    );
    // The signer's reason once in JSON (with the signer), and under the row in the table.
    assert!(!foo["reasons"].to_string().contains("is revoked"), "{foo}");
    let hex = env.path("hex");
    let table = env.run_with(
        &["verify-tree", "project/mix.lock", "--signatures", "sigs"],
        &[("HEX_HOME", hex.to_str().unwrap())],
    );
    assert!(
        table
            .stdout
            .contains(&format!("    - {CAROL}: the certificate is revoked")),
        "{}",
        table.stdout
    );

    // The other way round: the keyring's revocation stands against an unrevoked copy.
    let env = carol_signed_project();
    write_armored_cert(&env.path("carol-revoked.asc"), &revoked);
    assert_eq!(env.run(&["key", "import", "carol-revoked.asc"]).code, 0);
    ship_key(&env, "carol.pub.asc");
    let (code, foo, _) = tree(&env, &[]);
    assert_eq!(
        (code, foo["status"].as_str()),
        (1, Some("revoked")),
        "{foo}"
    );
}

#[test]
fn a_project_verifies_in_ci_from_its_committed_keys_and_trusted_keys() {
    let env = carol_signed_project();
    std::fs::create_dir_all(env.path("project/pgp-pkg-keys")).unwrap();
    std::fs::copy(
        testkey("carol.pub.asc"),
        env.path(&format!("project/pgp-pkg-keys/{CAROL}.asc")),
    )
    .unwrap();
    std::fs::write(env.path("project/pgp-pkg.toml"), "min_trust = \"full\"\n").unwrap();
    // A fresh home, as in CI: nothing prepared.
    std::fs::create_dir(env.path("fresh-home")).unwrap();
    let ci = |env: &Env| {
        let out = env.run_with(
            &[
                "verify-tree",
                "project/mix.lock",
                "--signatures",
                "sigs",
                "--json",
            ],
            &[
                ("HEX_HOME", env.path("hex").to_str().unwrap()),
                ("PGP_PKG_HOME", env.path("fresh-home").to_str().unwrap()),
            ],
        );
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        (out.code, json["packages"][0].clone())
    };
    let (code, foo) = ci(&env);
    assert_eq!(
        (code, foo["status"].as_str()),
        (1, Some("below-policy")),
        "committed keys alone add no trust: {foo}"
    );

    std::fs::write(
        env.path("project/pgp-pkg.toml"),
        format!("min_trust = \"full\"\n\n[trusted_keys]\n\"hex/foo\" = [\"{CAROL}\"]\n"),
    )
    .unwrap();
    let (code, foo) = ci(&env);
    assert_eq!((code, foo["status"].as_str()), (0, Some("ok")), "{foo}");
    assert_eq!(foo["trust"], "full");
    assert!(foo["reasons"].to_string().contains("trusted_keys"), "{foo}");

    // For that package only: the same key on another package gets nothing.
    std::fs::write(
        env.path("project/pgp-pkg.toml"),
        format!("min_trust = \"full\"\n\n[trusted_keys]\n\"hex/bar\" = [\"{CAROL}\"]\n"),
    )
    .unwrap();
    assert_eq!(ci(&env).0, 1);

    // A key the user distrusts stays distrusted.
    std::fs::write(
        env.path("project/pgp-pkg.toml"),
        format!("[trusted_keys]\n\"hex/foo\" = [\"{CAROL}\"]\n"),
    )
    .unwrap();
    env.import(&["carol.pub.asc"]);
    assert_eq!(env.run(&["trust", "set", CAROL, "never"]).code, 0);
    let (code, foo, _) = tree(&env, &[]);
    assert_eq!((code, foo["trust"].as_str()), (1, Some("never")), "{foo}");

    // Only full fingerprints can be trusted keys.
    std::fs::write(
        env.path("project/pgp-pkg.toml"),
        "[trusted_keys]\n\"hex/foo\" = [\"E14BC0EF45753E99\"]\n",
    )
    .unwrap();
    let out = env.run(&["verify-tree", "project/mix.lock"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("not a full fingerprint"),
        "{}",
        out.stderr
    );
}

#[test]
fn key_generate_sets_an_expiry_and_keeps_a_revocation_certificate() {
    let env = Env::new();
    let out = env.run(&[
        "key",
        "generate",
        "--user-id",
        "Ann Author <ann@example.org>",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let fpr = out.stdout.trim().to_string();
    let rev = env.home().join(format!("revocations/{fpr}.rev"));
    assert!(
        out.stderr.contains(rev.to_str().unwrap()),
        "says where: {}",
        out.stderr
    );
    assert!(out.stderr.contains("valid until"), "{}", out.stderr);
    let cert = Cert::from_bytes(env.run(&["key", "export", &fpr]).stdout.as_bytes()).unwrap();
    let policy = openpgp::policy::StandardPolicy::new();
    let expiry = cert
        .with_policy(&policy, None)
        .unwrap()
        .primary_key()
        .key_expiration_time()
        .expect("expires by default");
    let years = expiry
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs()
        / (365 * 86_400);
    assert_eq!(years, 2, "about three years ahead");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&rev).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Importing the stored revocation certificate revokes the key.
    assert_eq!(env.run(&["key", "import", rev.to_str().unwrap()]).code, 0);
    assert!(env.run(&["key", "list"]).stdout.contains("revoked"));

    for bad in ["", "   "] {
        let out = env.run(&["key", "generate", "--user-id", bad]);
        assert_eq!(out.code, 2);
        assert!(out.stderr.contains("empty"), "{}", out.stderr);
    }
    let out = env.run(&[
        "key",
        "generate",
        "--user-id",
        "X <x@example.org>",
        "--expires",
        "soon",
    ]);
    assert_eq!(out.code, 2);
    let out = env.run(&[
        "key",
        "generate",
        "--user-id",
        "N <n@example.org>",
        "--expires",
        "never",
    ]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.contains("does not expire"), "{}", out.stderr);
}

#[test]
fn a_second_own_key_sign_revoke_and_delete() {
    let env = Env::new();
    let first = env
        .run(&["key", "generate", "--user-id", "Ann <ann@example.org>"])
        .stdout
        .trim()
        .to_string();
    let second = env
        .run(&["key", "generate", "--user-id", "Ann <ann@example.org>"])
        .stdout
        .trim()
        .to_string();
    let tar = env.path("foo-1.0.0.tar");
    std::fs::copy(fixture("hex/foo-1.0.0.tar"), &tar).unwrap();
    let tar = tar.to_str().unwrap();
    let out = env.run(&["sign", tar]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("--key"),
        "a clear message: {}",
        out.stderr
    );
    assert_eq!(env.run(&["sign", tar, "--key", &first]).code, 0);

    // Revoking the first leaves one key that can sign: sign picks it.
    let out = env.run(&[
        "key",
        "revoke",
        &first,
        "--reason",
        "superseded",
        "--message",
        "moved to a new key",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
        "for publishing: {}",
        out.stdout
    );
    let published = Cert::from_bytes(out.stdout.as_bytes()).unwrap();
    assert!(!published.is_tsk());
    let policy = openpgp::policy::StandardPolicy::new();
    assert!(matches!(
        published.revocation_status(&policy, None),
        openpgp::types::RevocationStatus::Revoked(_)
    ));
    let out = env.run(&["sign", tar]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (code, json) = env.verify_json(&[tar]);
    assert_eq!(
        (code, json["signers"][0]["fingerprint"].as_str()),
        (0, Some(second.as_str())),
        "{json}"
    );
    assert_eq!(
        env.run(&["key", "revoke", "--reason", "bored", &second])
            .code,
        2
    );
    env.import(&["bob.pub.asc"]);
    let out = env.run(&["key", "revoke", BOB]);
    assert_eq!(out.code, 2, "only own keys");

    // Delete: another's key at once; an own key only with --secret.
    assert_eq!(env.run(&["key", "delete", BOB]).code, 0);
    assert!(!env.run(&["key", "list"]).stdout.contains(BOB));
    let out = env.run(&["key", "delete", &first]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--secret"), "{}", out.stderr);
    assert_eq!(env.run(&["key", "delete", &first, "--secret"]).code, 0);
    assert!(!env.home().join(format!("secret/{first}.pgp")).exists());
    let list = env.run(&["key", "list", "--json"]).stdout;
    assert!(!list.contains(&first) && list.contains(&second), "{list}");
    assert_eq!(env.run(&["key", "delete", BOB]).code, 2, "no such key");
}

#[test]
fn an_author_publishes_a_wkd_tree_that_key_fetch_then_finds() {
    let author = Env::new();
    let fpr = author
        .run(&[
            "key",
            "generate",
            "--user-id",
            "Joe Doe <joe.doe@example.org>",
        ])
        .stdout
        .trim()
        .to_string();
    let out = author.run(&["key", "publish-wkd", "--directory", "site"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rel = "site/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q";
    let file = author.path(rel);
    assert_eq!(out.stdout.trim(), rel, "the files written");
    let served = std::fs::read(&file).unwrap();
    assert!(!Cert::from_bytes(&served).unwrap().is_tsk());
    assert!(author
        .path("site/.well-known/openpgpkey/example.org/policy")
        .exists());

    let server = Server::start();
    server.route(
        "/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=joe.doe",
        Reply::ok(served),
    );
    let user = Env::new();
    let out = user.run_with(
        &["key", "fetch", "joe.doe@example.org"],
        &[("PGP_PKG_WKD_BASE", &server.url())],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(&fpr));

    let out = author.run(&[
        "key",
        "publish-wkd",
        "--directory",
        "site",
        "--domain",
        "other.example",
    ]);
    assert_eq!(out.code, 2, "no user ID in that domain");
}

#[test]
fn a_second_signer_adds_to_the_signature_file_instead_of_replacing_it() {
    // Alice and Carol sign in their own homes, into one signature file.
    let env = Env::new();
    env.import(&["alice.sec.asc", "carol.pub.asc"]);
    let carol = Env::new();
    carol.import(&["carol.sec.asc"]);
    std::fs::copy(fixture("hex/foo-1.0.0.tar"), env.path("foo-1.0.0.tar")).unwrap();
    std::fs::copy(fixture("hex/foo-1.0.1.tar"), env.path("foo-1.0.1.tar")).unwrap();
    let out_path = "sigs/hex/foo/1.0.0.asc";
    let sign = |key: &str, pkg: &str, extra: &[&str]| {
        let (pkg, out) = (env.path(pkg), env.path(out_path));
        let mut args = vec![
            "sign",
            pkg.to_str().unwrap(),
            "--key",
            key,
            "--output",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        if key == CAROL {
            carol.run(&args)
        } else {
            env.run(&args)
        }
    };
    // --output makes the folders.
    let out = sign(ALICE, "foo-1.0.0.tar", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = sign(CAROL, "foo-1.0.0.tar", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("beside 1 earlier signature"),
        "{}",
        out.stderr
    );
    let signers = |env: &Env| {
        let (code, json) = env.verify_json(&["foo-1.0.0.tar", "--signature", out_path]);
        assert_eq!(code, 0, "{json}");
        let mut fprs: Vec<String> = json["signers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["fingerprint"].as_str().unwrap().to_string())
            .collect();
        fprs.sort();
        fprs
    };
    let mut both = vec![ALICE.to_string(), CAROL.to_string()];
    both.sort();
    assert_eq!(signers(&env), both);
    // Signing again with the same key replaces that key's signature only.
    assert_eq!(sign(ALICE, "foo-1.0.0.tar", &[]).code, 0);
    assert_eq!(signers(&env), both);
    // Another release into the same file: refused, nothing lost.
    let out = sign(ALICE, "foo-1.0.1.tar", &[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--replace"), "{}", out.stderr);
    assert_eq!(signers(&env), both);
    // --replace starts over.
    assert_eq!(sign(CAROL, "foo-1.0.0.tar", &["--replace"]).code, 0);
    assert_eq!(signers(&env), vec![CAROL.to_string()]);
}
