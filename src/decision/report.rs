//! What pgp-pkg tells the user about packages: statuses (docs/interface.md), the JSON
//! form (stable interface) and the human form.

use crate::signatures::verify::SignatureKind;
use std::fmt::Write as _;

use crate::model::PackageId;
use crate::trust::TrustLevel;

/// A package's verdict. The words are the stable interface of docs/interface.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Status {
    Ok,
    Unsigned,
    BadSignature,
    ChecksumMismatch,
    MissingPackage,
    UnknownKey,
    Revoked,
    Expired,
    WeakCrypto,
    BelowPolicy,
    Unverifiable,
}

impl Status {
    /// A signature that fails the package by itself (not a missing key).
    pub(crate) fn is_signature_failure(self) -> bool {
        matches!(
            self,
            Status::BadSignature | Status::Revoked | Status::Expired | Status::WeakCrypto
        )
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Unsigned => "unsigned",
            Status::BadSignature => "bad-signature",
            Status::ChecksumMismatch => "checksum-mismatch",
            Status::MissingPackage => "missing-package",
            Status::UnknownKey => "unknown-key",
            Status::Revoked => "revoked",
            Status::Expired => "expired",
            Status::WeakCrypto => "weak-crypto",
            Status::BelowPolicy => "below-policy",
            Status::Unverifiable => "unverifiable",
        }
    }
}

/// One signature's line in the report.
#[derive(Clone, Debug)]
pub(crate) struct SignerReport {
    /// The signer's certificate fingerprint, or the issuer the signature
    /// names when the key is not in the keyring.
    pub(crate) fingerprint: String,
    /// The (sub)key that made the signature, when known.
    pub(crate) signing_key: Option<String>,
    pub(crate) user_id: Option<String>,
    /// A trust level when the signature is good, else the failure status.
    pub(crate) trust: String,
    pub(crate) status: Status,
    pub(crate) created: Option<String>,
    pub(crate) reason: Option<String>,
    /// What the signature is over: the checksum file, or a tag or commit upstream.
    pub(crate) kind: SignatureKind,
}

/// One package's line in the report (docs/interface.md JSON fields, plus `passes`).
#[derive(Clone, Debug)]
pub(crate) struct PackageReport {
    pub(crate) ecosystem: String,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) status: Status,
    /// The best trust among good signatures; the status word when there is none.
    pub(crate) trust: String,
    pub(crate) signers: Vec<SignerReport>,
    pub(crate) reasons: Vec<String>,
    /// Whether the package meets the policy in force.
    pub(crate) passes: bool,
    /// Some input could not be read (a garbage signature, an ambiguous or
    /// unsafe archive): the package fails, and the run exits 2.
    pub(crate) malformed: bool,
}

impl PackageReport {
    pub(crate) fn new(package: &PackageId) -> Self {
        PackageReport {
            ecosystem: package.ecosystem.to_string(),
            name: package.name.clone(),
            version: package.version.clone(),
            status: Status::Unsigned,
            trust: Status::Unsigned.as_str().to_string(),
            signers: Vec::new(),
            reasons: Vec::new(),
            passes: false,
            malformed: false,
        }
    }

    pub(crate) fn trust_level(&self) -> Option<TrustLevel> {
        self.trust.parse().ok()
    }

    /// Passes with nothing to warn about: a good signature by a key
    /// authenticated at least fully.
    pub(crate) fn is_clean(&self) -> bool {
        self.passes && self.status == Status::Ok && self.trust_level() >= Some(TrustLevel::Full)
    }

    /// `pass`, `warn` (passes, but something needs a look) or `fail`.
    pub(crate) fn result(&self) -> &'static str {
        if !self.passes {
            "fail"
        } else if self.is_clean() {
            "pass"
        } else {
            "warn"
        }
    }
}

/// The verify-tree table fits this many columns.
pub(crate) const TABLE_WIDTH: usize = 100;

/// How the table is drawn.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TableStyle {
    /// ANSI colour on the result column.
    pub(crate) color: bool,
    /// Only the packages that need attention (warnings and failures).
    pub(crate) problems_only: bool,
}

/// `text` cut to `width` characters, ending in `…` when cut.
fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// How a command that ran to the end came out; the exit code (docs/interface.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Exit 0.
    Pass,
    /// Exit 1: the policy is not met.
    Fail,
    /// Exit 2: it ran, but some input was malformed.
    BadInput,
}

