//! HTTP, for everything pgp-pkg fetches: signature URL templates, keyservers,
//! Web Key Directories (docs/keys.md, "The network, failing closed").
//!
//! One client with one set of rules, so no fetch can forget one:
//! - HTTPS everywhere; plain HTTP only to this machine (`localhost`,
//!   `127.0.0.1`, `[::1]`: local mirrors and tests), since a response that an
//!   attacker on the network can rewrite would downgrade packages;
//! - connect and total timeouts on every request;
//! - `--offline` (`PGP_PKG_OFFLINE=1`) refuses every request, so a command
//!   that needs the network fails and says so instead of passing;
//! - only 200 and 404 are answers. Everything else (a refused connection, a
//!   timeout, a server error) is an error for the caller to report, never
//!   "not found": an attacker who can break connections must not be able to
//!   turn a revocation check into a pass.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use ureq::Agent;

/// Requests in flight at once, for work that mostly waits on servers (key
/// lookups, remote signatures): independent of the number of cores.
pub(crate) const CONCURRENT_REQUESTS: usize = 32;

/// How the network may be used in this run.
#[derive(Clone, Debug)]
pub(crate) struct NetSettings {
    pub(crate) offline: bool,
    /// Per request: how long connecting may take, and the whole exchange.
    pub(crate) connect_timeout: Duration,
    pub(crate) total_timeout: Duration,
}

impl NetSettings {
    /// `offline` from `--offline`/`PGP_PKG_OFFLINE`; the timeouts from
    /// `PGP_PKG_NET_TIMEOUT` (seconds, for the whole exchange; connecting
    /// gets at most half), else 10 s to connect and 30 s in all.
    pub(crate) fn from_env(offline: bool) -> Result<NetSettings> {
        let (connect, total) = match std::env::var("PGP_PKG_NET_TIMEOUT") {
            Ok(s) => {
                let secs: f64 = s
                    .trim()
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite() && *v > 0.0)
                    .with_context(|| {
                        format!("PGP_PKG_NET_TIMEOUT={s:?}: expected a number of seconds")
                    })?;
                let total = Duration::from_secs_f64(secs);
                (total / 2, total)
            }
            Err(_) => (Duration::from_secs(10), Duration::from_secs(30)),
        };
        Ok(NetSettings {
            offline,
            connect_timeout: connect,
            total_timeout: total,
        })
    }
}

/// What a server said.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    Found(Vec<u8>),
    /// HTTP 404: the server answered that it has nothing.
    NotFound,
    /// The host name does not resolve. Only WKD's direct method treats this
    /// as an answer (the domain runs no key directory); every other caller
    /// reports it as unreachable.
    NoSuchHost,
}

/// The one HTTP client (see the module documentation).
#[derive(Clone)]
pub(crate) struct Http {
    agent: Agent,
    offline: bool,
}

impl Http {
    pub(crate) fn new(settings: &NetSettings) -> Http {
        let agent: Agent = Agent::config_builder()
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_global(Some(settings.total_timeout))
            .http_status_as_error(false)
            .user_agent(concat!("pgp-pkg/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Http {
            agent,
            offline: settings.offline,
        }
    }

    /// Whether the run is `--offline`: other clients (git's) honour it too.
    pub(crate) fn is_offline(&self) -> bool {
        self.offline
    }

    /// Fails when the run is offline, naming what needed the network.
    pub(crate) fn require_online(&self, what: &str) -> Result<()> {
        if self.offline {
            bail!("{what} needs the network, and --offline (PGP_PKG_OFFLINE) forbids it");
        }
        Ok(())
    }

    /// The body at `url`, at most `limit` bytes.
    pub(crate) fn get(&self, url: &str, limit: u64) -> Result<Answer> {
        check_url(url)?;
        self.require_online(&format!("fetching {url}"))?;
        let mut response = match self.agent.get(url).call() {
            Ok(r) => r,
            Err(ureq::Error::HostNotFound) => return Ok(Answer::NoSuchHost),
            Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot reach {url}"))),
        };
        match response.status().as_u16() {
            200 => Ok(Answer::Found(
                response
                    .body_mut()
                    .with_config()
                    .limit(limit)
                    .read_to_vec()
                    .with_context(|| format!("reading {url}"))?,
            )),
            404 => Ok(Answer::NotFound),
            code => bail!("{url}: the server answered HTTP {code}"),
        }
    }
}

/// `s` for a URL: unreserved characters (RFC 3986) and those in `keep` as
/// they are, every other byte percent-encoded.
pub(crate) fn percent_encode(s: &str, keep: &[u8]) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b if keep.contains(&b) => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// HTTPS, or plain HTTP to this machine only.
pub(crate) fn check_url(url: &str) -> Result<()> {
    if url.starts_with("https://") {
        return Ok(());
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        // A user part (`user@host`) could make `127.0.0.1@evil.example` look local.
        if !authority.contains('@') && is_loopback(authority) {
            return Ok(());
        }
        bail!("{url}: plain HTTP is only allowed to localhost, 127.0.0.1 and [::1]; use https://");
    }
    bail!("{url}: only https:// (and http:// to localhost) URLs are supported")
}

/// `localhost`, `127.0.0.1` or `[::1]`, with or without a port: exactly these
/// names, so `127.0.0.1.evil.example` is not local.
fn is_loopback(authority: &str) -> bool {
    let host = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, port)) if port.is_empty() || port.starts_with(':') => {
                return addr == "::1" && valid_port(port);
            }
            _ => return false,
        }
    } else {
        authority
    };
    let (name, port) = match host.split_once(':') {
        Some((name, port)) => (name, format!(":{port}")),
        None => (host, String::new()),
    };
    (name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1") && valid_port(&port)
}

fn valid_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine() {
        for ok in [
            "https://keys.openpgp.org/x",
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "http://LOCALHOST:1/x",
            "http://[::1]:99/x",
            "http://127.0.0.1?x",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://sigs.example/x",
            "http://127.0.0.1.evil.example/x",
            "http://127.evil.example/x",
            "http://localhost.evil.example/x",
            "http://127.0.0.1@evil.example/x",
            "http://[::1].evil/x",
            "http://127.0.0.1:80x/x",
            "ftp://sigs.example/x",
            "file:///etc/passwd",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn offline_refuses_before_any_connection() {
        let http = Http::new(&NetSettings {
            offline: true,
            connect_timeout: Duration::from_secs(1),
            total_timeout: Duration::from_secs(1),
        });
        let e = http.get("http://127.0.0.1:9/x", 10).unwrap_err();
        assert!(format!("{e:#}").contains("--offline"), "{e:#}");
    }
}
