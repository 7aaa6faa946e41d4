//! Hex package tarballs: an outer uncompressed tar of `VERSION`, `CHECKSUM`,
//! `metadata.config` and `contents.tar.gz` (see FIELD-NOTES and Hex's
//! `hex_tarball`). One pass over the file yields the outer checksum, the inner
//! checksum and the hash of every file in the contents.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use sha2::{Digest, Sha256 as Sha256Hasher};

use super::contents::ContentCollector;
use super::{resolve_identity, IdentityHints, Limits, ReadPackage};
use crate::checksum_file::{ChecksumFile, HexChecksums};
use crate::model::{Ecosystem, Sha256};
use crate::terms::erlang::{self, Term};

/// The small members are read whole; this bounds them.
const MAX_SMALL_MEMBER: u64 = 16 << 20;

pub(crate) fn read(path: &Path, hints: &IdentityHints, limits: &Limits) -> Result<ReadPackage> {
    let file = File::open(path)?;
    let mut outer = tar::Archive::new(HashingReader::new(BufReader::with_capacity(
        256 * 1024,
        file,
    )));
    let mut version: Option<Vec<u8>> = None;
    let mut checksum_member: Option<Vec<u8>> = None;
    let mut metadata: Option<Vec<u8>> = None;
    let mut contents: Option<ContentsMember> = None;
    let mut collector = ContentCollector::new(limits);

    for entry in outer.entries().context("reading the outer tar")? {
        let mut entry = entry.context("reading the outer tar")?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        check_headers(&mut entry, false).with_context(|| format!("outer tar member {name:?}"))?;
        if !entry.header().entry_type().is_file() {
            bail!("unexpected member {name:?} in the outer tar (not a regular file)");
        }
        let slot = match name.as_str() {
            "VERSION" => &mut version,
            "CHECKSUM" => &mut checksum_member,
            "metadata.config" => &mut metadata,
            "contents.tar.gz" => {
                if contents.is_some() {
                    bail!("duplicate member contents.tar.gz");
                }
                contents = Some(read_contents(
                    &mut entry,
                    version.as_deref(),
                    metadata.as_deref(),
                    &mut collector,
                )?);
                continue;
            }
            other => bail!("unexpected member {other:?} in the outer tar"),
        };
        if slot.is_some() {
            bail!("duplicate member {name}");
        }
        *slot = Some(read_small(&mut entry, &name)?);
    }
    // The outer checksum covers every byte of the file, tar padding included.
    let mut rest = outer.into_inner();
    io::copy(&mut rest, &mut io::sink()).context("reading the outer tar")?;
    let outer_checksum = rest.finish();

    let version = version.context("missing member VERSION")?;
    let checksum_member = checksum_member.context("missing member CHECKSUM")?;
    let metadata = metadata.context("missing member metadata.config")?;
    let contents = contents.context("missing member contents.tar.gz")?;
    if version.trim_ascii() != b"3" {
        bail!(
            "unsupported Hex tarball version {:?} (only version 3 exists)",
            String::from_utf8_lossy(&version)
        );
    }

    let inner = match contents.inner_checksum {
        Some(sha) => sha,
        None => {
            inner_checksum_by_seeking(path, &version, &metadata, contents.offset, contents.size)?
        }
    };
    let mut integrity_errors = Vec::new();
    let recorded = std::str::from_utf8(&checksum_member)
        .ok()
        .and_then(|s| Sha256::from_hex(s.trim()).ok());
    match recorded {
        Some(r) if r == inner => {}
        Some(r) => integrity_errors.push(format!(
            "the tarball's CHECKSUM member says {r}, but its VERSION, metadata.config and contents hash to {inner}"
        )),
        None => bail!("CHECKSUM member is not a SHA-256 hex digest"),
    }

    let (name, pkg_version) = metadata_identity(&metadata).context("metadata.config")?;
    let package = resolve_identity(Ecosystem::Hex, hints, name, pkg_version, "metadata.config")?;
    let checksum_file = ChecksumFile {
        package,
        hex: Some(HexChecksums {
            inner,
            outer: outer_checksum,
        }),
        entries: collector.finish()?,
    };
    Ok(ReadPackage {
        checksum_file,
        integrity_errors,
        made_from_commit: None,
    })
}

