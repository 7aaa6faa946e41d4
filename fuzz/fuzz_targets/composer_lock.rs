//! The composer.lock reader and the lockfile name rules: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(packages) = pgp_pkg::lockfile::composer::parse(text) {
        for p in &packages {
            if pgp_pkg::lockfile::names::check(p).is_ok() {
                // An accepted name is one safe `vendor/name` pair of path components.
                let parts: Vec<&str> = p.id.name.split('/').collect();
                assert_eq!(parts.len(), 2);
                assert!(parts.iter().all(|c| !c.is_empty() && *c != "." && *c != ".."));
            }
        }
    }
});
