//! Finding authors' certificates: keyservers (HKP) and Web Key Directories
//! (docs/keys.md; the commands, flags and variables are in docs/interface.md,
//! "Commands and flags" and "Environment").
//!
//! A lookup is a list of *asks* (one server, one search). Asks run
//! concurrently, many at a time, because each mostly waits on the network.
//! Every ask ends in one of three ways: certificates found, "not found"
//! (the server said so), or failed (it could not be asked: a refused
//! connection, a timeout, a server error). Only the server's own "not found"
//! is remembered (`not_found`); a failure is never turned into one.
//!
//! What comes back is filtered before anyone sees it: secret key material
//! is stripped (a fetched key must never become an own, ultimately trusted
//! key), a certificate must contain the key that was asked for, and WKD
//! answers keep only the user IDs with the queried address. Nothing here
//! gives trust: a fetched certificate's validity comes from the web of
//! trust alone.

pub(crate) mod changes;
pub(crate) mod config;
pub(crate) mod hkp;
pub(crate) mod not_found;
pub(crate) mod origins;
pub(crate) mod wkd;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{bail, Result};
use openpgp::cert::prelude::*;
use openpgp::parse::Parse;
use openpgp::{Cert, Fingerprint, KeyHandle, KeyID};
use sequoia_openpgp as openpgp;

use crate::net::{Answer, Http};
use not_found::NotFound;

/// Certificates are small; a server that sends more is not answering a lookup.
const MAX_CERT_BODY: u64 = 8 << 20;

/// What a user asked `key fetch` for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyQuery {
    Email(String),
    Fingerprint(Fingerprint),
    KeyId(KeyID),
}

impl KeyQuery {
    /// An email address, a fingerprint (40 or 64 hex digits) or a key ID
    /// (16 hex digits), with or without `0x` and spaces.
    pub(crate) fn parse(text: &str) -> Result<KeyQuery> {
        let t = text.trim();
        if t.contains('@') {
            let email = t.trim_start_matches('<').trim_end_matches('>');
            let parts_present = email
                .rsplit_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
            if !parts_present || sequoia_net::wkd::Url::from(email).is_err() {
                bail!("{text:?} is not an email address");
            }
            return Ok(KeyQuery::Email(email.to_string()));
        }
        let hex: String = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t)
            .chars()
            .filter(|c| *c != ' ')
            .collect();
        if hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            match hex.len() {
                40 | 64 => return Ok(KeyQuery::Fingerprint(hex.parse()?)),
                16 => return Ok(KeyQuery::KeyId(hex.parse()?)),
                _ => {}
            }
        }
        bail!(
            "{text:?} is not an email address, a fingerprint (40 or 64 hex digits) or a key ID (16 hex digits)"
        )
    }
}

/// Where to ask.
#[derive(Clone, Debug)]
pub(crate) struct KeySources {
    /// HKP servers, as `https://host[:port]`.
    pub(crate) keyservers: Vec<String>,
    /// `PGP_PKG_WKD_BASE`: replaces `https://openpgpkey.DOMAIN` in WKD's
    /// advanced method, and the direct method is not tried.
    pub(crate) wkd_base: Option<String>,
}

/// One question to one server.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Ask {
    /// A keyserver, searched for a key or an address.
    Keyserver { server: String, search: Search },
    /// The Web Key Directory of the address's domain.
    Wkd { email: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Search {
    Key(String),
    Email(String),
}

impl Ask {
    /// The ask as the not-found memory keys it.
    fn key(&self) -> String {
        match self {
            Ask::Keyserver { server, search } => match search {
                Search::Key(k) => format!("hkp {server} {k}"),
                Search::Email(e) => format!("hkp {server} {}", e.to_lowercase()),
            },
            Ask::Wkd { email } => format!("wkd {}", email.to_lowercase()),
        }
    }
}

/// A lookup: the asks for one key or address, and what every answer must hold.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    /// What was asked for, as the user wrote it (for messages).
    pub(crate) label: String,
    pub(crate) asks: Vec<Ask>,
    /// Every certificate kept must contain this key.
    pub(crate) key: Option<KeyHandle>,
    /// Stop at the first ask that finds something (`key fetch`), or ask
    /// them all and merge everything (a refresh: a revocation may have been
    /// published on only one of them).
    pub(crate) first_found_wins: bool,
}

