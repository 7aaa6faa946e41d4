//! Web Key Directories (draft-koch-openpgp-webkey-service): the addresses
//! come from `sequoia-net`; fetching goes through the one HTTP client.

use std::path::Path;

use anyhow::{Context, Result};
use sequoia_net::wkd::{Url, Variant};
use sequoia_openpgp::Cert;

use crate::net::{Answer, Http};

/// The certificate body for `email`, and the URL that answered (or the
/// last one asked). `None`: the directory has no key for the address, or
/// the domain runs no directory at all (its host does not exist).
///
/// The advanced method is asked first; only if that fails is the direct one
/// asked, as the draft says. With `base` (`PGP_PKG_WKD_BASE`), the advanced
/// method is asked there instead and the direct one never.
pub(crate) fn get(
    http: &Http,
    email: &str,
    base: Option<&str>,
) -> Result<(Option<Vec<u8>>, String)> {
    let url = Url::from(email).with_context(|| format!("{email:?} is not an email address"))?;
    let advanced = url.build(Variant::Advanced);
    if let Some(base) = base {
        let url = rebase(&advanced, base)?;
        return match http.get(&url, super::MAX_CERT_BODY)? {
            Answer::Found(body) => Ok((Some(body), url)),
            Answer::NotFound => Ok((None, url)),
            Answer::NoSuchHost => anyhow::bail!("cannot reach {url}: host not found"),
        };
    }
    let advanced_error = match http.get(&advanced, super::MAX_CERT_BODY) {
        Ok(Answer::Found(body)) => return Ok((Some(body), advanced)),
        Ok(Answer::NotFound) => return Ok((None, advanced)),
        Ok(Answer::NoSuchHost) => None,
        Err(e) => Some(e),
    };
    let direct = url.build(Variant::Direct);
    match (http.get(&direct, super::MAX_CERT_BODY), advanced_error) {
        (Ok(Answer::Found(body)), _) => Ok((Some(body), direct)),
        // A directory that answered, or a domain with neither host: no key.
        (Ok(Answer::NotFound), _) | (Ok(Answer::NoSuchHost), None) => Ok((None, direct)),
        // The advanced host exists but could not be asked, and there is no
        // direct one: unknown, not "not found".
        (Ok(Answer::NoSuchHost), Some(a)) => Err(a),
        (Err(e), Some(a)) => Err(e.context(format!("and before that: {a:#}"))),
        (Err(e), None) => Err(e),
    }
}

/// `https://openpgpkey.DOMAIN/...` with `https://openpgpkey.DOMAIN` replaced by `base`.
fn rebase(advanced: &str, base: &str) -> Result<String> {
    let rest = advanced
        .strip_prefix("https://openpgpkey.")
        .context("unexpected WKD URL")?;
    let path = &rest[rest.find('/').context("unexpected WKD URL")?..];
    Ok(format!("{}{path}", base.trim_end_matches('/')))
}

/// The certificate with only the user IDs that carry `email` (and no user
/// attributes), or `None` when it has none: a directory speaks for its own
/// addresses only.
pub(crate) fn only_address(cert: Cert, email: &str) -> Option<Cert> {
    let cert = cert
        .retain_userids(|u| super::same_email(u.userid(), email))
        .retain_user_attributes(|_| false);
    (cert.userids().next().is_some()).then_some(cert)
}

/// Writes `cert` into a WKD directory tree under `dir` for `domain` (the
/// advanced method's layout: `DIR/.well-known/openpgpkey/DOMAIN/hu/HASH`),
/// so the author can publish it on `openpgpkey.DOMAIN`. Returns the files written.
pub(crate) fn publish(dir: &Path, domain: &str, cert: &Cert) -> Result<Vec<std::path::PathBuf>> {
    sequoia_net::wkd::insert(dir, domain, Variant::Advanced, cert).with_context(|| {
        format!(
            "cannot write the key directory for {domain} in {}",
            dir.display()
        )
    })?;
    let mut written = Vec::new();
    for uid in cert.userids() {
        if let Some(email) = uid.userid().email().ok().flatten() {
            if email
                .rsplit('@')
                .next()
                .is_some_and(|d| d.eq_ignore_ascii_case(domain))
            {
                let url = Url::from(email)?;
                written.push(dir.join(url.to_file_path(Variant::Advanced)?));
            }
        }
    }
    written.sort();
    written.dedup();
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_replaces_the_advanced_host() {
        let advanced = Url::from("Joe.Doe@Example.ORG")
            .unwrap()
            .build(Variant::Advanced);
        let url = rebase(&advanced, "http://127.0.0.1:8080/").unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:8080/.well-known/openpgpkey/"),
            "{url}"
        );
        assert!(url.contains("/hu/"), "{url}");
        assert!(url.ends_with("?l=Joe.Doe"), "{url}");
    }
}
