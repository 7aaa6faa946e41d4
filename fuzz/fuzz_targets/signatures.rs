//! Detached-signature files, armored or binary: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pgp_pkg::signatures::verify::parse_signatures(data);
});
