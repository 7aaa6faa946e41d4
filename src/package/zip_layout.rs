//! A strict zip reader for Composer dists (docs/integrations.md, "One parser
//! decides").
//!
//! Zip readers disagree about ambiguous archives: the `zip` crate keeps the
//! last of two members with one name while PHP's `ZipArchive` writes the
//! first; libzip picks, among several central directories, the one whose
//! entries reach furthest; Info-ZIP honours Unicode Path extra fields that
//! rename a member. A verifier that reads such an archive one way while
//! Composer installs it another way verifies nothing. So this reader does not
//! try to be lenient or clever: it accepts only archives that every reader
//! must read the same way and refuses everything else, naming the entry.
//!
//! Accepted: one archive that tiles the file exactly, from offset 0: local
//! header + data (+ data descriptor) for each member in central-directory
//! order, then the central directory, then (optionally) the zip64 end records,
//! then the end-of-central-directory record and its comment, ending the file.
//! Every local header agrees with its central record (name, flags, method,
//! sizes, CRC). Methods: stored and deflate. No encryption. Names: canonical
//! relative UTF-8 paths (see [`check_name`]). No extra field that renames a
//! member. No symlinks (unzip makes a link, `ZipArchive` a regular file).
//!
//! Member data is read through [`ZipLayout::open`], which decompresses with
//! flate2 and checks the size, the CRC-32 and that the compressed stream ends
//! exactly where the central directory says.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use anyhow::{bail, ensure, Context, Result};

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const DESCRIPTOR_SIG: u32 = 0x0807_4b50;

const EOCD_LEN: u64 = 22;
const ZIP64_LOCATOR_LEN: u64 = 20;
const ZIP64_EOCD_LEN: u64 = 56;
/// The end record's comment is at most 65,535 bytes: readers search this far.
const EOCD_SEARCH: u64 = EOCD_LEN + 0xFFFF;

/// The central directory is read whole; this bounds it (500,000 members
/// with long names fit).
const MAX_CENTRAL_DIRECTORY: u64 = 256 << 20;

/// Extra fields (APPNOTE 4.5, Info-ZIP's extra.fld).
const EXTRA_ZIP64: u16 = 0x0001;
/// Info-ZIP Unicode Path: unzip and libzip install the member under this
/// name instead of the header's.
const EXTRA_UNICODE_PATH: u16 = 0x7075;

const FLAG_ENCRYPTED: u16 = 1 << 0;
const FLAG_DESCRIPTOR: u16 = 1 << 3;
const FLAG_STRONG_ENCRYPTION: u16 = 1 << 6;
const FLAG_UTF8: u16 = 1 << 11;
const FLAG_MASKED_HEADERS: u16 = 1 << 13;

/// What a member is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
}

/// One member, as the central directory and its local header agree it is.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    /// The stored name, already checked canonical (directories end in `/`).
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// Unix permission bits when the archive records them.
    pub(crate) unix_mode: Option<u32>,
    deflated: bool,
    crc32: u32,
    compressed_size: u64,
    uncompressed_size: u64,
    data_offset: u64,
}

impl Member {
    /// Whether the archive marks the member executable (informational: file
    /// modes are not part of the checksum file).
    pub(crate) fn executable(&self) -> bool {
        self.unix_mode.is_some_and(|m| m & 0o111 != 0)
    }
}

/// An archive whose layout has been checked; members in file order.
pub(crate) struct ZipLayout {
    file: File,
    pub(crate) members: Vec<Member>,
    /// The end record's comment (`git archive` writes the commit id there).
    pub(crate) comment: Vec<u8>,
}

