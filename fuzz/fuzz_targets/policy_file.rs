//! The project policy file (pgp-pkg.toml): never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = pgp_pkg::project::policy_file::ProjectPolicy::parse(text);
});
