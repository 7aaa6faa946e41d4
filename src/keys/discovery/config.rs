//! The home's configuration, `HOME/config.toml` (docs/interface.md, "The
//! home"). Today it holds one setting:
//!
//! ```toml
//! keyservers = ["https://keys.openpgp.org"]
//! ```
//!
//! Read strictly: an unknown key is an error, so a typo cannot silently
//! send lookups somewhere else.

use anyhow::{bail, Context, Result};

use super::{hkp, KeySources};
use crate::keys::home::Home;

/// The keyservers: `--keyserver` (repeatable), else `PGP_PKG_KEYSERVERS`
/// (whitespace-separated), else the home's `config.toml`, else
/// keys.openpgp.org. The WKD base from `PGP_PKG_WKD_BASE`.
pub(crate) fn key_sources(home: &Home, cli: &[String]) -> Result<KeySources> {
    let env: Vec<String> = std::env::var("PGP_PKG_KEYSERVERS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let chosen = if !cli.is_empty() {
        cli.to_vec()
    } else if !env.is_empty() {
        env
    } else {
        let configured = configured_keyservers(home)?;
        if configured.is_empty() {
            vec![hkp::DEFAULT_KEYSERVER.to_string()]
        } else {
            configured
        }
    };
    let keyservers = chosen
        .iter()
        .map(|s| hkp::normalise(s))
        .collect::<Result<Vec<_>>>()?;
    let wkd_base = match std::env::var("PGP_PKG_WKD_BASE") {
        Ok(base) if !base.trim().is_empty() => {
            let base = base.trim().trim_end_matches('/').to_string();
            crate::net::check_url(&base).context("PGP_PKG_WKD_BASE")?;
            Some(base)
        }
        _ => None,
    };
    Ok(KeySources {
        keyservers,
        wkd_base,
    })
}

fn configured_keyservers(home: &Home) -> Result<Vec<String>> {
    let path = home.root().join("config.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let (line, col) = e
            .span()
            .map(|s| crate::model::line_col(&text, s.start))
            .unwrap_or((1, 1));
        anyhow::anyhow!("{}:{line}:{col}: {}", path.display(), e.message().trim())
    })?;
    let mut servers = Vec::new();
    for (key, item) in doc.iter() {
        match key {
            "keyservers" => {
                let array = item.as_array().with_context(|| {
                    format!("{}: `keyservers` must be a list of URLs", path.display())
                })?;
                for v in array.iter() {
                    servers.push(
                        v.as_str()
                            .with_context(|| {
                                format!("{}: `keyservers` must be a list of URLs", path.display())
                            })?
                            .to_string(),
                    );
                }
            }
            other => bail!("{}: unknown setting `{other}`", path.display()),
        }
    }
    Ok(servers)
}