impl ZipLayout {
    /// Reads and checks the whole structure. `max_entries` bounds memory.
    pub(crate) fn read(mut file: File, max_entries: usize) -> Result<ZipLayout> {
        let len = file.metadata()?.len();
        let end = find_end(&mut file, len)?;
        ensure!(
            end.entries <= max_entries as u64,
            "the archive declares {} members, more than the bound of {max_entries}",
            end.entries
        );
        ensure!(
            end.cd_size <= MAX_CENTRAL_DIRECTORY,
            "the central directory claims {} bytes, more than the bound of {MAX_CENTRAL_DIRECTORY}",
            end.cd_size
        );
        let central = read_exact_at(&mut file, end.cd_offset, end.cd_size)
            .context("reading the central directory")?;
        let mut cursor = Bytes::new(&central);
        let mut members = Vec::with_capacity(end.entries as usize);
        let mut next_local = 0u64;
        for index in 0..end.entries {
            let record = CentralRecord::parse(&mut cursor)
                .with_context(|| format!("central directory record {}", index + 1))?;
            let member = check_member(&mut file, &record, next_local)
                .with_context(|| format!("entry {:?}", record.display_name()))?;
            next_local = member.1;
            members.push(member.0);
        }
        ensure!(
            cursor.is_empty(),
            "the central directory holds more bytes than its {} records",
            end.entries
        );
        ensure!(
            next_local == end.cd_offset,
            "{} bytes between the last member and the central directory belong to no member (a second archive?)",
            end.cd_offset.saturating_sub(next_local)
        );
        check_unique_names(&members)?;
        Ok(ZipLayout {
            file,
            members,
            comment: end.comment,
        })
    }

    /// The member's contents, decompressed and checked as they are read: an
    /// error, never short or altered data, when size, CRC or compressed length
    /// disagree with the central directory.
    pub(crate) fn open(&self, member: &Member) -> Result<Checked<'_>> {
        let mut file = &self.file;
        file.seek(SeekFrom::Start(member.data_offset))?;
        let raw = io::BufReader::new(file).take(member.compressed_size);
        let inner = if member.deflated {
            Inner::Deflate(flate2::read::DeflateDecoder::new(raw))
        } else {
            Inner::Stored(raw)
        };
        Ok(Checked {
            inner,
            hasher: crc32fast::Hasher::new(),
            read: 0,
            member: member.clone(),
        })
    }
}

/// Checks each member name as Composer's extractors would see it, refusing
/// what they could read differently. Names are canonical relative paths:
/// UTF-8 (flagged as such unless ASCII, since unzip reads unflagged names as
/// CP437), components that are not empty, `.` or `..`, and do not end in `.`
/// or a space (PHP and Windows drop those), no backslash, no control
/// character, no drive letter.
pub(crate) fn check_name(raw: &[u8], utf8_flag: bool) -> Result<String> {
    let name = match std::str::from_utf8(raw) {
        Ok(n) => n,
        Err(_) => bail!(
            "member name {:?} is not UTF-8",
            String::from_utf8_lossy(raw)
        ),
    };
    ensure!(!name.is_empty(), "a member has an empty name");
    ensure!(
        name.is_ascii() || utf8_flag,
        "member name {name:?} is not ASCII and not flagged UTF-8: unzip would read it as CP437"
    );
    ensure!(
        !name.chars().any(|c| c.is_control() || c == '\\'),
        "member name {name:?} contains a control character or backslash"
    );
    ensure!(!name.starts_with('/'), "absolute path {name:?} in package");
    let body = name.strip_suffix('/').unwrap_or(name);
    for part in body.split('/') {
        match part {
            "" => bail!("member name {name:?} has an empty path component (`//` or a leading `./`): extractors normalise it differently"),
            "." => bail!("member name {name:?} has a `.` component: extractors normalise it differently"),
            ".." => bail!("path {name:?} leaves the package (`..`)"),
            p if p.ends_with('.') || p.ends_with(' ') => bail!(
                "member name {name:?} has a component ending in `.` or a space, which PHP and Windows drop"
            ),
            p if p.len() >= 2 && p.as_bytes()[1] == b':' => {
                bail!("member name {name:?} looks like a drive letter")
            }
            _ => {}
        }
    }
    Ok(name.to_string())
}

/// Two names that land on the same file somewhere are ambiguous: exact
/// duplicates, a file and a folder of one name, and names equal but for case
/// (one file on macOS and Windows).
fn check_unique_names(members: &[Member]) -> Result<()> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for m in members {
        let key = m.name.trim_end_matches('/').to_lowercase();
        if let Some(first) = seen.insert(key, &m.name) {
            if first == m.name {
                bail!(
                    "duplicate entry {:?}: zip readers disagree on which one is installed",
                    m.name
                );
            }
            bail!(
                "entries {first:?} and {:?} name the same file on some systems (case or file/folder)",
                m.name
            );
        }
    }
    Ok(())
}

