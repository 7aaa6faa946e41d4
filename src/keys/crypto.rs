//! The one crypto policy. Every signature check, self-signature check and
//! certification check goes through [`policy`], so a change of what counts
//! as weak (SHA-1, short RSA) happens in one place (docs/crypto-backend.md).

use std::time::SystemTime;

use sequoia_openpgp::policy::{AsymmetricAlgorithm, HashAlgoSecurity, Policy, StandardPolicy};
use sequoia_openpgp::types::{HashAlgorithm, PublicKeyAlgorithm, SymmetricAlgorithm};
use sequoia_openpgp::Cert;

/// Sequoia's standard policy, judged at `now`: the algorithm cut-off dates
/// (SHA-1 and the like) apply as of that moment.
pub(crate) fn policy(now: SystemTime) -> StandardPolicy<'static> {
    StandardPolicy::at(now)
}

/// The first moment after `now` at which [`policy`] judges anything
/// differently: its next algorithm cut-off (and, for revocations, a
/// cut-off plus the revocation tolerance). Results computed under the
/// policy (validity snapshots) are kept until then at most.
pub(crate) fn policy_changes_after(now: SystemTime) -> Option<SystemTime> {
    let p = policy(now);
    let tolerance: std::time::Duration = p.get_hash_revocation_tolerance().into();
    let hashes = HashAlgorithm::variants().flat_map(|h| {
        [
            HashAlgoSecurity::CollisionResistance,
            HashAlgoSecurity::SecondPreImageResistance,
        ]
        .map(|sec| p.hash_cutoff(h, sec))
    });
    let cutoffs: Vec<SystemTime> = hashes
        .chain(AsymmetricAlgorithm::variants().map(|a| p.asymmetric_algo_cutoff(a)))
        .chain(SymmetricAlgorithm::variants().map(|s| p.symmetric_algo_cutoff(s)))
        .flatten()
        .collect();
    cutoffs
        .iter()
        .copied()
        .chain(cutoffs.iter().map(|t| *t + tolerance))
        .filter(|t| *t > now)
        .min()
}

#[allow(deprecated)] // RSASign is deprecated for new keys, but old keys still use it.
pub(crate) fn is_rsa(algo: PublicKeyAlgorithm) -> bool {
    matches!(
        algo,
        PublicKeyAlgorithm::RSAEncryptSign | PublicKeyAlgorithm::RSASign
    )
}

/// True when RSA runs on the pure-Rust backend (see docs/crypto-backend.md).
pub(crate) fn variable_time_rsa() -> bool {
    cfg!(feature = "crypto-rust")
        && !cfg!(any(feature = "crypto-nettle", feature = "crypto-openssl"))
}

/// The user ID to show for a certificate: the primary one if the
/// certificate is valid now, else the first one present.
pub(crate) fn display_user_id(cert: &Cert, policy: &dyn Policy, now: SystemTime) -> Option<String> {
    let from_valid = cert.with_policy(policy, now).ok().and_then(|vc| {
        vc.primary_userid()
            .ok()
            .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
    });
    from_valid.or_else(|| {
        cert.userids()
            .next()
            .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
    })
}
