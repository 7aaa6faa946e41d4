//! The one crypto policy. Every signature check, self-signature check and
//! certification check goes through [`policy`], so a change of what counts
//! as weak (SHA-1, short RSA) happens in one place (docs/crypto-backend.md).

use std::time::SystemTime;

use sequoia_openpgp::policy::{Policy, StandardPolicy};
use sequoia_openpgp::types::PublicKeyAlgorithm;
use sequoia_openpgp::Cert;

/// Sequoia's standard policy, judged at `now`: the algorithm cut-off dates
/// (SHA-1 and the like) apply as of that moment.
pub(crate) fn policy(now: SystemTime) -> StandardPolicy<'static> {
    StandardPolicy::at(now)
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
