//! The strict checksum-file parser: never a panic, and whatever it accepts
//! renders back to the same bytes (one text, one meaning).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgp_pkg::checksum_file::ChecksumFile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(parsed) = ChecksumFile::parse(text) {
        assert_eq!(parsed.render(), text);
    }
});