impl KeySources {
    /// `key fetch QUERY`: an address in WKD first, then on the keyservers;
    /// a fingerprint or key ID on the keyservers.
    pub(crate) fn fetch(&self, query: &KeyQuery, label: &str) -> Request {
        let (asks, key) = match query {
            KeyQuery::Email(email) => {
                let mut asks = vec![Ask::Wkd {
                    email: email.clone(),
                }];
                asks.extend(self.on_keyservers(Search::Email(email.clone())));
                (asks, None)
            }
            KeyQuery::Fingerprint(f) => (
                self.on_keyservers(Search::Key(f.to_hex())),
                Some(KeyHandle::from(f.clone())),
            ),
            KeyQuery::KeyId(k) => (
                self.on_keyservers(Search::Key(k.to_hex())),
                Some(KeyHandle::from(k.clone())),
            ),
        };
        Request {
            label: label.to_string(),
            asks,
            key,
            first_found_wins: true,
        }
    }

    /// A signer that is not in the keyring: by the signature's issuer on the
    /// keyservers, and in WKD by its Signer's User ID, where it has one.
    pub(crate) fn signer(&self, issuer: &KeyHandle, signer_email: Option<&str>) -> Request {
        let mut asks = self.on_keyservers(Search::Key(issuer.to_hex()));
        if let Some(email) = signer_email {
            asks.push(Ask::Wkd {
                email: email.to_string(),
            });
        }
        Request {
            label: issuer.to_hex(),
            asks,
            key: Some(issuer.clone()),
            first_found_wins: true,
        }
    }

    /// `key refresh`: every keyserver by fingerprint and WKD by each of the
    /// certificate's addresses, everything merged.
    pub(crate) fn refresh(&self, fpr: &Fingerprint, emails: &[String]) -> Request {
        let mut asks = self.on_keyservers(Search::Key(fpr.to_hex()));
        asks.extend(emails.iter().map(|email| Ask::Wkd {
            email: email.clone(),
        }));
        Request {
            label: fpr.to_hex(),
            asks,
            key: Some(KeyHandle::from(fpr.clone())),
            first_found_wins: false,
        }
    }

    fn on_keyservers(&self, search: Search) -> Vec<Ask> {
        self.keyservers
            .iter()
            .map(|server| Ask::Keyserver {
                server: server.clone(),
                search: search.clone(),
            })
            .collect()
    }
}

/// A certificate that was found, and the URL it came from.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub(crate) cert: Cert,
    pub(crate) source: String,
}

/// Everything one request's asks came back with.
#[derive(Clone, Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) found: Vec<Found>,
    /// The URLs (or remembered asks) that answered "not found".
    pub(crate) not_found: Vec<String>,
    /// The asks that could not be made, with why.
    pub(crate) failed: Vec<String>,
}

impl Outcome {
    /// Nothing found, and some source could not even be asked: the answer is
    /// unknown, which is never the same as "not found".
    pub(crate) fn unreachable(&self) -> bool {
        self.found.is_empty() && !self.failed.is_empty()
    }
}

/// Asks servers, concurrently; remembers "not found" when given a memory.
pub(crate) struct Discovery<'a> {
    http: &'a Http,
    sources: &'a KeySources,
    /// `Some` for automatic lookups (`--fetch-keys`): a recent "not found"
    /// is answered from memory. `key fetch` and `key refresh` always ask.
    memory: Option<&'a Mutex<NotFound>>,
}

