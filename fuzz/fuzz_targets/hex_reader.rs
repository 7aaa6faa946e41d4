//! The Hex tarball reader on arbitrary bytes: never a panic.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use pgp_pkg::package::{read_package, IdentityHints, Limits};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("p.tar");
    std::fs::File::create(&tar).unwrap().write_all(data).unwrap();
    let limits = Limits { max_unpacked_bytes: 1 << 20, max_entries: 1000 };
    let _ = read_package(&tar, &IdentityHints::default(), &limits);
});