/// The whole report of a `verify` or `verify-tree` run.
#[derive(Clone, Debug)]
pub(crate) struct Report {
    pub(crate) packages: Vec<PackageReport>,
    /// What the run as a whole should say in its summary (no signature
    /// source given, say).
    pub(crate) notes: Vec<String>,
}

impl Report {
    pub(crate) fn passes(&self) -> bool {
        self.packages.iter().all(|p| p.passes)
    }

    /// The one mapping from a report to an exit code, for `verify`,
    /// `verify-tree` and `hook`: malformed input anywhere is 2, else any
    /// package below the policy is 1, else 0.
    pub(crate) fn verdict(&self) -> Verdict {
        if self.packages.iter().any(|p| p.malformed) {
            Verdict::BadInput
        } else if self.passes() {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }

    /// The report for people: one block per package, then a summary line.
    pub(crate) fn to_human(&self) -> String {
        let mut out = String::new();
        for p in &self.packages {
            let mark = if !p.passes {
                "FAIL"
            } else if p.is_clean() {
                "ok"
            } else {
                "warn"
            };
            // Trust is said only when it is a level, not the status again.
            let trust = p
                .trust_level()
                .map(|t| format!(" (trust: {t})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "[{mark}] {} {} {}: {}{trust}",
                p.ecosystem,
                p.name,
                p.version,
                p.status.as_str(),
            );
            for s in &p.signers {
                let who = s.user_id.as_deref().unwrap_or("(no user ID)");
                let over = match s.kind {
                    SignatureKind::ChecksumFile => "",
                    SignatureKind::GitTag => " (signed the release tag upstream)",
                    SignatureKind::GitCommit => " (signed the release commit upstream)",
                };
                let trust = if s.status == Status::Ok {
                    format!(" (trust: {})", s.trust)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "    signer {} {who}{over}: {}{trust}",
                    s.fingerprint,
                    s.status.as_str(),
                );
                if let Some(key) = s.signing_key.as_ref().filter(|k| **k != s.fingerprint) {
                    let _ = writeln!(out, "      signed with subkey {key}");
                }
                if let Some(reason) = &s.reason {
                    let _ = writeln!(out, "      {reason}");
                }
            }
            for r in &p.reasons {
                let _ = writeln!(out, "    - {r}");
            }
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// The verify-tree table: one row per package (only the ones that need
    /// attention with `problems_only`), reasons under those rows, then the
    /// summary line. At most [`TABLE_WIDTH`] columns: long versions (a git
    /// SHA), package names and signers are shortened with `…`.
    pub(crate) fn to_table(&self, style: &TableStyle) -> String {
        let shown: Vec<&PackageReport> = self
            .packages
            .iter()
            .filter(|p| !style.problems_only || !p.is_clean())
            .collect();
        let rows: Vec<[String; 6]> = shown
            .iter()
            .map(|p| {
                let signer = p
                    .signers
                    .iter()
                    .find(|s| s.status == Status::Ok)
                    .or(p.signers.first())
                    .map(|s| {
                        let who = s.user_id.clone().unwrap_or_else(|| s.fingerprint.clone());
                        // A signature upstream says so (docs/git-evidence.md).
                        match s.kind {
                            SignatureKind::ChecksumFile => who,
                            SignatureKind::GitTag => format!("git tag: {who}"),
                            SignatureKind::GitCommit => format!("git commit: {who}"),
                        }
                    })
                    .unwrap_or_else(|| "-".into());
                // The trust column says something only when it is a level.
                let trust = p
                    .trust_level()
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "-".into());
                [
                    p.result().to_string(),
                    format!("{} {}", p.ecosystem, p.name),
                    p.version.clone(),
                    p.status.as_str().to_string(),
                    trust,
                    signer,
                ]
            })
            .collect();
        let headers = ["RESULT", "PACKAGE", "VERSION", "STATUS", "TRUST", "SIGNER"];
        let mut widths: Vec<usize> = (0..6)
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([headers[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // Shrink the long columns until the row fits: the version first (a git
        // SHA says least in full), then the signer, then the package.
        const FLOOR: [usize; 6] = [6, 20, 12, 14, 8, 16];
        for col in [2, 5, 1] {
            let total: usize = widths.iter().sum::<usize>() + 2 * 5;
            if total > TABLE_WIDTH {
                widths[col] = widths[col]
                    .saturating_sub(total - TABLE_WIDTH)
                    .max(FLOOR[col]);
            }
        }
        let mut out = String::new();
        let line = |cells: [&str; 6], colour: Option<&str>| -> String {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    let cell = format!("{:<w$}", shorten(c, *w));
                    match (i, colour) {
                        (0, Some(code)) => format!("\x1b[{code}m{cell}\x1b[0m"),
                        _ => cell,
                    }
                })
                .collect();
            padded.join("  ").trim_end().to_string() + "\n"
        };
        out.push_str(&line(headers, None));
        for (p, r) in shown.iter().zip(&rows) {
            let colour = style.color.then(|| match p.result() {
                "pass" => "32",
                "warn" => "33",
                _ => "31;1",
            });
            out.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]], colour));
            if !p.is_clean() {
                // Failing signatures first (their reasons are kept with the
                // signer), then the package's own reasons.
                let signature_failed = p.status.is_signature_failure();
                for sig in p
                    .signers
                    .iter()
                    .filter(|s| signature_failed && s.status.is_signature_failure())
                {
                    if let Some(reason) = &sig.reason {
                        let _ = writeln!(out, "    - {}: {reason}", sig.fingerprint);
                    }
                }
                for reason in &p.reasons {
                    let _ = writeln!(out, "    - {reason}");
                }
            }
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// `3 packages: 1 ok, 1 with warnings, 1 failed`.
    pub(crate) fn summary(&self) -> String {
        let total = self.packages.len();
        let failed = self.packages.iter().filter(|p| !p.passes).count();
        let warned = self
            .packages
            .iter()
            .filter(|p| p.passes && !p.is_clean())
            .count();
        let ok = total - failed - warned;
        let noun = if total == 1 { "package" } else { "packages" };
        let verdict = match self.verdict() {
            Verdict::Pass => "passed",
            Verdict::Fail => "FAILED",
            Verdict::BadInput => "ERROR (unreadable input or an unreachable source, exit 2)",
        };
        let mut summary =
            format!("{verdict}: {total} {noun}: {ok} ok, {warned} with warnings, {failed} failed");
        let failing: Vec<String> = self
            .packages
            .iter()
            .filter(|p| !p.passes)
            .map(|p| format!("{} {} {}", p.ecosystem, p.name, p.version))
            .collect();
        if !failing.is_empty() {
            const NAMED: usize = 5;
            let more = failing.len().saturating_sub(NAMED);
            let mut named = failing
                .into_iter()
                .take(NAMED)
                .collect::<Vec<_>>()
                .join(", ");
            if more > 0 {
                named.push_str(&format!(" and {more} more"));
            }
            summary.push_str(&format!(" ({named})"));
        }
        for note in &self.notes {
            summary.push_str("; ");
            summary.push_str(note);
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Ecosystem, PackageId};

    fn package(
        name: &str,
        status: Status,
        trust: &str,
        passes: bool,
        reasons: &[&str],
    ) -> PackageReport {
        let id = PackageId {
            ecosystem: Ecosystem::Hex,
            name: name.into(),
            version: "1.0.0".into(),
        };
        PackageReport {
            status,
            trust: trust.into(),
            passes,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            ..PackageReport::new(&id)
        }
    }

    #[test]
    fn human_report_is_pinned() {
        let mut good = package("good", Status::Ok, "ultimate", true, &[]);
        good.signers.push(SignerReport {
            kind: Default::default(),
            fingerprint: "6033A8A5B5F837A98884B7D0E14BC0EF45753E99".into(),
            signing_key: Some("0123456789ABCDEF0123456789ABCDEF01234567".into()),
            user_id: Some("Alice <alice@example.org>".into()),
            trust: "ultimate".into(),
            status: Status::Ok,
            created: Some("2026-11-22T01:02:03Z".into()),
            reason: None,
        });
        let report = Report {
            notes: Vec::new(),
            packages: vec![
                good,
                package(
                    "plain",
                    Status::Unsigned,
                    "unsigned",
                    true,
                    &["warning: unsigned"],
                ),
                package(
                    "evil",
                    Status::ChecksumMismatch,
                    "checksum-mismatch",
                    false,
                    &["files changed: lib/evil.ex"],
                ),
            ],
        };
        insta::assert_snapshot!(report.to_human());
        assert!(!report.passes());
    }
}