/// Reads `name` and `version` from a Hex metadata file (`metadata.config` in
/// a tarball, `hex_metadata.config` in `deps/APP`).
pub(crate) fn metadata_identity(bytes: &[u8]) -> Result<(Option<String>, Option<String>)> {
    let text = std::str::from_utf8(bytes).context("not UTF-8")?;
    let terms = erlang::parse_consult(text)?;
    let get = |key: &str| {
        erlang::lookup(&terms, key)
            .and_then(|t| t.as_text())
            .map(str::to_string)
    };
    Ok((get("name"), get("version")))
}

/// The package's source repository from its metadata's `links`: the first
/// link named GitHub, GitLab, Codeberg or Source (SPEC §8), in that order.
pub(crate) fn metadata_source(bytes: &[u8]) -> Result<Option<String>> {
    let text = std::str::from_utf8(bytes).context("not UTF-8")?;
    let terms = erlang::parse_consult(text)?;
    let links: Vec<(String, String)> = match erlang::lookup(&terms, "links") {
        Some(Term::List(items)) => items
            .iter()
            .filter_map(|item| match item {
                Term::Tuple(pair) if pair.len() == 2 => Some((
                    pair[0].as_text()?.to_string(),
                    pair[1].as_text()?.to_string(),
                )),
                _ => None,
            })
            .collect(),
        Some(Term::Map(pairs)) => pairs
            .iter()
            .filter_map(|(k, v)| Some((k.as_text()?.to_string(), v.as_text()?.to_string())))
            .collect(),
        _ => Vec::new(),
    };
    Ok(["github", "gitlab", "codeberg", "source"]
        .iter()
        .find_map(|name| {
            links
                .iter()
                .find(|(label, _)| label.eq_ignore_ascii_case(name))
                .map(|(_, url)| url.clone())
        }))
}

struct ContentsMember {
    offset: u64,
    size: u64,
    /// Known when `VERSION` and `metadata.config` came first, as Hex writes them.
    inner_checksum: Option<Sha256>,
}

/// Streams `contents.tar.gz` through the inner-checksum hash and the gzip and
/// tar decoders at once.
fn read_contents(
    entry: &mut tar::Entry<'_, impl Read>,
    version: Option<&[u8]>,
    metadata: Option<&[u8]>,
    collector: &mut ContentCollector<'_>,
) -> Result<ContentsMember> {
    let offset = entry.raw_file_position();
    let size = entry.header().size()?;
    let mut inner_hasher = match (version, metadata) {
        (Some(v), Some(m)) => {
            let mut h = Sha256Hasher::new();
            h.update(v);
            h.update(m);
            Some(h)
        }
        _ => None,
    };
    let mut tee = TeeHasher {
        inner: entry,
        hasher: inner_hasher.as_mut(),
    };
    {
        let mut gz = GzDecoder::new(&mut tee);
        read_inner_tar(&mut gz, collector).context("contents.tar.gz")?;
        // Reading to the end makes gzip check its CRC and length trailer.
        io::copy(&mut gz, &mut io::sink()).context("contents.tar.gz: corrupt gzip stream")?;
    }
    io::copy(&mut tee, &mut io::sink()).context("contents.tar.gz")?;
    let inner_checksum = inner_hasher.map(|h| Sha256(h.finalize().into()));
    Ok(ContentsMember {
        offset,
        size,
        inner_checksum,
    })
}

fn read_inner_tar(reader: &mut dyn Read, collector: &mut ContentCollector<'_>) -> Result<()> {
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = entry.path_bytes();
        let path = std::str::from_utf8(&raw)
            .with_context(|| format!("file name {:?} is not UTF-8", String::from_utf8_lossy(&raw)))?
            .to_string();
        check_headers(&mut entry, true).with_context(|| format!("member {path:?}"))?;
        let kind = entry.header().entry_type();
        if kind.is_file() {
            collector.add_file(&path, &mut entry)?;
        } else if kind.is_dir() {
            collector.add_dir(&path)?;
        } else if kind.is_symlink() {
            let target = entry.link_name_bytes().context("symlink without target")?;
            let target = std::str::from_utf8(&target)
                .context("symlink target is not UTF-8")?
                .to_string();
            collector.add_symlink(&path, &target)?;
        } else if kind.is_pax_global_extensions() {
            bail!("a pax global header: tar readers apply it differently (Hex never writes one)");
        } else {
            bail!("member {path:?} has unsupported type {kind:?} (only files, directories and symlinks)");
        }
    }
    Ok(())
}

