//! A zip writer that does what no well-behaved one does: duplicate names,
//! renaming extra fields, several directories, symlinks, disagreeing
//! headers. The hostile archives of the gate tests (issue 8) are built with it.
#![allow(dead_code)]

use std::io::Write;

/// One member as it will be written.
#[derive(Clone)]
pub struct RawEntry {
    pub name: Vec<u8>,
    /// The name in the local header, where it differs from the central one.
    pub local_name: Option<Vec<u8>>,
    pub data: Vec<u8>,
    pub deflate: bool,
    pub unix_mode: u32,
    pub extra: Vec<u8>,
    pub descriptor: bool,
    pub utf8: bool,
}

impl RawEntry {
    pub fn file(name: &str, data: &[u8]) -> RawEntry {
        RawEntry {
            name: name.as_bytes().to_vec(),
            local_name: None,
            data: data.to_vec(),
            deflate: true,
            unix_mode: 0o100644,
            extra: Vec::new(),
            descriptor: false,
            utf8: false,
        }
    }
    pub fn dir(name: &str) -> RawEntry {
        RawEntry {
            unix_mode: 0o040755,
            deflate: false,
            ..RawEntry::file(name, b"")
        }
    }
    pub fn symlink(name: &str, target: &str) -> RawEntry {
        RawEntry {
            unix_mode: 0o120777,
            deflate: false,
            ..RawEntry::file(name, target.as_bytes())
        }
    }
    pub fn stored(mut self) -> Self {
        self.deflate = false;
        self
    }
    pub fn with_descriptor(mut self) -> Self {
        self.descriptor = true;
        self
    }
    /// An Info-ZIP Unicode Path extra field (0x7075) naming the member `path`.
    pub fn unicode_path(mut self, path: &str) -> Self {
        let crc = crc32(&self.name);
        let mut body = vec![1u8];
        body.extend_from_slice(&crc.to_le_bytes());
        body.extend_from_slice(path.as_bytes());
        self.extra.extend_from_slice(&0x7075u16.to_le_bytes());
        self.extra
            .extend_from_slice(&(body.len() as u16).to_le_bytes());
        self.extra.extend_from_slice(&body);
        self
    }
}

/// The bytes of one archive; `central` and `end` are kept apart so tests can
/// rearrange them.
pub struct RawZip {
    pub body: Vec<u8>,
    pub central: Vec<u8>,
    pub entries: u16,
}

