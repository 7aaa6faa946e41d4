//! The policy decision: from the evidence about one package (its integrity,
//! its signatures and their signers' trust) to a status and a pass/fail.
//!
//! Pure logic, no I/O. The default policy (docs/policy.md, stable interface) lets
//! unsigned packages and unauthenticated signers pass with a warning, but
//! never a signed package that fails to verify.

use std::collections::{BTreeMap, BTreeSet};

use sequoia_openpgp::Fingerprint;

use crate::decision::report::{PackageReport, SignerReport, Status};
use crate::model::timestamp;
use crate::model::PackageId;
use crate::signatures::verify::{Evidence, Outcome, SignatureCheck, SignedDiff};
use crate::trust::TrustLevel;

/// The rules in force for a run.
#[derive(Clone, Debug, Default)]
pub(crate) struct Policy {
    /// An explicit minimum (`--min-trust`, `PGP_PKG_MIN_TRUST`, the policy
    /// file): every package then needs a good signature at this trust or above.
    pub(crate) min_trust: Option<TrustLevel>,
    /// The policy file lets this package be unsigned even under a minimum.
    pub(crate) allow_unsigned: bool,
    /// Only these keys may sign this package (pinned, or recorded on first use).
    pub(crate) pinned: Option<BTreeSet<Fingerprint>>,
    /// Distinct good signers this package needs.
    pub(crate) threshold: Option<usize>,
    /// One of these keys must also sign (a registry or organisation key).
    pub(crate) countersign: BTreeSet<Fingerprint>,
    /// Keys the project's policy file vouches for, for this package only
    /// (`trusted_keys`, docs/policy.md): a good signature by one counts as
    /// `full` where the web of trust says less, but never overrides `never`.
    pub(crate) vouched: BTreeSet<Fingerprint>,
}

impl Policy {
    /// Whether anything beyond the default policy asks for signatures.
    fn requires_signature(&self) -> bool {
        !self.allow_unsigned
            && (self.min_trust.is_some()
                || self.threshold.is_some()
                || self.pinned.is_some()
                || !self.countersign.is_empty())
    }
}

pub(crate) fn decide(
    package: &PackageId,
    integrity_errors: &[String],
    evidence: &Evidence,
    policy: &Policy,
) -> PackageReport {
    let mut report = PackageReport::new(package);
    let vouched;
    let evidence = if policy.vouched.is_empty() {
        evidence
    } else {
        vouched = vouch(evidence, policy, &mut report.reasons);
        &vouched
    };
    if let Evidence::Checked { checks, .. } = evidence {
        report.signers = checks.iter().map(signer_report).collect();
    }
    if !integrity_errors.is_empty() {
        report.reasons.extend(integrity_errors.iter().cloned());
        return fail(report, Status::ChecksumMismatch);
    }
    match evidence {
        Evidence::Unsigned(looked) => {
            report
                .reasons
                .push(format!("no signature found ({looked})"));
            if policy.requires_signature() {
                report.reasons.push(required(policy));
                report.reasons.push(format!(
                    "to verify it, point --signatures (or PGP_PKG_SIGNATURES) at its author's \
                     signatures, or try --git for a signed release tag; to accept it unsigned, add \
                     \"{}/{}\" to allow_unsigned in pgp-pkg.toml",
                    package.ecosystem, package.name
                ));
                return fail(report, Status::Unsigned);
            }
            let allowed = if policy.allow_unsigned {
                " (allowed by the project's policy)"
            } else {
                ""
            };
            report.reasons.push(format!(
                "warning: unsigned{allowed}, so nothing vouches for who wrote this package"
            ));
            pass(report, Status::Unsigned, None)
        }
        Evidence::Unreadable(why) => {
            report.reasons.push(why.clone());
            report.malformed = true;
            fail(report, Status::BadSignature)
        }
        Evidence::Checked {
            signed_diff: Some(SignedDiff::OtherPackage(signed)),
            ..
        } => {
            report
                .reasons
                .push(format!("the signature is for {signed}, not for {package}"));
            fail(report, Status::BadSignature)
        }
        Evidence::Checked {
            signed_diff: Some(SignedDiff::HexChecksumsUnknown),
            ..
        } => {
            for s in &mut report.signers {
                s.status = Status::Unverifiable;
                s.trust = Status::Unverifiable.as_str().to_string();
                s.reason = Some(
                    "signed the tarball's Hex checksums, which an installed tree does not carry"
                        .into(),
                );
            }
            report.reasons.push(
                "every file is what its author signed, but an installed tree does not carry the \
                 two Hex checksums the signature also covers (mix.lock records them): verify the \
                 project with `pgp-pkg verify-tree mix.lock`, or verify the package's tarball"
                    .into(),
            );
            if policy.requires_signature() {
                report.reasons.push(required(policy));
                return fail(report, Status::Unverifiable);
            }
            pass(report, Status::Unverifiable, None)
        }
        Evidence::Checked {
            signed_diff: Some(SignedDiff::Contents(diff)),
            ..
        } => {
            report
                .reasons
                .push("the package differs from what its author signed:".into());
            report.reasons.extend(diff.iter().cloned());
            fail(report, Status::ChecksumMismatch)
        }
        Evidence::Checked {
            checks,
            signed_diff: None,
        } => decide_signed(report, checks, policy),
    }
}

