//! Every report a person or a script reads, pinned with insta (issue 9):
//! the human and JSON output of `verify`, `verify-tree`, `key list`,
//! `trust explain` and `hook composer`, run on a copy of the shipped example
//! so the inputs (keys, signatures, packages) never change. Review a change
//! with `cargo insta review` (docs/development.md).

mod common;

use common::*;

/// Runs pgp-pkg on the example home; the output with the temporary folder
/// replaced by `$TMP`.
fn run(env: &Env, args: &[&str]) -> (i32, String) {
    let out = env
        .cmd()
        .env("HEX_HOME", env.path("no-hex-cache"))
        .env("COMPOSER_CACHE_DIR", env.path("no-composer-cache"))
        .arg("--home")
        .arg(env.path("examples/home"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let tmp = env.dir.path().display().to_string();
    (out.status.code().unwrap(), text.replace(&tmp, "$TMP"))
}

fn tree_args(json: bool) -> Vec<&'static str> {
    let mut args = vec![
        "verify-tree",
        "examples/project/mix.lock",
        "examples/project/composer.lock",
        "--signatures",
        "examples/project/signatures",
    ];
    if json {
        args.push("--json");
    }
    args
}

#[test]
fn verify_tree_table_and_json() {
    let env = Env::with_examples();
    let (code, table) = run(&env, &tree_args(false));
    assert_eq!(code, 1);
    insta::assert_snapshot!("verify_tree_table", table);
    let (code, json) = run(&env, &tree_args(true));
    assert_eq!(code, 1);
    insta::assert_snapshot!("verify_tree_json", json);
}

#[test]
fn verify_one_package_human_and_json() {
    let env = Env::with_examples();
    let args = [
        "verify",
        "examples/project/vendor/acme/widget",
        "--ecosystem",
        "composer",
        "--name",
        "acme/widget",
        "--version",
        "1.0.0",
        "--signature",
        "examples/project/signatures/composer/acme/widget/1.0.0.asc",
    ];
    let (code, human) = run(&env, &args);
    assert_eq!(code, 0, "{human}");
    insta::assert_snapshot!("verify_human", human);
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (_, json) = run(&env, &json_args);
    insta::assert_snapshot!("verify_json", json);
}

#[test]
fn key_list_human_and_json() {
    let env = Env::with_examples();
    let (code, human) = run(&env, &["key", "list"]);
    assert_eq!(code, 0, "{human}");
    insta::assert_snapshot!("key_list_human", human);
    let (_, json) = run(&env, &["key", "list", "--json"]);
    insta::assert_snapshot!("key_list_json", json);
}

#[test]
fn trust_explain_human_and_json() {
    let env = Env::with_examples();
    let (_, list) = run(&env, &["key", "list", "--json"]);
    let keys: serde_json::Value = serde_json::from_str(&list).unwrap();
    // Carol: certified by Alice, the user; whoever she is in the example.
    let carol = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| {
            k["user_ids"][0]["user_id"]
                .as_str()
                .unwrap()
                .contains("Carol")
        })
        .map(|k| k["fingerprint"].as_str().unwrap().to_string())
        .expect("Carol is in the example's keyring");
    let (code, human) = run(&env, &["trust", "explain", &carol]);
    assert_eq!(code, 0, "{human}");
    insta::assert_snapshot!("trust_explain_human", human);
    let (_, json) = run(&env, &["trust", "explain", &carol, "--json"]);
    insta::assert_snapshot!("trust_explain_json", json);
}

#[test]
fn hook_composer_output() {
    let env = Env::with_examples();
    let (code, out) = run(
        &env,
        &[
            "hook",
            "composer",
            "--tree",
            "examples/project/vendor/acme/gadget",
            "--name",
            "acme/gadget",
            "--version",
            "2.1.0",
        ],
    );
    // No signature source is configured for the hook here: unsigned passes.
    insta::assert_snapshot!("hook_composer", format!("exit {code}\n{out}"));
}

/// What the Composer plugin relays when a package fails: pgp-pkg's own lines.
#[test]
fn hook_composer_refusal() {
    let env = Env::with_examples();
    let (code, out) = run(
        &env,
        &[
            "hook",
            "composer",
            "--tree",
            "examples/project/vendor/acme/gadget",
            "--name",
            "acme/gadget",
            "--version",
            "2.1.0",
            "--min-trust",
            "full",
        ],
    );
    assert_eq!(code, 1, "{out}");
    insta::assert_snapshot!("hook_composer_refused", format!("exit {code}\n{out}"));
}

