//! Fetching signatures from URL templates (docs/interface.md, "Signature sources"): `{ecosystem}`,
//! `{name}`, `{version}` filled in, fetched over HTTPS with rustls and
//! timeouts. A 404 means "no signature here"; any other failure is an error,
//! never `unsigned`: otherwise an attacker who can break the connection could
//! strip signatures and downgrade a package to the lenient default policy.

use anyhow::{bail, Result};

use crate::model::PackageId;
use crate::net::{percent_encode, Answer, Http};

/// Signature files are small; anything larger is not one.
const MAX_BODY: u64 = 1 << 20;

/// The signature (or signed checksum file) at `url`, `None` for 404 Not
/// Found. A host that does not resolve is unreachable, not "unsigned".
pub(crate) fn get(http: &Http, url: &str) -> Result<Option<Vec<u8>>> {
    match http.get(url, MAX_BODY)? {
        Answer::Found(body) => Ok(Some(body)),
        Answer::NotFound => Ok(None),
        Answer::NoSuchHost => bail!("cannot reach {url}: host not found"),
    }
}

/// Fills a template. Names keep their `/` (Composer's `vendor/name`), like
/// the directory layout; other unusual characters are percent-encoded.
pub(crate) fn expand(template: &str, id: &PackageId) -> String {
    template
        .replace("{ecosystem}", id.ecosystem.as_str())
        .replace("{name}", &percent_encode(&id.name, b"/"))
        .replace("{version}", &percent_encode(&id.version, b"/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Ecosystem;

    #[test]
    fn templates_expand_and_schemes_are_checked() {
        let id = PackageId {
            ecosystem: Ecosystem::Composer,
            name: "acme/widget".into(),
            version: "1.0.0+build 1".into(),
        };
        assert_eq!(
            expand("https://sigs.example/{ecosystem}/{name}/{version}.asc", &id),
            "https://sigs.example/composer/acme/widget/1.0.0%2Bbuild%201.asc"
        );
    }
}
