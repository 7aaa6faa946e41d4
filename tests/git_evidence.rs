//! `verify-tree --git` (docs/git-evidence.md) against real `git` and `gpg`:
//! bare repositories at file:// URLs, tags made with `git tag -s`, commits
//! with `git commit -S`, and vendor trees that `git archive` exported, so
//! the comparison is with git's own idea of a release. With
//! `PGP_PKG_E2E=1` a missing git or gpg fails these tests.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use sequoia_openpgp::types::ReasonForRevocation;
use serde_json::Value;
use tempfile::TempDir;

/// An author's machine: a GnuPG home with their key and a git work tree.
struct Author {
    gpg: TempDir,
    work: PathBuf,
    bare: PathBuf,
}

impl Author {
    /// A work tree with a small Composer package, and its bare clone as the
    /// published repository. `None` (skip) when git or gpg is missing.
    fn new(env: &Env, keys: &[&str]) -> Option<Author> {
        if !require_program("git") || !require_program("gpg") {
            return None;
        }
        let gpg = tempfile::Builder::new()
            .prefix("g")
            .tempdir_in("/tmp")
            .unwrap();
        let author = Author {
            gpg,
            work: env.path("upstream-work"),
            // Inside the project: a file:// repository named by a lockfile
            // is read only there (the policy file's [sources] may name any).
            bare: env.path("project/upstream.git"),
        };
        for k in keys {
            author.gpg_ok(&["--import", testkey(k).to_str().unwrap()]);
        }
        std::fs::create_dir_all(&author.work).unwrap();
        author.git(&["init", "-q", "-b", "main"]);
        for (path, text) in [
            (
                "composer.json",
                "{\"name\": \"acme/widget\", \"description\": \"A widget\"}\n",
            ),
            ("src/Widget.php", "<?php\nclass Widget {}\n"),
            ("README.md", "# widget\n"),
            ("tests/WidgetTest.php", "<?php\n// not shipped\n"),
            (".gitattributes", "/tests export-ignore\n"),
        ] {
            author.write(path, text);
        }
        author.commit("first release", None);
        Some(author)
    }