/// The evidence with every good signature by a vouched-for key raised to
/// `full` (a key the user distrusts stays `never`), and a reason saying so.
fn vouch(evidence: &Evidence, policy: &Policy, reasons: &mut Vec<String>) -> Evidence {
    let mut evidence = evidence.clone();
    if let Evidence::Checked { checks, .. } = &mut evidence {
        for c in checks.iter_mut() {
            let Some(fpr) = c.cert.as_ref().filter(|f| policy.vouched.contains(f)) else {
                continue;
            };
            if let Outcome::Good { trust } = &mut c.outcome {
                if *trust > TrustLevel::Never && *trust < TrustLevel::Full {
                    reasons.push(format!(
                        "{fpr}: trust full for this package only, vouched for by the project's \
                         pgp-pkg.toml (trusted_keys); your web of trust says {trust}"
                    ));
                    *trust = TrustLevel::Full;
                }
            }
        }
    }
    evidence
}

fn decide_signed(
    mut report: PackageReport,
    checks: &[SignatureCheck],
    policy: &Policy,
) -> PackageReport {
    // Any failing signature fails the package: a co-signature that does not
    // verify is as alarming as a sole one.
    // In this order of precedence: a signature that does not fit the
    // package may mean tampering, so it is named first.
    let failure = [
        Status::BadSignature,
        Status::Revoked,
        Status::Expired,
        Status::WeakCrypto,
    ]
    .into_iter()
    .find(|status| checks.iter().any(|c| outcome_status(&c.outcome) == *status));
    if let Some(status) = failure {
        // Each failing signature's own reason is in its signer entry; the
        // package's reasons add only what to do (no sentence twice in JSON).
        let certs: Vec<String> = checks
            .iter()
            .filter(|c| outcome_status(&c.outcome) == status)
            .filter_map(|c| c.cert.as_ref().map(|f| f.to_hex()))
            .collect();
        report.reasons.extend(remedy(status, &certs));
        return fail(report, status);
    }

    let good: Vec<TrustLevel> = checks
        .iter()
        .filter_map(|c| match c.outcome {
            Outcome::Good { trust } => Some(trust),
            _ => None,
        })
        .collect();
    let Some(best) = good.iter().copied().max() else {
        let issuers: Vec<&str> = checks.iter().map(|c| c.issuer.as_str()).collect();
        report.reasons.push(format!(
            "signed by {issuers}, not in your keyring: get the author's certificate with \
             `pgp-pkg key fetch {issuers_args}` (or verify with --fetch-keys), or import a copy \
             with `pgp-pkg key import FILE`",
            issuers = issuers.join(", "),
            issuers_args = issuers.join(" "),
        ));
        if policy.requires_signature() {
            report.reasons.push(required(policy));
            return fail(report, Status::UnknownKey);
        }
        return pass(report, Status::UnknownKey, None);
    };
    if good.contains(&TrustLevel::Never) {
        report
            .reasons
            .push("signed by a key you distrust (trust never)".into());
        report.trust = TrustLevel::Never.to_string();
        return fail(report, Status::BelowPolicy);
    }
    if let Some(problem) = project_rules(checks, policy) {
        report.reasons.push(problem);
        report.trust = best.to_string();
        return fail(report, Status::BelowPolicy);
    }
    if let Some(min) = policy.min_trust {
        if best < min {
            report.reasons.push(format!(
                "the best signer's trust is {best}, below the required {min}"
            ));
            report.trust = best.to_string();
            return fail(report, Status::BelowPolicy);
        }
    } else if best < TrustLevel::Full {
        report.reasons.push(format!(
            "warning: the signer is not authenticated (trust {best}); certify or trust their key to rely on it"
        ));
    }
    pass(report, Status::Ok, Some(best))
}

