//! The policy decision: from the evidence about one package (its integrity,
//! its signatures and their signers' trust) to a status and a pass/fail.
//!
//! Pure logic, no I/O. The default policy (SPEC §6, stable interface) lets
//! unsigned packages and unauthenticated signers pass with a warning, but
//! never a signed package that fails to verify.

use crate::checksum_file::PackageId;
use crate::report::{PackageReport, SignerReport, Status};
use crate::trust::TrustLevel;
use crate::verify::{timestamp, Outcome, SignatureCheck};

/// The rules in force for a run.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// An explicit minimum (`--min-trust`, `PGP_PKG_MIN_TRUST`): every
    /// package then needs a good signature at this trust or above.
    pub min_trust: Option<TrustLevel>,
}

/// What was found about a package's signatures.
#[derive(Clone, Debug)]
pub enum Evidence {
    /// No signature anywhere we looked; the string says where that was.
    Unsigned(String),
    /// A signature file that is not an OpenPGP signature.
    Unreadable(String),
    Checked {
        checks: Vec<SignatureCheck>,
        /// Set when no signature verified over the package, but one did over
        /// the signed checksum file published beside it: how the two differ.
        signed_diff: Option<SignedDiff>,
    },
}

/// How an authentic signed checksum file differs from the package at hand.
#[derive(Clone, Debug)]
pub enum SignedDiff {
    /// It was signed for another package or version (named here).
    OtherPackage(String),
    /// Same package, different contents: one line per kind of change.
    Contents(Vec<String>),
}

pub fn decide(
    package: &PackageId,
    integrity_errors: &[String],
    evidence: &Evidence,
    policy: &Policy,
) -> PackageReport {
    let mut report = PackageReport::new(package);
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
            if let Some(min) = policy.min_trust {
                report
                    .reasons
                    .push(format!("a signature with trust {min} or above is required"));
                return fail(report, Status::Unsigned);
            }
            report
                .reasons
                .push("warning: unsigned, so nothing vouches for who wrote this package".into());
            pass(report, Status::Unsigned, None)
        }
        Evidence::Unreadable(why) => {
            report.reasons.push(why.clone());
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

fn decide_signed(
    mut report: PackageReport,
    checks: &[SignatureCheck],
    policy: &Policy,
) -> PackageReport {
    // Any failing signature fails the package: a co-signature that does not
    // verify is as alarming as a sole one.
    let failure = [
        (Status::BadSignature, "bad signature"),
        (Status::Revoked, "revoked key"),
        (Status::Expired, "expired key"),
        (Status::WeakCrypto, "weak cryptography"),
    ]
    .into_iter()
    .find(|(status, _)| checks.iter().any(|c| outcome_status(&c.outcome) == *status));
    if let Some((status, _)) = failure {
        for c in checks
            .iter()
            .filter(|c| outcome_status(&c.outcome) == status)
        {
            report.reasons.push(format!(
                "{}: {}",
                c.cert
                    .as_ref()
                    .map(|f| f.to_hex())
                    .unwrap_or(c.issuer.clone()),
                outcome_reason(&c.outcome).unwrap_or_default()
            ));
        }
        report.reasons.extend(remedy(status).map(str::to_string));
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
            "signed by {}, not in your keyring: import the author's certificate with `pgp-pkg key import`",
            issuers.join(", ")
        ));
        if let Some(min) = policy.min_trust {
            report
                .reasons
                .push(format!("a signature with trust {min} or above is required"));
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

/// What the user can do about a failure.
fn remedy(status: Status) -> Option<&'static str> {
    match status {
        Status::Revoked | Status::Expired => Some(
            "refresh the author's certificate (`pgp-pkg key import`): they may have extended it; \
             authors who rotate keys re-sign their releases with the new key",
        ),
        Status::WeakCrypto => Some("ask the author to re-sign with a modern key and hash (Ed25519 or RSA-3072, SHA-256 or better)"),
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum_file::Ecosystem;

    fn pkg() -> PackageId {
        PackageId {
            ecosystem: Ecosystem::Hex,
            name: "foo".into(),
            version: "1.0.0".into(),
        }
    }

    fn check(outcome: Outcome) -> SignatureCheck {
        SignatureCheck {
            issuer: "ABCD".into(),
            cert: None,
            signing_key: None,
            user_id: None,
            created: None,
            outcome,
        }
    }

    fn run(outcomes: Vec<Outcome>, min: Option<TrustLevel>) -> PackageReport {
        let evidence = Evidence::Checked {
            checks: outcomes.into_iter().map(check).collect(),
            signed_diff: None,
        };
        decide(&pkg(), &[], &evidence, &Policy { min_trust: min })
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
                &Policy { min_trust: min }
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
}
