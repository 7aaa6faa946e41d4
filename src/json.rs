//! The stable JSON of every command, in one place (docs/interface.md, "JSON",
//! documents each field). These types are the interface: internal structs
//! (reports, validities, explanations) are free to change, and are turned
//! into these at the edge, so a new internal field never leaks out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::decision::report::{PackageReport, Report, SignerReport};
use crate::keys::discovery::origins::Origin;
use crate::trust::explain::{Explanation, Hop, UserIdExplanation};
use crate::trust::wot::{CertValidity, UserIdValidity};
use crate::trust::TrustLevel;

/// Bumped only if a field changes meaning or goes away (never for additions).
pub(crate) const FORMAT_VERSION: u32 = 1;

/// `verify --json`, `verify-tree --json`.
#[derive(Serialize)]
pub(crate) struct ReportJson<'a> {
    pub(crate) format_version: u32,
    /// True exactly when the command exits 0.
    pub(crate) passed: bool,
    /// How many packages have each status.
    pub(crate) counts: BTreeMap<&'static str, usize>,
    pub(crate) packages: Vec<PackageJson<'a>>,
}

#[derive(Serialize)]
pub(crate) struct PackageJson<'a> {
    pub(crate) ecosystem: &'a str,
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    pub(crate) status: &'static str,
    pub(crate) trust: &'a str,
    pub(crate) signers: Vec<SignerJson<'a>>,
    pub(crate) reasons: &'a [String],
    /// Whether this package meets the policy in force.
    pub(crate) passes: bool,
}

#[derive(Serialize)]
pub(crate) struct SignerJson<'a> {
    pub(crate) fingerprint: &'a str,
    pub(crate) signing_key: Option<&'a str>,
    pub(crate) user_id: Option<&'a str>,
    pub(crate) trust: &'a str,
    pub(crate) status: &'static str,
    pub(crate) created: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
    /// `checksum-file`, `git-tag` or `git-commit` (SPEC §8).
    pub(crate) kind: &'static str,
}

impl<'a> ReportJson<'a> {
    pub(crate) fn new(report: &'a Report) -> Self {
        let mut counts = BTreeMap::new();
        for p in &report.packages {
            *counts.entry(p.status.as_str()).or_insert(0) += 1;
        }
        ReportJson {
            format_version: FORMAT_VERSION,
            passed: report.verdict() == crate::decision::report::Verdict::Pass,
            counts,
            packages: report.packages.iter().map(PackageJson::new).collect(),
        }
    }
}

impl<'a> PackageJson<'a> {
    fn new(p: &'a PackageReport) -> Self {
        PackageJson {
            ecosystem: &p.ecosystem,
            name: &p.name,
            version: &p.version,
            status: p.status.as_str(),
            trust: &p.trust,
            signers: p.signers.iter().map(SignerJson::new).collect(),
            reasons: &p.reasons,
            passes: p.passes,
        }
    }
}

impl<'a> SignerJson<'a> {
    fn new(s: &'a SignerReport) -> Self {
        SignerJson {
            fingerprint: &s.fingerprint,
            signing_key: s.signing_key.as_deref(),
            user_id: s.user_id.as_deref(),
            trust: &s.trust,
            status: s.status.as_str(),
            created: s.created.as_deref(),
            reason: s.reason.as_deref(),
            kind: s.kind.as_str(),
        }
    }
}

/// `key list --json`: one element per certificate.
#[derive(Serialize)]
pub(crate) struct KeyJson<'a> {
    pub(crate) fingerprint: &'a str,
    pub(crate) owner_trust: TrustLevel,
    pub(crate) revoked: bool,
    pub(crate) expired: bool,
    /// The best validity among the user IDs, as GnuPG shows a key's.
    pub(crate) validity: TrustLevel,
    pub(crate) user_ids: Vec<UserIdJson<'a>>,
    /// One of the user's own keys (its secret is in the home).
    pub(crate) own: bool,
    /// Where and when it was last fetched (`key fetch`, `key refresh`,
    /// `--fetch-keys`); `null` for a key only ever imported from a file.
    pub(crate) origin: Option<&'a Origin>,
}

#[derive(Serialize)]
pub(crate) struct UserIdJson<'a> {
    pub(crate) user_id: &'a str,
    pub(crate) validity: TrustLevel,
    pub(crate) revoked: bool,
}

impl<'a> KeyJson<'a> {
    pub(crate) fn new(c: &'a CertValidity, own: bool, origin: Option<&'a Origin>) -> Self {
        KeyJson {
            fingerprint: &c.fingerprint,
            owner_trust: c.owner_trust,
            revoked: c.revoked,
            expired: c.expired,
            validity: c.validity,
            user_ids: c.user_ids.iter().map(UserIdJson::new).collect(),
            own,
            origin,
        }
    }
}

