//! Tar members written byte by byte, for Hex tarballs no well-behaved tool
//! makes: duplicate names, pax and GNU long-name headers that rename a
//! member, sizes that disagree. Wrapped into a Hex tarball whose CHECKSUM is
//! right, so only the contents decide.
#![allow(dead_code)]

use std::io::Write;

/// One 512-byte ustar header followed by its data, padded.
pub fn member(name: &str, typeflag: u8, data: &[u8], linkname: &str) -> Vec<u8> {
    member_sized(name, typeflag, data, linkname, data.len() as u64)
}

/// Like [`member`], with the size field saying `size` whatever the data is.
pub fn member_sized(name: &str, typeflag: u8, data: &[u8], linkname: &str, size: u64) -> Vec<u8> {
    let mut h = [0u8; 512];
    let put = |h: &mut [u8; 512], at: usize, len: usize, v: &[u8]| {
        h[at..at + v.len().min(len)].copy_from_slice(&v[..v.len().min(len)]);
    };
    put(&mut h, 0, 100, name.as_bytes());
    let mode: &[u8] = if typeflag == b'5' {
        b"0000755\0"
    } else {
        b"0000644\0"
    };
    put(&mut h, 100, 8, mode);
    put(&mut h, 108, 8, b"0000000\0");
    put(&mut h, 116, 8, b"0000000\0");
    put(&mut h, 124, 12, format!("{size:011o}\0").as_bytes());
    put(&mut h, 136, 12, b"07346545000\0");
    put(&mut h, 148, 8, b"        ");
    h[156] = typeflag;
    put(&mut h, 157, 100, linkname.as_bytes());
    put(&mut h, 257, 6, b"ustar\0");
    put(&mut h, 263, 2, b"00");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    put(&mut h, 148, 8, format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

/// A pax extended header ('x', or 'g' for global) with `records`.
pub fn pax(typeflag: u8, records: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in records {
        let rest = format!(" {k}={v}\n");
        let mut len = rest.len() + 1;
        while format!("{len}{rest}").len() != len {
            len += 1;
        }
        body.extend(format!("{len}{rest}").into_bytes());
    }
    member("PaxHeader", typeflag, &body, "")
}

/// A GNU long name ('L') for the member that follows.
pub fn gnu_long_name(name: &str) -> Vec<u8> {
    let mut data = name.as_bytes().to_vec();
    data.push(0);
    member("././@LongLink", b'L', &data, "")
}

pub fn file(name: &str, data: &str) -> Vec<u8> {
    member(name, b'0', data.as_bytes(), "")
}

/// Ends a tar stream.
pub fn end(mut body: Vec<u8>) -> Vec<u8> {
    body.extend_from_slice(&[0u8; 1024]);
    body
}

/// A Hex tarball (version 3) of foo 1.0.0 whose contents are `contents_tar`.
pub fn hex_tarball(contents_tar: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(contents_tar).unwrap();
    let contents = gz.finish().unwrap();
    let metadata = b"{<<\"name\">>,<<\"foo\">>}.\n{<<\"version\">>,<<\"1.0.0\">>}.\n{<<\"app\">>,<<\"foo\">>}.\n{<<\"build_tools\">>,[<<\"mix\">>]}.\n{<<\"requirements\">>,[]}.\n".to_vec();
    let mut inner = sha2::Sha256::new();
    inner.update(b"3");
    inner.update(&metadata);
    inner.update(&contents);
    let checksum: String = inner
        .finalize()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let mut outer = Vec::new();
    for (name, data) in [
        ("VERSION", b"3".to_vec()),
        ("CHECKSUM", checksum.into_bytes()),
        ("metadata.config", metadata),
        ("contents.tar.gz", contents),
    ] {
        outer.extend(member(name, b'0', &data, ""));
    }
    end(outer)
}

pub const GOOD_EX: &str = "defmodule Foo do\n  def hello, do: :world\nend\n";
pub const EVIL_EX: &str = "defmodule Foo do\n  def hello, do: System.cmd(\"evil\", [])\nend\n";

/// Contents tars that every reader reads alike.
pub fn benign_contents() -> Vec<(&'static str, Vec<u8>)> {
    let mut long = String::from("lib/");
    long.push_str(&"deep/".repeat(30));
    long.push_str("foo.ex");
    vec![
        (
            "plain",
            end([file("lib/foo.ex", GOOD_EX), file("mix.exs", "x")].concat()),
        ),
        (
            "with-dirs",
            end([member("lib/", b'5', b"", ""), file("lib/foo.ex", GOOD_EX)].concat()),
        ),
        (
            "pax-long-path",
            end([pax(b'x', &[("path", &long)]), file("lib/short.ex", GOOD_EX)].concat()),
        ),
    ]
}

/// Contents tars built to be read differently, or to escape.
pub fn hostile_contents() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "duplicate-last-evil",
            end([file("lib/foo.ex", GOOD_EX), file("lib/foo.ex", EVIL_EX)].concat()),
        ),
        (
            "duplicate-first-evil",
            end([file("lib/foo.ex", EVIL_EX), file("lib/foo.ex", GOOD_EX)].concat()),
        ),
        (
            "dot-slash-duplicate",
            end([file("lib/foo.ex", GOOD_EX), file("./lib/foo.ex", EVIL_EX)].concat()),
        ),
        (
            "pax-path-renames",
            end([
                file("lib/foo.ex", GOOD_EX),
                pax(b'x', &[("path", "lib/foo.ex")]),
                file("lib/other.ex", EVIL_EX),
            ]
            .concat()),
        ),
        (
            "pax-global-path",
            end([
                pax(b'g', &[("path", "lib/foo.ex")]),
                file("lib/foo.ex", GOOD_EX),
                file("lib/evil.ex", EVIL_EX),
            ]
            .concat()),
        ),
        (
            "gnu-long-name",
            end([
                file("lib/foo.ex", GOOD_EX),
                gnu_long_name("lib/foo.ex"),
                file("lib/other.ex", EVIL_EX),
            ]
            .concat()),
        ),
        ("pax-size-differs", {
            let evil = file("lib/evil.ex", EVIL_EX);
            let mut data = GOOD_EX.as_bytes().to_vec();
            data.resize(512, b' ');
            end([
                pax(b'x', &[("size", &(512 + evil.len()).to_string())]),
                member_sized("lib/foo.ex", b'0', &[data, evil].concat(), "", 512),
            ]
            .concat())
        }),
        (
            "symlink-then-write-through",
            end([
                member("lib", b'2', b"", "/tmp"),
                file("lib/evil.ex", EVIL_EX),
            ]
            .concat()),
        ),
        (
            "symlink-out",
            end([
                file("lib/foo.ex", GOOD_EX),
                member("lib/up", b'2', b"", "../../../etc"),
            ]
            .concat()),
        ),
        (
            "hardlink",
            end([
                file("lib/foo.ex", GOOD_EX),
                member("lib/bar.ex", b'1', b"", "lib/foo.ex"),
            ]
            .concat()),
        ),
        (
            "dot-dot",
            end([
                file("lib/foo.ex", GOOD_EX),
                file("lib/../../evil.ex", EVIL_EX),
            ]
            .concat()),
        ),
        (
            "absolute",
            end([
                file("lib/foo.ex", GOOD_EX),
                file("/tmp/pgp-pkg-evil.ex", EVIL_EX),
            ]
            .concat()),
        ),
        (
            "file-then-dir",
            end([file("lib", EVIL_EX), file("lib/foo.ex", GOOD_EX)].concat()),
        ),
    ]
}
