//! One parser decides, for Hex (issue 8): crafted `contents.tar.gz` inside
//! well-formed Hex tarballs, unpacked by Hex's own reference library
//! (`hex_tarball:unpack`, as bundled in rebar3; its `hex_erl_tar` is OTP's
//! erl_tar) and read by pgp-pkg. pgp-pkg must refuse the tarball (exit 2)
//! or name exactly the files that Hex writes.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::rawtar::{benign_contents, hex_tarball, hostile_contents};
use common::*;

/// rebar3's bundled hex_core modules, unzipped once per test.
fn hex_ebin(env: &Env) -> Option<PathBuf> {
    if !require_program("erl") || !require_program("rebar3") || !require_program("unzip") {
        return None;
    }
    let dir = env.path("r3");
    let rebar3 = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v rebar3"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let status = Command::new("unzip")
        .args(["-qo", rebar3.trim(), "rebar/ebin/*", "-d"])
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success() || dir.join("rebar/ebin").is_dir());
    Some(dir.join("rebar/ebin"))
}

/// Unpacks like Hex; `None` when Hex refuses the tarball.
fn hex_unpack(ebin: &Path, tarball: &Path, out: &Path) -> Option<()> {
    let script = format!(
        "{{ok, Bin}} = file:read_file(\"{}\"), case r3_hex_tarball:unpack(Bin, \"{}\") of {{ok, _}} -> halt(0); Other -> io:format(\"~p~n\", [Other]), halt(3) end.",
        tarball.display(),
        out.display()
    );
    let o = Command::new("erl")
        .args(["-noshell", "-pa"])
        .arg(ebin)
        .args(["-eval", &script])
        .output()
        .unwrap();
    o.status.success().then_some(())
}

/// The `file`/`symlink` lines of a checksum file: what the package holds.
fn entries(checksum_file: &str) -> BTreeSet<String> {
    checksum_file
        .lines()
        .filter(|l| l.starts_with("file ") || l.starts_with("symlink "))
        .map(str::to_string)
        .collect()
}

#[test]
fn pgp_pkg_refuses_or_agrees_with_hex_unpack_on_every_crafted_tarball() {
    let env = Env::new();
    let Some(ebin) = hex_ebin(&env) else { return };
    let mut disagreements = Vec::new();
    for (label, contents, hostile) in hostile_contents()
        .into_iter()
        .map(|(l, c)| (l, c, true))
        .chain(benign_contents().into_iter().map(|(l, c)| (l, c, false)))
    {
        let tar = env.path(&format!("{label}.tar"));
        std::fs::write(&tar, hex_tarball(&contents)).unwrap();
        let ours = env.run(&["checksum", tar.to_str().unwrap()]);
        assert!(
            !ours.stderr.contains("panicked"),
            "{label}: {}",
            ours.stderr
        );
        let out = env.path(&format!("out-{label}"));
        let hex = hex_unpack(&ebin, &tar, &out);
        if !hostile {
            assert_eq!(ours.code, 0, "{label}: {}", ours.stderr);
            assert!(hex.is_some(), "{label}: Hex refused a benign tarball");
        }
        if label == "pax-size-differs" {
            // The attack that worked: erl_tar ignores a pax size, the tar crate honours it.
            assert!(hex.is_some(), "Hex unpacks it (the attack is real)");
            assert_eq!(ours.code, 2, "{label} must be refused: {}", ours.stdout);
        }
        if ours.code == 2 {
            assert!(
                ours.stderr.contains(tar.to_str().unwrap()),
                "{label}: {}",
                ours.stderr
            );
            continue;
        }
        assert_eq!(ours.code, 0, "{label}: {}", ours.stderr);
        if hex.is_none() {
            continue; // Hex installs nothing: no disagreement possible.
        }
        let theirs = env.run(&[
            "checksum",
            out.to_str().unwrap(),
            "--ecosystem",
            "hex",
            "--name",
            "foo",
            "--version",
            "1.0.0",
        ]);
        if theirs.code != 0 || entries(&theirs.stdout) != entries(&ours.stdout) {
            disagreements.push(format!(
                "{label}:\n pgp-pkg: {:?}\n hex:     {:?} {}",
                entries(&ours.stdout),
                entries(&theirs.stdout),
                theirs.stderr
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
