//! Owner trust: how far the user trusts a key's *owner* to certify other
//! keys (GnuPG's "ownertrust"). It is the user's own setting, never read from
//! certificates.
//!
//! Stored in the home as `ownertrust.txt`, in the very format of
//! `gpg --export-ownertrust` (sorted by fingerprint), so it is readable,
//! diff-friendly, and `gpg --import-ownertrust` accepts it back. See
//! docs/trust-model.md for why it is not stored as trust signatures.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{bail, Context, Result};
use sequoia_openpgp::Fingerprint;

use crate::keys::home::{Home, WriteLock};
use crate::trust::TrustLevel;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct OwnerTrust {
    levels: BTreeMap<Fingerprint, TrustLevel>,
    /// SHA-256 of ownertrust.txt as read (none when there was no file):
    /// what caches derived from it record.
    digest: Option<String>,
}

const HEADER: &str = "# pgp-pkg owner trust, in the format of gpg --export-ownertrust\n\
                      # (6 ultimate, 5 full, 4 marginal, 3 never; absent: unknown)\n";

impl OwnerTrust {
    pub(crate) fn load(home: &Home) -> Result<OwnerTrust> {
        let path = home.owner_trust_path();
        if !path.exists() {
            return Ok(OwnerTrust::default());
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("damaged home: cannot read {}", path.display()))?;
        let mut trust = OwnerTrust {
            digest: crate::keys::index::sha256_hex(text.as_bytes()),
            ..OwnerTrust::default()
        };
        for (fpr, level) in parse_gpg_ownertrust(&text)
            .with_context(|| format!("damaged home: {}", path.display()))?
        {
            trust.set(fpr, level);
        }
        Ok(trust)
    }

    pub(crate) fn save(&self, home: &Home, lock: &WriteLock) -> Result<()> {
        home.write_atomic(
            lock,
            &home.owner_trust_path(),
            self.to_gpg_format().as_bytes(),
            false,
        )
    }

    /// SHA-256 of the file this was read from.
    pub(crate) fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The owner trust of a key; `unknown` when the user said nothing.
    pub(crate) fn get(&self, fpr: &Fingerprint) -> TrustLevel {
        self.levels.get(fpr).copied().unwrap_or(TrustLevel::Unknown)
    }

    /// Sets a key's owner trust; `unknown` removes the entry.
    pub(crate) fn set(&mut self, fpr: Fingerprint, level: TrustLevel) {
        if level == TrustLevel::Unknown {
            self.levels.remove(&fpr);
        } else {
            self.levels.insert(fpr, level);
        }
    }

    /// Every key with an owner trust set, by fingerprint.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Fingerprint, TrustLevel)> {
        self.levels.iter().map(|(f, l)| (f, *l))
    }

    pub(crate) fn to_gpg_format(&self) -> String {
        let mut out = String::from(HEADER);
        for (fpr, level) in &self.levels {
            let _ = writeln!(out, "{}:{}:", fpr.to_hex(), gpg_value(*level));
        }
        out
    }
}

/// GnuPG's numeric ownertrust values (trustdb.h: TRUST_*).
fn gpg_value(level: TrustLevel) -> u8 {
    match level {
        TrustLevel::Unknown => 2,
        TrustLevel::Never => 3,
        TrustLevel::Marginal => 4,
        TrustLevel::Full => 5,
        TrustLevel::Ultimate => 6,
    }
}

/// Reads `gpg --export-ownertrust` output: `FINGERPRINT:VALUE:` lines,
/// `#` comments and blank lines. Errors name the line.
pub(crate) fn parse_gpg_ownertrust(text: &str) -> Result<Vec<(Fingerprint, TrustLevel)>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split(':');
        let (Some(fpr), Some(value)) = (fields.next(), fields.next()) else {
            bail!("line {n}: expected FINGERPRINT:VALUE:, found {line:?}");
        };
        let fpr: Fingerprint = fpr
            .parse()
            .with_context(|| format!("line {n}: bad fingerprint {fpr:?}"))?;
        if !matches!(fpr, Fingerprint::V4(_) | Fingerprint::V6(_)) {
            bail!("line {n}: {fpr} is not a full fingerprint");
        }
        let value: u8 = value
            .parse()
            .with_context(|| format!("line {n}: bad trust value {value:?}"))?;
        // The low nibble is the level; higher bits are flags such as "disabled".
        let level = match value & 0x0f {
            0..=2 => TrustLevel::Unknown,
            3 => TrustLevel::Never,
            4 => TrustLevel::Marginal,
            5 => TrustLevel::Full,
            6 => TrustLevel::Ultimate,
            other => bail!("line {n}: unknown trust value {other}"),
        };
        out.push((fpr, level));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gpg_export_and_writes_it_back_sorted() {
        let text = "# List of assigned trustvalues, created Sun Nov 22 2026\n\
                    # (Use \"gpg --import-ownertrust\" to restore them)\n\
                    C3D98BE4632B34E3E6AA44914BA7DE17AA6A86FD:4:\n\
                    \n\
                    6033A8A5B5F837A98884B7D0E14BC0EF45753E99:6:\n\
                    4752C0A28C7DB6A5190D69909C9EE3BA183CAB1C:5:\n\
                    4CFC2D9D88414E55971843ED91E7C5CE0DE4663D:3:\n";
        let mut trust = OwnerTrust::default();
        for (f, l) in parse_gpg_ownertrust(text).unwrap() {
            trust.set(f, l);
        }
        let alice: Fingerprint = "6033A8A5B5F837A98884B7D0E14BC0EF45753E99".parse().unwrap();
        assert_eq!(trust.get(&alice), TrustLevel::Ultimate);
        insta::assert_snapshot!(trust.to_gpg_format());
        let again: Vec<_> = parse_gpg_ownertrust(&trust.to_gpg_format()).unwrap();
        assert_eq!(again.len(), 4);
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse_gpg_ownertrust("# ok\nNOTAFPR:5:\n").unwrap_err();
        assert!(format!("{err:#}").starts_with("line 2:"), "{err:#}");
        let err =
            parse_gpg_ownertrust("6033A8A5B5F837A98884B7D0E14BC0EF45753E99:9:\n").unwrap_err();
        assert!(format!("{err:#}").contains("unknown trust value"));
    }
}