/// Where the central directory is, according to the end records.
struct End {
    entries: u64,
    cd_offset: u64,
    cd_size: u64,
    comment: Vec<u8>,
}

fn find_end(file: &mut File, len: u64) -> Result<End> {
    ensure!(len >= EOCD_LEN, "too short to be a zip archive");
    let window_start = len.saturating_sub(EOCD_SEARCH);
    let tail = read_exact_at(file, window_start, len - window_start)?;
    // The end record is the one whose comment ends the file.
    let mut found = None;
    for pos in (0..=tail.len() - EOCD_LEN as usize).rev() {
        if le32(&tail[pos..]) == EOCD_SIG {
            let comment_len = le16(&tail[pos + 20..]) as usize;
            if pos + EOCD_LEN as usize + comment_len == tail.len() {
                found = Some(pos);
                break;
            }
        }
    }
    let Some(pos) = found else {
        bail!("no end-of-central-directory record ends the file (trailing bytes, or not a zip archive)");
    };
    let eocd_pos = window_start + pos as u64;
    let r = &tail[pos..];
    let comment = &r[EOCD_LEN as usize..];
    for sig in [EOCD_SIG, ZIP64_EOCD_SIG, ZIP64_LOCATOR_SIG, CENTRAL_SIG] {
        ensure!(
            !contains_sig(comment, sig),
            "the archive comment holds a zip record signature (a second directory in hiding)"
        );
    }
    let disk = le16(&r[4..]);
    let cd_disk = le16(&r[6..]);
    let disk_entries = le16(&r[8..]) as u64;
    let entries = le16(&r[10..]) as u64;
    let cd_size = le32(&r[12..]) as u64;
    let cd_offset = le32(&r[16..]) as u64;
    ensure!(
        disk == 0 && cd_disk == 0 && disk_entries == entries,
        "multi-disk archives are not supported"
    );

    // A zip64 locator, if any, stands right before the end record.
    let has_locator = eocd_pos >= ZIP64_LOCATOR_LEN && {
        let loc = read_exact_at(file, eocd_pos - ZIP64_LOCATOR_LEN, 4)?;
        le32(&loc) == ZIP64_LOCATOR_SIG
    };
    let end = if has_locator {
        let loc_pos = eocd_pos - ZIP64_LOCATOR_LEN;
        let loc = read_exact_at(file, loc_pos, ZIP64_LOCATOR_LEN)?;
        let record_pos = le64(&loc[8..]);
        ensure!(
            le32(&loc[4..]) == 0 && le32(&loc[16..]) == 1,
            "multi-disk archives are not supported"
        );
        ensure!(
            loc_pos >= ZIP64_EOCD_LEN && record_pos == loc_pos - ZIP64_EOCD_LEN,
            "the zip64 locator points at {record_pos}, not at the zip64 end record right before it"
        );
        let z = read_exact_at(file, record_pos, ZIP64_EOCD_LEN)?;
        ensure!(
            le32(&z) == ZIP64_EOCD_SIG && le64(&z[4..]) == ZIP64_EOCD_LEN - 12,
            "malformed zip64 end-of-central-directory record"
        );
        ensure!(
            le32(&z[16..]) == 0 && le32(&z[20..]) == 0 && le64(&z[24..]) == le64(&z[32..]),
            "multi-disk archives are not supported"
        );
        let end = End {
            entries: le64(&z[32..]),
            cd_size: le64(&z[40..]),
            cd_offset: le64(&z[48..]),
            comment: comment.to_vec(),
        };
        // Each classic field either defers to zip64 or says the same thing.
        let agree =
            |classic: u64, sentinel: u64, zip64: u64| classic == sentinel || classic == zip64;
        ensure!(
            agree(entries, 0xFFFF, end.entries)
                && agree(cd_size, 0xFFFF_FFFF, end.cd_size)
                && agree(cd_offset, 0xFFFF_FFFF, end.cd_offset),
            "the zip64 end record and the classic one describe different central directories"
        );
        ensure!(
            end.cd_offset.checked_add(end.cd_size) == Some(record_pos),
            "the central directory does not end where the zip64 end record begins"
        );
        end
    } else {
        ensure!(
            entries != 0xFFFF && cd_size != 0xFFFF_FFFF && cd_offset != 0xFFFF_FFFF,
            "the end record defers to a zip64 record that is not there"
        );
        ensure!(
            cd_offset + cd_size == eocd_pos,
            "the central directory does not end where the end record begins (prepended or inserted bytes)"
        );
        End {
            entries,
            cd_offset,
            cd_size,
            comment: comment.to_vec(),
        }
    };

    // Any other self-consistent end record in reach is a second directory
    // that some reader may prefer (libzip weighs every candidate).
    for pos in 0..=tail.len() - EOCD_LEN as usize {
        let at = window_start + pos as u64;
        if at == eocd_pos || le32(&tail[pos..]) != EOCD_SIG {
            continue;
        }
        let size = le32(&tail[pos + 12..]) as u64;
        if let Some(start) = at.checked_sub(size) {
            if start < len && read_exact_at(file, start, 4).is_ok_and(|b| le32(&b) == CENTRAL_SIG) {
                bail!("a second end-of-central-directory record at offset {at} describes another directory (a zip inside the zip's last 64 KiB, or two archives in one file)");
            }
        }
    }
    Ok(end)
}

