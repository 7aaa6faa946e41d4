//! `composer.lock`: JSON with `packages` and `packages-dev`.

use anyhow::{bail, Result};
use serde::Deserialize;

use super::{LockedPackage, Source, Upstream};
use crate::model::{Ecosystem, PackageId};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    packages: Vec<Package>,
    #[serde(default, rename = "packages-dev")]
    packages_dev: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    dist: Option<Dist>,
    source: Option<Dist>,
}

#[derive(Deserialize)]
struct Dist {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
    shasum: Option<String>,
    reference: Option<String>,
}

pub fn parse(text: &str) -> Result<Vec<LockedPackage>> {
    let lock: Lock = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("{}:{}: {e}", e.line(), e.column()))?;
    let mut out = Vec::new();
    let mut lines = Lines::new(text);
    for p in lock.packages.into_iter().chain(lock.packages_dev) {
        if p.name.is_empty() || p.version.is_empty() {
            bail!("a package without a name or version");
        }
        let (line, column) = lines.of(&p.name);
        let id = PackageId {
            ecosystem: Ecosystem::Composer,
            name: p.name.to_lowercase(),
            version: p.version,
        };
        let path_repo = p.dist.as_ref().and_then(|d| d.kind.as_deref()) == Some("path");
        let source = match (&p.dist, &p.source) {
            (Some(d), _) if !path_repo => Source::Composer {
                dist_type: d.kind.clone(),
                dist_url: d.url.clone(),
                dist_shasum: d.shasum.clone().filter(|s| !s.is_empty()),
            },
            // A path repository: only its installed tree exists; still checked.
            (Some(d), _) => Source::Composer {
                dist_type: d.kind.clone(),
                dist_url: d.url.clone(),
                dist_shasum: None,
            },
            (None, Some(s)) => Source::Unverifiable {
                reason: format!(
                    "installed from {} source only, with no dist archive",
                    s.kind.as_deref().unwrap_or("a")
                ),
            },
            (None, None) => Source::Unverifiable {
                reason: "no dist or source recorded".into(),
            },
        };
        let upstream = p
            .source
            .as_ref()
            .filter(|s| s.kind.as_deref() == Some("git"))
            .and_then(|s| {
                Some(Upstream {
                    url: s.url.clone()?,
                    commit: s.reference.clone().filter(|r| !r.is_empty()),
                })
            });
        out.push(LockedPackage {
            id,
            source,
            upstream,
            line,
            column,
        });
    }
    Ok(out)
}

/// Finds packages' `"name"` entries for messages, moving forward through
/// the file as the packages come (one pass, not one per package).
struct Lines<'t> {
    text: &'t str,
    offset: usize,
    line: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Lines {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line and column of the next `"name": "NAME"` (any
    /// spacing), or (0, 0) if not found.
    fn of(&mut self, name: &str) -> (usize, usize) {
        let value = format!("\"{name}\"");
        let mut from = self.offset;
        while let Some(i) = self.text[from..].find("\"name\"") {
            let key = from + i;
            let rest = self.text[key + 6..].trim_start();
            if let Some(after_colon) = rest.strip_prefix(':') {
                if after_colon.trim_start().starts_with(&value) {
                    self.line += self.text[self.offset..key].matches('\n').count();
                    self.offset = key;
                    let line_start = self.text[..key].rfind('\n').map_or(0, |i| i + 1);
                    return (self.line, self.text[line_start..key].chars().count() + 1);
                }
            }
            from = key + 6;
        }
        (0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_packages_and_dev_packages() {
        let text = r#"{
    "packages": [
        {
            "name": "Acme/Widget",
            "version": "1.2.3",
            "dist": {"type": "zip", "url": "https://example.org/w.zip", "reference": "abc", "shasum": ""}
        }
    ],
    "packages-dev": [
        {"name": "acme/tool", "version": "v2.0.0", "source": {"type": "git", "url": "x", "reference": "y"}}
    ]
}"#;
        let pkgs = parse(text).unwrap();
        assert_eq!(pkgs[0].id.name, "acme/widget");
        assert_eq!(pkgs[0].line, 4);
        assert!(matches!(
            &pkgs[0].source,
            Source::Composer {
                dist_shasum: None,
                ..
            }
        ));
        assert!(matches!(pkgs[1].source, Source::Unverifiable { .. }));
        let err = parse("{\n  \"packages\": [1,]\n}").unwrap_err();
        assert!(err.to_string().starts_with("2:"), "{err}");
    }

    #[test]
    fn lines_are_found_in_compact_json_too() {
        let text = "{\"packages\":[\n{\"name\":\"a/b\",\"version\":\"1\",\"require\":{\"c/d\":\"*\"}},\n{\"name\" : \"c/d\",\"version\":\"2\"}]}";
        let pkgs = parse(text).unwrap();
        assert_eq!((pkgs[0].line, pkgs[1].line), (2, 3));
        assert_eq!((pkgs[0].column, pkgs[1].column), (2, 2));
    }
}
