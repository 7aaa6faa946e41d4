//! Real Composer dist archives (`composer archive`, tests/fixtures/composer)
//! in Composer's cache, checked against the installed vendor/ tree.

mod common;

use std::io::Read;

use common::*;

const URL: &str = "https://example.invalid/dists/acme-widget-1.0.0.zip";

/// The widget archive in Composer's cache, extracted into vendor/, signed by
/// Alice (the user), and locked.
fn project() -> Env {
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    let zip_path = fixture("composer/acme-widget-1.0.0.zip");
    let cached = env.path(&format!("cache/files/acme/widget/{}.zip", sha1_hex(URL)));
    std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
    std::fs::copy(&zip_path, &cached).unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).unwrap();
        let out = env.path(&format!(
            "project/vendor/acme/widget/{}",
            member.name().unwrap()
        ));
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let mut data = Vec::new();
        member.read_to_end(&mut data).unwrap();
        std::fs::write(out, data).unwrap();
    }
    let lock = serde_json::json!({"packages": [{"name": "acme/widget", "version": "1.0.0",
        "dist": {"type": "zip", "url": URL, "reference": "x", "shasum": ""}}], "packages-dev": []});
    std::fs::write(env.path("project/composer.lock"), lock.to_string()).unwrap();
    std::fs::create_dir_all(env.path("sigs/composer/acme/widget")).unwrap();
    let out = env.run(&[
        "sign",
        zip_path.to_str().unwrap(),
        "--version",
        "1.0.0",
        "--output",
        "sigs/composer/acme/widget/1.0.0.asc",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    env
}

fn verify(env: &Env) -> (i32, serde_json::Value) {
    let out = env
        .cmd()
        .env("COMPOSER_CACHE_DIR", env.path("cache"))
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
}

#[test]
fn a_signature_over_the_archive_verifies_the_installed_tree() {
    let env = project();
    let (code, pkg) = verify(&env);
    assert_eq!((code, pkg["status"].as_str()), (0, Some("ok")), "{pkg:#}");
}

#[test]
fn a_changed_installed_file_differs_from_the_cached_archive() {
    let env = project();
    std::fs::write(
        env.path("project/vendor/acme/widget/src/Thing.php"),
        "<?php // changed",
    )
    .unwrap();
    let (code, pkg) = verify(&env);
    assert_eq!(
        (code, pkg["status"].as_str()),
        (1, Some("checksum-mismatch")),
        "{pkg:#}"
    );
    assert!(
        pkg["reasons"].to_string().contains("src/Thing.php"),
        "{pkg:#}"
    );
}

#[test]
fn a_changed_cached_archive_is_caught() {
    let env = project();
    let cached = env.path(&format!("cache/files/acme/widget/{}.zip", sha1_hex(URL)));
    write_zip(
        &cached,
        &[
            ("README.md", "# acme/widget\n"),
            ("src/Thing.php", "<?php evil();"),
            ("composer.json", "{\"name\": \"acme/widget\"}"),
        ],
    );
    let (code, pkg) = verify(&env);
    assert_eq!(code, 1, "{pkg:#}");
    assert_eq!(pkg["status"], "checksum-mismatch", "{pkg:#}");
}

/// `hook composer --extract-to` never touches a folder it did not create.
#[test]
fn extract_to_an_existing_folder_is_refused_and_left_alone() {
    let env = Env::new();
    write_zip(
        &env.path("w.zip"),
        &[("composer.json", "{\"name\": \"acme/widget\"}")],
    );
    let hook = |dest: &str, min_trust: Option<&str>| {
        let mut cmd = env.cmd();
        cmd.args([
            "hook",
            "composer",
            "--archive",
            "w.zip",
            "--extract-to",
            dest,
        ])
        .args(["--name", "acme/widget", "--version", "1.0.0"]);
        if let Some(level) = min_trust {
            cmd.env("PGP_PKG_MIN_TRUST", level);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    std::fs::create_dir_all(env.path("mine")).unwrap();
    std::fs::write(env.path("mine/keep.txt"), "precious").unwrap();
    let (code, stderr) = hook("mine", None);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("exists already"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(env.path("mine/keep.txt")).unwrap(),
        "precious"
    );
    // A new folder gets exactly the package, and is removed when it fails the policy.
    let (code, stderr) = hook("new", None);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(env.path("new/composer.json").is_file());
    let (code, stderr) = hook("refused", Some("full"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        !env.path("refused").exists(),
        "a refused package leaves nothing behind"
    );
}

/// A composer.json past the bound is refused, never silently cut short.
#[test]
fn an_oversized_composer_json_is_refused() {
    use common::rawzip::{RawEntry, RawZip};
    let env = Env::new();
    let big = vec![b' '; (16 << 20) + 1];
    let zip = RawZip::archive(&[RawEntry::file("composer.json", &big)], 0);
    std::fs::write(env.path("big.zip"), zip).unwrap();
    let out = env.run(&[
        "checksum",
        "big.zip",
        "--name",
        "acme/widget",
        "--version",
        "1",
    ]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stderr.contains("larger than"), "{}", out.stderr);
}
