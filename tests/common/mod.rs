//! Shared helpers for the integration tests: a throw-away home, the test
//! keys, package builders, and signing with Sequoia for edge cases that no
//! well-behaved tool would produce (backdated, SHA-1, revoked).
#![allow(dead_code)]

pub mod keyserver;
pub mod rawtar;
pub mod rawzip;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use assert_cmd::cargo::CommandCargoExt;
use openpgp::armor;
use openpgp::cert::prelude::*;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::Packet;
use openpgp::parse::Parse;
use openpgp::policy::NullPolicy;
use openpgp::serialize::Serialize;
use openpgp::types::{HashAlgorithm, SignatureType};
use sequoia_openpgp as openpgp;
use tempfile::TempDir;

pub const ALICE: &str = "6033A8A5B5F837A98884B7D0E14BC0EF45753E99";
pub const BOB: &str = "4752C0A28C7DB6A5190D69909C9EE3BA183CAB1C";
pub const CAROL: &str = "C3D98BE4632B34E3E6AA44914BA7DE17AA6A86FD";
pub const MALLORY: &str = "4CFC2D9D88414E55971843ED91E7C5CE0DE4663D";
pub const DAVE: &str = "DF8F89CC88C9163A3664E9D3C36776522C53E318";

pub fn testkey(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testkeys")
        .join(name)
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A scratch directory with its own pgp-pkg home.
pub struct Env {
    pub dir: TempDir,
}

impl Env {
    /// A new env, with an empty home.
    pub fn new() -> Env {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(env.home()).unwrap();
        env
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn home(&self) -> PathBuf {
        self.path("home")
    }

    /// `pgp-pkg` with this env's home and none of the caller's settings.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("pgp-pkg").unwrap();
        cmd.env("PGP_PKG_HOME", self.home())
            .env_remove("PGP_PKG_MIN_TRUST")
            .env_remove("PGP_PKG_SIGNATURES")
            .env_remove("PGP_PKG_OFFLINE")
            .env_remove("PGP_PKG_FETCH_KEYS")
            .env("PGP_PKG_WKD_BASE", "http://127.0.0.1:9")
            .env_remove("PGP_PKG_NET_TIMEOUT")
            // Never the real keyservers: a test that forgets --keyserver asks nothing that answers.
            .env("PGP_PKG_KEYSERVERS", "http://127.0.0.1:9")
            .current_dir(self.dir.path());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    /// [`Env::run`] with these environment variables set.
    pub fn run_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut cmd = self.cmd();
        cmd.args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        Output {
            code: out.status.code().expect("exited, not killed"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn import(&self, keys: &[&str]) {
        for k in keys {
            let out = self.run(&["key", "import", testkey(k).to_str().unwrap()]);
            assert_eq!(out.code, 0, "importing {k}: {}", out.stderr);
        }
    }

    /// `verify --json`, returning the exit code and the one package's JSON.
    pub fn verify_json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let mut full = vec!["verify", "--json"];
        full.extend_from_slice(args);
        let out = self.run(&full);
        assert!(!out.stderr.contains("panicked"), "panic: {}", out.stderr);
        let json: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", out.stdout, out.stderr));
        (out.code, json["packages"][0].clone())
    }

    pub fn checksum(&self, args: &[&str]) -> String {
        let mut full = vec!["checksum"];
        full.extend_from_slice(args);
        let out = self.run(&full);
        assert_eq!(out.code, 0, "checksum failed: {}", out.stderr);
        out.stdout
    }
}

impl Env {
    /// A copy of the repository's `examples/` in this env (running must not
    /// write caches into the repository).
    pub fn with_examples() -> Env {
        let env = Env::new();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let status = Command::new("cp")
            .arg("-r")
            .arg(&root)
            .arg(env.path("examples"))
            .status()
            .unwrap();
        assert!(status.success());
        env
    }
}

/// acme/widget 1.0.0 (WIDGET) as `widget.zip`, signed by Alice (who becomes
/// the env's own key) into `sigs/`, and installed under `project/VENDOR_DIR`.
pub fn signed_widget_installed(env: &Env, vendor_dir: &str) {
    env.import(&["alice.sec.asc"]);
    write_zip(&env.path("widget.zip"), WIDGET);
    std::fs::create_dir_all(env.path("sigs/composer/acme/widget")).unwrap();
    let out = env.run(&[
        "sign",
        "widget.zip",
        "--version",
        "1.0.0",
        "--output",
        "sigs/composer/acme/widget/1.0.0.asc",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for (name, content) in WIDGET {
        let p = env.path(&format!("project/{vendor_dir}/acme/widget/{name}"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

/// A signing key pair for a certificate's primary key (which must have
/// its secret).
pub fn primary_signer(tsk: &Cert) -> openpgp::crypto::KeyPair {
    tsk.primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .into_keypair()
        .unwrap()
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Writes a Composer-style zip (files at the root) from (path, content) pairs.
pub fn write_zip(path: &Path, files: &[(&str, &str)]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in files {
        zip.start_file(*name, options).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

pub const WIDGET: &[(&str, &str)] = &[
    (
        "composer.json",
        r#"{"name": "acme/widget", "type": "library"}"#,
    ),
    ("src/Widget.php", "<?php\nclass Widget {}\n"),
    ("README.md", "# Widget\n"),
];

/// Signature options for [`sign_raw`].
pub struct RawSig {
    pub hash: HashAlgorithm,
    pub created: Option<SystemTime>,
}

impl Default for RawSig {
    fn default() -> Self {
        RawSig {
            hash: HashAlgorithm::SHA512,
            created: None,
        }
    }
}

/// Signs `data` with the first signing-capable secret key of `tsk`, ignoring
/// every policy and validity rule: tests need signatures that pgp-pkg must
/// refuse.
pub fn sign_raw(tsk: &Cert, data: &[u8], opts: RawSig) -> String {
    let null = unsafe { NullPolicy::new() };
    let t = opts.created.unwrap_or_else(SystemTime::now);
    let key = tsk
        .keys()
        .with_policy(&null, t)
        .secret()
        .for_signing()
        .next()
        .expect("a signing key");
    let mut signer = key.key().clone().into_keypair().unwrap();
    let sig = SignatureBuilder::new(SignatureType::Binary)
        .set_hash_algo(opts.hash)
        .set_signature_creation_time(t)
        .unwrap()
        .sign_message(&mut signer, data)
        .unwrap();
    armor_sig(sig)
}

pub fn armor_sig(sig: openpgp::packet::Signature) -> String {
    let mut out = Vec::new();
    let mut w = armor::Writer::new(&mut out, armor::Kind::Signature).unwrap();
    Packet::from(sig).serialize(&mut w).unwrap();
    w.finalize().unwrap();
    String::from_utf8(out).unwrap()
}

pub fn read_tsk(name: &str) -> Cert {
    Cert::from_file(testkey(name)).unwrap()
}

/// A fresh Ed25519 key created at `created`, valid for `validity` if given.
pub fn new_key(
    uid: &str,
    created: SystemTime,
    validity: Option<Duration>,
) -> (Cert, openpgp::packet::Signature) {
    CertBuilder::new()
        .set_cipher_suite(CipherSuite::Cv25519)
        .set_creation_time(created)
        .set_validity_period(validity)
        .add_userid(uid)
        .set_primary_key_flags(
            openpgp::types::KeyFlags::empty()
                .set_certification()
                .set_signing(),
        )
        .generate()
        .unwrap()
}

pub fn write_armored_cert(path: &Path, cert: &Cert) {
    let mut out = Vec::new();
    cert.armored().serialize(&mut out).unwrap();
    std::fs::write(path, out).unwrap();
}

/// True when a real program is there; with `PGP_PKG_E2E=1` (as in CI) a
/// missing program fails the test instead of skipping it.
pub fn require_program(name: &str) -> bool {
    // Some programs (unzip) have no --version: look on PATH instead.
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(name)).is_ok_and(|m| {
                m.is_file()
                    && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
            })
        })
    });
    if !found {
        if std::env::var("PGP_PKG_E2E").as_deref() == Ok("1") {
            panic!("{name} is required when PGP_PKG_E2E=1, but it is not installed");
        }
        eprintln!("skipping: {name} is not installed (set PGP_PKG_E2E=1 to make this a failure)");
    }
    found
}

/// `target` with an exportable certification of its first user ID by
/// `certifier` (a key with secrets), using `hash`.
pub fn certified(certifier: &Cert, target: &Cert, hash: HashAlgorithm) -> Cert {
    let mut signer = primary_signer(certifier);
    let uid = target.userids().next().unwrap().userid().clone();
    let sig = SignatureBuilder::new(SignatureType::GenericCertification)
        .set_hash_algo(hash)
        .sign_userid_binding(&mut signer, target.primary_key().key(), &uid)
        .unwrap();
    target.clone().insert_packets(sig).unwrap().0
}

pub fn read_cert(name: &str) -> Cert {
    Cert::from_file(testkey(name))
        .unwrap()
        .strip_secret_key_material()
}

/// An HTTP server on 127.0.0.1 serving files below `root`; paths under
/// `/fail/` answer 500. It runs until the test process ends.
pub fn serve_dir(root: PathBuf) -> u16 {
    let server = keyserver::Server::start();
    server.handler(move |path| {
        if path.starts_with("/fail/") {
            return Some(keyserver::Reply::status(500));
        }
        std::fs::read(root.join(path.trim_start_matches('/')))
            .ok()
            .map(keyserver::Reply::ok)
    });
    let port = server.port;
    std::mem::forget(server);
    port
}

/// Hex package NAME 1.0.0 (tests/fixtures/hex) in the env's Hex cache
/// (`hex/packages/hexpm`) and installed in `project/DEPS/NAME`, as mix
/// leaves it; returns the cached tarball and its `mix.lock` line.
pub fn cached_hex_package(env: &Env, name: &str, deps: &str) -> (PathBuf, String) {
    let cache = env.path("hex/packages/hexpm");
    std::fs::create_dir_all(&cache).unwrap();
    let tar = cache.join(format!("{name}-1.0.0.tar"));
    std::fs::copy(fixture(&format!("hex/{name}-1.0.0.tar")), &tar).unwrap();
    install_hex(&tar, &env.path(&format!("project/{deps}/{name}")));
    let (inner, outer) = hex_checksums(env, &tar);
    let line = format!(
        "  \"{name}\": {{:hex, :{name}, \"1.0.0\", \"{inner}\", [:mix], [], \"hexpm\", \"{outer}\"}},\n"
    );
    (tar, line)
}

/// Unpacks a Hex tarball into `deps/APP` as Hex does: the contents plus
/// `hex_metadata.config` and `.hex`.
pub fn install_hex(tarball: &Path, deps_app: &Path) {
    std::fs::create_dir_all(deps_app).unwrap();
    let mut outer = tar::Archive::new(std::fs::File::open(tarball).unwrap());
    for entry in outer.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        match name.as_str() {
            "contents.tar.gz" => tar::Archive::new(flate2::read::GzDecoder::new(&data[..]))
                .unpack(deps_app)
                .unwrap(),
            "metadata.config" => {
                std::fs::write(deps_app.join("hex_metadata.config"), &data).unwrap()
            }
            _ => {}
        }
    }
    std::fs::write(deps_app.join(".hex"), b"\x83binary").unwrap();
}

/// The two checksums of a tarball, as `pgp-pkg checksum` reports them.
pub fn hex_checksums(env: &Env, tarball: &Path) -> (String, String) {
    let text = env.checksum(&[tarball.to_str().unwrap()]);
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap()
            .trim()
            .to_string()
    };
    (get("hex-inner-checksum "), get("hex-outer-checksum "))
}

/// Hex SHA-1 of `text`: how Composer names its cache files (by dist URL).
pub fn sha1_hex(text: &str) -> String {
    let mut ctx = HashAlgorithm::SHA1.context().unwrap().for_digest();
    ctx.update(text.as_bytes());
    ctx.into_digest()
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