struct CentralRecord<'a> {
    version_made_by: u16,
    flags: u16,
    method: u16,
    crc32: u32,
    compressed_size: u64,
    uncompressed_size: u64,
    local_offset: u64,
    external_attrs: u32,
    name: &'a [u8],
}

impl<'a> CentralRecord<'a> {
    fn parse(c: &mut Bytes<'a>) -> Result<Self> {
        ensure!(
            c.u32()? == CENTRAL_SIG,
            "not a central directory record (the directory is damaged or its size is wrong)"
        );
        let version_made_by = c.u16()?;
        let _needed = c.u16()?;
        let flags = c.u16()?;
        let method = c.u16()?;
        let _time = c.u16()?;
        let _date = c.u16()?;
        let crc32 = c.u32()?;
        let csize = c.u32()?;
        let usize_ = c.u32()?;
        let name_len = c.u16()? as usize;
        let extra_len = c.u16()? as usize;
        let comment_len = c.u16()? as usize;
        let disk = c.u16()?;
        let _internal = c.u16()?;
        let external_attrs = c.u32()?;
        let offset = c.u32()?;
        let name = c.take(name_len)?;
        let extra = c.take(extra_len)?;
        let _comment = c.take(comment_len)?;
        ensure!(disk == 0, "multi-disk archives are not supported");
        let mut record = CentralRecord {
            version_made_by,
            flags,
            method,
            crc32,
            compressed_size: csize as u64,
            uncompressed_size: usize_ as u64,
            local_offset: offset as u64,
            external_attrs,
            name,
        };
        // Zip64 values replace the 32-bit ones that are 0xFFFFFFFF, in this order.
        let fields = check_extra(extra)?;
        if let Some(z) = fields.get(&EXTRA_ZIP64) {
            let mut z = Bytes::new(z);
            if usize_ == u32::MAX {
                record.uncompressed_size = z.u64()?;
            }
            if csize == u32::MAX {
                record.compressed_size = z.u64()?;
            }
            if offset == u32::MAX {
                record.local_offset = z.u64()?;
            }
        }
        Ok(record)
    }

    fn display_name(&self) -> String {
        String::from_utf8_lossy(self.name).into_owned()
    }
}

/// Parses an extra-field block: it must split exactly into fields, none of
/// them one that renames the member. Returns the fields by id.
fn check_extra(extra: &[u8]) -> Result<BTreeMap<u16, &[u8]>> {
    let mut c = Bytes::new(extra);
    let mut fields = BTreeMap::new();
    while !c.is_empty() {
        let id = c.u16().context("malformed extra field")?;
        let len = c.u16().context("malformed extra field")? as usize;
        let data = c.take(len).context("malformed extra field")?;
        ensure!(
            id != EXTRA_UNICODE_PATH,
            "an Info-ZIP Unicode Path extra field renames the member for some extractors"
        );
        ensure!(
            fields.insert(id, data).is_none(),
            "the extra field {id:#06x} appears twice"
        );
    }
    Ok(fields)
}

