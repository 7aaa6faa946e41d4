//! verify-tree at scale (issue 4): `cargo bench --bench verify_tree`.
//!
//! Builds a synthetic Composer project of 1,000 installed packages (about
//! 200 KB each, 40 files), each signed by one of 50 authors, and a keyring of
//! 2,000 certificates; then, in one run, times
//! - `pgp-pkg verify-tree` (release build), with its peak memory,
//! - a loop of `gpg --verify` over the same 1,000 signatures and checksum files,
//! - a plain single-threaded read-and-SHA-256 of the same bytes.
//!
//! Prints the rows of docs/performance.md. Needs gpg and /usr/bin/time.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use openpgp::armor;
use openpgp::cert::prelude::*;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::Packet;
use openpgp::serialize::Serialize;
use openpgp::types::SignatureType;
use pgp_pkg::model::Ecosystem;
use pgp_pkg::package::{read_package, IdentityHints, Limits};
use sequoia_openpgp as openpgp;
use sha2::Digest;

const PACKAGES: usize = 1000;
const CERTS: usize = 2000;
const AUTHORS: usize = 50;
/// 40 files of 5 KB: ~200 KB per package. `BENCH_FILES_PER_PACKAGE` changes it.
const FILES_PER_PACKAGE: usize = 40;
const FILE_SIZE: usize = 5 * 1024;

