//! HKP, the keyserver protocol, in its machine-readable form:
//! `/pks/lookup?op=get&options=mr&search=...` (draft-shaw-openpgp-hkp;
//! keys.openpgp.org answers it).

use anyhow::{bail, Result};

use super::Search;

/// The default keyserver (docs/keys.md, "Where keys are looked up").
pub(crate) const DEFAULT_KEYSERVER: &str = "https://keys.openpgp.org";

/// A keyserver as given (`https://host`, `hkps://host`, `http://localhost:PORT`,
/// with or without a trailing `/`) in the one form lookups use.
pub(crate) fn normalise(server: &str) -> Result<String> {
    let s = server.trim().trim_end_matches('/');
    let s = match s.strip_prefix("hkps://") {
        Some(rest) => format!("https://{rest}"),
        None => s.to_string(),
    };
    if !(s.starts_with("https://") || s.starts_with("http://")) || s.contains(['?', '#']) {
        bail!("keyserver {server:?}: expected https://HOST[:PORT] (or hkps://HOST)");
    }
    crate::net::check_url(&s)?;
    Ok(s)
}

/// The lookup URL for `search` on `server` (already normalised).
pub(crate) fn lookup_url(server: &str, search: &Search) -> Result<String> {
    let search = match search {
        Search::Key(hex) => format!("0x{hex}"),
        Search::Email(email) => crate::net::percent_encode(email, b""),
    };
    Ok(format!(
        "{server}/pks/lookup?op=get&options=mr&search={search}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_hkp_machine_readable_lookups() {
        let s = normalise("hkps://keys.openpgp.org/").unwrap();
        assert_eq!(s, "https://keys.openpgp.org");
        assert_eq!(
            lookup_url(&s, &Search::Key("ABCD".into())).unwrap(),
            "https://keys.openpgp.org/pks/lookup?op=get&options=mr&search=0xABCD"
        );
        assert_eq!(
            lookup_url(&s, &Search::Email("a+b@example.org".into())).unwrap(),
            "https://keys.openpgp.org/pks/lookup?op=get&options=mr&search=a%2Bb%40example.org"
        );
        assert!(normalise("http://keys.example").is_err());
        assert!(normalise("http://127.0.0.1:1234").is_ok());
        assert!(normalise("keys.openpgp.org").is_err());
    }
}
