//! The project's policy file, `pgp-pkg.toml` beside the lockfile (docs/policy.md,
//! documented in docs/policy.md). Read strictly (an unknown key is an error:
//! a typo must not silently weaken a policy); written only by
//! `verify-tree --record-pins`, which adds pins and keeps everything else,
//! comments included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sequoia_openpgp::Fingerprint;
use toml_edit::{value, Array, DocumentMut, Item, Table};

use crate::decision::rules::Policy;
use crate::model::PackageId;
use crate::trust::TrustLevel;

pub(crate) const FILE_NAME: &str = "pgp-pkg.toml";

/// What the file says. Package keys are `ECOSYSTEM/NAME` (`hex/jason`,
/// `composer/acme/widget`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectPolicy {
    pub(crate) min_trust: Option<TrustLevel>,
    /// Distinct good signers every package needs (default 1).
    pub(crate) threshold: Option<usize>,
    /// One of these keys must also sign every package: the "double
    /// signature" of a registry or organisation key.
    pub(crate) countersign: BTreeSet<Fingerprint>,
    pub(crate) allow_unsigned: BTreeSet<String>,
    /// Pinned signers per package.
    pub(crate) signers: BTreeMap<String, BTreeSet<Fingerprint>>,
    /// Keys the project vouches for, per package (docs/policy.md,
    /// "Trusted keys"): a good signature by one counts as `full` for that
    /// package only. Written by hand, never by `--record-pins`.
    pub(crate) trusted_keys: BTreeMap<String, BTreeSet<Fingerprint>>,
    pub(crate) thresholds: BTreeMap<String, usize>,
    /// Signature directories and URL templates, after `--signatures` and
    /// `PGP_PKG_SIGNATURES`. Relative directories are relative to the file.
    pub(crate) signatures: Vec<String>,
    /// `git = true`: use signed release tags and commits upstream as author
    /// signatures (docs/git-evidence.md).
    pub(crate) git: bool,
    /// `[sources]`: a package's upstream repository, `"hex/NAME" = "URL"`;
    /// for Composer it replaces the lockfile's `source.url` (a mirror).
    pub(crate) sources: BTreeMap<String, String>,
}

pub(crate) fn package_key(id: &PackageId) -> String {
    format!("{}/{}", id.ecosystem, id.name)
}

impl ProjectPolicy {
    pub(crate) fn path_for(project: &Path) -> PathBuf {
        project.join(FILE_NAME)
    }

