//! One parser decides (issue 8): crafted Composer dist zips, each extracted
//! by the real programs in Composer's order (`unzip -qq ZIP -d TMP`, and when
//! that fails PHP's `ZipArchive::extractTo` into the same folder, then
//! Composer's "lone top folder" rule), compared with what pgp-pkg reads from
//! the same bytes. pgp-pkg must either refuse the archive (exit 2, naming it
//! and the entry) or compute exactly the checksum file of what Composer
//! installs. Every hostile archive must be refused; every benign one accepted.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::rawzip::{benign_zips, hostile_zips, EVIL};
use common::*;

/// What Composer 2.5's ZipDownloader + ArchiveDownloader would leave as the
/// package folder, or `None` when both extractors fail (nothing installed).
fn composer_extract(zip: &Path, tmp: &Path) -> Option<PathBuf> {
    std::fs::create_dir_all(tmp).unwrap();
    let unzip = Command::new("unzip")
        .arg("-qq")
        .arg(zip)
        .arg("-d")
        .arg(tmp)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    if !unzip.status.success() {
        let php = Command::new("php")
            .args([
                "-r",
                "$z = new ZipArchive(); if ($z->open($argv[1]) !== true) exit(3); exit($z->extractTo($argv[2]) ? 0 : 4);",
            ])
            .arg(zip)
            .arg(tmp)
            .output()
            .unwrap();
        if !php.status.success() {
            return None;
        }
    }
    // ArchiveDownloader: the folder's content without .DS_Store; a lone
    // folder is the package, else the folder itself.
    let content: Vec<PathBuf> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != ".DS_Store")
        .collect();
    Some(match content.as_slice() {
        [one] if one.is_dir() && !one.is_symlink() => one.clone(),
        _ => tmp.to_path_buf(),
    })
}

fn contains_evil(dir: &Path) -> bool {
    walk(dir)
        .iter()
        .any(|p| std::fs::read(p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(EVIL.trim())))
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

const ID: [&str; 4] = ["--name", "acme/widget", "--version", "1.0.0"];

#[test]
fn pgp_pkg_refuses_or_agrees_with_unzip_and_php_on_every_crafted_zip() {
    if !require_program("unzip") || !require_program("php") {
        return;
    }
    let env = Env::new();
    let mut hostile_installed_evil = Vec::new();
    for (label, bytes, hostile) in hostile_zips()
        .into_iter()
        .map(|(l, b)| (l, b, true))
        .chain(benign_zips().into_iter().map(|(l, b)| (l, b, false)))
    {
        let zip = env.path(&format!("{label}.zip"));
        std::fs::write(&zip, &bytes).unwrap();
        let mut args = vec!["checksum", zip.to_str().unwrap()];
        args.extend(ID);
        let ours = env.run(&args);
        assert!(
            !ours.stderr.contains("panicked"),
            "{label}: {}",
            ours.stderr
        );
        let installed = composer_extract(&zip, &env.path(&format!("tmp-{label}")));
        if hostile {
            assert_eq!(
                ours.code, 2,
                "{label}: a hostile archive must be refused, got:\n{}{}",
                ours.stdout, ours.stderr
            );
            assert!(
                ours.stderr.contains(zip.to_str().unwrap())
                    && ours.stderr.contains("refusing the zip archive"),
                "{label}: the refusal names the archive: {}",
                ours.stderr
            );
            if installed.as_deref().is_some_and(contains_evil) {
                hostile_installed_evil.push(label);
            }
            continue;
        }
        assert_eq!(ours.code, 0, "{label}: {}", ours.stderr);
        let installed =
            installed.unwrap_or_else(|| panic!("{label}: Composer could not extract it"));
        let mut args = vec![
            "checksum",
            installed.to_str().unwrap(),
            "--ecosystem",
            "composer",
        ];
        args.extend(ID);
        let theirs = env.run(&args);
        assert_eq!(theirs.code, 0, "{label}: {}", theirs.stderr);
        assert_eq!(
            ours.stdout, theirs.stdout,
            "{label}: pgp-pkg and Composer's extractors read the archive differently"
        );
    }
    eprintln!("hostile archives that unzip/ZipArchive installed evil bytes from: {hostile_installed_evil:?}");
    // The test is only worth something if the crafted archives really attack
    // Composer's extractors: most of them get the evil bytes installed.
    assert!(
        hostile_installed_evil.len() >= 8,
        "only {hostile_installed_evil:?} installed evil bytes through unzip/ZipArchive"
    );
}
