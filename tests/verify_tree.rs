//! `verify-tree` over mix and Composer projects (issue 4): real Hex tarballs
//! (tests/fixtures/hex) installed into `deps/` the way Hex does, a Hex cache,
//! Composer `vendor/` trees, and each kind of tampering.

mod common;

use common::*;

/// A mix project: foo 1.0.0 (signed by Alice, the user) and bar 1.0.0
/// (unsigned), both installed and cached, and a :git dependency.
fn mix_project() -> Env {
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    let mut lock = String::from("%{\n");
    for name in ["foo", "bar"] {
        lock.push_str(&cached_hex_package(&env, name, "deps").1);
    }
    lock.push_str("  \"dep\": {:git, \"https://example.org/dep.git\", \"0123456789abcdef0123456789abcdef01234567\", []},\n}\n");
    std::fs::write(env.path("project/mix.lock"), lock).unwrap();
    std::fs::create_dir_all(env.path("sigs/hex/foo")).unwrap();
    let tar = env.path("hex/packages/hexpm/foo-1.0.0.tar");
    let out = env.run(&[
        "sign",
        tar.to_str().unwrap(),
        "--output",
        "sigs/hex/foo/1.0.0.asc",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    env
}

fn tree(env: &Env, extra: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let mut args = vec![
        "verify-tree",
        "project/mix.lock",
        "--signatures",
        "sigs",
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = env
        .cmd()
        .args(&args)
        .env("HEX_HOME", env.path("hex"))
        .env("COMPOSER_CACHE_DIR", env.path("composer-cache"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap(),
        json["packages"].as_array().unwrap().clone(),
    )
}

fn status_of<'a>(pkgs: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    pkgs.iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not reported"))
}

#[test]
fn a_clean_project_passes_with_each_status_reported() {
    let env = mix_project();
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(code, 0, "{pkgs:#?}");
    assert_eq!(status_of(&pkgs, "foo")["status"], "ok");
    assert_eq!(status_of(&pkgs, "foo")["trust"], "ultimate");
    assert_eq!(status_of(&pkgs, "bar")["status"], "unsigned");
    assert_eq!(status_of(&pkgs, "dep")["status"], "unverifiable");

    // An explicit minimum: unsigned and unverifiable packages now fail.
    let (code, pkgs) = tree(&env, &["--min-trust", "full"]);
    assert_eq!(code, 1);
    assert_eq!(status_of(&pkgs, "foo")["status"], "ok");
    assert_eq!(status_of(&pkgs, "bar")["passes"], false);
}

#[test]
fn an_installed_file_changed_or_added_is_tampering() {
    for (file, content) in [
        (
            "lib/foo.ex",
            "defmodule Foo do\n  def hello, do: :pwned\nend\n",
        ),
        ("lib/extra.ex", "x"),
    ] {
        let env = mix_project();
        std::fs::write(env.path(&format!("project/deps/foo/{file}")), content).unwrap();
        let (code, pkgs) = tree(&env, &[]);
        assert_eq!(code, 1, "{file}");
        let foo = status_of(&pkgs, "foo");
        assert_eq!(foo["status"], "checksum-mismatch", "{foo:#}");
        assert!(foo["reasons"].to_string().contains(file), "{foo:#}");
    }
}

#[test]
fn a_changed_cached_tarball_is_tampering() {
    let env = mix_project();
    std::fs::copy(
        fixture("hex/foo-1.0.1.tar"),
        env.path("hex/packages/hexpm/foo-1.0.0.tar"),
    )
    .unwrap();
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(code, 1);
    let foo = status_of(&pkgs, "foo");
    assert_eq!(foo["status"], "checksum-mismatch", "{foo:#}");
    // It claims another release: named, with the cached file.
    let reasons = foo["reasons"].to_string();
    assert!(
        reasons.contains("foo-1.0.0.tar") && reasons.contains("1.0.1"),
        "{foo:#}"
    );

    // Same release, other bytes (a re-packed tarball): the lock's checksums catch it.
    let env = mix_project();
    let cached = env.path("hex/packages/hexpm/foo-1.0.0.tar");
    let mut bytes = std::fs::read(&cached).unwrap();
    bytes.extend_from_slice(&[0u8; 512]);
    std::fs::write(&cached, bytes).unwrap();
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(code, 1);
    let foo = status_of(&pkgs, "foo");
    assert_eq!(foo["status"], "checksum-mismatch", "{foo:#}");
    assert!(
        foo["reasons"].to_string().contains("mix.lock records"),
        "{foo:#}"
    );
}

#[test]
fn a_changed_lock_checksum_is_tampering() {
    let env = mix_project();
    let lock = std::fs::read_to_string(env.path("project/mix.lock")).unwrap();
    let (_, outer) = hex_checksums(&env, &env.path("hex/packages/hexpm/foo-1.0.0.tar"));
    std::fs::write(
        env.path("project/mix.lock"),
        lock.replace(&outer, &"0".repeat(64)),
    )
    .unwrap();
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(
        (code, status_of(&pkgs, "foo")["status"].as_str()),
        (1, Some("checksum-mismatch"))
    );

    // Without the cache, the tree is bound to the (wrong) lock checksums: the signature fails.
    std::fs::remove_file(env.path("hex/packages/hexpm/foo-1.0.0.tar")).unwrap();
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(code, 1);
    assert_ne!(status_of(&pkgs, "foo")["status"], "ok");
}

#[test]
fn installed_tree_alone_verifies_with_the_lock_checksums() {
    let env = mix_project();
    std::fs::remove_dir_all(env.path("hex")).unwrap();
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(
        (code, status_of(&pkgs, "foo")["status"].as_str()),
        (0, Some("ok")),
        "{pkgs:#?}"
    );
}

#[test]
fn swapped_signatures_fail() {
    let env = mix_project();
    let bar = env.path("hex/packages/hexpm/bar-1.0.0.tar");
    std::fs::create_dir_all(env.path("sigs/hex/bar")).unwrap();
    assert_eq!(
        env.run(&[
            "sign",
            bar.to_str().unwrap(),
            "--output",
            "sigs/hex/bar/1.0.0.asc"
        ])
        .code,
        0
    );
    assert_eq!(tree(&env, &[]).0, 0);
    std::fs::rename(env.path("sigs/hex/foo/1.0.0.asc"), env.path("swap.asc")).unwrap();
    std::fs::rename(
        env.path("sigs/hex/bar/1.0.0.asc"),
        env.path("sigs/hex/foo/1.0.0.asc"),
    )
    .unwrap();
    std::fs::rename(env.path("swap.asc"), env.path("sigs/hex/bar/1.0.0.asc")).unwrap();
    for f in ["foo", "bar"] {
        std::fs::remove_file(env.path(&format!("sigs/hex/{f}/1.0.0.checksums"))).unwrap();
    }
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(status_of(&pkgs, "foo")["status"], "bad-signature");
    assert_eq!(status_of(&pkgs, "bar")["status"], "bad-signature");
}

#[test]
fn nothing_installed_is_missing_package() {
    let env = mix_project();
    std::fs::remove_dir_all(env.path("project/deps/foo")).unwrap();
    std::fs::remove_file(env.path("hex/packages/hexpm/foo-1.0.0.tar")).unwrap();
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(
        (code, status_of(&pkgs, "foo")["status"].as_str()),
        (1, Some("missing-package"))
    );
}

#[test]
fn a_composer_project_is_checked_against_its_vendor_tree_and_archive() {
    let env = Env::new();
    signed_widget_installed(&env, "vendor");
    let url = format!("file://{}", env.path("widget.zip").display());
    let lock = serde_json::json!({
        "packages": [{"name": "acme/widget", "version": "1.0.0", "dist": {"type": "zip", "url": url, "shasum": ""}}],
        "packages-dev": [],
    });
    std::fs::write(
        env.path("project/composer.lock"),
        serde_json::to_string_pretty(&lock).unwrap(),
    )
    .unwrap();
    let run = || {
        let out = env
            .cmd()
            .args([
                "verify-tree",
                "project/composer.lock",
                "--signatures",
                "sigs",
                "--json",
            ])
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), json["packages"][0].clone())
    };
    let (code, pkg) = run();
    assert_eq!((code, pkg["status"].as_str()), (0, Some("ok")), "{pkg:#}");
    std::fs::write(
        env.path("project/vendor/acme/widget/src/Widget.php"),
        "<?php evil();",
    )
    .unwrap();
    let (code, pkg) = run();
    assert_eq!(
        (code, pkg["status"].as_str()),
        (1, Some("checksum-mismatch")),
        "{pkg:#}"
    );
    assert!(
        pkg["reasons"].to_string().contains("src/Widget.php"),
        "{pkg:#}"
    );
}

#[test]
fn malformed_lockfiles_are_errors_with_file_and_line() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("p")).unwrap();
    std::fs::write(
        env.path("p/mix.lock"),
        "%{\n  \"foo\": {:hex, :foo \"1.0.0\"}\n}\n",
    )
    .unwrap();
    let out = env.run(&["verify-tree", "p/mix.lock"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("mix.lock") && out.stderr.contains("2:"),
        "{}",
        out.stderr
    );
    std::fs::write(
        env.path("p/composer.lock"),
        "{\n  \"packages\": [\n    {\"name\": 3}\n  ]\n}\n",
    )
    .unwrap();
    let out = env.run(&["verify-tree", "p/composer.lock"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("composer.lock") && out.stderr.contains("3:"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"));
}

fn write_policy(env: &Env, text: &str) {
    std::fs::write(env.path("project/pgp-pkg.toml"), text).unwrap();
}

/// Adds Carol's signature (she becomes an own key too) to foo's signature file.
fn cosign_foo_with_carol(env: &Env) {
    env.import(&["carol.sec.asc"]);
    let tar = env.path("hex/packages/hexpm/foo-1.0.0.tar");
    let out = env.run(&[
        "sign",
        tar.to_str().unwrap(),
        "--key",
        CAROL,
        "--output",
        "-",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let asc = env.path("sigs/hex/foo/1.0.0.asc");
    let both = std::fs::read_to_string(&asc).unwrap() + &out.stdout;
    std::fs::write(asc, both).unwrap();
}

#[test]
fn recorded_pins_turn_a_changed_signer_into_an_alert() {
    let env = mix_project();
    let out = env
        .cmd()
        .args([
            "verify-tree",
            "project/mix.lock",
            "--signatures",
            "sigs",
            "--record-pins",
        ])
        .env("HEX_HOME", env.path("hex"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let policy = std::fs::read_to_string(env.path("project/pgp-pkg.toml")).unwrap();
    assert!(
        policy.contains(&format!("\"hex/foo\" = [\"{ALICE}\"]")),
        "{policy}"
    );
    assert!(
        !policy.contains("hex/bar"),
        "unsigned packages get no pin: {policy}"
    );

    // The release is now signed by Carol alone.
    env.import(&["carol.sec.asc"]);
    let tar = env.path("hex/packages/hexpm/foo-1.0.0.tar");
    assert_eq!(
        env.run(&[
            "sign",
            tar.to_str().unwrap(),
            "--key",
            CAROL,
            "--output",
            "sigs/hex/foo/1.0.0.asc",
            "--replace"
        ])
        .code,
        0
    );
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(code, 1);
    let foo = status_of(&pkgs, "foo");
    assert_eq!(foo["status"], "below-policy", "{foo:#}");
    let reasons = foo["reasons"].to_string();
    assert!(
        reasons.contains(ALICE) && reasons.contains(CAROL),
        "both keys named: {reasons}"
    );
}

#[test]
fn a_required_countersignature_and_a_threshold() {
    let env = mix_project();
    write_policy(&env, &format!("# org key must countersign\ncountersign = [\"{CAROL}\"]\nallow_unsigned = [\"hex/bar\", \"hex/dep\"]\n"));
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(code, 1);
    let foo = status_of(&pkgs, "foo");
    assert_eq!(foo["status"], "below-policy");
    assert!(
        foo["reasons"].to_string().contains("countersignature"),
        "{foo:#}"
    );
    cosign_foo_with_carol(&env);
    assert_eq!(tree(&env, &[]).0, 0);

    write_policy(
        &env,
        "allow_unsigned = [\"hex/bar\", \"hex/dep\"]\n[thresholds]\n\"hex/foo\" = 3\n",
    );
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(
        (code, status_of(&pkgs, "foo")["status"].as_str()),
        (1, Some("below-policy"))
    );
    write_policy(
        &env,
        "allow_unsigned = [\"hex/bar\", \"hex/dep\"]\n[thresholds]\n\"hex/foo\" = 2\n",
    );
    assert_eq!(tree(&env, &[]).0, 0);
}

#[test]
fn the_policy_minimum_and_allowed_unsigned_packages() {
    let env = mix_project();
    write_policy(&env, "min_trust = \"full\"\n");
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(status_of(&pkgs, "bar")["passes"], false);
    write_policy(
        &env,
        "min_trust = \"full\"\nallow_unsigned = [\"hex/bar\", \"hex/dep\"]\n",
    );
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(code, 0, "{pkgs:#?}");
    // The command line wins over the file.
    assert_eq!(tree(&env, &["--min-trust", "ultimate"]).0, 0);
    let (code, _) = tree(&env, &["--min-trust", "never"]);
    assert_eq!(code, 0);

    write_policy(
        &env,
        "min_trust = \"full\"\nalow_unsigned = [\"hex/bar\"]\n",
    );
    let out = env
        .cmd()
        .args(["verify-tree", "project/mix.lock"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown setting `alow_unsigned`"));
}

#[test]
fn the_policy_file_names_signature_sources() {
    let env = mix_project();
    std::fs::rename(env.path("sigs"), env.path("project/signatures")).unwrap();
    write_policy(&env, "signatures = [\"signatures\"]\n");
    let out = env
        .cmd()
        .args(["verify-tree", "project/mix.lock", "--json"])
        .env("HEX_HOME", env.path("hex"))
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let foo = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "foo")
        .unwrap()
        .clone();
    assert_eq!(foo["status"], "ok", "{foo:#}");
}

#[test]
fn unknown_and_revoked_signers_through_verify_tree() {
    let env = mix_project();
    let tar = env.path("hex/packages/hexpm/foo-1.0.0.tar");
    let text = env.checksum(&[tar.to_str().unwrap()]);
    let day = std::time::Duration::from_secs(86_400);
    let (tsk, revocation) = new_key(
        "Gone <gone@example.org>",
        std::time::SystemTime::now() - 10 * day,
        None,
    );
    let sig = sign_raw(&tsk, text.as_bytes(), RawSig::default());
    std::fs::write(env.path("sigs/hex/foo/1.0.0.asc"), sig).unwrap();
    std::fs::remove_file(env.path("sigs/hex/foo/1.0.0.checksums")).unwrap();
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(
        (code, status_of(&pkgs, "foo")["status"].as_str()),
        (0, Some("unknown-key")),
        "default policy: a warning"
    );

    write_armored_cert(&env.path("gone.asc"), &tsk.strip_secret_key_material());
    std::fs::write(env.path("gone-rev.asc"), armor_sig(revocation)).unwrap();
    assert_eq!(
        env.run(&["key", "import", "gone.asc", "gone-rev.asc"]).code,
        0
    );
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(
        (code, status_of(&pkgs, "foo")["status"].as_str()),
        (1, Some("revoked"))
    );
}

/// One mapping from a report to the exit code (issue 8): the same garbage
/// signature is exit 2 in `verify`, `verify-tree` and both hooks.
#[test]
fn a_garbage_signature_is_exit_2_in_every_command() {
    let env = mix_project();
    std::fs::write(
        env.path("sigs/hex/foo/1.0.0.asc"),
        "-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n",
    )
    .unwrap();
    let (code, pkgs) = tree(&env, &[]);
    assert_eq!(code, 2, "{pkgs:#?}");
    assert_eq!(status_of(&pkgs, "foo")["status"], "bad-signature");
    let tar = env.path("hex/packages/hexpm/foo-1.0.0.tar");
    let out = env.run(&[
        "verify",
        tar.to_str().unwrap(),
        "--signature",
        "sigs/hex/foo/1.0.0.asc",
    ]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let out = env
        .cmd()
        .args(["hook", "mix", "--lockfile", "project/mix.lock"])
        .env("HEX_HOME", env.path("hex"))
        .env("PGP_PKG_SIGNATURES", env.path("sigs"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The Composer hook, with the same garbage as a widget's signature.
    write_zip(
        &env.path("widget.zip"),
        &[("composer.json", "{\"name\": \"acme/widget\"}")],
    );
    std::fs::create_dir_all(env.path("sigs/composer/acme/widget")).unwrap();
    std::fs::copy(
        env.path("sigs/hex/foo/1.0.0.asc"),
        env.path("sigs/composer/acme/widget/1.0.0.asc"),
    )
    .unwrap();
    let out = env
        .cmd()
        .args([
            "hook",
            "composer",
            "--archive",
            "widget.zip",
            "--name",
            "acme/widget",
            "--version",
            "1.0.0",
        ])
        .env("PGP_PKG_SIGNATURES", env.path("sigs"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// An ambiguous zip in Composer's cache is bad input (exit 2) for
/// verify-tree too, naming the archive and the entry.
#[test]
fn an_ambiguous_cached_zip_is_exit_2_naming_the_entry() {
    use common::rawzip::hostile_zips;
    let env = Env::new();
    let (label, bytes) = hostile_zips().into_iter().next().unwrap();
    let url = "https://example.invalid/w.zip";
    let lock = serde_json::json!({"packages": [{"name": "acme/widget", "version": "1.0.0", "dist": {"type": "zip", "url": url, "shasum": ""}}]});
    std::fs::create_dir_all(env.path("project")).unwrap();
    std::fs::write(env.path("project/composer.lock"), lock.to_string()).unwrap();
    // Composer's cache name: the SHA-1 of the dist URL.
    let name: String = {
        let mut ctx = sequoia_openpgp::types::HashAlgorithm::SHA1
            .context()
            .unwrap()
            .for_digest();
        ctx.update(url.as_bytes());
        ctx.into_digest()
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let cached = env.path(&format!("composer-cache/files/acme/widget/{name}.zip"));
    std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
    std::fs::write(&cached, bytes).unwrap();
    let out = env
        .cmd()
        .args(["verify-tree", "project/composer.lock", "--json"])
        .env("COMPOSER_CACHE_DIR", env.path("composer-cache"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{label}: {stdout}");
    assert!(
        stdout.contains("refusing the zip archive") && stdout.contains("src/Thing.php"),
        "{stdout}"
    );
}