impl<'a> Discovery<'a> {
    pub(crate) fn new(
        http: &'a Http,
        sources: &'a KeySources,
        memory: Option<&'a Mutex<NotFound>>,
    ) -> Discovery<'a> {
        Discovery {
            http,
            sources,
            memory,
        }
    }

    /// Runs every request; the outcomes are in the requests' order.
    pub(crate) fn lookup_all(&self, requests: &[Request]) -> Vec<Outcome> {
        let results: Vec<Mutex<Outcome>> = requests.iter().map(|_| Mutex::default()).collect();
        let next = AtomicUsize::new(0);
        let workers = crate::net::CONCURRENT_REQUESTS.min(requests.len()).max(1);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(request) = requests.get(i) else {
                        break;
                    };
                    let outcome = self.lookup(request);
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = outcome;
                });
            }
        });
        results
            .into_iter()
            .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
            .collect()
    }

    /// One request's asks, in order.
    fn lookup(&self, request: &Request) -> Outcome {
        let mut outcome = Outcome::default();
        for ask in &request.asks {
            if request.first_found_wins && !outcome.found.is_empty() {
                break;
            }
            if let Some(memory) = self.memory {
                let memory = memory.lock().unwrap_or_else(|e| e.into_inner());
                if memory.recently(&ask.key(), SystemTime::now()) {
                    outcome
                        .not_found
                        .push(format!("{} (remembered)", ask.key()));
                    continue;
                }
            }
            match self.ask(ask, request.key.as_ref()) {
                Ok(AskResult::Found(found)) => outcome.found.extend(found),
                Ok(AskResult::NotFound(url)) => {
                    if let Some(memory) = self.memory {
                        memory
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remember(ask.key(), SystemTime::now());
                    }
                    outcome.not_found.push(url);
                }
                Err(e) => outcome.failed.push(format!("{e:#}")),
            }
        }
        outcome
    }

    fn ask(&self, ask: &Ask, key: Option<&KeyHandle>) -> Result<AskResult> {
        match ask {
            Ask::Keyserver { server, search } => {
                let url = hkp::lookup_url(server, search)?;
                match self.http.get(&url, MAX_CERT_BODY)? {
                    Answer::Found(body) => {
                        let certs = keep(parse_certs(&body), key, |cert| match search {
                            Search::Email(e) => Some(cert).filter(|c| has_email(c, e)),
                            Search::Key(_) => Some(cert),
                        });
                        Ok(found_or_not(certs, url))
                    }
                    Answer::NotFound => Ok(AskResult::NotFound(url)),
                    Answer::NoSuchHost => bail!("cannot reach {url}: host not found"),
                }
            }
            Ask::Wkd { email } => {
                let (answer, url) = wkd::get(self.http, email, self.sources.wkd_base.as_deref())?;
                match answer {
                    Some(body) => {
                        let certs = keep(parse_certs(&body), key, |cert| {
                            wkd::only_address(cert, email)
                        });
                        Ok(found_or_not(certs, url))
                    }
                    None => Ok(AskResult::NotFound(url)),
                }
            }
        }
    }
}

enum AskResult {
    Found(Vec<Found>),
    /// The URL that said so.
    NotFound(String),
}

/// An answer with no usable certificate in it counts as "not found" (the
/// server has nothing for us), not as a failure.
fn found_or_not(certs: Vec<Cert>, url: String) -> AskResult {
    if certs.is_empty() {
        AskResult::NotFound(url)
    } else {
        AskResult::Found(
            certs
                .into_iter()
                .map(|cert| Found {
                    cert,
                    source: url.clone(),
                })
                .collect(),
        )
    }
}

/// Every certificate in a server's answer, public parts only. Unreadable
/// ones are dropped: the server's other certificates may still be good.
fn parse_certs(body: &[u8]) -> Vec<Cert> {
    match CertParser::from_bytes(body) {
        Ok(parser) => parser
            .filter_map(|c| c.ok())
            .map(|c| c.strip_secret_key_material())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The certificates that contain `key` (when one was asked for), after `filter`.
fn keep(
    certs: Vec<Cert>,
    key: Option<&KeyHandle>,
    filter: impl Fn(Cert) -> Option<Cert>,
) -> Vec<Cert> {
    certs
        .into_iter()
        .filter(|c| key.is_none_or(|k| contains_key(c, k)))
        .filter_map(filter)
        .collect()
}

/// Every address among a certificate's user IDs, lower-cased, once each.
pub(crate) fn cert_emails(cert: &Cert) -> Vec<String> {
    let mut emails: Vec<String> = cert
        .userids()
        .filter_map(|u| u.userid().email().ok().flatten())
        .map(|e| e.to_lowercase())
        .collect();
    emails.sort();
    emails.dedup();
    emails
}

pub(crate) fn contains_key(cert: &Cert, key: &KeyHandle) -> bool {
    cert.keys().any(|k| k.key().key_handle().aliases(key))
}

fn has_email(cert: &Cert, email: &str) -> bool {
    cert.userids().any(|u| same_email(u.userid(), email))
}

/// Whether a user ID's address is `email` (compared without case, as
/// address lookups are).
pub(crate) fn same_email(uid: &openpgp::packet::UserID, email: &str) -> bool {
    uid.email()
        .ok()
        .flatten()
        .is_some_and(|e| e.eq_ignore_ascii_case(email))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_addresses_fingerprints_or_key_ids() {
        assert_eq!(
            KeyQuery::parse("alice@example.org").unwrap(),
            KeyQuery::Email("alice@example.org".into())
        );
        assert!(matches!(
            KeyQuery::parse("0x1234 5678 9ABC DEF0 1234 5678 9ABC DEF0 1234 5678").unwrap(),
            KeyQuery::Fingerprint(_)
        ));
        assert!(matches!(
            KeyQuery::parse("0123456789ABCDEF").unwrap(),
            KeyQuery::KeyId(_)
        ));
        for bad in ["", "alice", "0123", "not@", "ZZ23456789ABCDEF"] {
            assert!(KeyQuery::parse(bad).is_err(), "{bad}");
        }
    }
}
