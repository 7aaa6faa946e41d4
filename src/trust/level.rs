//! Trust levels (docs/trust-model.md) and the model that assigns them to certificates.
//!
//! Everything that asks for trust goes through [`TrustModel`]; the web of
//! trust (`wot`) implements it.

use std::fmt;
use std::str::FromStr;

use anyhow::bail;
use sequoia_openpgp::Fingerprint;
use serde::{Deserialize, Serialize};

/// How much the user believes a key belongs to whom it says. Ordered:
/// `never < unknown < marginal < full < ultimate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TrustLevel {
    Never,
    Unknown,
    Marginal,
    Full,
    Ultimate,
}

impl TrustLevel {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TrustLevel::Never => "never",
            TrustLevel::Unknown => "unknown",
            TrustLevel::Marginal => "marginal",
            TrustLevel::Full => "full",
            TrustLevel::Ultimate => "ultimate",
        }
    }
}

impl fmt::Display for TrustLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for TrustLevel {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<Self> {
        Ok(match s {
            "never" => TrustLevel::Never,
            "unknown" => TrustLevel::Unknown,
            "marginal" => TrustLevel::Marginal,
            "full" => TrustLevel::Full,
            "ultimate" => TrustLevel::Ultimate,
            other => bail!("unknown trust level {other:?} (expected never, unknown, marginal, full or ultimate)"),
        })
    }
}

/// Answers "how far is this key authenticated?".
pub(crate) trait TrustModel: Sync {
    fn key_trust(&self, cert: &Fingerprint) -> TrustLevel;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_as_the_spec_says() {
        use TrustLevel::*;
        let mut levels = vec![Ultimate, Never, Full, Unknown, Marginal];
        levels.sort();
        assert_eq!(levels, vec![Never, Unknown, Marginal, Full, Ultimate]);
        for l in levels {
            assert_eq!(l.as_str().parse::<TrustLevel>().unwrap(), l);
        }
        assert!("trusted".parse::<TrustLevel>().is_err());
    }
}
