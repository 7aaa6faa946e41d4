//! Fetching signatures from URL templates (docs/interface.md, "Signature sources"): `{ecosystem}`,
//! `{name}`, `{version}` filled in, fetched over HTTPS with rustls and
//! timeouts. A 404 means "no signature here"; any other failure is an error,
//! never `unsigned`: otherwise an attacker who can break the connection could
//! strip signatures and downgrade a package to the lenient default policy.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use ureq::Agent;

use crate::model::PackageId;

/// Signature files are small; anything larger is not one.
const MAX_BODY: u64 = 1 << 20;

pub(crate) struct Fetcher {
    agent: Agent,
}

impl Default for Fetcher {
    fn default() -> Self {
        let agent: Agent = Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(false)
            .build()
            .into();
        Fetcher { agent }
    }
}

impl Fetcher {
    /// The body at `url`, `None` for 404 Not Found.
    pub(crate) fn get(&self, url: &str) -> Result<Option<Vec<u8>>> {
        check_scheme(url)?;
        let mut response = self
            .agent
            .get(url)
            .call()
            .with_context(|| format!("fetching {url}"))?;
        match response.status().as_u16() {
            200 => Ok(Some(
                response
                    .body_mut()
                    .with_config()
                    .limit(MAX_BODY)
                    .read_to_vec()
                    .with_context(|| format!("reading {url}"))?,
            )),
            404 => Ok(None),
            code => bail!("fetching {url}: HTTP {code}"),
        }
    }
}

/// Fills a template. Names keep their `/` (Composer's `vendor/name`), like
/// the directory layout; other unusual characters are percent-encoded.
pub(crate) fn expand(template: &str, id: &PackageId) -> String {
    template
        .replace("{ecosystem}", id.ecosystem.as_str())
        .replace("{name}", &encode(&id.name))
        .replace("{version}", &encode(&id.version))
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// HTTPS everywhere; plain HTTP only to this machine (local mirrors, tests),
/// since a stripped response on the network would downgrade packages.
fn check_scheme(url: &str) -> Result<()> {
    if url.starts_with("https://") {
        return Ok(());
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', ':']).next().unwrap_or_default();
        let loopback = host == "localhost" || host.starts_with("127.") || rest.starts_with("[::1]");
        if loopback {
            return Ok(());
        }
        bail!("{url}: plain HTTP is only allowed to localhost; use https://");
    }
    bail!("{url}: only https:// (and http://localhost) signature URLs are supported")
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
        assert!(check_scheme("http://127.0.0.1:8080/x").is_ok());
        assert!(check_scheme("http://sigs.example/x").is_err());
        assert!(check_scheme("ftp://sigs.example/x").is_err());
    }
}
