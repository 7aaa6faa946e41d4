//! The checksum file: the canonical text an author signs (docs/checksum-file.md).
//!
//! It is computed from a package alone and is byte-for-byte deterministic, so a
//! detached signature over it can be checked by anyone, with pgp-pkg or with
//! `gpg --verify`. `docs/checksum-file.md` documents the format; this module is
//! its only writer and reader.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{bail, Context, Result};

use crate::model::{Ecosystem, PackageId, Sha256};

/// First line of every checksum file; bump the number on any format change.
pub(crate) const FORMAT_LINE: &str = "pgp-pkg checksum file v1";

/// The two checksums Hex and `mix.lock` record for a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HexChecksums {
    /// SHA-256 of `VERSION ‖ metadata.config ‖ contents.tar.gz`.
    pub inner: Sha256,
    /// SHA-256 of the whole `.tar`.
    pub outer: Sha256,
}

/// One member of a package's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    File {
        sha256: Sha256,
        size: u64,
    },
    /// A symbolic link; its target has been checked to stay inside the package.
    Symlink {
        target: String,
    },
}

/// The parsed form of a checksum file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecksumFile {
    pub package: PackageId,
    pub hex: Option<HexChecksums>,
    /// Keyed by relative path with `/` separators; the map keeps them in the
    /// byte order the format requires.
    pub entries: BTreeMap<String, Entry>,
}

/// How a package's contents differ from what was signed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ContentDiff {
    pub(crate) changed: Vec<String>,
    pub(crate) added: Vec<String>,
    pub(crate) missing: Vec<String>,
}

impl ContentDiff {
    pub(crate) fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.missing.is_empty()
    }

    /// One human-readable line per kind of difference.
    pub(crate) fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (label, paths) in [
            ("changed", &self.changed),
            ("added (not in the signed package)", &self.added),
            ("missing (signed, but not in the package)", &self.missing),
        ] {
            if !paths.is_empty() {
                out.push(format!("files {label}: {}", paths.join(", ")));
            }
        }
        out
    }
}

impl ChecksumFile {
    /// The canonical bytes that are signed.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(FORMAT_LINE);
        out.push('\n');
        let p = &self.package;
        let _ = writeln!(out, "ecosystem {}", p.ecosystem);
        let _ = writeln!(out, "name {}", encode(&p.name));
        let _ = writeln!(out, "version {}", encode(&p.version));
        if let Some(hex) = &self.hex {
            let _ = writeln!(out, "hex-inner-checksum {}", hex.inner);
            let _ = writeln!(out, "hex-outer-checksum {}", hex.outer);
        }
        for (path, entry) in &self.entries {
            match entry {
                Entry::File { sha256, size } => {
                    let _ = writeln!(out, "file {sha256} {size} {}", encode(path));
                }
                Entry::Symlink { target } => {
                    let _ = writeln!(out, "symlink {} {}", encode(path), encode(target));
                }
            }
        }
        out
    }

    /// Reads a checksum file back, strictly: anything `render` would not have
    /// written is an error naming the line.
    pub fn parse(text: &str) -> Result<Self> {
        let mut lines = text
            .split_inclusive('\n')
            .enumerate()
            .map(|(i, l)| (i + 1, l));
        let mut next = |what: &str| -> Result<(usize, &str)> {
            match lines.next() {
                Some((n, l)) => match l.strip_suffix('\n') {
                    Some(l) => Ok((n, l)),
                    None => bail!("line {n}: missing final newline"),
                },
                None => bail!("unexpected end of file, expected {what}"),
            }
        };
        let (n, first) = next("the format line")?;
        if first != FORMAT_LINE {
            bail!("line {n}: not a pgp-pkg checksum file (expected {FORMAT_LINE:?})");
        }
        let field = |(n, line): (usize, &str), key: &str| -> Result<String> {
            line.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix(' '))
                .map(|v| v.to_string())
                .with_context(|| format!("line {n}: expected `{key} ...`"))
        };
        let ecosystem_line = next("ecosystem")?;
        let ecosystem = Ecosystem::parse(&field(ecosystem_line, "ecosystem")?)
            .with_context(|| format!("line {}", ecosystem_line.0))?;
        let name_line = next("name")?;
        let name =
            decode(&field(name_line, "name")?).with_context(|| format!("line {}", name_line.0))?;
        let version_line = next("version")?;
        let version = decode(&field(version_line, "version")?)
            .with_context(|| format!("line {}", version_line.0))?;
        let package = PackageId {
            ecosystem,
            name,
            version,
        };

        let mut hex = None;
        let mut entries = BTreeMap::new();
        let mut pending_inner: Option<Sha256> = None;
        let mut last_path: Option<String> = None;
        while let Ok((n, line)) = next("") {
            let words: Vec<&str> = line.split(' ').collect();
            let at = |e: anyhow::Error| e.context(format!("line {n}"));
            match words.as_slice() {
                ["hex-inner-checksum", v] if entries.is_empty() && hex.is_none() => {
                    pending_inner = Some(Sha256::from_hex(v).map_err(at)?);
                }
                ["hex-outer-checksum", v] if pending_inner.is_some() => {
                    let outer = Sha256::from_hex(v).map_err(at)?;
                    hex = Some(HexChecksums {
                        inner: pending_inner.take().expect("checked"),
                        outer,
                    });
                }
                ["file", sha, size, path] if pending_inner.is_none() => {
                    let sha256 = Sha256::from_hex(sha).map_err(at)?;
                    let size = size
                        .parse()
                        .map_err(|_| anyhow::anyhow!("line {n}: bad size {size:?}"))?;
                    let path = decode(path).map_err(at)?;
                    insert_in_order(
                        &mut entries,
                        &mut last_path,
                        path,
                        Entry::File { sha256, size },
                        n,
                    )?;
                }
                ["symlink", path, target] if pending_inner.is_none() => {
                    let path = decode(path).map_err(at)?;
                    let target = decode(target).map_err(at)?;
                    insert_in_order(
                        &mut entries,
                        &mut last_path,
                        path,
                        Entry::Symlink { target },
                        n,
                    )?;
                }
                _ => bail!("line {n}: unexpected line {line:?}"),
            }
        }
        if pending_inner.is_some() {
            bail!("hex-inner-checksum without hex-outer-checksum");
        }
        let file = ChecksumFile {
            package,
            hex,
            entries,
        };
        // One spelling per content: anything `render` would write differently
        // (leading zeros, upper-case hex) is not a checksum file.
        if file.render() != text {
            bail!("not in canonical form (it differs from how pgp-pkg writes the same content)");
        }
        Ok(file)
    }

    /// What changed from `signed` to `self`, file by file.
    pub(crate) fn diff_contents(&self, signed: &ChecksumFile) -> ContentDiff {
        let mut diff = ContentDiff::default();
        for (path, entry) in &self.entries {
            match signed.entries.get(path) {
                None => diff.added.push(path.clone()),
                Some(e) if e != entry => diff.changed.push(path.clone()),
                Some(_) => {}
            }
        }
        for path in signed.entries.keys() {
            if !self.entries.contains_key(path) {
                diff.missing.push(path.clone());
            }
        }
        diff
    }
}

