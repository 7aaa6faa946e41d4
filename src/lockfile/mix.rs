//! `mix.lock`: an Elixir map from OTP app to a lock tuple.
//!
//! Hex entries: `{:hex, :pkg, "1.0.0", "<inner>", [:mix], [deps], "hexpm", "<outer>"}`;
//! older locks stop after the deps (no repo, no outer checksum) or earlier.
//! `{:git, url, sha, opts}` entries cannot be verified against signatures.

use anyhow::{bail, Result};

use super::{LockedPackage, Source};
use crate::model::{Ecosystem, PackageId, Sha256};
use crate::terms::elixir::{parse_document, Term};

pub fn parse(text: &str) -> Result<Vec<LockedPackage>> {
    let (term, positions) = parse_document(text)?;
    let Term::Map(entries) = term else {
        bail!("1:1: mix.lock must be a map (`%{{...}}`)")
    };
    let mut out = Vec::new();
    for ((key, value), at) in entries.into_iter().zip(positions) {
        let Some(app) = key.as_str().or_else(|| key.as_atom()) else {
            bail!("{at}: the key must be an application name");
        };
        let Term::Tuple(items) = value else {
            bail!("{at}: the lock entry for {app:?} is not a tuple")
        };
        let locked = match items.first().and_then(Term::as_atom) {
            Some("hex") => hex_entry(app, &items).map_err(|e| anyhow::anyhow!("{at}: {app:?}: {e}"))?,
            Some(kind) => LockedPackage {
                upstream: None,
                id: PackageId { ecosystem: Ecosystem::Hex, name: app.to_string(), version: git_version(&items) },
                source: Source::Unverifiable {
                    reason: format!("a :{kind} dependency has no published release to check a signature against"),
                },
                line: at.line,
                column: at.column,
            },
            None => bail!("{at}: the lock entry for {app:?} does not start with a source atom"),
        };
        out.push(LockedPackage {
            upstream: None,
            line: at.line,
            column: at.column,
            ..locked
        });
    }
    Ok(out)
}

fn hex_entry(app: &str, items: &[Term]) -> Result<LockedPackage> {
    let name = items
        .get(1)
        .and_then(Term::as_atom)
        .ok_or_else(|| anyhow::anyhow!("element 2 must be the package name atom"))?;
    let version = items
        .get(2)
        .and_then(Term::as_str)
        .ok_or_else(|| anyhow::anyhow!("element 3 must be the version string"))?;
    let checksum = |i: usize, what: &str| -> Result<Option<Sha256>> {
        match items.get(i) {
            None => Ok(None),
            Some(Term::String(s)) => Sha256::from_hex(s)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("{what}: {e}")),
            Some(_) => bail!("the {what} must be a string"),
        }
    };
    let inner = checksum(3, "inner checksum")?;
    let repo = match items.get(6) {
        None => "hexpm".to_string(),
        Some(Term::String(r)) => r.clone(),
        Some(_) => bail!("element 7 must be the repository name"),
    };
    let outer = checksum(7, "outer checksum")?;
    Ok(LockedPackage {
        upstream: None,
        id: PackageId {
            ecosystem: Ecosystem::Hex,
            name: name.to_string(),
            version: version.to_string(),
        },
        source: Source::Hex {
            app: app.to_string(),
            repo,
            inner,
            outer,
        },
        line: 0,
        column: 0,
    })
}

/// For `{:git, url, sha, opts}` the "version" shown is the commit.
fn git_version(items: &[Term]) -> String {
    items
        .get(2)
        .and_then(Term::as_str)
        .unwrap_or("unknown")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"%{
  "foo": {:hex, :foo, "1.0.0", "29efe5de29dfb1488b0c53bc0d2de927949afea6dabf6ad8cc8c792d7c3e3177", [:mix], [], "hexpm", "f4c0faf77a58612d10d6d066433129834b97a60e5b564050ff24f75f75ab5ec2"},
  "my_json": {:hex, :jason, "1.4.1", "af1504e35f629ddcdd6addb3513c3853991f694921b1b9368b0bd32beb9f1b63", [:mix], [{:decimal, "~> 2.0", [hex: :decimal, repo: "hexpm", optional: true]}], "acme", "fbb01ecdfd565b56261302f7e1fcc27c4fb8f32d56eab74db621fc154604a7a1"},
  "short": {:hex, :short, "0.1.0", "29efe5de29dfb1488b0c53bc0d2de927949afea6dabf6ad8cc8c792d7c3e3177", [:rebar3], []},
  "dep": {:git, "https://example.org/dep.git", "0123456789abcdef0123456789abcdef01234567", [branch: "main"]},
}"#;

    #[test]
    fn reads_every_kind_of_entry() {
        let pkgs = parse(LOCK).unwrap();
        assert_eq!(pkgs.len(), 4);
        assert_eq!(pkgs[0].id.name, "foo");
        assert_eq!(pkgs[0].line, 2);
        let Source::Hex {
            app,
            repo,
            inner,
            outer,
        } = &pkgs[1].source
        else {
            panic!()
        };
        assert_eq!(
            (app.as_str(), pkgs[1].id.name.as_str(), repo.as_str()),
            ("my_json", "jason", "acme")
        );
        assert!(inner.is_some() && outer.is_some());
        let Source::Hex { repo, outer, .. } = &pkgs[2].source else {
            panic!()
        };
        assert_eq!((repo.as_str(), outer), ("hexpm", &None));
        assert!(matches!(pkgs[3].source, Source::Unverifiable { .. }));
        assert_eq!(pkgs[3].line, 5);
    }

    #[test]
    fn bad_entries_name_the_line() {
        let err = parse("%{\n  \"foo\": {:hex, :foo, \"1.0.0\", \"nothex\"}\n}").unwrap_err();
        assert!(
            err.to_string().starts_with("2:3: \"foo\": inner checksum"),
            "{err}"
        );
        let err = parse("%{\n\n  \"foo\": [1]\n}").unwrap_err();
        assert!(err.to_string().starts_with("3:3:"), "{err}");
    }
}