impl RawZip {
    /// Local headers and data for every entry, starting at `base` (where the
    /// archive will stand in the final file), and their central records.
    pub fn build(entries: &[RawEntry], base: u64) -> RawZip {
        let mut body = Vec::new();
        let mut central = Vec::new();
        for e in entries {
            let offset = base + body.len() as u64;
            let crc = crc32(&e.data);
            let compressed = if e.deflate {
                let mut enc =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                enc.write_all(&e.data).unwrap();
                enc.finish().unwrap()
            } else {
                e.data.clone()
            };
            let method: u16 = if e.deflate { 8 } else { 0 };
            let mut flags: u16 = if e.descriptor { 1 << 3 } else { 0 };
            if e.utf8 {
                flags |= 1 << 11;
            }
            let local_name = e.local_name.as_ref().unwrap_or(&e.name);
            // local header
            body.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            body.extend_from_slice(&20u16.to_le_bytes());
            body.extend_from_slice(&flags.to_le_bytes());
            body.extend_from_slice(&method.to_le_bytes());
            body.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
            let (lcrc, lc, lu) = if e.descriptor {
                (0, 0, 0)
            } else {
                (crc, compressed.len() as u32, e.data.len() as u32)
            };
            body.extend_from_slice(&lcrc.to_le_bytes());
            body.extend_from_slice(&lc.to_le_bytes());
            body.extend_from_slice(&lu.to_le_bytes());
            body.extend_from_slice(&(local_name.len() as u16).to_le_bytes());
            body.extend_from_slice(&(e.extra.len() as u16).to_le_bytes());
            body.extend_from_slice(local_name);
            body.extend_from_slice(&e.extra);
            body.extend_from_slice(&compressed);
            if e.descriptor {
                body.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
                body.extend_from_slice(&crc.to_le_bytes());
                body.extend_from_slice(&(compressed.len() as u32).to_le_bytes());
                body.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            }
            // central record
            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes());
            central.extend_from_slice(&flags.to_le_bytes());
            central.extend_from_slice(&method.to_le_bytes());
            central.extend_from_slice(&[0, 0, 0x21, 0]);
            central.extend_from_slice(&crc.to_le_bytes());
            central.extend_from_slice(&(compressed.len() as u32).to_le_bytes());
            central.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            central.extend_from_slice(&(e.extra.len() as u16).to_le_bytes());
            central.extend_from_slice(&0u16.to_le_bytes()); // comment
            central.extend_from_slice(&0u16.to_le_bytes()); // disk
            central.extend_from_slice(&0u16.to_le_bytes()); // internal attrs
            central.extend_from_slice(&(e.unix_mode << 16).to_le_bytes());
            central.extend_from_slice(&(offset as u32).to_le_bytes());
            central.extend_from_slice(&e.name);
            central.extend_from_slice(&e.extra);
        }
        RawZip {
            body,
            central,
            entries: entries.len() as u16,
        }
    }

    /// A classic end record for a directory of `entries` records and
    /// `cd_size` bytes at `cd_offset`.
    pub fn end_record(entries: u16, cd_size: u32, cd_offset: u32, comment: &[u8]) -> Vec<u8> {
        let mut e = Vec::new();
        e.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        e.extend_from_slice(&[0, 0, 0, 0]);
        e.extend_from_slice(&entries.to_le_bytes());
        e.extend_from_slice(&entries.to_le_bytes());
        e.extend_from_slice(&cd_size.to_le_bytes());
        e.extend_from_slice(&cd_offset.to_le_bytes());
        e.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        e.extend_from_slice(comment);
        e
    }

    /// A zip64 end record and locator for a directory, the record at `at`.
    pub fn zip64_end(entries: u64, cd_size: u64, cd_offset: u64, at: u64) -> Vec<u8> {
        let mut z = Vec::new();
        z.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
        z.extend_from_slice(&44u64.to_le_bytes());
        z.extend_from_slice(&((3u16 << 8) | 45).to_le_bytes());
        z.extend_from_slice(&45u16.to_le_bytes());
        z.extend_from_slice(&[0; 8]);
        z.extend_from_slice(&entries.to_le_bytes());
        z.extend_from_slice(&entries.to_le_bytes());
        z.extend_from_slice(&cd_size.to_le_bytes());
        z.extend_from_slice(&cd_offset.to_le_bytes());
        z.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
        z.extend_from_slice(&0u32.to_le_bytes());
        z.extend_from_slice(&at.to_le_bytes());
        z.extend_from_slice(&1u32.to_le_bytes());
        z
    }

    /// A well-formed archive of `entries` starting at offset `base`.
    pub fn archive(entries: &[RawEntry], base: u64) -> Vec<u8> {
        let z = RawZip::build(entries, base);
        let mut out = z.body.clone();
        let cd_offset = base + out.len() as u64;
        out.extend_from_slice(&z.central);
        out.extend_from_slice(&RawZip::end_record(
            z.entries,
            z.central.len() as u32,
            cd_offset as u32,
            b"",
        ));
        out
    }
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(data);
    h.finalize()
}

/// The files of the signed package the gate tests use.
pub const GOOD_JSON: &str = "{\"name\": \"acme/widget\"}";
pub const GOOD_PHP: &str = "<?php // the signed Thing\n";
/// What a hostile archive tries to get installed.
pub const EVIL: &str = "<?php evil(); // EVIL\n";