    /// Reads the policy beside the lockfile; none means the default policy.
    pub(crate) fn load(project: &Path) -> Result<Option<ProjectPolicy>> {
        let path = Self::path_for(project);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text)
            .map(Some)
            .map_err(|e| crate::model::in_file(&path, e))
    }

    /// Reads the file's text strictly. Errors start with `LINE:COLUMN: `
    /// where the place is known ([`ProjectPolicy::load`] puts the file name
    /// in front): an unknown setting, a bad value, and any entry that can
    /// never match (a package key without its ecosystem, a name the
    /// ecosystem does not allow, a short key ID) are errors, because a rule
    /// that silently matches nothing weakens the policy.
    pub fn parse(text: &str) -> Result<ProjectPolicy> {
        let doc = toml_edit::Document::parse(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| line_col(text, s.start))
                .unwrap_or_default();
            anyhow::anyhow!("{at}{}", e.message().trim())
        })?;
        let at = |span: Option<std::ops::Range<usize>>, msg: String| {
            let place = span.map(|s| line_col(text, s.start)).unwrap_or_default();
            anyhow::anyhow!("{place}{msg}")
        };
        let mut policy = ProjectPolicy::default();
        for (key, item) in doc.iter() {
            let key_span = doc.key(key).and_then(|k| k.span());
            let here =
                |e: anyhow::Error| at(item.span().or(key_span.clone()), format!("`{key}`: {e:#}"));
            match key {
                "min_trust" => {
                    let s = item
                        .as_str()
                        .context("expected a trust level string")
                        .map_err(here)?;
                    policy.min_trust = Some(s.parse().map_err(here)?);
                }
                "threshold" => policy.threshold = Some(positive(item).map_err(here)?),
                "countersign" => policy.countersign = fingerprints(item).map_err(here)?,
                "allow_unsigned" => {
                    for (name, span) in strings(item).map_err(here)? {
                        matchable(&name).map_err(|e| at(span, format!("`{key}`: {e:#}")))?;
                        policy.allow_unsigned.insert(name);
                    }
                }
                "git" => {
                    policy.git = item
                        .as_bool()
                        .context("expected true or false")
                        .map_err(here)?;
                }
                "signers" | "trusted_keys" | "thresholds" | "sources" => {
                    let t = item
                        .as_table_like()
                        .context("expected a table of ECOSYSTEM/NAME = ...")
                        .map_err(here)?;
                    for (pkg, value) in t.iter() {
                        let span = t.get_key_value(pkg).and_then(|(k, _)| k.span());
                        let entry = |e: anyhow::Error| {
                            at(
                                value.span().or(span.clone()),
                                format!("`{key}`: {pkg}: {e:#}"),
                            )
                        };
                        matchable(pkg).map_err(|e| at(span.clone(), format!("`{key}`: {e:#}")))?;
                        match key {
                            "signers" => {
                                policy
                                    .signers
                                    .insert(pkg.to_string(), fingerprints(value).map_err(entry)?);
                            }
                            "trusted_keys" => {
                                policy
                                    .trusted_keys
                                    .insert(pkg.to_string(), fingerprints(value).map_err(entry)?);
                            }
                            "sources" => {
                                let url = value
                                    .as_str()
                                    .filter(|u| u.contains("://"))
                                    .context("expected a repository URL (https:// or file://)")
                                    .map_err(entry)?;
                                policy.sources.insert(pkg.to_string(), url.to_string());
                            }
                            _ => {
                                policy
                                    .thresholds
                                    .insert(pkg.to_string(), positive(value).map_err(entry)?);
                            }
                        }
                    }
                }
                "signatures" => {
                    policy.signatures = strings(item)
                        .map_err(here)?
                        .into_iter()
                        .map(|(s, _)| s)
                        .collect()
                }
                other => {
                    return Err(at(
                        key_span,
                        format!("unknown setting `{other}` (see docs/policy.md)"),
                    ))
                }
            }
        }
        Ok(policy)
    }

    /// The file's signature sources, directories made relative to the project.
    pub(crate) fn signature_sources(&self, project: &Path) -> Vec<String> {
        self.signatures
            .iter()
            .map(|s| {
                if s.contains("://") || Path::new(s).is_absolute() {
                    s.clone()
                } else {
                    project.join(s).display().to_string()
                }
            })
            .collect()
    }

    /// The rules for one package, with a minimum from the command line or
    /// the environment taking precedence over the file's.
    pub(crate) fn for_package(
        &self,
        id: &PackageId,
        min_trust_override: Option<TrustLevel>,
    ) -> Policy {
        let key = package_key(id);
        Policy {
            min_trust: min_trust_override.or(self.min_trust),
            allow_unsigned: self.allow_unsigned.contains(&key),
            pinned: self.signers.get(&key).cloned(),
            threshold: self.thresholds.get(&key).copied().or(self.threshold),
            countersign: self.countersign.clone(),
            vouched: self.trusted_keys.get(&key).cloned().unwrap_or_default(),
        }
    }
}

