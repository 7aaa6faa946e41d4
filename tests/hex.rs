//! Hex tarballs made by Hex's own reference library (tests/fixtures/make-hex-fixtures.sh).

mod common;

use std::io::{Read, Write};

use common::*;

/// What `r3_hex_tarball:create/2` reported for the fixtures.
const FOO_INNER: &str = "29efe5de29dfb1488b0c53bc0d2de927949afea6dabf6ad8cc8c792d7c3e3177";
const FOO_OUTER: &str = "f4c0faf77a58612d10d6d066433129834b97a60e5b564050ff24f75f75ab5ec2";

fn env_with_foo_signed() -> Env {
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    for name in ["foo-1.0.0.tar", "foo-1.0.1.tar", "bar-1.0.0.tar"] {
        std::fs::copy(fixture(&format!("hex/{name}")), env.path(name)).unwrap();
    }
    let out = env.run(&["sign", "foo-1.0.0.tar"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    env
}

#[test]
fn checksum_file_carries_hexs_own_checksums_and_metadata() {
    let env = Env::new();
    let text = env.checksum(&[fixture("hex/foo-1.0.0.tar").to_str().unwrap()]);
    assert!(
        text.contains(&format!("hex-inner-checksum {FOO_INNER}\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("hex-outer-checksum {FOO_OUTER}\n")),
        "{text}"
    );
    assert!(text.contains("\nname foo\nversion 1.0.0\n"), "{text}");
    assert!(
        text.contains(" lib/foo.ex\n") && text.contains(" mix.exs\n"),
        "{text}"
    );
    // Deterministic: same bytes every run.
    assert_eq!(
        text,
        env.checksum(&[fixture("hex/foo-1.0.0.tar").to_str().unwrap()])
    );
}

#[test]
fn signed_tarball_verifies_and_other_releases_do_not() {
    let env = env_with_foo_signed();
    let r = env.verify_json(&["foo-1.0.0.tar"]);
    assert_eq!((r.0, r.1["status"].as_str()), (0, Some("ok")), "{:#}", r.1);

    let r = env.verify_json(&["foo-1.0.1.tar", "--signature", "foo-1.0.0.tar.asc"]);
    assert_eq!(
        (r.0, r.1["status"].as_str()),
        (1, Some("bad-signature")),
        "{:#}",
        r.1
    );
    assert!(
        r.1["reasons"]
            .to_string()
            .contains("is for hex foo 1.0.0, not for hex foo 1.0.1"),
        "{:#}",
        r.1
    );

    let r = env.verify_json(&["bar-1.0.0.tar", "--signature", "foo-1.0.0.tar.asc"]);
    assert_eq!(
        (r.0, r.1["status"].as_str()),
        (1, Some("bad-signature")),
        "{:#}",
        r.1
    );
}

/// Rebuilds the outer tar with a member replaced, keeping the old CHECKSUM:
/// what a registry or mirror that alters a package would serve.
fn repack(src: &std::path::Path, dst: &std::path::Path, edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) {
    let mut archive = tar::Archive::new(std::fs::File::open(src).unwrap());
    let mut builder = tar::Builder::new(std::fs::File::create(dst).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        let data = edit(&name, data);
        let mut header = entry.header().clone();
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append_data(&mut header, &name, &data[..]).unwrap();
    }
    builder.finish().unwrap();
}

fn tamper_contents(gz: Vec<u8>) -> Vec<u8> {
    let mut inner = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
    let mut out = tar::Builder::new(Vec::new());
    for entry in inner.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name == "lib/foo.ex" {
            data = b"defmodule Foo do\n  System.cmd(\"curl\", [\"evil\"])\nend\n".to_vec();
        }
        let mut header = entry.header().clone();
        header.set_size(data.len() as u64);
        header.set_cksum();
        out.append_data(&mut header, &name, &data[..]).unwrap();
    }
    let tar = out.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

/// foo 1.0.0 with lib/foo.ex altered inside contents.tar.gz, the old
/// CHECKSUM member kept.
fn tamper_foo(env: &Env, dst: &str) {
    repack(&env.path("foo-1.0.0.tar"), &env.path(dst), |name, data| {
        if name == "contents.tar.gz" {
            tamper_contents(data)
        } else {
            data
        }
    });
}

#[test]
fn altered_contents_are_caught_by_the_inner_checksum() {
    let env = env_with_foo_signed();
    tamper_foo(&env, "evil.tar");
    std::fs::copy(env.path("foo-1.0.0.tar.asc"), env.path("evil.tar.asc")).unwrap();
    let r = env.verify_json(&["evil.tar"]);
    assert_eq!(
        (r.0, r.1["status"].as_str()),
        (1, Some("checksum-mismatch")),
        "{:#}",
        r.1
    );
    assert!(
        r.1["reasons"].to_string().contains("CHECKSUM member says"),
        "{:#}",
        r.1
    );
    // `checksum` prints the file but exits 1: the package contradicts itself.
    assert_eq!(env.run(&["checksum", "evil.tar"]).code, 1);
}

#[test]
fn altered_contents_with_a_fixed_up_checksum_name_the_file() {
    let env = env_with_foo_signed();
    // An attacker who also rewrites CHECKSUM passes Hex's own check, not the signature.
    tamper_foo(&env, "step1.tar");
    let out = env.run(&["checksum", "step1.tar"]);
    let inner = out
        .stderr
        .split("hash to ")
        .nth(1)
        .unwrap()
        .trim()
        .to_uppercase();
    repack(
        &env.path("step1.tar"),
        &env.path("evil.tar"),
        |name, data| {
            if name == "CHECKSUM" {
                inner.clone().into_bytes()
            } else {
                data
            }
        },
    );
    assert_eq!(
        env.run(&["checksum", "evil.tar"]).code,
        0,
        "self-consistent now"
    );
    std::fs::copy(env.path("foo-1.0.0.tar.asc"), env.path("evil.tar.asc")).unwrap();
    std::fs::copy(
        env.path("foo-1.0.0.tar.checksums"),
        env.path("evil.tar.checksums"),
    )
    .unwrap();
    let r = env.verify_json(&["evil.tar"]);
    assert_eq!(
        (r.0, r.1["status"].as_str()),
        (1, Some("checksum-mismatch")),
        "{:#}",
        r.1
    );
    let reasons = r.1["reasons"].to_string();
    assert!(reasons.contains("files changed: lib/foo.ex"), "{reasons}");
    assert!(reasons.contains("Hex checksums signed"), "{reasons}");
}

#[test]
fn truncated_and_misidentified_tarballs_are_errors() {
    let env = Env::new();
    let bytes = std::fs::read(fixture("hex/foo-1.0.0.tar")).unwrap();
    std::fs::write(env.path("cut.tar"), &bytes[..2600]).unwrap();
    let out = env.run(&["verify", "cut.tar"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("cut.tar"), "{}", out.stderr);

    let foo = fixture("hex/foo-1.0.0.tar");
    let out = env.run(&["checksum", foo.to_str().unwrap(), "--name", "bar"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("metadata.config says \"foo\""),
        "{}",
        out.stderr
    );
    let out = env.run(&["checksum", foo.to_str().unwrap(), "--ecosystem", "composer"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("Hex tarball"), "{}", out.stderr);
}
