//! Lockfile names are checked before they become paths (issue 8, docs/interface.md
//! "Lockfile names"): a hostile lockfile is exit 2 naming the file, the line
//! and the entry, and nothing outside the project, the caches and the
//! signature directories is touched (proven with strace). The installed
//! trees honour `COMPOSER_VENDOR_DIR`, `config.vendor-dir` and `MIX_DEPS_PATH`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// A signed acme/widget 1.0.0, installed under `project/VENDOR_DIR`.
fn composer_project(vendor_dir: &str) -> Env {
    let env = Env::new();
    signed_widget_installed(&env, vendor_dir);
    write_lock(
        &env,
        "acme/widget",
        "1.0.0",
        "https://example.invalid/w.zip",
    );
    env
}

fn write_lock(env: &Env, name: &str, version: &str, url: &str) {
    let lock = serde_json::json!({
        "packages": [{"name": name, "version": version, "dist": {"type": "zip", "url": url, "shasum": ""}}],
        "packages-dev": [],
    });
    std::fs::write(
        env.path("project/composer.lock"),
        serde_json::to_string_pretty(&lock).unwrap(),
    )
    .unwrap();
}

fn verify_tree(env: &Env, lock: &str, vars: &[(&str, &str)]) -> Output {
    let mut cmd = env.cmd();
    cmd.args(["verify-tree", lock, "--signatures", "sigs"])
        .env("HEX_HOME", env.path("hex"))
        .env("COMPOSER_CACHE_DIR", env.path("composer-cache"))
        .env_remove("COMPOSER_VENDOR_DIR")
        .env_remove("MIX_DEPS_PATH");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Output {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// (lockfile name, its text, what the error must say).
fn hostile_lockfiles(outside: &Path) -> Vec<(&'static str, String, &'static str)> {
    let o = outside.display();
    let inner = "0".repeat(64);
    vec![
        ("mix.lock", format!("%{{\n  \"/etc\": {{:hex, :foo, \"1.0.0\", \"{inner}\", [:mix], [], \"hexpm\", \"{inner}\"}}\n}}\n"), "mix.lock:2:3: the entry \"foo\""),
        ("mix.lock", format!("%{{\n  \"foo\": {{:hex, :foo, \"../../../{o}/x\", \"{inner}\", [:mix], [], \"hexpm\", \"{inner}\"}}\n}}\n"), "contains a path separator"),
        ("mix.lock", format!("%{{\n  \"foo\": {{:hex, :foo, \"1.0.0\", \"{inner}\", [:mix], [], \"../../{o}\", \"{inner}\"}}\n}}\n"), "is not a Hex repository name"),
        ("composer.lock", format!("{{\"packages\": [\n  {{\"name\": \"../../{o}\", \"version\": \"1.0.0\", \"dist\": {{\"type\": \"zip\", \"url\": \"x\"}}}}]}}"), "composer.lock:2:4: the entry"),
        ("composer.lock", "{\"packages\": [\n  {\"name\": \"acme/widget\", \"version\": \"../../../../x\", \"dist\": {\"type\": \"zip\", \"url\": \"x\"}}]}".to_string(), "contains a path separator"),
        ("composer.lock", "{\"packages\": [\n  {\"name\": \"acme/../../x\", \"version\": \"1.0.0\", \"dist\": {\"type\": \"zip\", \"url\": \"x\"}}]}".to_string(), "is not a Composer package name"),
    ]
}

#[test]
fn hostile_names_are_exit_2_naming_the_file_line_and_entry() {
    let env = composer_project("vendor");
    let outside = env.path("outside");
    for (file, text, expected) in hostile_lockfiles(&outside) {
        std::fs::write(env.path(&format!("project/{file}")), &text).unwrap();
        let out = verify_tree(&env, &format!("project/{file}"), &[]);
        assert_eq!(out.code, 2, "{text}\n{}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains(expected),
            "{text}\nexpected {expected:?} in: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&format!("project/{file}:")),
            "{}",
            out.stderr
        );
        assert!(
            out.stdout.is_empty(),
            "no report for a refused lockfile: {}",
            out.stdout
        );
    }
}

/// Every path a run looks at, from strace's log of file system calls.
fn touched_paths(env: &Env, lock: &str) -> Vec<String> {
    let log = env.path("strace.log");
    let bin = assert_cmd::cargo::cargo_bin("pgp-pkg");
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=file", "-o"])
        .arg(&log)
        .arg(bin)
        .args(["verify-tree", lock, "--signatures", "sigs"])
        .current_dir(env.dir.path())
        .env("PGP_PKG_HOME", env.home())
        .env("HEX_HOME", env.path("hex"))
        .env("COMPOSER_CACHE_DIR", env.path("composer-cache"))
        .env_remove("PGP_PKG_SIGNATURES")
        .env_remove("COMPOSER_VENDOR_DIR")
        .env_remove("MIX_DEPS_PATH")
        .status()
        .unwrap();
    assert!(status.code().is_some());
    let text = std::fs::read_to_string(&log).unwrap();
    text.lines()
        .filter_map(|l| {
            let start = l.find('"')? + 1;
            let end = start + l[start..].find('"')?;
            Some(l[start..end].to_string())
        })
        // statx(fd, "", AT_EMPTY_PATH) and the like name no path.
        .filter(|p| !p.is_empty())
        .collect()
}

#[test]
fn nothing_outside_the_project_caches_and_signatures_is_touched() {
    if !require_program("strace") {
        return;
    }
    let env = composer_project("vendor");
    // Bait: a signed-looking archive and a tree outside the project.
    let outside = env.path("outside");
    std::fs::create_dir_all(outside.join("acme/widget")).unwrap();
    write_zip(&outside.join("secret.zip"), WIDGET);
    let root = env.dir.path().display().to_string();
    let allowed =
        ["project", "sigs", "home", "hex", "composer-cache"].map(|d| format!("{root}/{d}"));
    let check = |label: &str, lock: &str| {
        for path in touched_paths(&env, lock) {
            let abs = if path.starts_with('/') {
                path.clone()
            } else {
                format!("{root}/{path}")
            };
            assert!(!abs.contains("outside"), "{label}: touched {path}");
            if abs.starts_with(&root) {
                assert!(
                    allowed.iter().any(|a| abs.starts_with(a.as_str())) || abs == root,
                    "{label}: touched {path}, outside the project, caches, signatures and home"
                );
            }
        }
    };
    for (file, text, _) in hostile_lockfiles(&outside) {
        std::fs::write(env.path(&format!("project/{file}")), &text).unwrap();
        check(&text, &format!("project/{file}"));
    }
    // Valid names, but a dist.url outside the project: not read.
    for url in [
        format!("file://{}", outside.join("secret.zip").display()),
        outside.join("secret.zip").display().to_string(),
        "../outside/secret.zip".to_string(),
    ] {
        write_lock(&env, "acme/widget", "1.0.0", &url);
        check(&url, "project/composer.lock");
        let out = verify_tree(&env, "project/composer.lock", &[]);
        assert_eq!(
            out.code, 0,
            "the installed tree still verifies: {}{}",
            out.stdout, out.stderr
        );
    }
}

#[test]
fn the_vendor_dir_is_where_composer_puts_it() {
    let env = composer_project("lib/vendor");
    // Without the setting, vendor/ is looked at and nothing is installed there.
    let out = verify_tree(&env, "project/composer.lock", &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("missing-package"), "{}", out.stdout);
    std::fs::write(
        env.path("project/composer.json"),
        "{\"config\": {\"vendor-dir\": \"lib/vendor\"}}",
    )
    .unwrap();
    let out = verify_tree(&env, "project/composer.lock", &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // A change under lib/vendor is seen.
    std::fs::write(
        env.path("project/lib/vendor/acme/widget/src/Widget.php"),
        "<?php evil();",
    )
    .unwrap();
    let out = verify_tree(&env, "project/composer.lock", &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("checksum-mismatch"), "{}", out.stdout);
    // COMPOSER_VENDOR_DIR wins over composer.json, as in Composer.
    std::fs::rename(
        env.path("project/lib/vendor"),
        env.path("project/elsewhere"),
    )
    .unwrap();
    std::fs::write(
        env.path("project/elsewhere/acme/widget/src/Widget.php"),
        WIDGET[1].1,
    )
    .unwrap();
    let out = verify_tree(
        &env,
        "project/composer.lock",
        &[("COMPOSER_VENDOR_DIR", "elsewhere")],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // A broken composer.json is exit 2 naming it.
    std::fs::write(env.path("project/composer.json"), "{\n  \"config\": }").unwrap();
    let out = verify_tree(&env, "project/composer.lock", &[]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("composer.json:2:"), "{}", out.stderr);
}

#[test]
fn mix_deps_path_moves_the_installed_trees() {
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    let (_, line) = cached_hex_package(&env, "foo", "_deps");
    std::fs::write(env.path("project/mix.lock"), format!("%{{\n{line}}}\n")).unwrap();
    std::fs::create_dir_all(env.path("sigs")).unwrap();
    // The cache alone verifies (no deps/), but a change in _deps is only seen with MIX_DEPS_PATH.
    std::fs::write(env.path("project/_deps/foo/lib/foo.ex"), "evil")
        .unwrap_or_else(|_| std::fs::write(env.path("project/_deps/foo/mix.exs"), "evil").unwrap());
    let out = verify_tree(&env, "project/mix.lock", &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = verify_tree(&env, "project/mix.lock", &[("MIX_DEPS_PATH", "_deps")]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("checksum-mismatch"), "{}", out.stdout);
}