/// Checks one member's local header and data against its central record;
/// returns the member and the offset where the next one must begin.
fn check_member(file: &mut File, r: &CentralRecord, expected_offset: u64) -> Result<(Member, u64)> {
    ensure!(
        r.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS) == 0,
        "encrypted members are not supported"
    );
    ensure!(
        r.method == 0 || r.method == 8,
        "compression method {} is not supported (stored and deflate are)",
        r.method
    );
    let name = check_name(r.name, r.flags & FLAG_UTF8 != 0)?;
    ensure!(
        r.local_offset == expected_offset,
        "its local header is at offset {}, but the previous member ends at {expected_offset} (overlapping or hidden data)",
        r.local_offset
    );

    let header = read_exact_at(file, r.local_offset, 30).context("its local header is cut off")?;
    let mut h = Bytes::new(&header);
    ensure!(
        h.u32()? == LOCAL_SIG,
        "no local header where the central directory says"
    );
    let _needed = h.u16()?;
    let flags = h.u16()?;
    let method = h.u16()?;
    let _time = h.u16()?;
    let _date = h.u16()?;
    let crc32 = h.u32()?;
    let csize = h.u32()?;
    let usize_ = h.u32()?;
    let name_len = h.u16()? as u64;
    let extra_len = h.u16()? as u64;
    let rest = read_exact_at(file, r.local_offset + 30, name_len + extra_len)
        .context("its local header is cut off")?;
    let (local_name, local_extra) = rest.split_at(name_len as usize);
    ensure!(
        local_name == r.name,
        "the local header names it {:?}: the two names disagree",
        String::from_utf8_lossy(local_name)
    );
    ensure!(
        flags == r.flags && method == r.method,
        "the local header's flags or method disagree with the central directory"
    );
    let local_fields = check_extra(local_extra)?;
    let local_zip64 = local_fields.contains_key(&EXTRA_ZIP64);
    if flags & FLAG_DESCRIPTOR == 0 {
        let (mut lc, mut lu) = (csize as u64, usize_ as u64);
        if let Some(z) = local_fields.get(&EXTRA_ZIP64) {
            let mut z = Bytes::new(z);
            if usize_ == u32::MAX {
                lu = z.u64()?;
            }
            if csize == u32::MAX {
                lc = z.u64()?;
            }
        }
        ensure!(
            crc32 == r.crc32 && lc == r.compressed_size && lu == r.uncompressed_size,
            "the local header's sizes or CRC disagree with the central directory"
        );
    }
    let data_offset = r.local_offset + 30 + name_len + extra_len;
    let mut end = data_offset
        .checked_add(r.compressed_size)
        .context("sizes overflow")?;
    if flags & FLAG_DESCRIPTOR != 0 {
        let wide = local_zip64 || r.compressed_size > u32::MAX as u64;
        let body = if wide { 20 } else { 12 };
        let head = read_exact_at(file, end, 4).context("its data descriptor is cut off")?;
        let sig = if le32(&head) == DESCRIPTOR_SIG { 4 } else { 0 };
        let d = read_exact_at(file, end + sig, body).context("its data descriptor is cut off")?;
        let mut d = Bytes::new(&d);
        let dcrc = d.u32()?;
        let (dc, du) = if wide {
            (d.u64()?, d.u64()?)
        } else {
            (d.u32()? as u64, d.u32()? as u64)
        };
        ensure!(
            dcrc == r.crc32 && dc == r.compressed_size && du == r.uncompressed_size,
            "its data descriptor disagrees with the central directory"
        );
        end += sig + body;
    }

    ensure!(
        r.method == 8 || r.compressed_size == r.uncompressed_size,
        "it is stored uncompressed, but its two sizes differ"
    );
    let is_dir = name.ends_with('/');
    let unix_mode = (r.version_made_by >> 8 == 3).then_some(r.external_attrs >> 16);
    let msdos_dir = r.external_attrs & 0x10 != 0;
    if let Some(mode) = unix_mode {
        match mode & 0o170000 {
            0o120000 => bail!("it is a symlink: unzip writes a link, PHP's ZipArchive a regular file, so Composer's result depends on which ran; symlinks are refused in Composer archives"),
            0o040000 if !is_dir => bail!("it is marked a directory but its name does not end in `/`"),
            0 | 0o100000 | 0o040000 => {}
            other => bail!("it is a special file (mode {other:o})"),
        }
    }
    if is_dir {
        ensure!(
            r.uncompressed_size == 0,
            "a directory entry holds {} bytes of data",
            r.uncompressed_size
        );
    } else {
        ensure!(
            !msdos_dir || unix_mode.is_some(),
            "it is marked a directory but its name does not end in `/`"
        );
    }
    Ok((
        Member {
            name,
            kind: if is_dir { Kind::Dir } else { Kind::File },
            unix_mode,
            deflated: r.method == 8,
            crc32: r.crc32,
            compressed_size: r.compressed_size,
            uncompressed_size: r.uncompressed_size,
            data_offset,
        },
        end,
    ))
}