impl<'a> UserIdJson<'a> {
    fn new(u: &'a UserIdValidity) -> Self {
        UserIdJson {
            user_id: &u.user_id,
            validity: u.validity,
            revoked: u.revoked,
        }
    }
}

/// `trust list --json`: one element per key with owner trust set, and
/// every own key.
#[derive(Serialize)]
pub(crate) struct OwnerTrustJson {
    pub(crate) fingerprint: String,
    pub(crate) owner_trust: TrustLevel,
    /// Ultimate: it authenticates other keys like the user's own.
    pub(crate) trust_root: bool,
    pub(crate) own: bool,
    pub(crate) in_keyring: bool,
    pub(crate) user_id: Option<String>,
}

/// `trust explain --json`.
#[derive(Serialize)]
pub(crate) struct ExplainJson<'a> {
    pub(crate) fingerprint: &'a str,
    pub(crate) owner_trust: TrustLevel,
    pub(crate) validity: TrustLevel,
    pub(crate) revoked: bool,
    pub(crate) expired: bool,
    pub(crate) user_ids: Vec<ExplainUserIdJson<'a>>,
}

#[derive(Serialize)]
pub(crate) struct ExplainUserIdJson<'a> {
    pub(crate) user_id: &'a str,
    pub(crate) validity: TrustLevel,
    /// The depth (hops from a trust root) at which the binding became valid.
    pub(crate) depth: Option<usize>,
    /// The trust amount reached (120 = fully valid, 40 per marginal introducer).
    pub(crate) amount: usize,
    /// Each path runs from a trust root to this user ID.
    pub(crate) paths: Vec<Vec<HopJson<'a>>>,
    /// Why the binding is not (fully) authenticated.
    pub(crate) reasons: &'a [String],
}

#[derive(Serialize)]
pub(crate) struct HopJson<'a> {
    pub(crate) fingerprint: &'a str,
    pub(crate) user_id: Option<&'a str>,
    /// `ultimate` for a trust root, else the introducer's owner trust.
    pub(crate) role: TrustLevel,
    /// The trust amount this hop carries (120 full, 40 marginal).
    pub(crate) amount: usize,
    pub(crate) depth: usize,
}

impl<'a> ExplainJson<'a> {
    pub(crate) fn new(e: &'a Explanation) -> Self {
        ExplainJson {
            fingerprint: &e.fingerprint,
            owner_trust: e.owner_trust,
            validity: e.validity,
            revoked: e.revoked,
            expired: e.expired,
            user_ids: e.user_ids.iter().map(ExplainUserIdJson::new).collect(),
        }
    }
}

impl<'a> ExplainUserIdJson<'a> {
    fn new(u: &'a UserIdExplanation) -> Self {
        ExplainUserIdJson {
            user_id: &u.user_id,
            validity: u.validity,
            depth: u.depth,
            amount: u.amount,
            paths: u
                .paths
                .iter()
                .map(|p| p.iter().map(HopJson::new).collect())
                .collect(),
            reasons: &u.reasons,
        }
    }
}

impl<'a> HopJson<'a> {
    fn new(h: &'a Hop) -> Self {
        HopJson {
            fingerprint: &h.fingerprint,
            user_id: h.user_id.as_deref(),
            role: h.role,
            amount: h.amount,
            depth: h.depth,
        }
    }
}

/// Pretty JSON of a stable type.
pub(crate) fn to_string<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("the stable JSON types always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::report::Status;
    use crate::model::{Ecosystem, PackageId};

    #[test]
    fn the_report_json_is_pinned() {
        let id = |name: &str| PackageId {
            ecosystem: Ecosystem::Hex,
            name: name.into(),
            version: "1.0.0".into(),
        };
        let mut good = PackageReport::new(&id("foo"));
        good.status = Status::Ok;
        good.trust = "full".into();
        good.passes = true;
        good.signers.push(SignerReport {
            kind: Default::default(),
            fingerprint: "6033A8A5B5F837A98884B7D0E14BC0EF45753E99".into(),
            signing_key: Some("6033A8A5B5F837A98884B7D0E14BC0EF45753E99".into()),
            user_id: Some("Alice <alice@example.org>".into()),
            trust: "full".into(),
            status: Status::Ok,
            created: Some("2026-01-01T00:00:00Z".into()),
            reason: None,
        });
        let mut evil = PackageReport::new(&id("evil"));
        evil.status = Status::ChecksumMismatch;
        evil.trust = "checksum-mismatch".into();
        evil.reasons.push("files changed: lib/evil.ex".into());
        let report = Report {
            notes: Vec::new(),
            packages: vec![good, evil],
        };
        let json = to_string(&ReportJson::new(&report));
        insta::assert_snapshot!(json);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["passed"], false);
        assert_eq!(value["counts"]["ok"], 1);
        assert_eq!(value["packages"][1]["status"], "checksum-mismatch");
    }
}
