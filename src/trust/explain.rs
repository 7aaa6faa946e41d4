//! `trust explain`: why a key's user IDs are (or are not) authenticated, in
//! terms a GnuPG user knows: paths of certifications from the trust roots,
//! owner trust, depth, and "only N of 3 marginals".

use std::fmt::Write as _;
use std::time::SystemTime;

use openpgp::policy::{HashAlgoSecurity, Policy};
use openpgp::{Cert, Fingerprint, KeyHandle, KeyID};
use sequoia_openpgp as openpgp;
use std::collections::HashMap;

use crate::keys::keyring::IssuerLookup;
use crate::trust::wot::{CertValidity, UserIdValidity, WebOfTrust, MAX_DEPTH};
use crate::trust::TrustLevel;

#[derive(Debug)]
pub(crate) struct Explanation {
    pub(crate) fingerprint: String,
    pub(crate) owner_trust: TrustLevel,
    pub(crate) validity: TrustLevel,
    pub(crate) revoked: bool,
    pub(crate) expired: bool,
    pub(crate) user_ids: Vec<UserIdExplanation>,
}

#[derive(Debug)]
pub(crate) struct UserIdExplanation {
    pub(crate) user_id: String,
    pub(crate) validity: TrustLevel,
    pub(crate) depth: Option<usize>,
    pub(crate) amount: usize,
    /// Each path runs from a trust root to this user ID.
    pub(crate) paths: Vec<Vec<Hop>>,
    /// Why the binding is not (fully) authenticated.
    pub(crate) reasons: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Hop {
    pub(crate) fingerprint: String,
    pub(crate) user_id: Option<String>,
    /// `ultimate` for a root, else the introducer's owner trust.
    pub(crate) role: TrustLevel,
    /// The trust amount this hop carries (120 full, 40 marginal).
    pub(crate) amount: usize,
    pub(crate) depth: usize,
}

/// `certs` finds the certificates the explanation names (through the
/// keyring index: only those are parsed); an error there is an error of the
/// whole explanation, never "not in your keyring".
pub(crate) fn explain(
    certs: &dyn IssuerLookup,
    wot: &WebOfTrust,
    cert: &Cert,
    now: SystemTime,
) -> anyhow::Result<Explanation> {
    let fpr = cert.fingerprint();
    let validity = wot.cert(&fpr).cloned().unwrap_or_else(|| CertValidity {
        fingerprint: fpr.to_hex(),
        owner_trust: TrustLevel::Unknown,
        revoked: false,
        expired: false,
        validity: TrustLevel::Unknown,
        user_ids: Vec::new(),
    });
    let user_ids = validity
        .user_ids
        .iter()
        .map(|u| {
            Ok(UserIdExplanation {
                user_id: u.user_id.clone(),
                validity: u.validity,
                depth: u.depth,
                amount: u.amount,
                paths: u
                    .certified_by
                    .iter()
                    .map(|i| path_to(wot, &i.certifier, &u.user_id, &validity))
                    .collect(),
                reasons: reasons(certs, wot, cert, &validity, u, now)?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Explanation {
        fingerprint: validity.fingerprint.clone(),
        owner_trust: validity.owner_trust,
        validity: validity.validity,
        revoked: validity.revoked,
        expired: validity.expired,
        user_ids,
    })
}

/// The chain root → … → `introducer` → target, following each introducer's
/// own strongest certifier down to depth 0.
fn path_to(
    wot: &WebOfTrust,
    introducer: &str,
    target_uid: &str,
    target: &CertValidity,
) -> Vec<Hop> {
    let mut chain = Vec::new();
    let mut current = introducer.to_string();
    while let Some(c) = current
        .parse::<Fingerprint>()
        .ok()
        .and_then(|f| wot.cert(&f))
    {
        let best = best_user_id(c);
        let depth = best.and_then(|u| u.depth).unwrap_or(0);
        chain.push(Hop {
            fingerprint: c.fingerprint.clone(),
            user_id: name_of(c),
            role: if depth == 0 {
                TrustLevel::Ultimate
            } else {
                c.owner_trust
            },
            amount: if depth == 0 || c.owner_trust == TrustLevel::Full {
                120
            } else {
                40
            },
            depth,
        });
        match best.and_then(|u| u.certified_by.first()) {
            Some(next) if depth > 0 && chain.len() <= MAX_DEPTH => current = next.certifier.clone(),
            _ => break,
        }
    }
    chain.reverse();
    let depth = chain.last().map(|h| h.depth + 1).unwrap_or(0);
    chain.push(Hop {
        fingerprint: target.fingerprint.clone(),
        user_id: Some(target_uid.to_string()),
        role: target.owner_trust,
        amount: 0,
        depth,
    });
    chain
}

/// How a certificate is named in an explanation: the user ID through which
/// it is best authenticated, else its first.
fn name_of(c: &CertValidity) -> Option<String> {
    best_user_id(c)
        .or(c.user_ids.first())
        .map(|u| u.user_id.clone())
}

fn best_user_id(c: &CertValidity) -> Option<&UserIdValidity> {
    c.user_ids
        .iter()
        .filter(|u| !u.revoked && u.depth.is_some())
        .min_by_key(|u| (std::cmp::Reverse(u.validity), u.depth))
}

fn reasons(
    certs: &dyn IssuerLookup,
    wot: &WebOfTrust,
    cert: &Cert,
    validity: &CertValidity,
    uid: &UserIdValidity,
    now: SystemTime,
) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    if uid.validity >= TrustLevel::Full {
        return Ok(out);
    }
    if validity.revoked {
        out.push(
            "the certificate is revoked: a revoked key confers nothing, whatever certifies it"
                .into(),
        );
    }
    if validity.expired {
        out.push("the certificate is expired: refresh it (`pgp-pkg key import`), the owner may have extended it".into());
    }
    if uid.revoked {
        out.push("this user ID is revoked by its owner".into());
    }
    if uid.validity == TrustLevel::Marginal {
        let marginals = uid.amount / 40;
        out.push(format!(
            "only {marginals} marginally trusted introducer(s) certify it; 3 marginal or 1 full are needed"
        ));
    }
    let policy = crate::keys::crypto::policy(now);
    let Some(ua) = cert.userids().find(|u| u.userid() == &uid.raw) else {
        return Ok(out);
    };
    // Certifiers by primary key ID, from the snapshot: a key with hundreds
    // of certifications is explained without parsing hundreds of
    // certificates. Only a certifier whose certification did not count for
    // no visible reason is parsed (`why_not_counted`).
    let by_key_id: HashMap<KeyID, Fingerprint> = wot
        .certs()
        .filter_map(|c| c.fingerprint.parse::<Fingerprint>().ok())
        .map(|f| (KeyID::from(&f), f))
        .collect();
    let mut any = false;
    for sig in ua.certifications() {
        any = true;
        let issuers = sig.get_issuers();
        let primary = issuers.iter().find_map(|h| match h {
            KeyHandle::Fingerprint(f) => wot.cert(f).map(|_| f.clone()),
            KeyHandle::KeyID(id) => by_key_id.get(id).cloned(),
        });
        let cf = match primary {
            Some(f) => f,
            None => match certs.issuer_cert(&issuers)? {
                Some(c) => c.fingerprint(),
                None => {
                    let who = issuers
                        .first()
                        .map(|h| h.to_hex())
                        .unwrap_or_else(|| "an unknown key".into());
                    out.push(format!("certified by {who}, which is not in your keyring"));
                    continue;
                }
            },
        };
        let name = wot.cert(&cf).and_then(name_of).unwrap_or_default();
        let who = format!("{} {name}", cf.to_hex());
        if let Err(e) = policy.signature(sig, HashAlgoSecurity::CollisionResistance) {
            out.push(format!(
                "certified by {who}, but with {} ({e}): too weak to count",
                sig.hash_algo()
            ));
            continue;
        }
        let Some(cv) = wot.cert(&cf) else { continue };
        let certifier_depth = best_user_id(cv)
            .filter(|u| u.validity >= TrustLevel::Full)
            .and_then(|u| u.depth);
        if sig.exportable().is_err() && certifier_depth != Some(0) {
            out.push(format!(
                "a local certification by {who}, which is not ultimately trusted: ignored"
            ));
        } else if cv.revoked || cv.expired {
            out.push(format!("certified by {who}, which is revoked or expired"));
        } else if certifier_depth.is_none() {
            out.push(format!(
                "certified by {who}, which is not fully valid itself (validity {})",
                cv.validity
            ));
        } else if cv.owner_trust == TrustLevel::Never {
            out.push(format!(
                "certified by {who}, whom you distrust (owner trust never)"
            ));
        } else if certifier_depth != Some(0) && cv.owner_trust < TrustLevel::Marginal {
            out.push(format!(
                "certified by {who}, which is valid but has no owner trust: `pgp-pkg trust set {} full` (or marginal) if you trust its owner to certify",
                cf.to_hex()
            ));
        } else if certifier_depth.is_some_and(|d| d >= MAX_DEPTH) {
            out.push(format!("certified by {who}, which is {MAX_DEPTH} steps from your keys: too deep (at most {MAX_DEPTH})"));
        } else if !uid.certified_by.iter().any(|i| i.certifier == cf.to_hex()) {
            // A usable introducer, yet its certification did not count: say why.
            let Some(certifier) = certs.issuer_cert(&issuers)? else {
                continue;
            };
            out.push(format!(
                "certified by {who}, but {}",
                why_not_counted(sig, &certifier, cert, &ua, now)
            ));
        }
    }
    if !any && !validity.revoked && !uid.revoked && uid.depth.is_none() {
        out.push("no key in your keyring has certified this user ID".into());
    }
    if out.is_empty() && uid.validity < TrustLevel::Full {
        out.push("no path from your trust roots reaches it".into());
    }
    Ok(out)
}

impl Explanation {
    /// The report for people, in gpg's vocabulary.
    pub(crate) fn to_human(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: validity {}, owner trust {}",
            self.fingerprint, self.validity, self.owner_trust
        );
        if self.revoked {
            out.push_str("  the certificate is REVOKED\n");
        }
        if self.expired {
            out.push_str("  the certificate is EXPIRED\n");
        }
        for u in &self.user_ids {
            let how = match u.depth {
                Some(0) => " (a trust root: your own key, or owner trust ultimate)".to_string(),
                Some(d) => format!(" (depth {d}, trust amount {}/120)", u.amount),
                None => String::new(),
            };
            let _ = writeln!(out, "  [{:>8}] {}{how}", u.validity, u.user_id);
            for (i, path) in u.paths.iter().enumerate() {
                let _ = writeln!(out, "    path {}:", i + 1);
                for hop in path {
                    let name = hop.user_id.as_deref().unwrap_or("");
                    if hop.depth == 0 {
                        let _ = writeln!(
                            out,
                            "      {} {name} (trust root: ultimate)",
                            hop.fingerprint
                        );
                    } else if std::ptr::eq(hop, path.last().expect("non-empty")) {
                        let _ = writeln!(out, "      └ certifies {name}");
                    } else {
                        let _ = writeln!(
                            out,
                            "      ├ {} {name} (depth {}, owner trust {}, amount {})",
                            hop.fingerprint, hop.depth, hop.role, hop.amount
                        );
                    }
                }
            }
            for r in &u.reasons {
                let _ = writeln!(out, "    - {r}");
            }
        }
        out
    }
}

/// Why a certification by a usable introducer was not counted by the web of
/// trust (sequoia-wot's validity rules; docs/trust-model.md).
fn why_not_counted(
    sig: &openpgp::packet::Signature,
    certifier: &Cert,
    cert: &Cert,
    ua: &openpgp::cert::amalgamation::UserIDAmalgamation<'_>,
    now: SystemTime,
) -> String {
    let created = sig.signature_creation_time();
    if let Some(expired) = sig.signature_expiration_time().filter(|t| *t <= now) {
        return format!(
            "the certification expired on {}",
            crate::model::timestamp(expired)
        );
    }
    let revoked = ua.other_revocations().any(|r| {
        r.get_issuers()
            .iter()
            .any(|h| certifier.keys().any(|k| k.key().key_handle().aliases(h)))
            && r.signature_creation_time() >= created
    });
    if revoked {
        return "its issuer has revoked the certification".into();
    }
    let oldest_self_signature = certifier
        .userids()
        .flat_map(|u| u.self_signatures())
        .chain(certifier.primary_key().self_signatures())
        .filter_map(|s| s.signature_creation_time())
        .min();
    if let (Some(made), Some(oldest)) = (created, oldest_self_signature) {
        if made < oldest {
            return format!(
                "the certification ({}) is older than the certifier's oldest surviving self-signature ({}); GnuPG counts it, pgp-pkg does not (docs/trust-model.md, deliberate differences)",
                crate::model::timestamp(made),
                crate::model::timestamp(oldest)
            );
        }
    }
    let verifies = certifier.keys().any(|k| {
        sig.clone()
            .verify_userid_binding(k.key(), cert.primary_key().key(), ua.userid())
            .is_ok()
    });
    if !verifies {
        return "the certification does not verify (damaged, or not made by that key)".into();
    }
    "the certification is not valid under the crypto policy or at this time".into()
}