/// The signed package, as a plain archive.
pub fn good_entries() -> Vec<RawEntry> {
    vec![
        RawEntry::file("composer.json", GOOD_JSON.as_bytes()),
        RawEntry::file("src/Thing.php", GOOD_PHP.as_bytes()),
    ]
}

/// Archives that every reader reads alike: pgp-pkg must accept them and
/// agree with what Composer installs.
pub fn benign_zips() -> Vec<(&'static str, Vec<u8>)> {
    let foldered = vec![
        RawEntry::dir("acme-widget-1a2b3c4/"),
        RawEntry::file("acme-widget-1a2b3c4/composer.json", GOOD_JSON.as_bytes()),
        RawEntry::dir("acme-widget-1a2b3c4/src/"),
        RawEntry::file("acme-widget-1a2b3c4/src/Thing.php", GOOD_PHP.as_bytes()),
    ];
    let described: Vec<RawEntry> = good_entries()
        .into_iter()
        .map(RawEntry::with_descriptor)
        .collect();
    let stored: Vec<RawEntry> = good_entries().into_iter().map(RawEntry::stored).collect();
    vec![
        ("plain", RawZip::archive(&good_entries(), 0)),
        ("one-top-folder", RawZip::archive(&foldered, 0)),
        ("data-descriptors", RawZip::archive(&described, 0)),
        ("stored", RawZip::archive(&stored, 0)),
    ]
}

/// The good archive's and the evil one's members back to back, then the good
/// directory: the start of every layout with two directories in one file.
/// Returns both archives, the bytes so far and where the good directory is.
fn both_bodies(evil_entries: &[RawEntry]) -> (RawZip, RawZip, Vec<u8>, u64) {
    let g = RawZip::build(&good_entries(), 0);
    let e = RawZip::build(evil_entries, g.body.len() as u64);
    let mut f = g.body.clone();
    f.extend(&e.body);
    let good_cd = f.len() as u64;
    f.extend(&g.central);
    (g, e, f, good_cd)
}

/// The signed package inside a top folder `pkg/`, with `extra` beside it.
fn in_folder(extra: RawEntry) -> Vec<RawEntry> {
    vec![
        RawEntry::file("pkg/composer.json", GOOD_JSON.as_bytes()),
        RawEntry::file("pkg/src/Thing.php", GOOD_PHP.as_bytes()),
        extra,
    ]
}

