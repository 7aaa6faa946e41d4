//! The shared vocabulary of every layer: which package (ecosystem, name,
//! version), digests, and how times are written.

use std::fmt::{self, Write as _};
use std::time::SystemTime;

use anyhow::{bail, Result};
use serde::Serialize;

/// The package manager a package belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Hex,
    Composer,
}

impl Ecosystem {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Hex => "hex",
            Ecosystem::Composer => "composer",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        match s {
            "hex" => Ok(Ecosystem::Hex),
            "composer" => Ok(Ecosystem::Composer),
            other => bail!("unknown ecosystem {other:?} (expected hex or composer)"),
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which package and release a checksum file describes. It is part of the
/// signed text, so a signature of `foo 1.0.0` never verifies as `foo 1.0.1`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageId {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
}

impl fmt::Display for PackageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.ecosystem, self.name, self.version)
    }
}

/// A SHA-256 digest, printed as lower-case hex.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// Parses 64 hex digits, either case (Hex's `CHECKSUM` member is upper case).
    pub(crate) fn from_hex(s: &str) -> Result<Self> {
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("not a SHA-256 hex digest: {s:?}");
        }
        let mut out = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let pair = std::str::from_utf8(chunk).expect("ASCII hex digits");
            out[i] = u8::from_str_radix(pair, 16).expect("checked hex digits");
        }
        Ok(Sha256(out))
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Lower-case hex of `bytes` (cache files store user IDs and regexes so,
/// since they need not be UTF-8).
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The bytes of [`hex`]'s output.
pub(crate) fn unhex(s: &str) -> Result<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("not hex: {s:?}");
    }
    Ok(s.as_bytes()
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).expect("ASCII"), 16).expect("hex"))
        .collect())
}

/// RFC 3339 in UTC, without pulling in a date crate.
/// The 1-based line and column (in characters) of byte `offset` in `text`,
/// for `FILE:LINE:COLUMN:` messages.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A parse error of `path`, as compilers write it: `FILE:LINE:COLUMN:
/// message` when the error starts with its place, else `FILE: message`.
pub(crate) fn in_file(path: &std::path::Path, e: anyhow::Error) -> anyhow::Error {
    let e = format!("{e:#}");
    let sep = if e.starts_with(|c: char| c.is_ascii_digit()) {
        ":"
    } else {
        ": "
    };
    anyhow::anyhow!("{}{sep}{e}", path.display())
}

pub(crate) fn timestamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
