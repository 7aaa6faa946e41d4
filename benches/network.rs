//! The network paths against a slow server (issues 12 and 14):
//! `cargo bench --bench network`.
//!
//! A Composer project of 300 small installed packages, each signed by a
//! different author that the (empty) keyring does not know, and an HKP
//! server on 127.0.0.1 that takes 200 ms to answer each lookup. Times
//! - the first run, which looks up and imports all 300 signers;
//! - a second run, which needs no lookup;
//! - the same first run against a server that has none of the keys (every
//!   answer "not found" after 200 ms), and a second run, answered from the
//!   not-found memory;
//! - `verify-tree` with the 300 signatures behind a URL template on the same
//!   slow server (signers known by then): one request per package.
//!
//! Prints the rows of docs/performance.md, "Fetching keys" and "Remote signatures".

#[path = "../tests/common/keyserver.rs"]
#[allow(dead_code)]
mod keyserver;

use std::process::Command;
use std::time::{Duration, Instant};

use keyserver::{Reply, Server};
use openpgp::cert::prelude::*;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::serialize::SerializeInto;
use openpgp::types::SignatureType;
use pgp_pkg::model::Ecosystem;
use pgp_pkg::package::{read_package, IdentityHints, Limits};
use sequoia_openpgp as openpgp;

const PACKAGES: usize = 300;
const LATENCY: Duration = Duration::from_millis(200);

fn main() {
    let bin = env!("CARGO_BIN_EXE_pgp-pkg");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let project = root.join("project");
    let found = Server::start();
    let empty = Server::start();
    empty.fallback(Reply::status(404).after(LATENCY));
    let mut lock_packages = Vec::new();
    for p in 0..PACKAGES {
        let (cert, _) = CertBuilder::new()
            .set_cipher_suite(CipherSuite::Cv25519)
            .add_userid(format!("Author {p} <author{p}@example.org>"))
            .add_signing_subkey()
            .generate()
            .unwrap();
        let name = format!("bench/pkg{p:03}");
        let pkg_dir = project.join("vendor").join(&name);
        std::fs::create_dir_all(pkg_dir.join("src")).unwrap();
        std::fs::write(
            pkg_dir.join("composer.json"),
            format!("{{\"name\": \"{name}\"}}\n"),
        )
        .unwrap();
        std::fs::write(pkg_dir.join("src/A.php"), format!("<?php // {p}\n")).unwrap();
        let hints = IdentityHints {
            ecosystem: Some(Ecosystem::Composer),
            name: None,
            version: Some("1.0.0".into()),
        };
        let text = read_package(&pkg_dir, &hints, &Limits::default())
            .unwrap()
            .checksum_file
            .render();
        let policy = openpgp::policy::StandardPolicy::new();
        let key = cert
            .keys()
            .with_policy(&policy, None)
            .secret()
            .for_signing()
            .next()
            .unwrap();
        let mut signer = key.key().clone().into_keypair().unwrap();
        let sig = SignatureBuilder::new(SignatureType::Binary)
            .sign_message(&mut signer, text.as_bytes())
            .unwrap();
        let sig_dir = root.join("sigs/composer").join(&name);
        std::fs::create_dir_all(&sig_dir).unwrap();
        let armored = openpgp::Packet::from(sig).to_vec().unwrap();
        found.route(
            &format!("/sigs/composer/{name}/1.0.0.asc"),
            Reply::ok(armored.clone()).after(LATENCY),
        );
        std::fs::write(sig_dir.join("1.0.0.asc"), armored).unwrap();
        // The signature names its signing subkey: keyservers index those too.
        let public = cert
            .clone()
            .strip_secret_key_material()
            .armored()
            .to_vec()
            .unwrap();
        found.route(
            &Server::hkp_path(&key.key().fingerprint().to_hex()),
            Reply::ok(public).after(LATENCY),
        );
        lock_packages.push(serde_json::json!({"name": name, "version": "1.0.0",
            "dist": {"type": "zip", "url": format!("https://example.invalid/{name}.zip"), "shasum": ""}}));
    }
    let lock = serde_json::json!({"packages": lock_packages, "packages-dev": []});
    std::fs::write(
        project.join("composer.lock"),
        serde_json::to_vec(&lock).unwrap(),
    )
    .unwrap();

    let run = |home: &str, server: &Server| -> (Duration, serde_json::Value) {
        let t = Instant::now();
        let out = Command::new(bin)
            .env("PGP_PKG_HOME", root.join(home))
            .env("COMPOSER_CACHE_DIR", root.join("cc"))
            .env("PGP_PKG_WKD_BASE", server.url())
            .args([
                "verify-tree",
                project.join("composer.lock").to_str().unwrap(),
                "--signatures",
                root.join("sigs").to_str().unwrap(),
                "--fetch-keys",
                "--keyserver",
                &server.url(),
                "--json",
            ])
            .output()
            .unwrap();
        let took = t.elapsed();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (took, serde_json::from_slice(&out.stdout).unwrap())
    };
    let count = |report: &serde_json::Value, status: &str| {
        report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["status"] == status)
            .count()
    };
    // The home must exist for the not-found memory to be kept.
    std::fs::create_dir_all(root.join("home-found")).unwrap();
    std::fs::create_dir_all(root.join("home-empty")).unwrap();

    let (first, report) = run("home-found", &found);
    assert_eq!(count(&report, "ok"), PACKAGES, "every signer fetched");
    let asked = found.log().len();
    let (second, _) = run("home-found", &found);
    assert_eq!(
        found.log().len(),
        asked,
        "nothing to look up the second time"
    );
    let (missing, report) = run("home-empty", &empty);
    assert_eq!(count(&report, "unknown-key"), PACKAGES);
    let asked_missing = empty.log().len();
    let (remembered, _) = run("home-empty", &empty);
    assert_eq!(
        empty.log().len(),
        asked_missing,
        "answered from the not-found memory"
    );

    // Remote signatures: the template on the slow server, the signers known now.
    found.clear_log();
    let template = format!(
        "{}/sigs/{{ecosystem}}/{{name}}/{{version}}.asc",
        found.url()
    );
    let t = Instant::now();
    let out = Command::new(bin)
        .env("PGP_PKG_HOME", root.join("home-found"))
        .env("COMPOSER_CACHE_DIR", root.join("cc"))
        .args([
            "verify-tree",
            project.join("composer.lock").to_str().unwrap(),
            "--signatures",
            &template,
            "--json",
        ])
        .output()
        .unwrap();
    let remote = t.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        count(&report, "ok"),
        PACKAGES,
        "every remote signature checks out"
    );
    let requests = found.log().len();
    assert_eq!(requests, PACKAGES, "one request per package");

    println!(
        "packages: {PACKAGES}, each by an unknown signer; server latency {} ms",
        LATENCY.as_millis()
    );
    println!(
        "first run, 300 signers fetched and imported: {:.2} s ({asked} lookups)",
        first.as_secs_f64()
    );
    println!(
        "second run, all known:                      {:.2} s",
        second.as_secs_f64()
    );
    println!(
        "first run, none found:                      {:.2} s ({asked_missing} lookups)",
        missing.as_secs_f64()
    );
    println!(
        "second run, not-found remembered:           {:.2} s",
        remembered.as_secs_f64()
    );
    println!(
        "one lookup after another would take:        {:.0} s",
        (asked as f64) * LATENCY.as_secs_f64()
    );
    println!(
        "remote signatures, 300 packages:            {:.2} s ({requests} requests)",
        remote.as_secs_f64()
    );
}