/// Archives whose checksum file (as a lenient reader sees it) can equal the
/// signed one while an extractor installs other bytes. pgp-pkg must refuse
/// every one of them.
pub fn hostile_zips() -> Vec<(&'static str, Vec<u8>)> {
    let json = || RawEntry::file("composer.json", GOOD_JSON.as_bytes());
    let good = || RawEntry::file("src/Thing.php", GOOD_PHP.as_bytes());
    let evil = |name: &str| RawEntry::file(name, EVIL.as_bytes());
    let mut out = vec![
        (
            "duplicate-name-first-evil",
            RawZip::archive(&[json(), evil("src/Thing.php"), good()], 0),
        ),
        (
            "duplicate-name-last-evil",
            RawZip::archive(&[json(), good(), evil("src/Thing.php")], 0),
        ),
        (
            "unicode-path-renames-onto-signed-file",
            RawZip::archive(
                &[
                    json(),
                    evil("src/Other.php").unicode_path("src/Thing.php"),
                    good(),
                ],
                0,
            ),
        ),
        (
            "unicode-path-renames-signed-file-away",
            RawZip::archive(
                &[
                    json(),
                    good().unicode_path("src/Gone.php"),
                    evil("src/Evil.php"),
                ],
                0,
            ),
        ),
        (
            "dot-slash-member-beside-top-folder",
            RawZip::archive(&in_folder(evil(".//pkg/src/Evil.php")), 0),
        ),
        (
            "dot-slash-prefix",
            RawZip::archive(&[json(), good(), evil("./src/Evil.php")], 0),
        ),
        (
            "double-slash",
            RawZip::archive(&[json(), good(), evil("src//Evil.php")], 0),
        ),
        (
            "ds-store-at-top",
            RawZip::archive(&[json(), good(), evil(".DS_Store")], 0),
        ),
        (
            "ds-store-beside-top-folder",
            RawZip::archive(&in_folder(evil(".DS_Store")), 0),
        ),
        (
            "trailing-dot-component",
            RawZip::archive(&[json(), good(), evil("src./Evil.php")], 0),
        ),
        (
            "symlink-written-as-file-by-php",
            RawZip::archive(
                &[
                    json(),
                    good(),
                    RawEntry::symlink("src/Link.php", "Thing.php"),
                ],
                0,
            ),
        ),
        (
            "symlink-target-past-4096",
            RawZip::archive(
                &[
                    json(),
                    good(),
                    RawEntry::symlink("src/Link.php", &format!("{}Thing.php", "./".repeat(2100))),
                ],
                0,
            ),
        ),
        (
            "case-variant-duplicate",
            RawZip::archive(&[json(), good(), evil("src/THING.php")], 0),
        ),
        ("local-name-differs", {
            let mut e = evil("src/Thing.php");
            e.local_name = Some(b"src/Evil.php".to_vec());
            RawZip::archive(&[json(), e], 0)
        }),
    ];

    // Two archives in one file, either one last.
    let good_zip = RawZip::archive(&good_entries(), 0);
    let evil_entries = vec![json(), evil("src/Thing.php")];
    let mut concat = good_zip.clone();
    concat.extend(RawZip::archive(&evil_entries, good_zip.len() as u64));
    out.push(("concatenated-evil-last", concat));
    let evil_zip = RawZip::archive(&evil_entries, 0);
    let mut concat = evil_zip.clone();
    concat.extend(RawZip::archive(&good_entries(), evil_zip.len() as u64));
    out.push(("concatenated-good-last", concat));

    // Bytes before the archive (offsets not adjusted).
    let mut prepended = b"#!/bin/sh\nexit 0\n".to_vec();
    prepended.extend(RawZip::archive(&good_entries(), 0));
    out.push(("prepended-bytes", prepended));

    // Both directories in one file: the classic end record names the good
    // one, a zip64 end record the evil one.
    {
        let (g, e, mut f, good_cd) = both_bodies(&evil_entries);
        let evil_cd = f.len() as u64;
        f.extend(&e.central);
        let at = f.len() as u64;
        f.extend(RawZip::zip64_end(
            e.entries as u64,
            e.central.len() as u64,
            evil_cd,
            at,
        ));
        f.extend(RawZip::end_record(
            g.entries,
            g.central.len() as u32,
            good_cd as u32,
            b"",
        ));
        out.push(("zip64-record-names-another-directory", f));
    }

    // A second directory hidden in the end record's comment.
    {
        let (g, e, mut f, good_cd) = both_bodies(&evil_entries);
        let eocd_at = f.len() as u64;
        let evil_cd = eocd_at + 22;
        let mut comment = e.central.clone();
        comment.extend(RawZip::end_record(
            e.entries,
            e.central.len() as u32,
            evil_cd as u32,
            b"",
        ));
        f.extend(RawZip::end_record(
            g.entries,
            g.central.len() as u32,
            good_cd as u32,
            &comment,
        ));
        out.push(("second-directory-in-comment", f));
    }

    // Trailing bytes holding a second directory after the first end record.
    {
        let (g, e, mut f, good_cd) = both_bodies(&evil_entries);
        f.extend(RawZip::end_record(
            g.entries,
            g.central.len() as u32,
            good_cd as u32,
            b"",
        ));
        let evil_cd = f.len() as u64;
        f.extend(&e.central);
        f.extend(RawZip::end_record(
            e.entries,
            e.central.len() as u32,
            evil_cd as u32,
            b"",
        ));
        out.push(("trailing-second-directory", f));
    }
    out
}
