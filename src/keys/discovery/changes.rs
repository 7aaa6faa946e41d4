//! What an update brought to a certificate, in words (`key refresh`,
//! `key fetch`, `--fetch-keys`): a revocation, a new expiry date, new
//! subkeys, user IDs and certifications.

use std::time::SystemTime;

use openpgp::policy::Policy;
use openpgp::types::RevocationStatus;
use openpgp::Cert;
use sequoia_openpgp as openpgp;

use crate::model::timestamp;

/// The differences from `old` to `new` that matter to a verifier.
pub(crate) fn describe(
    old: &Cert,
    new: &Cert,
    policy: &dyn Policy,
    now: SystemTime,
) -> Vec<String> {
    let mut changes = Vec::new();
    let revoked = |c: &Cert| {
        matches!(
            c.revocation_status(policy, now),
            RevocationStatus::Revoked(_)
        )
    };
    if revoked(new) && !revoked(old) {
        changes.push("revoked".to_string());
    }
    let expiry = |c: &Cert| -> Option<Option<SystemTime>> {
        c.with_policy(policy, now)
            .ok()
            .map(|v| v.primary_key().key_expiration_time())
    };
    match (expiry(old), expiry(new)) {
        (Some(a), Some(b)) if a != b => changes.push(match b {
            Some(t) => format!("expires {}", timestamp(t)),
            None => "no longer expires".to_string(),
        }),
        (None, Some(b)) => changes.push(match b {
            Some(t) => format!("valid again, until {}", timestamp(t)),
            None => "valid again".to_string(),
        }),
        _ => {}
    }
    let count = |n: usize, what: &str| (n > 0).then(|| format!("{n} new {what}"));
    let subkeys = new
        .keys()
        .subkeys()
        .count()
        .saturating_sub(old.keys().subkeys().count());
    let uids = new.userids().count().saturating_sub(old.userids().count());
    let certifications =
        |c: &Cert| -> usize { c.userids().map(|u| u.certifications().count()).sum() };
    let certs = certifications(new).saturating_sub(certifications(old));
    let revoked_keys = |c: &Cert| {
        c.keys()
            .subkeys()
            .filter(|k| {
                matches!(
                    k.revocation_status(policy, now),
                    RevocationStatus::Revoked(_)
                )
            })
            .count()
    };
    let sub_revs = revoked_keys(new).saturating_sub(revoked_keys(old));
    changes.extend(count(subkeys, "subkey(s)"));
    changes.extend(count(sub_revs, "subkey revocation(s)"));
    changes.extend(count(uids, "user ID(s)"));
    changes.extend(count(certs, "certification(s)"));
    if changes.is_empty() && old != new {
        changes.push("new signatures".to_string());
    }
    changes
}
