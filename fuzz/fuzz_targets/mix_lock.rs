//! The mix.lock reader: never a panic; errors name a line and column.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = pgp_pkg::lockfile::mix::parse(text) {
        let msg = e.to_string();
        let place = msg.split(':').take(2).collect::<Vec<_>>();
        assert!(
            place.len() == 2 && place.iter().all(|p| p.parse::<usize>().is_ok()),
            "error without LINE:COLUMN: {msg}"
        );
    }
});
