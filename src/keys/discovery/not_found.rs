//! The memory of "not found" answers (`HOME/cache/not-found.json`), so
//! automatic lookups (`--fetch-keys`, in every hook call) do not ask the same
//! servers again and again for keys they do not have. Only a server's own
//! "not found" is remembered, for [`REMEMBER`]; a failure never is.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::keys::cache_file;
use crate::keys::home::Home;

const FILE: &str = "not-found.json";

/// How long a "not found" is believed. An hour spans a whole `composer
/// install` or CI run; `key fetch` and `key refresh` ask regardless.
pub(crate) const REMEMBER: Duration = Duration::from_secs(3600);

#[derive(Default, Serialize, Deserialize)]
pub(crate) struct NotFound {
    format: u32,
    /// Ask → when it was answered "not found" (seconds since the epoch).
    asks: BTreeMap<String, u64>,
    #[serde(skip)]
    changed: bool,
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl NotFound {
    /// The remembered answers, none if the file is missing or damaged.
    pub(crate) fn load(home: &Home) -> NotFound {
        cache_file::load::<NotFound>(home, FILE)
            .filter(|m| m.format == 1)
            .unwrap_or(NotFound {
                format: 1,
                ..NotFound::default()
            })
    }

    pub(crate) fn recently(&self, ask: &str, now: SystemTime) -> bool {
        self.asks.get(ask).is_some_and(|&at| {
            let now = secs(now);
            at <= now && now - at < REMEMBER.as_secs()
        })
    }

    pub(crate) fn remember(&mut self, ask: String, now: SystemTime) {
        self.asks.insert(ask, secs(now));
        self.changed = true;
    }

    /// Writes the memory back (best effort, like every cache), without
    /// the answers that are too old to count.
    pub(crate) fn store(mut self, home: &Home, now: SystemTime) {
        if !self.changed {
            return;
        }
        let now = secs(now);
        self.asks
            .retain(|_, at| *at <= now && now - *at < REMEMBER.as_secs());
        self.format = 1;
        cache_file::store(home, FILE, &self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_not_found_is_believed_for_a_while() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut m = NotFound::default();
        assert!(!m.recently("hkp x 0xAB", t0));
        m.remember("hkp x 0xAB".into(), t0);
        assert!(m.recently("hkp x 0xAB", t0 + Duration::from_secs(60)));
        assert!(!m.recently("hkp x 0xAB", t0 + REMEMBER));
        // A clock set back does not make an entry last forever.
        assert!(!m.recently("hkp x 0xAB", t0 - Duration::from_secs(1)));
    }
}