/// Adds pins for packages that have none, keeping the rest of the file as
/// it is. Returns how many were added.
pub(crate) fn record_pins(
    project: &Path,
    new_pins: &BTreeMap<String, BTreeSet<Fingerprint>>,
) -> Result<usize> {
    let path = ProjectPolicy::path_for(project);
    let text = if path.exists() {
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?
    } else {
        "# pgp-pkg policy for this project: see docs/policy.md.\n".to_string()
    };
    let mut doc: DocumentMut = text
        .parse()
        .with_context(|| format!("{}", path.display()))?;
    if !doc.contains_key("signers") {
        doc["signers"] = Item::Table(Table::new());
    }
    let signers = doc["signers"]
        .as_table_mut()
        .with_context(|| format!("{}: `signers` is not a table", path.display()))?;
    let mut added = 0;
    for (pkg, fprs) in new_pins {
        if signers.contains_key(pkg) {
            continue;
        }
        let array: Array = fprs.iter().map(|f| f.to_hex()).collect();
        signers.insert(pkg, value(array));
        added += 1;
    }
    signers.sort_values();
    let tmp_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(tmp_dir)?;
    std::io::Write::write_all(&mut tmp, doc.to_string().as_bytes())?;
    tmp.persist(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(added)
}

fn line_col(text: &str, offset: usize) -> String {
    let (line, col) = crate::model::line_col(text, offset);
    format!("{line}:{col}: ")
}

/// A package key as packages are named in reports: `hex/NAME` or
/// `composer/VENDOR/NAME`, with a name its ecosystem allows.
fn matchable(key: &str) -> Result<()> {
    match key.split_once('/') {
        Some(("hex", name)) => crate::lockfile::names::hex_name("package name", name),
        Some(("composer", name)) => crate::lockfile::names::composer_name(name),
        _ => bail!("{key:?} can never match a package: write hex/NAME or composer/VENDOR/NAME"),
    }
}

/// The strings of an array, each with where it is.
fn strings(item: &Item) -> Result<Vec<(String, Option<std::ops::Range<usize>>)>> {
    let array = item.as_array().context("expected an array of strings")?;
    array
        .iter()
        .map(|v| {
            v.as_str()
                .map(|s| (s.to_string(), v.span()))
                .context("expected strings")
        })
        .collect()
}

fn fingerprints(item: &Item) -> Result<BTreeSet<Fingerprint>> {
    strings(item)?
        .iter()
        .map(|(s, _)| {
            let hex = s.replace(' ', "");
            // A key ID (16 digits) or another short form can collide: only
            // full v4 (40) and v6 (64) fingerprints name one key.
            match hex.parse::<Fingerprint>() {
                Ok(f @ (Fingerprint::V4(_) | Fingerprint::V6(_))) => Ok(f),
                _ => bail!("{s:?} is not a full fingerprint (40 or 64 hex digits)"),
            }
        })
        .collect()
}

fn positive(item: &Item) -> Result<usize> {
    match item.as_integer() {
        Some(n) if n >= 1 => Ok(n as usize),
        _ => bail!("expected a whole number of at least 1"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "6033A8A5B5F837A98884B7D0E14BC0EF45753E99";

    #[test]
    fn reads_every_setting() {
        let text = format!(
            "min_trust = \"marginal\"\nthreshold = 1\ncountersign = [\"{ALICE}\"]\nallow_unsigned = [\"hex/bar\"]\n\
             [signers]\n\"hex/foo\" = [\"{ALICE}\"]\n[thresholds]\n\"hex/foo\" = 2\n"
        );
        let p = ProjectPolicy::parse(&text).unwrap();
        assert_eq!(p.min_trust, Some(TrustLevel::Marginal));
        assert_eq!(p.thresholds["hex/foo"], 2);
        assert!(p.allow_unsigned.contains("hex/bar"));
        assert_eq!(p.signers["hex/foo"].len(), 1);
    }

    #[test]
    fn typos_and_bad_values_are_errors_with_a_line() {
        assert!(ProjectPolicy::parse("min_trst = \"full\"\n")
            .unwrap_err()
            .to_string()
            .contains("unknown setting"));
        assert!(ProjectPolicy::parse("min_trust = \"trusted\"\n").is_err());
        assert!(ProjectPolicy::parse("threshold = 0\n").is_err());
        let err = ProjectPolicy::parse("\n\nmin_trust = [\n").unwrap_err();
        assert!(err.to_string().starts_with("3:"), "{err}");
    }
}
