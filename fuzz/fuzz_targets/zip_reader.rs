//! The strict Composer zip reader on arbitrary bytes: never a panic, and
//! whenever it accepts an archive, extracting it writes exactly the files
//! it hashed (the directory reads back to the same checksum file).
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use pgp_pkg::model::Ecosystem;
use pgp_pkg::package::{extract_composer_zip, read_package, IdentityHints, Limits};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("p.zip");
    std::fs::File::create(&zip).unwrap().write_all(data).unwrap();
    let hints = IdentityHints {
        ecosystem: Some(Ecosystem::Composer),
        name: Some("acme/widget".into()),
        version: Some("1.0.0".into()),
    };
    let limits = Limits { max_unpacked_bytes: 1 << 20, max_entries: 1000 };
    let Ok(read) = read_package(&zip, &hints, &limits) else { return };
    let out = dir.path().join("out");
    let extracted = extract_composer_zip(&zip, &hints, &limits, &out)
        .expect("an archive that reads also extracts");
    assert_eq!(extracted.checksum_file, read.checksum_file);
    let again = read_package(&out, &hints, &limits).expect("the extracted tree reads");
    assert_eq!(again.checksum_file.entries, read.checksum_file.entries);
});