    fn gpg_ok(&self, args: &[&str]) {
        let out = Command::new("gpg")
            .env("GNUPGHOME", self.gpg.path())
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(dir)
            .env("GNUPGHOME", self.gpg.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            // Fixed dates: the same commits, and so the same ids, every run.
            .env("GIT_AUTHOR_DATE", "2026-11-01T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-11-01T12:00:00Z")
            .args([
                "-c",
                "user.name=Alice Author",
                "-c",
                "user.email=alice@example.org",
                "-c",
                "gpg.program=gpg",
                "-c",
                "tag.gpgSign=false",
                "-c",
                "commit.gpgSign=false",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.work, args)
    }

    fn write(&self, path: &str, text: &str) {
        let p = self.work.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Commits everything, signed by `key` when given; returns the commit id.
    fn commit(&self, message: &str, key: Option<&str>) -> String {
        self.git(&["add", "-A"]);
        let mut args = vec!["commit", "-q", "-m", message];
        let flag;
        if let Some(key) = key {
            flag = format!("-S{key}");
            args.push(&flag);
        }
        self.git(&args);
        self.git(&["rev-parse", "HEAD"])
    }

    /// An empty commit on top (the same tree); its id.
    fn commit_empty(&self, message: &str) -> String {
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// `git tag -s` by `key`, or an annotated unsigned tag, or (lightweight) a plain one.
    fn tag(&self, name: &str, how: Tag) {
        match how {
            Tag::Signed(key) => self.git(&["tag", "-s", "-u", key, "-m", "release", name]),
            Tag::Annotated => self.git(&["tag", "-a", "-m", "release", name]),
            Tag::Lightweight => self.git(&["tag", name]),
        };
    }

    /// Publishes the work tree as a bare repository; its file:// URL.
    fn publish(&self) -> String {
        if self.bare.exists() {
            std::fs::remove_dir_all(&self.bare).unwrap();
        }
        let parent = self.bare.parent().unwrap();
        std::fs::create_dir_all(parent).unwrap();
        self.git_in(
            parent,
            &[
                "clone",
                "-q",
                "--bare",
                self.work.to_str().unwrap(),
                self.bare.to_str().unwrap(),
            ],
        );
        format!("file://{}", self.bare.display())
    }

    /// What `git archive REV` exports, unpacked into `dest`: a Composer dist
    /// as GitHub makes it, installed.
    fn export_into(&self, rev: &str, dest: &Path) {
        std::fs::create_dir_all(dest).unwrap();
        let tar = self.work.parent().unwrap().join("export.tar");
        self.git(&["archive", "--format=tar", "-o", tar.to_str().unwrap(), rev]);
        let status = Command::new("tar")
            .arg("-xf")
            .arg(&tar)
            .arg("-C")
            .arg(dest)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

#[derive(Clone, Copy)]
enum Tag<'a> {
    Signed(&'a str),
    Annotated,
    Lightweight,
}

/// A project installing acme/widget VERSION from `url`, built from `commit`.
fn composer_project(env: &Env, url: &str, version: &str, commit: &str) -> PathBuf {
    let project = env.path("project");
    std::fs::create_dir_all(&project).unwrap();
    let lock = serde_json::json!({
        "packages": [{
            "name": "acme/widget",
            "version": version,
            "source": {"type": "git", "url": url, "reference": commit},
            "dist": {
                "type": "zip",
                "url": "https://codeload.example.invalid/acme/widget/zip/0123",
                "reference": commit,
            },
        }],
        "packages-dev": [],
    });
    std::fs::write(project.join("composer.lock"), lock.to_string()).unwrap();
    project.join("composer.lock")
}

/// `verify-tree LOCK --git --json ARGS`: exit code and the first package.
fn verify_git(env: &Env, lock: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut full = vec!["verify-tree", lock.to_str().unwrap(), "--git", "--json"];
    full.extend_from_slice(args);
    let out = env.run(&full);
    assert!(!out.stderr.contains("panicked"), "panic: {}", out.stderr);
    let json: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", out.stdout, out.stderr));
    (out.code, json["packages"][0].clone(), out.stderr)
}

fn reasons(pkg: &Value) -> String {
    pkg["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The author's release v1.0.0, tagged `how`, installed as git archive
/// exports it; the user's home holds Alice as their own key.
fn released(env: &Env, how: Tag) -> Option<(Author, PathBuf, String)> {
    let author = Author::new(env, &["alice.sec.asc", "bob.sec.asc"])?;
    let commit = author.git(&["rev-parse", "HEAD"]);
    author.tag("v1.0.0", how);
    let url = author.publish();
    author.export_into("v1.0.0", &env.path("project/vendor/acme/widget"));
    let lock = composer_project(env, &url, "v1.0.0", &commit);
    env.import(&["alice.sec.asc"]);
    Some((author, lock, commit))
}

#[test]
fn a_signed_tag_verifies_a_composer_package_without_any_detached_signature() {
    let env = Env::new();
    let Some((_author, lock, commit)) = released(&env, Tag::Signed(ALICE)) else {
        return;
    };
    let (code, pkg, stderr) = verify_git(&env, &lock, &["--min-trust", "full"]);
    assert_eq!(code, 0, "{pkg}\n{stderr}");
    assert_eq!(pkg["status"], "ok");
    assert_eq!(pkg["signers"][0]["fingerprint"], ALICE);
    assert_eq!(pkg["signers"][0]["kind"], "git-tag");
    // Without --git the same project has no signature at all.
    let out = env.run(&["verify-tree", lock.to_str().unwrap(), "--min-trust", "full"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    // The human report says what signed it.
    let out = env.run(&["verify-tree", lock.to_str().unwrap(), "--git"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("git tag: Alice Author"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("no signature source was given"),
        "the repository is a source: {}",
        out.stdout
    );
    assert!(!commit.is_empty());
}

#[test]
fn every_change_to_the_installed_files_fails_and_is_named() {
    let env = Env::new();
    let Some((_author, lock, commit)) = released(&env, Tag::Signed(ALICE)) else {
        return;
    };
    let vendor = env.path("project/vendor/acme/widget");
    type Step<'a> = Box<dyn Fn() + 'a>;
    let cases: [(&str, Step, Step); 3] = [
        (
            "files changed: src/Widget.php",
            Box::new(|| std::fs::write(vendor.join("src/Widget.php"), "<?php\nevil();\n").unwrap()),
            Box::new(|| {
                std::fs::write(vendor.join("src/Widget.php"), "<?php\nclass Widget {}\n").unwrap()
            }),
        ),
        (
            "files not in the tag: src/Backdoor.php",
            Box::new(|| std::fs::write(vendor.join("src/Backdoor.php"), "<?php\n").unwrap()),
            Box::new(|| std::fs::remove_file(vendor.join("src/Backdoor.php")).unwrap()),
        ),
        (
            "files in the tag but not installed: README.md",
            Box::new(|| std::fs::remove_file(vendor.join("README.md")).unwrap()),
            Box::new(|| std::fs::write(vendor.join("README.md"), "# widget\n").unwrap()),
        ),
    ];
    for (expected, tamper, undo) in &cases {
        tamper();
        let (code, pkg, _) = verify_git(&env, &lock, &[]);
        assert_eq!(code, 1, "{expected}: {pkg}");
        assert_eq!(pkg["status"], "checksum-mismatch", "{pkg}");
        let text = reasons(&pkg);
        assert!(text.contains(expected), "{expected}: {text}");
        assert!(text.contains("tag v1.0.0"), "{text}");
        assert!(text.contains(&commit[..12]), "{text}");
        undo();
        let (code, pkg, _) = verify_git(&env, &lock, &[]);
        assert_eq!(code, 0, "after undoing {expected}: {pkg}");
    }
}

/// What a reader sees when the registry's files are not the tag's.
#[test]
fn the_report_of_a_release_that_differs_from_its_tag() {
    let env = Env::new();
    let Some((_author, lock, _)) = released(&env, Tag::Signed(ALICE)) else {
        return;
    };
    let vendor = env.path("project/vendor/acme/widget");
    std::fs::write(vendor.join("src/Widget.php"), "<?php\nevil();\n").unwrap();
    std::fs::write(vendor.join("src/Backdoor.php"), "<?php\n").unwrap();
    let out = env.run(&[
        "--color",
        "never",
        "verify-tree",
        lock.to_str().unwrap(),
        "--git",
    ]);
    assert_eq!(out.code, 1);
    let tmp = env.dir.path().display().to_string();
    insta::assert_snapshot!(out.stdout.replace(&tmp, "$TMP"));
}

#[test]
fn export_ignored_paths_must_not_be_installed() {
    let env = Env::new();
    let Some((_author, lock, _)) = released(&env, Tag::Signed(ALICE)) else {
        return;
    };
    // git archive left tests/ out (the control passes above); a tree that
    // has it is not what the tag exports.
    let vendor = env.path("project/vendor/acme/widget");
    assert!(!vendor.join("tests").exists());
    std::fs::create_dir_all(vendor.join("tests")).unwrap();
    std::fs::write(
        vendor.join("tests/WidgetTest.php"),
        "<?php\n// not shipped\n",
    )
    .unwrap();
    let (code, pkg, _) = verify_git(&env, &lock, &[]);
    assert_eq!(code, 1, "{pkg}");
    assert!(
        reasons(&pkg).contains("files not in the tag: tests/WidgetTest.php"),
        "{pkg}"
    );
}

#[test]
fn a_tag_that_points_elsewhere_than_the_lockfile_fails_naming_both_commits() {
    let env = Env::new();
    let Some((author, lock, built_from)) = released(&env, Tag::Signed(ALICE)) else {
        return;
    };
    // The tag is moved to a new commit upstream (same files, so only the
    // commit can tell).
    author.write("NOTES", "moved\n");
    let moved = author.commit("another", None);
    author.git(&["tag", "-f", "-s", "-u", ALICE, "-m", "release", "v1.0.0"]);
    author.publish();
    let (code, pkg, _) = verify_git(&env, &lock, &[]);
    assert_eq!(code, 1, "{pkg}");
    let text = reasons(&pkg);
    assert!(
        text.contains(&built_from) && text.contains(&moved),
        "{text}"
    );
}

#[test]
fn an_unsigned_tag_is_no_signature() {
    let env = Env::new();
    let Some((_author, lock, _)) = released(&env, Tag::Annotated) else {
        return;
    };
    let (code, pkg, _) = verify_git(&env, &lock, &[]);
    assert_eq!(
        code, 0,
        "default policy: unsigned passes with a warning: {pkg}"
    );
    assert_eq!(pkg["status"], "unsigned");
    assert!(
        reasons(&pkg).contains("neither the tag v1.0.0 nor its commit has an OpenPGP signature"),
        "{pkg}"
    );
    let (code, pkg, _) = verify_git(&env, &lock, &["--min-trust", "full"]);
    assert_eq!(code, 1, "{pkg}");
    assert_eq!(pkg["status"], "unsigned");
}

#[test]
fn signers_are_judged_like_any_other() {
    // Bob signs; the user's home decides what Bob's signature is worth.
    let env = Env::new();
    let Some((_author, lock, _)) = released(&env, Tag::Signed(BOB)) else {
        return;
    };
    let (code, pkg, _) = verify_git(&env, &lock, &["--min-trust", "full"]);
    assert_eq!(code, 1, "{pkg}");
    assert_eq!(pkg["status"], "unknown-key", "not in the keyring: {pkg}");

    env.import(&["bob.pub.asc"]);
    let (code, pkg, _) = verify_git(&env, &lock, &["--min-trust", "full"]);
    assert_eq!(code, 1, "{pkg}");
    assert_eq!(pkg["status"], "below-policy", "uncertified: {pkg}");
    assert_eq!(pkg["signers"][0]["kind"], "git-tag");

    // Bob's key revoked: a signed tag by him fails even under the default policy.
    let bob = read_tsk("bob.sec.asc");
    let revocation = bob
        .revoke(
            &mut primary_signer(&bob),
            ReasonForRevocation::KeyCompromised,
            b"stolen",
        )
        .unwrap();
    let (revoked, _) = bob
        .strip_secret_key_material()
        .insert_packets(revocation)
        .unwrap();
    write_armored_cert(&env.path("bob-revoked.asc"), &revoked);
    let out = env.run(&["key", "import", "bob-revoked.asc"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (code, pkg, _) = verify_git(&env, &lock, &[]);
    assert_eq!(code, 1, "{pkg}");
    assert_eq!(pkg["status"], "revoked", "{pkg}");
}

#[test]
fn a_lightweight_tag_on_a_signed_commit_counts_the_commit() {
    let env = Env::new();
    let Some(author) = Author::new(&env, &["alice.sec.asc"]) else {
        return;
    };
    author.write("CHANGELOG", "1.1.0\n");
    let commit = author.commit("release 1.1.0", Some(ALICE));
    author.tag("1.1.0", Tag::Lightweight);
    let url = author.publish();
    author.export_into("1.1.0", &env.path("project/vendor/acme/widget"));
    let lock = composer_project(&env, &url, "1.1.0", &commit);
    env.import(&["alice.sec.asc"]);
    let (code, pkg, stderr) = verify_git(&env, &lock, &["--min-trust", "full"]);
    assert_eq!(code, 0, "{pkg}\n{stderr}");
    assert_eq!(pkg["signers"][0]["kind"], "git-commit");
    // A commit altered after signing no longer verifies: not reachable with
    // git itself, so the check is the signature's own (tested in the unit tests).
}

#[test]
fn export_subst_placeholders_are_a_reason_not_a_pass() {
    let env = Env::new();
    let Some(author) = Author::new(&env, &["alice.sec.asc"]) else {
        return;
    };
    author.write(
        ".gitattributes",
        "/tests export-ignore\nsrc/Version.php export-subst\n",
    );
    author.write("src/Version.php", "<?php\n// $Format:%H$\n");
    let commit = author.commit("versioned", None);
    author.tag("v2.0.0", Tag::Signed(ALICE));
    let url = author.publish();
    author.export_into("v2.0.0", &env.path("project/vendor/acme/widget"));
    let lock = composer_project(&env, &url, "v2.0.0", &commit);
    env.import(&["alice.sec.asc"]);
    let (code, pkg, _) = verify_git(&env, &lock, &[]);
    assert_eq!(code, 1, "{pkg}");
    assert!(reasons(&pkg).contains("export-subst"), "{pkg}");
}

#[test]
fn an_unreachable_repository_is_exit_2_not_unsigned() {
    let env = Env::new();
    if !require_program("git") {
        return;
    }
    std::fs::create_dir_all(env.path("project/not-a-repo.git")).unwrap();
    let missing = format!("file://{}", env.path("project/not-a-repo.git").display());
    let lock = composer_project(&env, &missing, "v1.0.0", &"0".repeat(40));
    std::fs::create_dir_all(env.path("project/vendor/acme/widget")).unwrap();
    std::fs::write(env.path("project/vendor/acme/widget/a.php"), "<?php\n").unwrap();
    let (code, pkg, _) = verify_git(&env, &lock, &[]);
    assert_eq!(code, 2, "{pkg}");
    assert!(
        reasons(&pkg).contains("cannot fetch the release tag from file://"),
        "{pkg}"
    );
    // https:// goes through gix's HTTP client: a refused connection is a
    // reason and exit 2 (and its TLS set-up does not panic).
    let lock = composer_project(&env, "https://127.0.0.1:9/acme/widget.git", "v1.0.0", "");
    let (code, pkg, stderr) = verify_git(&env, &lock, &[]);
    assert_eq!(code, 2, "{pkg}\n{stderr}");
    assert!(
        reasons(&pkg).contains("cannot fetch the release tag from https://127.0.0.1:9"),
        "{pkg}"
    );
    // ssh and git:// are refused with a reason, never tried.
    let lock = composer_project(&env, "git@github.com:acme/widget.git", "v1.0.0", "");
    let (code, pkg, _) = verify_git(&env, &lock, &[]);
    assert_eq!(code, 2, "{pkg}");
    assert!(
        reasons(&pkg).contains("only from https:// and file://"),
        "{pkg}"
    );
}

#[test]
fn a_local_repository_outside_the_project_is_read_only_when_the_policy_names_it() {
    let env = Env::new();
    let Some((author, lock, _)) = released(&env, Tag::Signed(ALICE)) else {
        return;
    };
    let elsewhere = env.path("elsewhere.git");
    std::fs::rename(&author.bare, &elsewhere).unwrap();
    let url = format!("file://{}", elsewhere.display());
    let text = std::fs::read_to_string(&lock)
        .unwrap()
        .replace(&format!("file://{}", author.bare.display()), &url);
    std::fs::write(&lock, text).unwrap();
    let (code, pkg, _) = verify_git(&env, &lock, &[]);
    assert_eq!(
        code, 2,
        "a lockfile may not point outside the project: {pkg}"
    );
    assert!(reasons(&pkg).contains("outside the project"), "{pkg}");
    std::fs::write(
        env.path("project/pgp-pkg.toml"),
        format!("[sources]\n\"composer/acme/widget\" = \"{url}\"\n"),
    )
    .unwrap();
    let (code, pkg, _) = verify_git(&env, &lock, &["--min-trust", "full"]);
    assert_eq!(code, 0, "the user's own policy may: {pkg}");
}

#[test]
fn offline_uses_the_cache_and_fails_without_it() {
    let env = Env::new();
    let Some((author, lock, _)) = released(&env, Tag::Signed(ALICE)) else {
        return;
    };
    let (code, pkg, _) = verify_git(&env, &lock, &["--offline"]);
    assert_eq!(code, 2, "nothing cached yet: {pkg}");
    assert!(reasons(&pkg).contains("--offline"), "{pkg}");
    let (code, pkg, _) = verify_git(&env, &lock, &[]);
    assert_eq!(code, 0, "{pkg}");
    // The repository is gone; the cache still answers, offline.
    std::fs::remove_dir_all(&author.bare).unwrap();
    let (code, pkg, _) = verify_git(&env, &lock, &["--offline"]);
    assert_eq!(code, 0, "{pkg}");
    assert_eq!(pkg["signers"][0]["kind"], "git-tag");
}

#[test]
fn a_hex_package_is_checked_against_its_tagged_repository() {
    let env = Env::new();
    let Some(author) = Author::new(&env, &["alice.sec.asc"]) else {
        return;
    };
    // The upstream repository holds the package's files (and more).
    let (_tar, line) = cached_hex_package(&env, "foo", "deps");
    let installed = env.path("project/deps/foo");
    copy_tree(&installed, &author.work, &["hex_metadata.config", ".hex"]);
    author.write("test/foo_test.exs", "# not in the package\n");
    author.commit("foo 1.0.0", None);
    author.tag("v1.0.0", Tag::Signed(ALICE));
    let url = author.publish();
    std::fs::write(env.path("project/mix.lock"), format!("%{{\n{line}}}\n")).unwrap();
    std::fs::write(
        env.path("project/pgp-pkg.toml"),
        format!("git = true\n\n[sources]\n\"hex/foo\" = \"{url}\"\n"),
    )
    .unwrap();
    env.import(&["alice.sec.asc"]);
    let lock = env.path("project/mix.lock");
    let out = env.run_with(
        &[
            "verify-tree",
            lock.to_str().unwrap(),
            "--json",
            "--min-trust",
            "full",
        ],
        &[("HEX_HOME", env.path("hex").to_str().unwrap())],
    );
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let pkg = &json["packages"][0];
    assert_eq!(out.code, 0, "{pkg}\n{}", out.stderr);
    assert_eq!(pkg["signers"][0]["kind"], "git-tag");

    // A package file the tag does not have fails, named.
    std::fs::write(installed.join("lib/extra.ex"), "# injected\n").unwrap();
    let out = env.run_with(
        &["verify-tree", lock.to_str().unwrap(), "--json"],
        &[("HEX_HOME", env.path("hex").to_str().unwrap())],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("files the tag does not have: lib/extra.ex"),
        "{}",
        out.stdout
    );
}

/// Copies the files under `from` into `to`, leaving out top-level `skip`.
fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if skip.contains(&name.as_str()) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target, &[]);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_commit_signed_in_githubs_web_interface_is_not_the_authors() {
    let env = Env::new();
    let Some(author) = Author::new(&env, &["alice.sec.asc"]) else {
        return;
    };
    // GitHub is the committer of web edits, and signs them with its own key;
    // here the signature is even by a key the user trusts, and still does not count.
    author.write("CHANGELOG", "edited on the web\n");
    author.git(&["add", "-A"]);
    let sign = format!("-S{ALICE}");
    author.git(&[
        "-c",
        "user.email=noreply@github.com",
        "commit",
        "-q",
        "-m",
        "web edit",
        &sign,
    ]);
    let commit = author.git(&["rev-parse", "HEAD"]);
    author.tag("1.2.0", Tag::Lightweight);
    let url = author.publish();
    author.export_into("1.2.0", &env.path("project/vendor/acme/widget"));
    let lock = composer_project(&env, &url, "1.2.0", &commit);
    env.import(&["alice.sec.asc"]);
    let (code, pkg, _) = verify_git(&env, &lock, &["--min-trust", "full"]);
    assert_eq!(code, 1, "{pkg}");
    assert_eq!(pkg["status"], "unsigned", "{pkg}");
    assert!(reasons(&pkg).contains("web-flow"), "{pkg}");
}

/// Real `composer install` through the plugin, with `PGP_PKG_GIT=1` and a
/// minimum: the dist zip is `git archive` of the signed tag, as GitHub makes
/// it; no detached signature exists anywhere.
#[test]
fn composer_installs_a_release_whose_tag_is_signed_and_refuses_another_dist() {
    let env = Env::new();
    if !require_program("composer") {
        return;
    }
    let Some(author) = Author::new(&env, &["alice.sec.asc"]) else {
        return;
    };
    let commit = author.git(&["rev-parse", "HEAD"]);
    author.tag("v1.0.0", Tag::Signed(ALICE));
    let url = author.publish();
    env.import(&["alice.sec.asc"]);
    std::fs::create_dir_all(env.path("repo")).unwrap();
    let zip = env.path("repo/acme-widget-v1.0.0.zip");
    author.git(&[
        "archive",
        "--format=zip",
        "--prefix=acme-widget-0123abc/",
        "-o",
        zip.to_str().unwrap(),
        "v1.0.0",
    ]);
    let packages = serde_json::json!({"packages": {"acme/widget": {"v1.0.0": {
        "name": "acme/widget", "version": "v1.0.0", "type": "library",
        "dist": {"type": "zip", "url": format!("file://{}", zip.display()), "reference": commit},
        "source": {"type": "git", "url": url, "reference": commit}}}}});
    std::fs::write(env.path("repo/packages.json"), packages.to_string()).unwrap();
    let plugin = Path::new(env!("CARGO_MANIFEST_DIR")).join("integrations/composer");
    let manifest = serde_json::json!({
        "name": "test/project",
        "require": {"acme/widget": "v1.0.0", "pgp-pkg/composer-plugin": "*@dev"},
        "repositories": [
            {"packagist.org": false},
            {"type": "composer", "url": format!("file://{}", env.path("repo").display())},
            {"type": "path", "url": plugin.display().to_string(), "options": {"symlink": false}}
        ],
        "config": {"allow-plugins": {"pgp-pkg/composer-plugin": true}}
    });
    std::fs::create_dir_all(env.path("project")).unwrap();
    std::fs::write(env.path("project/composer.json"), manifest.to_string()).unwrap();
    // (The plugin, a path package with no tag, does not block its own
    // installation under the minimum: it is the code already running.)
    let install = || {
        let out = Command::new("composer")
            .current_dir(env.path("project"))
            .args(["install", "--no-interaction", "--no-progress"])
            .env("PGP_PKG_BIN", assert_cmd::cargo::cargo_bin("pgp-pkg"))
            .env("PGP_PKG_HOME", env.home())
            .env("PGP_PKG_GIT", "1")
            .env("PGP_PKG_MIN_TRUST", "full")
            .env_remove("PGP_PKG_SIGNATURES")
            .env("COMPOSER_HOME", env.path("composer-home"))
            .env("COMPOSER_CACHE_DIR", env.path("composer-cache"))
            .env("COMPOSER_ALLOW_SUPERUSER", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (ok, text) = install();
    assert!(ok, "{text}");
    assert!(env
        .path("project/vendor/acme/widget/src/Widget.php")
        .is_file());
    // verify-tree judges the plugin too: an unsigned path package, allowed here.
    std::fs::write(
        env.path("project/pgp-pkg.toml"),
        "allow_unsigned = [\"composer/pgp-pkg/composer-plugin\"]\n",
    )
    .unwrap();
    let (code, pkg, stderr) = verify_git(
        &env,
        &env.path("project/composer.lock"),
        &["--min-trust", "full"],
    );
    assert_eq!(code, 0, "verify-tree agrees with the hook: {pkg}\n{stderr}");

    // A mirror serves a dist that is not the tagged tree: nothing is installed.
    std::fs::remove_dir_all(env.path("project/vendor")).unwrap();
    std::fs::remove_dir_all(env.path("composer-cache")).unwrap();
    let other = env.path("other");
    author.export_into("v1.0.0", &other);
    std::fs::write(other.join("src/Widget.php"), "<?php\nevil();\n").unwrap();
    std::fs::remove_file(&zip).unwrap();
    let files = vendor_like_files(&other);
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    write_zip(&zip, &refs);
    let (ok, text) = install();
    assert!(!ok, "{text}");
    assert!(text.contains("files changed: src/Widget.php"), "{text}");
    assert!(!env
        .path("project/vendor/acme/widget/src/Widget.php")
        .exists());
}

/// Every file under `dir` as (relative path, text).
fn vendor_like_files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out
}

#[test]
fn a_cached_dist_must_say_it_was_made_from_the_tagged_commit() {
    let env = Env::new();
    let Some((author, lock, _)) = released(&env, Tag::Signed(ALICE)) else {
        return;
    };
    // Composer's cache entry for the lockfile's dist URL.
    let url = "https://codeload.example.invalid/acme/widget/zip/0123";
    let cache = env.path("composer-cache");
    let entry = cache
        .join("files/acme/widget")
        .join(format!("{}.zip", sha1_hex(url)));
    std::fs::create_dir_all(entry.parent().unwrap()).unwrap();
    let archive = |rev: &str| {
        author.git(&[
            "archive",
            "--format=zip",
            "--prefix=acme-widget/",
            "-o",
            entry.to_str().unwrap(),
            rev,
        ])
    };
    let run = || {
        let out = env.run_with(
            &["verify-tree", lock.to_str().unwrap(), "--git", "--json"],
            &[("COMPOSER_CACHE_DIR", cache.to_str().unwrap())],
        );
        (out.code, out.stdout)
    };
    archive("v1.0.0");
    let (code, stdout) = run();
    assert_eq!(code, 0, "the dist GitHub would make: {stdout}");
    // Same files, but git archive of another commit (an empty one on top).
    let other = author.commit_empty("same tree, another commit");
    archive(&other);
    let (code, stdout) = run();
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(&format!("made it from commit {other}")),
        "{stdout}"
    );
}

/// `composer install --prefer-source`: the installed tree is a clone, checked
/// out at the locked commit; its HEAD, its tag and its files are checked.
#[test]
fn a_source_install_is_verified_as_a_checkout() {
    let env = Env::new();
    let Some((author, _, commit)) = released(&env, Tag::Signed(ALICE)) else {
        return;
    };
    let url = format!("file://{}", author.bare.display());
    let vendor = env.path("project/vendor/acme/widget");
    std::fs::remove_dir_all(&vendor).unwrap();
    let project = env.path("project");
    author.git_in(
        &project,
        &["clone", "-q", "--no-checkout", &url, "vendor/acme/widget"],
    );
    author.git_in(&vendor, &["checkout", "-q", &commit]);
    // A source-only lock entry, as for a package without dist archives.
    let lock = serde_json::json!({"packages": [{
        "name": "acme/widget", "version": "v1.0.0",
        "source": {"type": "git", "url": url, "reference": commit}}]});
    let lock_path = project.join("composer.lock");
    std::fs::write(&lock_path, lock.to_string()).unwrap();
    let out = env.run(&["verify-tree", lock_path.to_str().unwrap(), "--json"]);
    assert!(
        out.stdout.contains("\"unverifiable\""),
        "without --git: {}",
        out.stdout
    );

    let (code, pkg, stderr) = verify_git(&env, &lock_path, &["--min-trust", "full"]);
    assert_eq!(code, 0, "{pkg}\n{stderr}");
    assert_eq!(pkg["signers"][0]["kind"], "git-tag");

    // The checkout holds every file of the commit, tests/ too (no export-ignore).
    assert!(vendor.join("tests/WidgetTest.php").is_file());
    std::fs::write(vendor.join("src/Widget.php"), "<?php\nevil();\n").unwrap();
    let (code, pkg, _) = verify_git(&env, &lock_path, &[]);
    assert_eq!(code, 1, "{pkg}");
    assert!(
        reasons(&pkg).contains("files changed: src/Widget.php"),
        "{pkg}"
    );
    author.git_in(&vendor, &["checkout", "-q", "--", "src/Widget.php"]);

    // HEAD elsewhere than the tag.
    author.git_in(
        &vendor,
        &[
            "-c",
            "user.name=x",
            "-c",
            "user.email=x@x",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "local",
        ],
    );
    let (code, pkg, _) = verify_git(&env, &lock_path, &[]);
    assert_eq!(code, 1, "{pkg}");
    assert!(reasons(&pkg).contains("the checkout"), "{pkg}");
}

#[test]
fn an_ssh_signed_tag_is_reported_but_not_checked() {
    let env = Env::new();
    if !require_program("ssh-keygen") {
        return;
    }
    let Some(author) = Author::new(&env, &["alice.sec.asc"]) else {
        return;
    };
    let key = env.path("ssh-key");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    let commit = author.git(&["rev-parse", "HEAD"]);
    author.git(&[
        "-c",
        "gpg.format=ssh",
        "-c",
        &format!("user.signingkey={}", key.display()),
        "tag",
        "-s",
        "-m",
        "release",
        "v1.0.0",
    ]);
    let url = author.publish();
    author.export_into("v1.0.0", &env.path("project/vendor/acme/widget"));
    let lock = composer_project(&env, &url, "v1.0.0", &commit);
    let (code, pkg, _) = verify_git(&env, &lock, &["--min-trust", "full"]);
    assert_eq!(code, 1, "{pkg}");
    assert_eq!(pkg["status"], "unsigned", "{pkg}");
    assert!(
        reasons(&pkg)
            .contains("the tag v1.0.0 carries an SSH signature, which pgp-pkg does not check"),
        "{pkg}"
    );
}

#[test]
fn fetch_keys_looks_up_the_unknown_signer_of_a_tag() {
    use common::keyserver::{Reply, Server};
    let env = Env::new();
    let Some((_author, lock, _)) = released(&env, Tag::Signed(BOB)) else {
        return;
    };
    let server = Server::start();
    // gpg signs with Bob's signing subkey; keyservers index subkeys too.
    const BOB_SIGNING_SUBKEY: &str = "DFA2C25483A72C9AF8580ABF779E896E504E9515";
    server.route(
        &Server::hkp_path(BOB_SIGNING_SUBKEY),
        Reply::ok(std::fs::read(testkey("bob.pub.asc")).unwrap()),
    );
    let (code, pkg, _) = verify_git(&env, &lock, &["--fetch-keys", "--keyserver", &server.url()]);
    assert_eq!(code, 0, "known now, not trusted: a warning: {pkg}");
    assert_eq!(pkg["signers"][0]["fingerprint"], BOB, "{pkg}");
    assert_eq!(pkg["signers"][0]["trust"], "unknown", "{pkg}");
    assert_eq!(pkg["signers"][0]["kind"], "git-tag");
}

/// The author's side: `sign .` in a package's git checkout signs what `git
/// archive HEAD` exports, so GitHub's dist zip of the tag verifies.
#[test]
fn sign_in_a_work_tree_signs_what_git_archive_exports() {
    let env = Env::new();
    let Some(author) = Author::new(&env, &["alice.sec.asc"]) else {
        return;
    };
    env.import(&["alice.sec.asc"]);
    // Things a work tree has that a release does not: ignored and untracked files.
    author.write(".gitignore", "/vendor/\n");
    author.commit("ignore vendor", None);
    author.write("vendor/autoload.php", "<?php\n");
    author.write("notes.txt", "untracked\n");
    let sign = |args: &[&str]| {
        let out = env
            .cmd()
            .current_dir(&author.work)
            .args(["sign", ".", "--version", "v1.0.0"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = sign(&[]);
    assert_eq!(code, 0, "{stderr}");
    let signature = env.path("upstream-work.asc");
    assert!(signature.is_file(), "beside the folder, not inside it");
    // GitHub's dist of the commit verifies with that signature.
    let zip = env.path("dist.zip");
    author.git(&[
        "archive",
        "--format=zip",
        "--prefix=acme-widget-0123/",
        "-o",
        zip.to_str().unwrap(),
        "HEAD",
    ]);
    let (code, pkg) = env.verify_json(&[
        zip.to_str().unwrap(),
        "--signature",
        signature.to_str().unwrap(),
        "--version",
        "v1.0.0",
    ]);
    assert_eq!((code, pkg["status"].as_str()), (0, Some("ok")), "{pkg}");
    // So does the work tree itself, read the same way, and it says so.
    let (code, pkg) = env.verify_json(&[
        author.work.to_str().unwrap(),
        "--signature",
        signature.to_str().unwrap(),
        "--version",
        "v1.0.0",
    ]);
    assert_eq!(code, 0, "{pkg}");
    assert!(reasons(&pkg).contains("git archive HEAD"), "{pkg}");
    // Uncommitted changes are not a release of this commit.
    author.write("src/Widget.php", "<?php\nclass Widget { /* wip */ }\n");
    let (code, stderr) = sign(&["--replace"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("differs from HEAD (src/Widget.php)") && stderr.contains("--plain"),
        "{stderr}"
    );
    // --plain signs the folder's files as they are (never .git, never its output).
    let (code, stderr) = sign(&["--plain", "--replace"]);
    assert_eq!(code, 0, "{stderr}");
    let checksums = std::fs::read_to_string(env.path("upstream-work.checksums")).unwrap();
    assert!(checksums.contains(" notes.txt\n"), "{checksums}");
    assert!(!checksums.contains(".asc"), "{checksums}");
    assert!(!checksums.contains(" .git/"), "{checksums}");
}