#[test]
fn the_table_fits_100_columns_shows_problems_only_and_colours_on_request() {
    let env = Env::with_examples();
    let (_, table) = run(&env, &tree_args(false));
    for line in table
        .lines()
        .filter(|l| !l.starts_with("    -") && !l.starts_with("FAILED"))
    {
        assert!(
            line.chars().count() <= 100,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    let mut args = tree_args(false);
    args.push("--problems");
    let (code, problems) = run(&env, &args);
    assert_eq!(code, 1);
    insta::assert_snapshot!("verify_tree_problems", problems);
    assert!(!problems.contains("pass    hex foo"), "{problems}");
    assert!(
        problems.contains("fail    composer acme/gadget"),
        "{problems}"
    );

    // Not at a terminal: no colour, unless asked for.
    assert!(!table.contains('\x1b'));
    let mut args = tree_args(false);
    args.extend(["--color", "always"]);
    let (_, coloured) = run(&env, &args);
    assert!(coloured.contains("\x1b[31;1mfail"), "{coloured}");
    assert!(coloured.contains("\x1b[32mpass"), "{coloured}");
}

/// The messages a person meets when something is wrong (issue 14): each
/// says what happened, about which file or package, and what to do next.
#[test]
fn the_messages_people_meet() {
    let env = Env::with_examples();
    std::fs::write(env.path("junk.asc"), "hello, not a signature\n").unwrap();
    std::fs::create_dir_all(env.path("broken")).unwrap();
    std::fs::write(
        env.path("broken/mix.lock"),
        "%{\n  \"foo\": {:hex, :foo, \"1.0.0\",\n",
    )
    .unwrap();
    std::fs::create_dir_all(env.path("strict")).unwrap();
    std::fs::copy(
        env.path("examples/project/mix.lock"),
        env.path("strict/mix.lock"),
    )
    .unwrap();
    std::fs::write(
        env.path("strict/pgp-pkg.toml"),
        "min_trust = \"full\"\nallow_unsigned = [\"plug_dev\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(env.path("upstream")).unwrap();
    let lock = serde_json::json!({"packages": [{
        "name": "acme/widget", "version": "v1.0.0",
        "source": {"type": "git", "url": "https://127.0.0.1:9/acme/widget.git", "reference": "a".repeat(40)},
        "dist": {"type": "zip", "url": "https://dist.example.invalid/widget.zip"}}]});
    std::fs::write(env.path("upstream/composer.lock"), lock.to_string()).unwrap();
    std::fs::create_dir_all(env.path("upstream/vendor/acme/widget")).unwrap();
    std::fs::write(env.path("upstream/vendor/acme/widget/a.php"), "<?php\n").unwrap();
    let widget = [
        "verify",
        "examples/project/vendor/acme/widget",
        "--ecosystem",
        "composer",
        "--name",
        "acme/widget",
    ];
    let home = ["--home", "examples/home"];
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "a signature directory that does not exist",
            [
                &home[..],
                &[
                    "verify-tree",
                    "examples/project/mix.lock",
                    "--signatures",
                    "nosuchdir",
                ],
            ]
            .concat(),
        ),
        (
            "a home that does not exist",
            vec!["--home", "typo", "key", "list"],
        ),
        (
            "a signature file that is not a signature",
            [
                &home[..],
                &widget[..],
                &["--version", "1.0.0", "--signature", "junk.asc"],
            ]
            .concat(),
        ),
        (
            "a signature for another version",
            [
                &home[..],
                &widget[..],
                &[
                    "--version",
                    "1.0.1",
                    "--signature",
                    "examples/project/signatures/composer/acme/widget/1.0.0.asc",
                ],
            ]
            .concat(),
        ),
        (
            "an address where a key is expected",
            [&home[..], &["key", "export", "alice@example.org"]].concat(),
        ),
        (
            "a malformed lockfile",
            [&home[..], &["verify-tree", "broken/mix.lock"]].concat(),
        ),
        (
            "a policy entry that can never match",
            [&home[..], &["verify-tree", "strict/mix.lock"]].concat(),
        ),
        (
            "a URL template with a refused scheme",
            [
                &home[..],
                &[
                    "verify-tree",
                    "examples/project/mix.lock",
                    "--signatures",
                    "ftp://example.org/{name}.asc",
                ],
            ]
            .concat(),
        ),
        (
            "an upstream repository that cannot be reached (--git)",
            [
                &home[..],
                &[
                    "--color",
                    "never",
                    "verify-tree",
                    "upstream/composer.lock",
                    "--git",
                ],
            ]
            .concat(),
        ),
    ];
    let mut all = String::new();
    let tmp = env.dir.path().display().to_string();
    for (what, args) in cases {
        let out = env
            .cmd()
            .env("HEX_HOME", env.path("no-hex-cache"))
            .env("COMPOSER_CACHE_DIR", env.path("no-composer-cache"))
            .args(&args)
            .output()
            .unwrap();
        all.push_str(&format!(
            "## {what}\n$ pgp-pkg {}\nexit {}\n{}{}\n",
            args.join(" "),
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        ));
    }
    insta::assert_snapshot!("messages", all.replace(&tmp, "$TMP"));
}