fn insert_in_order(
    entries: &mut BTreeMap<String, Entry>,
    last: &mut Option<String>,
    path: String,
    entry: Entry,
    line: usize,
) -> Result<()> {
    if last
        .as_ref()
        .is_some_and(|prev| prev.as_str() >= path.as_str())
    {
        bail!("line {line}: entries out of order or duplicated at {path:?}");
    }
    *last = Some(path.clone());
    entries.insert(path, entry);
    Ok(())
}

/// Percent-encodes the bytes that would make a line ambiguous: `%`, space and
/// control characters. Everything else, including non-ASCII UTF-8, stays
/// readable.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch == '%' || ch == ' ' || ch.is_control() {
            let mut buf = [0u8; 4];
            for b in ch.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// Inverse of [`encode`]; rejects anything `encode` would not produce, so each
/// value has exactly one spelling.
pub(crate) fn decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).filter(|h| {
                h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
            });
            let Some(hex) = hex else {
                bail!("bad percent escape in {s:?}")
            };
            out.push(u8::from_str_radix(hex, 16).expect("checked hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let decoded =
        String::from_utf8(out).with_context(|| format!("escape in {s:?} is not UTF-8"))?;
    if encode(&decoded) != s {
        bail!("{s:?} is not in canonical form");
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ChecksumFile {
        let mut entries = BTreeMap::new();
        entries.insert(
            "lib/a b.ex".to_string(),
            Entry::File {
                sha256: Sha256([1; 32]),
                size: 3,
            },
        );
        entries.insert(
            "README.md".to_string(),
            Entry::File {
                sha256: Sha256([2; 32]),
                size: 0,
            },
        );
        entries.insert(
            "lib/link".to_string(),
            Entry::Symlink {
                target: "a b.ex".to_string(),
            },
        );
        ChecksumFile {
            package: PackageId {
                ecosystem: Ecosystem::Hex,
                name: "foo".into(),
                version: "1.0.0".into(),
            },
            hex: Some(HexChecksums {
                inner: Sha256([3; 32]),
                outer: Sha256([4; 32]),
            }),
            entries,
        }
    }

    #[test]
    fn render_is_canonical_and_round_trips() {
        let file = sample();
        let text = file.render();
        insta::assert_snapshot!(text);
        assert_eq!(ChecksumFile::parse(&text).unwrap(), file);
    }

    #[test]
    fn parse_rejects_reordered_entries() {
        let text = sample().render();
        let mut lines: Vec<&str> = text.lines().collect();
        let n = lines.len();
        lines.swap(n - 1, n - 2);
        let err = ChecksumFile::parse(&(lines.join("\n") + "\n")).unwrap_err();
        assert!(format!("{err:#}").contains("out of order"), "{err:#}");
    }

    #[test]
    fn encoding_is_unambiguous() {
        for s in ["plain", "a b", "100%", "tab\there", "new\nline", "ünï"] {
            assert_eq!(decode(&encode(s)).unwrap(), s);
            assert!(!encode(s).contains(' '));
        }
        assert!(decode("%41").is_err(), "non-canonical escape accepted");
        assert!(decode("%2").is_err());
    }

    #[test]
    fn diff_names_each_kind_of_change() {
        let signed = sample();
        let mut now = sample();
        now.entries.insert(
            "lib/a b.ex".into(),
            Entry::File {
                sha256: Sha256([9; 32]),
                size: 3,
            },
        );
        now.entries.remove("README.md");
        now.entries.insert(
            "evil.ex".into(),
            Entry::File {
                sha256: Sha256([5; 32]),
                size: 1,
            },
        );
        let diff = now.diff_contents(&signed);
        assert_eq!(diff.changed, vec!["lib/a b.ex"]);
        assert_eq!(diff.added, vec!["evil.ex"]);
        assert_eq!(diff.missing, vec!["README.md"]);
    }
}
