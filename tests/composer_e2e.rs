//! The Composer plugin with the real `composer` (issue 5): a `file://`
//! Composer repository of signed dist archives, the plugin installed from a
//! `path` repository, and `composer install` passing or failing as the
//! policy says. With `PGP_PKG_E2E=1` a missing composer fails these tests.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

struct Project {
    env: Env,
}

impl Project {
    /// acme/widget 1.0.0 in a file:// repository, signed by Alice (the user).
    fn new() -> Option<Project> {
        if !require_program("composer") {
            return None;
        }
        let env = Env::new();
        env.import(&["alice.sec.asc", "mallory.pub.asc"]);
        std::fs::create_dir_all(env.path("repo")).unwrap();
        std::fs::copy(
            fixture("composer/acme-widget-1.0.0.zip"),
            env.path("repo/acme-widget-1.0.0.zip"),
        )
        .unwrap();
        let dist = format!(
            "file://{}",
            env.path("repo/acme-widget-1.0.0.zip").display()
        );
        let packages = serde_json::json!({"packages": {"acme/widget": {"1.0.0": {
            "name": "acme/widget", "version": "1.0.0", "type": "library",
            "dist": {"type": "zip", "url": dist}}}}});
        std::fs::write(env.path("repo/packages.json"), packages.to_string()).unwrap();
        std::fs::create_dir_all(env.path("sigs/composer/acme/widget")).unwrap();
        let out = env.run(&[
            "sign",
            env.path("repo/acme-widget-1.0.0.zip").to_str().unwrap(),
            "--version",
            "1.0.0",
            "--output",
            "sigs/composer/acme/widget/1.0.0.asc",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let plugin = Path::new(env!("CARGO_MANIFEST_DIR")).join("integrations/composer");
        let manifest = serde_json::json!({
            "name": "test/project",
            "require": {"acme/widget": "1.0.0", "pgp-pkg/composer-plugin": "*@dev"},
            "repositories": [
                {"packagist.org": false},
                {"type": "composer", "url": format!("file://{}", env.path("repo").display())},
                {"type": "path", "url": plugin.display().to_string(), "options": {"symlink": false}}
            ],
            "config": {"allow-plugins": {"pgp-pkg/composer-plugin": true}}
        });
        std::fs::create_dir_all(env.path("project")).unwrap();
        std::fs::write(
            env.path("project/composer.json"),
            serde_json::to_string_pretty(&manifest).unwrap(),
        )
        .unwrap();
        Some(Project { env })
    }

    fn install(&self, extra_env: &[(&str, &str)]) -> (bool, String) {
        let env = &self.env;
        let mut cmd = Command::new("composer");
        cmd.current_dir(env.path("project"))
            .args(["install", "--no-interaction", "--no-progress"])
            .env("PGP_PKG_BIN", assert_cmd::cargo::cargo_bin("pgp-pkg"))
            .env("PGP_PKG_HOME", env.home())
            .env("PGP_PKG_SIGNATURES", env.path("sigs"))
            .env_remove("PGP_PKG_MIN_TRUST")
            .env("COMPOSER_HOME", env.path("composer-home"))
            .env("COMPOSER_CACHE_DIR", env.path("composer-cache"))
            .env("COMPOSER_ALLOW_SUPERUSER", "1");
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    fn widget_installed(&self) -> bool {
        self.env.path("project/vendor/acme/widget").exists()
    }
}

#[test]
fn composer_install_verifies_and_shows_trust() {
    let Some(p) = Project::new() else { return };
    let (ok, out) = p.install(&[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("pgp-pkg: [ok] composer acme/widget 1.0.0: ok (trust: ultimate)"),
        "{out}"
    );
    assert!(p.widget_installed());
}

#[test]
fn a_tampered_archive_stops_composer_before_extraction() {
    let Some(p) = Project::new() else { return };
    write_zip(
        &p.env.path("repo/acme-widget-1.0.0.zip"),
        &[
            ("composer.json", "{\"name\": \"acme/widget\"}"),
            ("src/Thing.php", "<?php evil();"),
        ],
    );
    let (ok, out) = p.install(&[]);
    assert!(!ok, "composer install must fail: {out}");
    assert!(
        out.contains("pgp-pkg refused acme/widget 1.0.0: nothing of it was extracted"),
        "{out}"
    );
    assert!(
        out.contains("checksum-mismatch") || out.contains("bad-signature"),
        "{out}"
    );
    assert!(
        !p.widget_installed(),
        "nothing of the package may be extracted"
    );
}

#[test]
fn a_swapped_signature_stops_composer() {
    let Some(p) = Project::new() else { return };
    let gadget = fixture("composer/acme-gadget-2.1.0.zip");
    let out = p.env.run(&[
        "sign",
        gadget.to_str().unwrap(),
        "--version",
        "2.1.0",
        "--output",
        "sigs/composer/acme/widget/1.0.0.asc",
        "--replace",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (ok, out) = p.install(&[]);
    assert!(!ok, "{out}");
    assert!(out.contains("bad-signature"), "{out}");
    assert!(!p.widget_installed());
}

#[test]
fn an_untrusted_signer_stops_composer_under_a_minimum() {
    let Some(p) = Project::new() else { return };
    let text = p.env.checksum(&[
        p.env.path("repo/acme-widget-1.0.0.zip").to_str().unwrap(),
        "--version",
        "1.0.0",
    ]);
    let sig = sign_raw(
        &read_tsk("mallory.sec.asc"),
        text.as_bytes(),
        RawSig::default(),
    );
    std::fs::write(p.env.path("sigs/composer/acme/widget/1.0.0.asc"), sig).unwrap();
    std::fs::remove_file(p.env.path("sigs/composer/acme/widget/1.0.0.checksums")).unwrap();
    // The plugin itself comes unsigned from a path repository: the policy allows it.
    std::fs::write(
        p.env.path("project/pgp-pkg.toml"),
        "allow_unsigned = [\"composer/pgp-pkg/composer-plugin\"]\n",
    )
    .unwrap();
    let (ok, out) = p.install(&[("PGP_PKG_MIN_TRUST", "full")]);
    assert!(!ok, "{out}");
    assert!(out.contains("below-policy"), "{out}");
    assert!(!p.widget_installed());
}

#[test]
fn a_missing_binary_fails_closed() {
    let Some(p) = Project::new() else { return };
    let (ok, out) = p.install(&[("PGP_PKG_BIN", "/nonexistent/pgp-pkg")]);
    assert!(!ok, "{out}");
    assert!(!p.widget_installed());
    assert!(
        out.contains("PGP_PKG_BIN names /nonexistent/pgp-pkg, which is not an executable"),
        "{out}"
    );
    assert!(!out.contains("refused"), "not a policy decision: {out}");
}

#[test]
fn an_unsigned_path_package_is_refused_under_a_minimum_with_an_honest_message() {
    let Some(p) = Project::new() else { return };
    // An unsigned package from a path repository, beside the plugin's own.
    let local = p.env.path("local");
    std::fs::create_dir_all(&local).unwrap();
    std::fs::write(
        local.join("composer.json"),
        r#"{"name": "acme/local", "version": "1.0.0", "type": "library"}"#,
    )
    .unwrap();
    let manifest_path = p.env.path("project/composer.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    manifest["require"]["acme/local"] = "1.0.0".into();
    manifest["repositories"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"type": "path", "url": local.display().to_string(), "options": {"symlink": false}}));
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let (ok, out) = p.install(&[("PGP_PKG_MIN_TRUST", "full")]);
    assert!(!ok, "{out}");
    assert!(out.contains("pgp-pkg refused acme/local 1.0.0"), "{out}");
    assert!(out.contains("path repo"), "{out}");
    // The plugin does not refuse itself: it is the code already running.
    assert!(
        out.contains("pgp-pkg/composer-plugin is this plugin, already running"),
        "{out}"
    );
    // Composer shows pgp-pkg's own lines, not PHP's file and line.
    assert!(!out.contains("Plugin.php line"), "{out}");
    assert!(
        out.contains("pgp-pkg: [FAIL] composer acme/local 1.0.0: unsigned"),
        "{out}"
    );
}

#[test]
fn a_warning_on_success_shows_its_reasons() {
    let Some(p) = Project::new() else { return };
    // Signed by Alice (the user's own key) but the plugin itself is unsigned:
    // its warning line and the reason under it are shown, not just the first line.
    let (ok, out) = p.install(&[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("pgp-pkg: [ok] composer acme/widget 1.0.0"),
        "{out}"
    );
}

#[test]
fn a_global_install_hooks_every_project() {
    let Some(p) = Project::new() else { return };
    let env = &p.env;
    let plugin = Path::new(env!("CARGO_MANIFEST_DIR")).join("integrations/composer");
    let global = |args: &[&str]| {
        let out = Command::new("composer")
            .arg("global")
            .args(args)
            .env("COMPOSER_HOME", env.path("composer-home"))
            .env("COMPOSER_CACHE_DIR", env.path("composer-cache"))
            .env("COMPOSER_ALLOW_SUPERUSER", "1")
            .env("PGP_PKG_BIN", assert_cmd::cargo::cargo_bin("pgp-pkg"))
            .env("PGP_PKG_HOME", env.home())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "composer global {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    global(&["config", "repositories.packagist", "false"]);
    global(&[
        "config",
        "repositories.pgp-pkg",
        &format!(
            "{{\"type\": \"path\", \"url\": \"{}\", \"options\": {{\"symlink\": false}}}}",
            plugin.display()
        ),
    ]);
    global(&["config", "allow-plugins.pgp-pkg/composer-plugin", "true"]);
    global(&[
        "require",
        "--no-interaction",
        "pgp-pkg/composer-plugin:@dev",
    ]);

    // The project itself no longer requires the plugin.
    let manifest_path = env.path("project/composer.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    manifest["require"]
        .as_object_mut()
        .unwrap()
        .remove("pgp-pkg/composer-plugin");
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    write_zip(
        &env.path("repo/acme-widget-1.0.0.zip"),
        &[
            ("composer.json", "{\"name\": \"acme/widget\"}"),
            ("src/Thing.php", "<?php evil();"),
        ],
    );
    let (ok, out) = p.install(&[]);
    assert!(
        !ok,
        "the globally installed plugin must stop the tampered package: {out}"
    );
    assert!(out.contains("pgp-pkg refused acme/widget"), "{out}");
    assert!(!p.widget_installed());
}

impl Project {
    /// Makes `bytes` the signed dist of acme/widget 1.0.0: signs them.
    fn sign_dist(&self, bytes: &[u8]) {
        let zip = self.env.path("repo/acme-widget-1.0.0.zip");
        std::fs::write(&zip, bytes).unwrap();
        let out = self.env.run(&[
            "sign",
            zip.to_str().unwrap(),
            "--version",
            "1.0.0",
            "--output",
            "sigs/composer/acme/widget/1.0.0.asc",
            "--replace",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }

    /// A fresh install of whatever the repository now serves.
    fn reinstall(&self, dist: &[u8], extra_env: &[(&str, &str)]) -> (bool, String) {
        for dir in ["project/vendor", "composer-cache"] {
            let _ = std::fs::remove_dir_all(self.env.path(dir));
        }
        let _ = std::fs::remove_file(self.env.path("project/composer.lock"));
        std::fs::write(self.env.path("repo/acme-widget-1.0.0.zip"), dist).unwrap();
        self.install(extra_env)
    }
}

fn vendor_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    if !dir.exists() {
        return out;
    }
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(vendor_files(&p));
        } else {
            out.push((
                p.display().to_string(),
                std::fs::read(&p).unwrap_or_default(),
            ));
        }
    }
    out
}

/// Issue 8: the signed checksum file of each hostile archive is what a
/// lenient reader computes, yet unzip or ZipArchive would install other
/// bytes. With the real composer, under the default policy and under a
/// minimum, none of them puts a byte that was not signed into vendor/.
#[test]
fn no_crafted_zip_gets_an_unsigned_byte_into_vendor() {
    use common::rawzip::{good_entries, hostile_zips, RawZip, EVIL, GOOD_JSON, GOOD_PHP};
    let Some(p) = Project::new() else { return };
    p.sign_dist(&RawZip::archive(&good_entries(), 0));
    std::fs::write(
        p.env.path("project/pgp-pkg.toml"),
        "allow_unsigned = [\"composer/pgp-pkg/composer-plugin\"]\n",
    )
    .unwrap();
    // The control: the signed archive installs, exactly its two files.
    let (ok, out) = p.reinstall(&RawZip::archive(&good_entries(), 0), &[]);
    assert!(ok, "{out}");
    let widget = p.env.path("project/vendor/acme/widget");
    let mut files = vendor_files(&widget);
    files.sort();
    assert_eq!(
        files,
        vec![
            (
                widget.join("composer.json").display().to_string(),
                GOOD_JSON.as_bytes().to_vec()
            ),
            (
                widget.join("src/Thing.php").display().to_string(),
                GOOD_PHP.as_bytes().to_vec()
            ),
        ]
    );

    for (label, bytes) in hostile_zips() {
        for policy in [&[][..], &[("PGP_PKG_MIN_TRUST", "full")][..]] {
            let (ok, out) = p.reinstall(&bytes, policy);
            let evil: Vec<_> = vendor_files(&p.env.path("project/vendor"))
                .into_iter()
                .filter(|(_, b)| String::from_utf8_lossy(b).contains(EVIL.trim()))
                .map(|(path, _)| path)
                .collect();
            assert!(
                evil.is_empty(),
                "{label} {policy:?}: unsigned bytes in {evil:?}\n{out}"
            );
            assert!(
                !ok,
                "{label} {policy:?}: an ambiguous archive must fail the install\n{out}"
            );
            assert!(out.contains("refusing the zip archive"), "{label}: {out}");
            assert!(!p.widget_installed(), "{label}: {out}");
        }
    }
}

/// The design, not only the refusals: with the plugin, pgp-pkg writes the
/// files and Composer's extractors never read the archive. An `unzip` on
/// PATH that would install other bytes changes nothing.
#[test]
fn composer_installs_the_files_pgp_pkg_wrote_not_unzips() {
    use common::rawzip::{good_entries, RawZip, GOOD_PHP};
    let Some(p) = Project::new() else { return };
    let good = RawZip::archive(&good_entries(), 0);
    p.sign_dist(&good);
    let bin = p.env.path("trap-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let trap = bin.join("unzip");
    // unzip -qq ZIP -d DIR
    std::fs::write(
        &trap,
        "#!/bin/sh\nmkdir -p \"$4/src\" && echo '<?php trapped();' > \"$4/src/Thing.php\" && echo '{}' > \"$4/composer.json\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&trap, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let (ok, out) = p.reinstall(&good, &[("PATH", &path)]);
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read_to_string(p.env.path("project/vendor/acme/widget/src/Thing.php")).unwrap(),
        GOOD_PHP
    );
}