fn main() {
    let bin = env!("CARGO_BIN_EXE_pgp-pkg");
    let files_per_package: usize = std::env::var("BENCH_FILES_PER_PACKAGE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(FILES_PER_PACKAGE);
    let dir = tempfile::tempdir().unwrap();
    // BENCH_KEEP=1 leaves the generated project for profiling.
    let root = &if std::env::var_os("BENCH_KEEP").is_some() {
        dir.keep()
    } else {
        dir.path().to_path_buf()
    };
    eprintln!(
        "generating {CERTS} certificates and {PACKAGES} packages in {}",
        root.display()
    );

    let certs: Vec<Cert> = (0..CERTS)
        .map(|i| {
            CertBuilder::new()
                .set_cipher_suite(CipherSuite::Cv25519)
                .add_userid(format!("Author {i} <author{i}@example.org>"))
                .set_primary_key_flags(
                    openpgp::types::KeyFlags::empty()
                        .set_certification()
                        .set_signing(),
                )
                .generate()
                .unwrap()
                .0
        })
        .collect();
    let mut keyring = Vec::new();
    for c in &certs {
        c.serialize(&mut keyring).unwrap();
    }
    std::fs::write(root.join("keyring.pgp"), &keyring).unwrap();

    let project = root.join("project");
    let mut lock_packages = Vec::new();
    let mut total_bytes = 0u64;
    let mut filler = vec![0u8; FILE_SIZE];
    for p in 0..PACKAGES {
        let name = format!("bench/pkg{p:04}");
        let pkg_dir = project.join("vendor").join(&name);
        std::fs::create_dir_all(pkg_dir.join("src")).unwrap();
        std::fs::write(
            pkg_dir.join("composer.json"),
            format!("{{\"name\": \"{name}\"}}\n"),
        )
        .unwrap();
        for f in 0..files_per_package {
            for (i, b) in filler.iter_mut().enumerate() {
                *b = ((i * 31 + f * 7 + p * 13) % 251) as u8;
            }
            std::fs::write(pkg_dir.join(format!("src/File{f}.php")), &filler).unwrap();
            total_bytes += FILE_SIZE as u64;
        }
        let hints = IdentityHints {
            ecosystem: Some(Ecosystem::Composer),
            name: None,
            version: Some("1.0.0".into()),
        };
        let text = read_package(&pkg_dir, &hints, &Limits::default())
            .unwrap()
            .checksum_file
            .render();
        let signer = &certs[p % AUTHORS];
        let mut keypair = signer
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap();
        let sig = SignatureBuilder::new(SignatureType::Binary)
            .sign_message(&mut keypair, text.as_bytes())
            .unwrap();
        let sig_dir = root.join("sigs/composer").join(&name);
        std::fs::create_dir_all(&sig_dir).unwrap();
        let mut armored = Vec::new();
        let mut w = armor::Writer::new(&mut armored, armor::Kind::Signature).unwrap();
        Packet::from(sig).serialize(&mut w).unwrap();
        w.finalize().unwrap();
        std::fs::write(sig_dir.join("1.0.0.asc"), &armored).unwrap();
        std::fs::write(sig_dir.join("1.0.0.checksums"), &text).unwrap();
        lock_packages.push(serde_json::json!({"name": name, "version": "1.0.0",
            "dist": {"type": "zip", "url": format!("https://example.invalid/{name}.zip"), "shasum": ""}}));
    }
    let lock = serde_json::json!({"packages": lock_packages, "packages-dev": []});
    std::fs::write(
        project.join("composer.lock"),
        serde_json::to_vec(&lock).unwrap(),
    )
    .unwrap();

    let home = root.join("home");
    let pgp = |args: &[&str]| {
        let out = Command::new(bin)
            .env("PGP_PKG_HOME", &home)
            .env("COMPOSER_CACHE_DIR", root.join("cc"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.code().unwrap() <= 1,
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    pgp(&["key", "import", root.join("keyring.pgp").to_str().unwrap()]);

    let lockfile = project.join("composer.lock");
    let sigs = root.join("sigs");
    let args = [
        "verify-tree",
        lockfile.to_str().unwrap(),
        "--signatures",
        sigs.to_str().unwrap(),
        "--json",
    ];
    // Warm the page cache and pgp-pkg's caches once, then take the median of three.
    let first = pgp(&args);
    let report: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let ok = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "ok")
        .count();
    assert_eq!(ok, PACKAGES, "every package must verify");
    let mut runs: Vec<Duration> = (0..3)
        .map(|_| {
            let t = Instant::now();
            pgp(&args);
            t.elapsed()
        })
        .collect();
    runs.sort();
    let verify_tree = runs[1];
    let peak_kb = peak_rss_kb(bin, &home, &args);

    let hash_time = {
        let t = Instant::now();
        let mut hashed = 0u64;
        hash_dir(&project.join("vendor"), &mut hashed);
        assert!(hashed >= total_bytes);
        t.elapsed()
    };

    let gnupg = tempfile::Builder::new()
        .prefix("g")
        .tempdir_in("/tmp")
        .unwrap();
    let gpg = |args: &[&str]| {
        Command::new("gpg")
            .env("GNUPGHOME", gnupg.path())
            .arg("--batch")
            .arg("--quiet")
            .args(args)
            .output()
            .unwrap()
    };
    gpg(&["--import", root.join("keyring.pgp").to_str().unwrap()]);
    let t = Instant::now();
    for p in 0..PACKAGES {
        let dir = sigs.join(format!("composer/bench/pkg{p:04}"));
        let (sig, text) = (dir.join("1.0.0.asc"), dir.join("1.0.0.checksums"));
        let out = gpg(&["--verify", sig.to_str().unwrap(), text.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "gpg --verify failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let gpg_loop = t.elapsed();
    let _ = Command::new("gpgconf")
        .env("GNUPGHOME", gnupg.path())
        .args(["--kill", "all"])
        .output();

    let mb = total_bytes as f64 / 1e6;
    let mut out = std::io::stdout();
    writeln!(
        out,
        "packages: {PACKAGES}, certificates: {CERTS}, bytes: {mb:.0} MB"
    )
    .unwrap();
    writeln!(
        out,
        "pgp-pkg verify-tree (median of 3): {:.2} s, peak RSS {} MB",
        verify_tree.as_secs_f64(),
        peak_kb / 1024
    )
    .unwrap();
    writeln!(
        out,
        "gpg --verify loop:                 {:.2} s ({:.0}x slower)",
        gpg_loop.as_secs_f64(),
        gpg_loop.as_secs_f64() / verify_tree.as_secs_f64()
    )
    .unwrap();
    writeln!(
        out,
        "read-and-SHA-256, one thread:      {:.2} s (verify-tree is {:.2}x of it)",
        hash_time.as_secs_f64(),
        verify_tree.as_secs_f64() / hash_time.as_secs_f64()
    )
    .unwrap();
}

fn hash_dir(dir: &Path, hashed: &mut u64) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            hash_dir(&path, hashed);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            *hashed += bytes.len() as u64;
            std::hint::black_box(sha2::Sha256::digest(&bytes));
        }
    }
}

fn peak_rss_kb(bin: &str, home: &Path, args: &[&str]) -> u64 {
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg(bin)
        .args(args)
        .env("PGP_PKG_HOME", home)
        .output()
        .expect("/usr/bin/time is needed for the memory figure");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0)
}