/// pax records that Hex's `erl_tar` applies exactly as the `tar` crate does:
/// the long path that ustar cannot hold, and metadata that changes no byte.
/// Anything else (`size` above all: erl_tar ignores it, so the two would cut
/// the stream into different members) is refused, as are GNU long names.
const PAX_KEYS: &[&str] = &[
    "path", "mtime", "atime", "ctime", "uid", "gid", "uname", "gname",
];

fn check_headers<R: Read>(entry: &mut tar::Entry<'_, R>, long_paths: bool) -> Result<()> {
    let mut pax_path = false;
    if let Some(extensions) = entry.pax_extensions()? {
        for ext in extensions {
            let ext = ext.context("malformed pax header")?;
            let key = ext.key().context("pax keyword is not UTF-8")?;
            if !PAX_KEYS.contains(&key) || (key == "path" && !long_paths) {
                bail!("a pax header sets {key:?}, which tar readers apply differently");
            }
            pax_path |= key == "path";
        }
    }
    if !pax_path && entry.path_bytes() != entry.header().path_bytes() {
        bail!("a GNU long-name header renames it, which tar readers apply differently");
    }
    if entry.header().entry_type().is_gnu_longlink()
        || entry.link_name_bytes() != entry.header().link_name_bytes()
    {
        bail!("a long link-name header, which tar readers apply differently");
    }
    Ok(())
}

fn read_small(entry: &mut dyn Read, name: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    entry
        .take(MAX_SMALL_MEMBER + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("reading {name}"))?;
    if buf.len() as u64 > MAX_SMALL_MEMBER {
        bail!("member {name} is larger than {MAX_SMALL_MEMBER} bytes");
    }
    Ok(buf)
}

/// For tarballs whose members are not in Hex's order: hash the contents again
/// from the file, after the small members.
fn inner_checksum_by_seeking(
    path: &Path,
    version: &[u8],
    metadata: &[u8],
    offset: u64,
    size: u64,
) -> Result<Sha256> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut hasher = Sha256Hasher::new();
    hasher.update(version);
    hasher.update(metadata);
    let copied = io::copy(&mut file.take(size), &mut HashWriter(&mut hasher))?;
    if copied != size {
        bail!("contents.tar.gz is truncated");
    }
    Ok(Sha256(hasher.finalize().into()))
}

/// Hashes everything read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256Hasher,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256Hasher::new(),
        }
    }

    fn finish(self) -> Sha256 {
        Sha256(self.hasher.finalize().into())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

struct TeeHasher<'h, R> {
    inner: R,
    hasher: Option<&'h mut Sha256Hasher>,
}

impl<R: Read> Read for TeeHasher<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

struct HashWriter<'h>(&'h mut Sha256Hasher);

impl io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::metadata_source;

    #[test]
    fn the_source_link_is_found_by_its_label() {
        let meta = br#"{<<"name">>,<<"foo">>}.
{<<"links">>,[{<<"Docs">>,<<"https://hexdocs.pm/foo">>},{<<"GitHub">>,<<"https://github.com/acme/foo">>}]}.
"#;
        assert_eq!(
            metadata_source(meta).unwrap().as_deref(),
            Some("https://github.com/acme/foo")
        );
        let codeberg = br#"{<<"links">>,[{<<"source">>,<<"https://example.org/s">>},{<<"Codeberg">>,<<"https://codeberg.org/a/foo">>}]}."#;
        assert_eq!(
            metadata_source(codeberg).unwrap().as_deref(),
            Some("https://codeberg.org/a/foo"),
            "GitHub, GitLab, Codeberg, then Source"
        );
        assert_eq!(
            metadata_source(b"{<<\"name\">>,<<\"foo\">>}.").unwrap(),
            None
        );
    }
}