/// Pins, countersignature and threshold: the policy file's rules over the
/// good signatures.
fn project_rules(checks: &[SignatureCheck], policy: &Policy) -> Option<String> {
    let good: BTreeMap<Fingerprint, TrustLevel> = checks
        .iter()
        .filter_map(|c| match (&c.outcome, &c.cert) {
            (Outcome::Good { trust }, Some(fpr)) => Some((fpr.clone(), *trust)),
            _ => None,
        })
        .collect();
    let list = |fprs: &mut dyn Iterator<Item = &Fingerprint>| {
        fprs.map(|f| f.to_hex()).collect::<Vec<_>>().join(", ")
    };
    if let Some(pins) = &policy.pinned {
        if !good.keys().any(|f| pins.contains(f)) {
            return Some(format!(
                "signed by {}, but the pinned signer is {} (pgp-pkg.toml): a changed signer is an alert; \
                 if the change is expected, update the pin",
                list(&mut good.keys()),
                list(&mut pins.iter())
            ));
        }
    }
    if !policy.countersign.is_empty() && !good.keys().any(|f| policy.countersign.contains(f)) {
        return Some(format!(
            "the countersignature by {} is missing",
            list(&mut policy.countersign.iter())
        ));
    }
    if let Some(needed) = policy.threshold {
        let floor = policy.min_trust.unwrap_or(TrustLevel::Unknown);
        let counted = good
            .iter()
            .filter(|(f, t)| **t >= floor && policy.pinned.as_ref().is_none_or(|p| p.contains(f)))
            .count();
        if counted < needed {
            return Some(format!("{counted} distinct good signer(s) at trust {floor} or above; the policy requires {needed}"));
        }
    }
    None
}

/// Why a signature is required, for the reason line.
fn required(policy: &Policy) -> String {
    match policy.min_trust {
        Some(min) => format!("a signature with trust {min} or above is required"),
        None => "the project's policy (pgp-pkg.toml) requires a signature".to_string(),
    }
}

fn pass(mut report: PackageReport, status: Status, trust: Option<TrustLevel>) -> PackageReport {
    report.status = status;
    report.trust = trust
        .map(|t| t.to_string())
        .unwrap_or_else(|| status.as_str().to_string());
    report.passes = true;
    report
}

fn fail(mut report: PackageReport, status: Status) -> PackageReport {
    report.status = status;
    if report.trust_level().is_none() {
        report.trust = status.as_str().to_string();
    }
    report.passes = false;
    report
}

fn outcome_status(outcome: &Outcome) -> Status {
    match outcome {
        Outcome::Good { .. } => Status::Ok,
        Outcome::UnknownKey => Status::UnknownKey,
        Outcome::Bad(_) => Status::BadSignature,
        Outcome::Revoked(_) => Status::Revoked,
        Outcome::Expired(_) => Status::Expired,
        Outcome::WeakCrypto(_) => Status::WeakCrypto,
    }
}

fn outcome_reason(outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Good { .. } => None,
        Outcome::UnknownKey => Some("the signing key is not in your keyring".into()),
        Outcome::Bad(r) | Outcome::Revoked(r) | Outcome::Expired(r) | Outcome::WeakCrypto(r) => {
            Some(r.clone())
        }
    }
}

/// What the user can do about a failure of `certs`.
fn remedy(status: Status, certs: &[String]) -> Option<String> {
    let refresh = format!("`pgp-pkg key refresh {}`", certs.join(" "));
    match status {
        Status::Expired => Some(format!(
            "refresh the author's certificate with {refresh} (or verify with --fetch-keys): \
             they may have extended it; authors who rotate keys re-sign their releases with the new key"
        )),
        Status::Revoked => Some(format!(
            "the author revoked this key: check for a new one ({refresh} picks up what they published); \
             authors who rotate keys re-sign their releases with the new key"
        )),
        Status::WeakCrypto => Some("ask the author to re-sign with a modern key and hash (Ed25519 or RSA-3072, SHA-256 or better)".to_string()),
        _ => None,
    }
}