type Raw<'a> = io::Take<io::BufReader<&'a File>>;

enum Inner<'a> {
    Stored(Raw<'a>),
    Deflate(flate2::read::DeflateDecoder<Raw<'a>>),
}

/// Member data, checked as it streams by.
pub(crate) struct Checked<'a> {
    inner: Inner<'a>,
    hasher: crc32fast::Hasher,
    read: u64,
    member: Member,
}

impl Read for Checked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &mut self.inner {
            Inner::Stored(r) => r.read(buf)?,
            Inner::Deflate(r) => r.read(buf)?,
        };
        self.read += n as u64;
        let m = &self.member;
        let bad =
            |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("{:?} {what}", m.name));
        if self.read > m.uncompressed_size {
            return Err(bad("expands past the size the central directory records"));
        }
        self.hasher.update(&buf[..n]);
        if n == 0 && !buf.is_empty() {
            if self.read != m.uncompressed_size {
                return Err(bad("is shorter than the central directory records"));
            }
            if self.hasher.clone().finalize() != m.crc32 {
                return Err(bad(
                    "does not match its CRC-32: the data is damaged or altered",
                ));
            }
            // The compressed stream must use up exactly its recorded length.
            if let Inner::Deflate(d) = &self.inner {
                if d.total_in() != m.compressed_size {
                    return Err(bad("has bytes after the end of its compressed data"));
                }
            }
        }
        Ok(n)
    }
}

fn read_exact_at(file: &mut File, offset: u64, len: u64) -> Result<Vec<u8>> {
    let file_len = file.metadata()?.len();
    ensure!(
        offset.checked_add(len).is_some_and(|end| end <= file_len),
        "a record at offset {offset} reaches past the end of the file"
    );
    file.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0u8; len as usize];
    file.read_exact(&mut buf)?;
    Ok(buf)
}

fn contains_sig(hay: &[u8], sig: u32) -> bool {
    hay.windows(4).any(|w| le32(w) == sig)
}

fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}
fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}
fn le64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

/// A bounds-checked little-endian reader over a byte slice.
struct Bytes<'a> {
    rest: &'a [u8],
}

impl<'a> Bytes<'a> {
    fn new(rest: &'a [u8]) -> Self {
        Bytes { rest }
    }
    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        ensure!(self.rest.len() >= n, "a record is cut off");
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(le16(self.take(2)?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(le32(self.take(4)?))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(le64(self.take(8)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_canonical() {
        for ok in ["a.php", "src/A.php", "src/", ".github/x.yml", "a..b/c"] {
            check_name(ok.as_bytes(), false).unwrap();
        }
        for bad in [
            "./a",
            ".//pkg/a",
            "a//b",
            "a/./b",
            "../a",
            "/a",
            "a\\b",
            "foo./x.php",
            "foo /x",
            "C:/x",
            "a/\u{1}",
        ] {
            assert!(
                check_name(bad.as_bytes(), true).is_err(),
                "{bad:?} accepted"
            );
        }
        assert!(check_name("é.php".as_bytes(), false).is_err());
        check_name("é.php".as_bytes(), true).unwrap();
    }
}
