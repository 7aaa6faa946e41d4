//! Property tests of the parsers (issue 8), run by `cargo test` on stable:
//! no input makes a reader panic; what the strict zip reader accepts is
//! exactly what was written; the checksum file round-trips; lockfile errors
//! name a place; an accepted lockfile name is a safe path.
//! (The same readers are fuzzed with cargo fuzz: docs/development.md.)

mod common;

use std::collections::BTreeMap;

use common::rawzip::{RawEntry, RawZip};
use pgp_pkg::checksum_file::{ChecksumFile, Entry};
use pgp_pkg::model::Ecosystem;
use pgp_pkg::package::{read_package, IdentityHints, Limits};
use proptest::prelude::*;
use sha2::Digest;

fn hints() -> IdentityHints {
    IdentityHints {
        ecosystem: Some(Ecosystem::Composer),
        name: Some("acme/widget".into()),
        version: Some("1.0.0".into()),
    }
}

fn limits() -> Limits {
    Limits {
        max_unpacked_bytes: 1 << 20,
        max_entries: 1000,
    }
}

fn read_bytes(bytes: &[u8], ext: &str) -> anyhow::Result<pgp_pkg::package::ReadPackage> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("p.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let h = if ext == "zip" {
        hints()
    } else {
        IdentityHints::default()
    };
    read_package(&path, &h, &limits())
}

/// Files with canonical names, none a folder of another, unique ignoring case.
fn files() -> impl Strategy<Value = BTreeMap<String, (Vec<u8>, bool, bool)>> {
    proptest::collection::btree_map(
        "[a-z]{1,6}(/[a-z]{1,6}){0,2}\\.php",
        (
            proptest::collection::vec(any::<u8>(), 0..300),
            any::<bool>(),
            any::<bool>(),
        ),
        1..8,
    )
    .prop_filter("no file is also a folder", |m| {
        m.keys()
            .all(|a| !m.keys().any(|b| b.starts_with(&format!("{a}/"))))
            && m.keys()
                .all(|a| a.split('/').next() != Some("composer.json"))
    })
    .prop_filter(
        "more than one top-level name, so nothing is stripped",
        |m| {
            m.keys()
                .map(|k| k.split('/').next().unwrap())
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                > 1
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_strict_zip_reader_reads_exactly_what_was_written(files in files()) {
        let entries: Vec<RawEntry> = files
            .iter()
            .map(|(name, (data, deflate, descriptor))| {
                let mut e = RawEntry::file(name, data);
                e.deflate = *deflate;
                e.descriptor = *descriptor;
                e
            })
            .collect();
        let read = read_bytes(&RawZip::archive(&entries, 0), "zip").unwrap();
        let got: BTreeMap<String, Entry> = read.checksum_file.entries;
        prop_assert_eq!(got.len(), files.len());
        for (name, (data, _, _)) in &files {
            match got.get(name) {
                Some(Entry::File { sha256, size }) => {
                    prop_assert_eq!(*size, data.len() as u64);
                    prop_assert_eq!(sha256.0, <[u8; 32]>::from(sha2::Sha256::digest(data)));
                }
                other => prop_assert!(false, "{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_damaged_zip_is_refused_or_read_never_a_panic(
        files in files(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<bool>(),
    ) {
        let entries: Vec<RawEntry> = files.iter().map(|(n, (d, _, _))| RawEntry::file(n, d)).collect();
        let mut bytes = RawZip::archive(&entries, 0);
        let i = at.index(bytes.len());
        if cut { bytes.truncate(i) } else { bytes[i] ^= byte | 1 }
        let _ = read_bytes(&bytes, "zip");
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_reader(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend(&bytes);
        let _ = read_bytes(&zip, "zip");
        let mut tar = vec![0u8; 257];
        tar.extend(b"ustar\x0000");
        tar.extend(&bytes);
        let _ = read_bytes(&tar, "tar");
        let _ = pgp_pkg::signatures::verify::parse_signatures(&bytes);
    }

    #[test]
    fn the_checksum_file_parser_accepts_only_what_render_writes(text in "\\PC{0,300}") {
        if let Ok(parsed) = ChecksumFile::parse(&text) {
            prop_assert_eq!(parsed.render(), text);
        }
    }

    #[test]
    fn lockfile_errors_name_a_line_and_column(text in "(%\\{|\\{|\"|:hex|,|\\}|\\[|\\]|[a-z0-9_.\\- \n])*") {
        for result in [pgp_pkg::lockfile::mix::parse(&text), pgp_pkg::lockfile::composer::parse(&text)] {
            if let Err(e) = result {
                let msg = e.to_string();
                let mut place = msg.splitn(3, ':');
                let line = place.next().and_then(|l| l.parse::<usize>().ok());
                let column = place.next().and_then(|c| c.parse::<usize>().ok());
                prop_assert!(line.is_some() && column.is_some(), "no LINE:COLUMN in {:?}", msg);
            }
        }
    }

    #[test]
    fn an_accepted_name_is_a_safe_path(name in "[a-z0-9./_\\-]{1,20}", version in "[a-z0-9./_\\-]{1,12}") {
        use pgp_pkg::lockfile::names;
        let safe = |p: &str| p.split('/').all(|c| !c.is_empty() && c != "." && c != "..");
        if names::composer_name(&name).is_ok() {
            prop_assert!(safe(&name) && name.matches('/').count() == 1);
        }
        if names::hex_name("app", &name).is_ok() {
            prop_assert!(!name.contains('/') && !name.contains('.'));
        }
        if names::version(&version).is_ok() {
            prop_assert!(!version.contains('/') && version != "." && version != "..");
        }
    }
}

#[test]
fn rendered_checksum_files_parse_back() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/project/signatures/hex/foo/1.0.0.checksums"
    ))
    .unwrap();
    assert_eq!(ChecksumFile::parse(&text).unwrap().render(), text);
}