fn signer_report(check: &SignatureCheck) -> SignerReport {
    let status = outcome_status(&check.outcome);
    let trust = match check.outcome {
        Outcome::Good { trust } => trust.to_string(),
        _ => status.as_str().to_string(),
    };
    SignerReport {
        fingerprint: check
            .cert
            .as_ref()
            .map(|f| f.to_hex())
            .unwrap_or_else(|| check.issuer.clone()),
        signing_key: check.signing_key.as_ref().map(|f| f.to_hex()),
        user_id: check.user_id.clone(),
        trust,
        status,
        created: check.created.map(timestamp),
        reason: outcome_reason(&check.outcome),
        kind: check.kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Ecosystem;

    fn pkg() -> PackageId {
        PackageId {
            ecosystem: Ecosystem::Hex,
            name: "foo".into(),
            version: "1.0.0".into(),
        }
    }

    fn check(outcome: Outcome) -> SignatureCheck {
        SignatureCheck {
            kind: Default::default(),
            issuer: "ABCD".into(),
            cert: None,
            signing_key: None,
            user_id: None,
            created: None,
            outcome,
            emails: Vec::new(),
        }
    }

    fn run(outcomes: Vec<Outcome>, min: Option<TrustLevel>) -> PackageReport {
        run_with(
            outcomes,
            Policy {
                min_trust: min,
                ..Policy::default()
            },
        )
    }

    fn run_with(outcomes: Vec<Outcome>, policy: Policy) -> PackageReport {
        let evidence = Evidence::Checked {
            checks: outcomes.into_iter().map(check).collect(),
            signed_diff: None,
        };
        decide(&pkg(), &[], &evidence, &policy)
    }

    #[test]
    fn default_policy_warns_but_passes_unsigned_and_unauthenticated() {
        let unsigned = decide(
            &pkg(),
            &[],
            &Evidence::Unsigned("nowhere".into()),
            &Policy::default(),
        );
        assert!(unsigned.passes);
        assert_eq!(
            (unsigned.status, unsigned.trust.as_str()),
            (Status::Unsigned, "unsigned")
        );

        let unknown = run(
            vec![Outcome::Good {
                trust: TrustLevel::Unknown,
            }],
            None,
        );
        assert!(unknown.passes);
        assert_eq!(
            (unknown.status, unknown.trust.as_str()),
            (Status::Ok, "unknown")
        );
        assert!(unknown.reasons.iter().any(|r| r.starts_with("warning")));

        let not_in_keyring = run(vec![Outcome::UnknownKey], None);
        assert!(not_in_keyring.passes);
        assert_eq!(not_in_keyring.status, Status::UnknownKey);
    }

    #[test]
    fn a_minimum_requires_a_good_signature_at_that_level() {
        let min = Some(TrustLevel::Full);
        assert!(
            !decide(
                &pkg(),
                &[],
                &Evidence::Unsigned("x".into()),
                &Policy {
                    min_trust: min,
                    ..Policy::default()
                }
            )
            .passes
        );
        assert!(!run(vec![Outcome::UnknownKey], min).passes);
        let marginal = run(
            vec![Outcome::Good {
                trust: TrustLevel::Marginal,
            }],
            min,
        );
        assert_eq!(
            (marginal.status, marginal.passes),
            (Status::BelowPolicy, false)
        );
        let ultimate = run(
            vec![Outcome::Good {
                trust: TrustLevel::Ultimate,
            }],
            min,
        );
        assert_eq!(
            (ultimate.status, ultimate.passes, ultimate.trust.as_str()),
            (Status::Ok, true, "ultimate")
        );
    }

    #[test]
    fn any_failing_signature_fails_even_beside_a_good_one() {
        for (outcome, status) in [
            (Outcome::Bad("x".into()), Status::BadSignature),
            (Outcome::Revoked("x".into()), Status::Revoked),
            (Outcome::Expired("x".into()), Status::Expired),
            (Outcome::WeakCrypto("x".into()), Status::WeakCrypto),
        ] {
            let r = run(
                vec![
                    Outcome::Good {
                        trust: TrustLevel::Ultimate,
                    },
                    outcome,
                ],
                None,
            );
            assert_eq!((r.status, r.passes), (status, false));
        }
        let never = run(
            vec![Outcome::Good {
                trust: TrustLevel::Never,
            }],
            None,
        );
        assert_eq!(
            (never.status, never.passes, never.trust.as_str()),
            (Status::BelowPolicy, false, "never")
        );
    }

    #[test]
    fn integrity_errors_win() {
        let evidence = Evidence::Checked {
            checks: vec![check(Outcome::Good {
                trust: TrustLevel::Ultimate,
            })],
            signed_diff: None,
        };
        let r = decide(
            &pkg(),
            &["inner checksum differs".into()],
            &evidence,
            &Policy::default(),
        );
        assert_eq!((r.status, r.passes), (Status::ChecksumMismatch, false));
    }

    fn signed_by(fpr: &str, trust: TrustLevel) -> SignatureCheck {
        SignatureCheck {
            kind: Default::default(),
            cert: Some(fpr.parse().unwrap()),
            ..check(Outcome::Good { trust })
        }
    }

    const A: &str = "6033A8A5B5F837A98884B7D0E14BC0EF45753E99";
    const B: &str = "4752C0A28C7DB6A5190D69909C9EE3BA183CAB1C";
    const R: &str = "C3D98BE4632B34E3E6AA44914BA7DE17AA6A86FD";

    fn decide_checks(checks: Vec<SignatureCheck>, policy: Policy) -> PackageReport {
        decide(
            &pkg(),
            &[],
            &Evidence::Checked {
                checks,
                signed_diff: None,
            },
            &policy,
        )
    }

    fn set(fprs: &[&str]) -> BTreeSet<Fingerprint> {
        fprs.iter().map(|f| f.parse().unwrap()).collect()
    }

    #[test]
    fn a_changed_signer_of_a_pinned_package_is_an_alert() {
        let policy = Policy {
            pinned: Some(set(&[A])),
            ..Policy::default()
        };
        let ok = decide_checks(vec![signed_by(A, TrustLevel::Full)], policy.clone());
        assert!(ok.passes);
        let r = decide_checks(vec![signed_by(B, TrustLevel::Full)], policy.clone());
        assert_eq!((r.status, r.passes), (Status::BelowPolicy, false));
        let reasons = r.reasons.join(" ");
        assert!(
            reasons.contains(A) && reasons.contains(B),
            "both keys named: {reasons}"
        );
        // A pinned package may not be unsigned.
        assert!(!decide(&pkg(), &[], &Evidence::Unsigned("x".into()), &policy).passes);
    }

    #[test]
    fn countersignature_and_threshold() {
        let policy = Policy {
            countersign: set(&[R]),
            ..Policy::default()
        };
        assert!(!decide_checks(vec![signed_by(A, TrustLevel::Full)], policy.clone()).passes);
        assert!(
            decide_checks(
                vec![
                    signed_by(A, TrustLevel::Full),
                    signed_by(R, TrustLevel::Full)
                ],
                policy
            )
            .passes
        );

        let policy = Policy {
            threshold: Some(2),
            min_trust: Some(TrustLevel::Marginal),
            ..Policy::default()
        };
        let one_counted = vec![
            signed_by(A, TrustLevel::Full),
            signed_by(B, TrustLevel::Unknown),
        ];
        let r = decide_checks(one_counted, policy.clone());
        assert_eq!(
            (r.status, r.passes),
            (Status::BelowPolicy, false),
            "{:?}",
            r.reasons
        );
        assert!(
            decide_checks(
                vec![
                    signed_by(A, TrustLevel::Full),
                    signed_by(B, TrustLevel::Marginal)
                ],
                policy
            )
            .passes
        );
    }

    #[test]
    fn allowed_unsigned_passes_under_a_minimum() {
        let policy = Policy {
            min_trust: Some(TrustLevel::Full),
            allow_unsigned: true,
            ..Policy::default()
        };
        assert!(decide(&pkg(), &[], &Evidence::Unsigned("x".into()), &policy).passes);
    }
}
