//! Typos that must not downgrade a check to a pass (issue 14): a signature
//! source or a home that does not exist is exit 2 naming it, and a run with
//! no signature source says so in its summary.

mod common;

use common::*;

fn mix_project() -> Env {
    let env = Env::new();
    let (_, line) = cached_hex_package(&env, "foo", "deps");
    std::fs::write(env.path("project/mix.lock"), format!("%{{\n{line}}}\n")).unwrap();
    env
}

#[test]
fn a_signature_directory_that_does_not_exist_is_exit_2() {
    let env = mix_project();
    let hex = env.path("hex");
    let vars = [("HEX_HOME", hex.to_str().unwrap())];
    let out = env.run_with(
        &[
            "verify-tree",
            "project/mix.lock",
            "--signatures",
            "nosuchdir",
        ],
        &vars,
    );
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("--signatures") && out.stderr.contains("nosuchdir does not exist"),
        "{}",
        out.stderr
    );
    let out = env.run_with(
        &["verify-tree", "project/mix.lock"],
        &[vars[0], ("PGP_PKG_SIGNATURES", "nosuchdir")],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("PGP_PKG_SIGNATURES"), "{}", out.stderr);
    std::fs::write(
        env.path("project/pgp-pkg.toml"),
        "signatures = [\"sigs\"]\n",
    )
    .unwrap();
    let out = env.run_with(&["verify-tree", "project/mix.lock"], &vars);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("pgp-pkg.toml"), "{}", out.stderr);
    // Once it exists, an empty directory is a real source: unsigned, with a warning.
    std::fs::create_dir(env.path("project/sigs")).unwrap();
    let out = env.run_with(&["verify-tree", "project/mix.lock"], &vars);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // A URL template with a scheme pgp-pkg refuses is caught before any package.
    let out = env.run_with(
        &[
            "verify-tree",
            "project/mix.lock",
            "--signatures",
            "http://sigs.example/{name}.asc",
        ],
        &vars,
    );
    assert_eq!(out.code, 2);
}

#[test]
fn no_signature_source_at_all_is_said_in_the_summary() {
    let env = mix_project();
    let hex = env.path("hex");
    let out = env.run_with(
        &["verify-tree", "project/mix.lock"],
        &[("HEX_HOME", hex.to_str().unwrap())],
    );
    assert_eq!(
        out.code, 0,
        "the default policy lets unsigned pass: {}",
        out.stderr
    );
    let summary = out.stdout.lines().last().unwrap();
    assert!(
        summary.contains("no signature source was given"),
        "{summary}"
    );
}

#[test]
fn a_named_home_that_does_not_exist_is_exit_2_for_reading_commands() {
    let env = mix_project();
    std::fs::create_dir(env.path("sigs")).unwrap();
    for args in [
        &[
            "--home",
            "typo",
            "verify-tree",
            "project/mix.lock",
            "--signatures",
            "sigs",
        ][..],
        &["--home", "typo", "key", "list"][..],
        &["--home", "typo", "trust", "list"][..],
    ] {
        let out = env.run(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stdout);
        assert!(
            out.stderr.contains("typo") && out.stderr.contains("does not exist"),
            "{}",
            out.stderr
        );
    }
    let out = env.run_with(&["key", "list"], &[("PGP_PKG_HOME", "typo-too")]);
    assert_eq!(out.code, 2);
    // Writing commands make the home.
    let out = env.run(&[
        "--home",
        "new-home",
        "key",
        "import",
        testkey("bob.pub.asc").to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(env.run(&["--home", "new-home", "key", "list"]).code, 0);
}

#[test]
fn policy_entries_that_can_never_match_are_errors_with_file_line_and_column() {
    let env = mix_project();
    let hex = env.path("hex");
    let vars = [("HEX_HOME", hex.to_str().unwrap())];
    for (text, place, words) in [
        (
            "min_trust = \"full\"\nallow_unsigned = [\"plug_dev\"]\n",
            ":2:19:",
            "never match",
        ),
        (
            "allow_unsigned = [\"hex/Plug-Dev\"]\n",
            ":1:19:",
            "package name",
        ),
        (
            "[signers]\n\"hex/foo\" = [\"E14BC0EF45753E99\"]\n",
            ":2:",
            "full fingerprint",
        ),
        ("[thresholds]\nfoo = 2\n", ":2:1:", "never match"),
        ("alow_unsigned = []\n", ":1:1:", "unknown setting"),
        ("min_trust = \"fully\"\n", ":1:13:", "min_trust"),
        ("min_trust = \n", ":1:", ""),
    ] {
        std::fs::write(env.path("project/pgp-pkg.toml"), text).unwrap();
        let out = env.run_with(&["verify-tree", "project/mix.lock"], &vars);
        assert_eq!(out.code, 2, "{text}");
        let first = out.stderr.lines().next().unwrap_or_default().to_string();
        let expected = format!("pgp-pkg.toml{place}");
        assert!(
            first.contains(&expected) && first.contains(words),
            "{text:?}: {first}"
        );
    }
    std::fs::write(
        env.path("project/pgp-pkg.toml"),
        "allow_unsigned = [\"hex/foo\", \"composer/acme/widget\"]\n",
    )
    .unwrap();
    assert_eq!(
        env.run_with(&["verify-tree", "project/mix.lock"], &vars)
            .code,
        0
    );
}
