//! Differential test of the web of trust against the real GnuPG (issue 3):
//! random webs of trust are built with gpg itself, `gpg --check-trustdb`
//! computes validity, and pgp-pkg, given `gpg --export --export-options
//! export-local-sigs` and `gpg --export-ownertrust`, must agree on every
//! binding, except for the deliberate differences in docs/trust-model.md,
//! and must never rank a binding higher than gpg does.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// How many random webs `cargo test` compares (issue 10 asks for at least
/// 100; seeds 153 and 284 once found real bugs). More by hand:
/// `PGP_PKG_WOT_SEEDS=321-1000 cargo test --test wot_gpg`.
const WEBS: u64 = 320;

/// Keys K0..K9 take part in every web; K5..K9 have a second user ID (K9's
/// gets revoked in some webs); EXP expired long ago; REV gets revoked in some
/// webs. Every key was made two years ago, so certifications can be made in
/// the past and have expired by now.
const PLAIN_KEYS: usize = 10;
const TWO_UIDS_FROM: usize = 5;

/// Seeds to run: `PGP_PKG_WOT_SEEDS=A-B` (inclusive), else 1 to WEBS.
fn seeds() -> std::ops::RangeInclusive<u64> {
    match std::env::var("PGP_PKG_WOT_SEEDS") {
        Ok(v) => {
            let (a, b) = v.split_once('-').expect("PGP_PKG_WOT_SEEDS=FIRST-LAST");
            a.trim().parse().unwrap()..=b.trim().parse().unwrap()
        }
        Err(_) => 1..=WEBS,
    }
}

fn two_years_ago() -> u64 {
    (std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 365 * 86_400))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

struct Pool {
    dir: tempfile::TempDir,
    /// (fingerprint, user IDs) of K0..K9, then EXP, then REV.
    keys: Vec<(String, Vec<String>)>,
    secret_export: PathBuf,
    revocation: PathBuf,
}

fn gpg_in(home: &Path) -> Command {
    let mut cmd = Command::new("gpg");
    cmd.env("GNUPGHOME", home).args([
        "--batch",
        "--yes",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
        "--trust-model",
        "pgp",
    ]);
    cmd
}

fn run_ok(mut cmd: Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn fingerprint_of(home: &Path, uid: &str) -> String {
    let listing = String::from_utf8(run_ok({
        let mut c = gpg_in(home);
        c.args(["--with-colons", "--list-keys", uid]);
        c
    }))
    .unwrap();
    listing
        .lines()
        .find(|l| l.starts_with("fpr"))
        .unwrap()
        .split(':')
        .nth(9)
        .unwrap()
        .to_string()
}

fn kill_agent(home: &Path) {
    let _ = Command::new("gpgconf")
        .env("GNUPGHOME", home)
        .args(["--kill", "all"])
        .output();
}

impl Pool {
    fn create() -> Pool {
        let dir = tempfile::Builder::new()
            .prefix("p")
            .tempdir_in("/tmp")
            .unwrap();
        let home = dir.path().join("g");
        std::fs::create_dir(&home).unwrap();
        let mut keys = Vec::new();
        let past = format!("{}!", two_years_ago());
        let gen = |uid: &str, expiry: &str| {
            let mut c = gpg_in(&home);
            c.args(["--faked-system-time", &past]).args([
                "--quick-generate-key",
                uid,
                "ed25519",
                "sign,cert",
                expiry,
            ]);
            run_ok(c);
        };
        for i in 0..PLAIN_KEYS {
            let uid = format!("K{i} <k{i}@example.org>");
            gen(&uid, "never");
            let mut uids = vec![uid.clone()];
            if i >= TWO_UIDS_FROM {
                let second = format!("K{i} Second <k{i}b@example.org>");
                let mut c = gpg_in(&home);
                c.args(["--faked-system-time", &past])
                    .args(["--quick-add-uid", &uid, &second]);
                run_ok(c);
                uids.push(second);
            }
            keys.push((fingerprint_of(&home, &format!("k{i}@example.org")), uids));
        }
        // Created two years ago, valid for one: expired now.
        let expired_uid = "EXP <exp@example.org>";
        gen(expired_uid, "1y");
        keys.push((
            fingerprint_of(&home, "exp@example.org"),
            vec![expired_uid.to_string()],
        ));
        let rev_uid = "REV <rev@example.org>";
        gen(rev_uid, "never");
        let rev_fpr = fingerprint_of(&home, "rev@example.org");
        keys.push((rev_fpr.clone(), vec![rev_uid.to_string()]));

        let secret_export = dir.path().join("secret.asc");
        let mut c = gpg_in(&home);
        c.args(["--armor", "--export-secret-keys"]);
        std::fs::write(&secret_export, run_ok(c)).unwrap();
        let revocation = dir.path().join("rev.asc");
        let rev_text =
            std::fs::read_to_string(home.join("openpgp-revocs.d").join(format!("{rev_fpr}.rev")))
                .unwrap();
        std::fs::write(&revocation, rev_text.replace(":-----BEGIN", "-----BEGIN")).unwrap();
        kill_agent(&home);
        Pool {
            dir,
            keys,
            secret_export,
            revocation,
        }
    }
}

/// A small deterministic generator (xorshift), so a failing web can be rerun.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One certification of a web.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cert {
    from: usize,
    to: usize,
    local: bool,
    /// Only this user ID of the target (else all of them).
    uid: Option<usize>,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Plain,
    /// Made two years ago, valid for 30 days.
    Expired,
    /// Made, then revoked by its issuer.
    Revoked,
}

fn c(from: usize, to: usize) -> Cert {
    Cert {
        from,
        to,
        local: false,
        uid: None,
        kind: Kind::Plain,
    }
}

fn on_uid(from: usize, to: usize, uid: usize) -> Cert {
    Cert {
        uid: Some(uid),
        ..c(from, to)
    }
}

#[derive(Debug, Default)]
struct Web {
    certifications: Vec<Cert>,
    owner_trust: BTreeMap<usize, u8>,
    revoke_uid: bool,
    revoke_key: bool,
    shape: &'static str,
}

const EXP: usize = PLAIN_KEYS;
const REV: usize = PLAIN_KEYS + 1;

fn random_web(seed: u64) -> Web {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut web = Web::default();
    // K0 is the user's own key. It certifies the expired key and the key
    // that some webs revoke: neither may be valid.
    web.owner_trust.insert(0, 6);
    web.certifications.extend([c(0, EXP), c(0, REV)]);
    let (marginal, full, never) = (4u8, 5u8, 3u8);
    match seed % 10 {
        0 => {
            web.shape = "chain longer than 5";
            for i in 0..8 {
                web.certifications.push(c(i, i + 1));
                if i > 0 {
                    web.owner_trust.insert(i, full);
                }
            }
        }
        1 | 2 => {
            let n = if seed % 10 == 1 { 2 } else { 3 };
            web.shape = if n == 2 {
                "exactly 2 marginals"
            } else {
                "exactly 3 marginals"
            };
            for i in 1..=n {
                web.certifications.push(c(0, i));
                web.owner_trust.insert(i, marginal);
                web.certifications.push(c(i, 8));
            }
        }
        3 => {
            web.shape = "never introducer";
            web.certifications.extend([
                c(0, 1),
                Cert {
                    local: true,
                    ..c(0, 2)
                },
                c(1, 3),
                c(2, 4),
            ]);
            web.owner_trust.insert(1, never);
            web.owner_trust.insert(2, full);
        }
        4 => {
            // K5 is valid through its first user ID at depth 1; its second
            // user ID is certified by marginal introducers valid at depth 2.
            web.shape = "second user ID by later introducers";
            web.certifications
                .extend([on_uid(0, 5, 0), c(0, 1), c(1, 6), c(1, 7)]);
            web.owner_trust.insert(1, full);
            for k in [6, 7] {
                web.owner_trust.insert(k, marginal);
                web.certifications.push(on_uid(k, 5, 1));
            }
            if rng.chance(50) {
                web.certifications.extend([c(1, 8), on_uid(8, 5, 1)]);
                web.owner_trust.insert(8, marginal);
            }
        }
        5 => {
            // Three marginal introducers, valid at depths 1, 2 and 3, all
            // certify K8: gpg adds them up across depths.
            web.shape = "marginals at mixed depths";
            web.certifications
                .extend([c(0, 1), c(0, 4), c(4, 2), c(4, 5), c(5, 3)]);
            for k in [1, 2, 3] {
                web.owner_trust.insert(k, marginal);
                web.certifications.push(c(k, 8));
            }
            web.owner_trust.insert(4, full);
            web.owner_trust.insert(5, full);
        }
        6 => {
            // Full introducers to depth 3, three marginals at depth 4, their
            // target at depth 5 (the limit) and one more beyond it.
            web.shape = "marginal triple at the depth limit";
            web.certifications.extend([c(0, 1), c(1, 2), c(2, 3)]);
            for k in [1, 2, 3] {
                web.owner_trust.insert(k, full);
            }
            for k in [4, 5, 6] {
                web.certifications.extend([c(3, k), c(k, 7)]);
                web.owner_trust.insert(k, marginal);
            }
            web.owner_trust.insert(7, full);
            web.certifications.push(c(7, 8));
        }
        7 => {
            // K3 has full owner trust but is only marginally valid: it
            // introduces nobody.
            web.shape = "full owner trust, marginally valid";
            web.certifications
                .extend([c(0, 1), c(0, 2), c(1, 3), c(2, 3), c(3, 4)]);
            web.owner_trust.insert(1, marginal);
            web.owner_trust.insert(2, marginal);
            web.owner_trust.insert(3, full);
        }
        8 => {
            // An introducer with a revoked user ID; expired and revoked
            // certifications that must count for nothing.
            web.shape = "revoked user ID, expired and revoked certifications";
            web.revoke_uid = true;
            web.certifications.extend([
                on_uid(0, 9, 1),
                c(0, 1),
                c(9, 6),
                Cert {
                    kind: Kind::Expired,
                    ..c(1, 7)
                },
                Cert {
                    kind: Kind::Revoked,
                    ..c(1, 8)
                },
                Cert {
                    kind: Kind::Expired,
                    ..c(0, 2)
                },
                Cert {
                    kind: Kind::Revoked,
                    ..c(0, 3)
                },
            ]);
            web.owner_trust.insert(9, full);
            web.owner_trust.insert(1, full);
        }
        _ => web.shape = "random",
    }
    let edges = 4 + rng.below(14);
    for _ in 0..edges {
        let from = rng.below(PLAIN_KEYS + 2);
        let to = rng.below(PLAIN_KEYS + 2);
        if from == to || from == EXP {
            continue;
        }
        let uid =
            ((TWO_UIDS_FROM..PLAIN_KEYS).contains(&to) && rng.chance(40)).then(|| rng.below(2));
        let kind = match rng.below(20) {
            0 => Kind::Expired,
            1 => Kind::Revoked,
            _ => Kind::Plain,
        };
        web.certifications.push(Cert {
            from,
            to,
            local: rng.chance(15),
            uid,
            kind,
        });
    }
    for k in 1..PLAIN_KEYS + 2 {
        if !web.owner_trust.contains_key(&k) && rng.chance(45) {
            let levels = [never, marginal, marginal, full, full];
            web.owner_trust.insert(k, levels[rng.below(levels.len())]);
        }
    }
    if rng.chance(10) {
        web.owner_trust.insert(1 + rng.below(PLAIN_KEYS - 1), 6);
    }
    web.revoke_uid |= rng.chance(40);
    web.revoke_key = rng.chance(40);
    web.certifications.dedup();
    web
}

/// gpg's validity letter, in pgp-pkg's words. Revoked and expired keys
/// (`r`, `e`) and everything undecided are `unknown` in pgp-pkg.
fn gpg_level(letter: &str) -> &'static str {
    match letter {
        "u" => "ultimate",
        "f" => "full",
        "m" => "marginal",
        "n" => "never",
        _ => "unknown",
    }
}

fn rank(level: &str) -> u8 {
    match level {
        "never" => 0,
        "unknown" => 1,
        "marginal" => 2,
        "full" => 3,
        "ultimate" => 4,
        other => panic!("unknown level {other}"),
    }
}

/// Builds the web in a fresh gpg home; returns gpg's validity per binding
/// and the files pgp-pkg imports.
fn build_in_gpg(
    pool: &Pool,
    web: &Web,
    dir: &Path,
) -> (BTreeMap<(String, String), String>, PathBuf, PathBuf) {
    let home = dir.join("g");
    std::fs::create_dir(&home).unwrap();
    let mut c = gpg_in(&home);
    c.args(["--import", pool.secret_export.to_str().unwrap()]);
    run_ok(c);
    let past = format!("{}!", two_years_ago() + 86_400);
    for cert in &web.certifications {
        let names: Vec<&str> = match cert.uid {
            Some(i) => vec![pool.keys[cert.to].1[i].as_str()],
            None => Vec::new(),
        };
        let mut c = gpg_in(&home);
        if cert.kind == Kind::Expired {
            c.args(["--faked-system-time", &past, "--default-cert-expire", "30d"]);
        }
        c.args([
            "--default-key",
            &pool.keys[cert.from].0,
            if cert.local {
                "--quick-lsign-key"
            } else {
                "--quick-sign-key"
            },
            &pool.keys[cert.to].0,
        ])
        .args(&names);
        // Signing fails for keys gpg deems unusable (the expired one); that is part of the web.
        let _ = c.output().unwrap();
        if cert.kind == Kind::Revoked {
            let mut c = gpg_in(&home);
            c.args([
                "--quick-revoke-sig",
                &pool.keys[cert.to].0,
                &pool.keys[cert.from].0,
            ])
            .args(&names);
            let _ = c.output().unwrap();
        }
    }
    if web.revoke_uid {
        let k = &pool.keys[PLAIN_KEYS - 1];
        let mut c = gpg_in(&home);
        c.args(["--quick-revoke-uid", &k.0, &k.1[1]]);
        run_ok(c);
    }
    if web.revoke_key {
        let mut c = gpg_in(&home);
        c.args(["--import", pool.revocation.to_str().unwrap()]);
        run_ok(c);
    }
    let ownertrust: String = web
        .owner_trust
        .iter()
        .map(|(k, v)| format!("{}:{v}:\n", pool.keys[*k].0))
        .collect();
    let ownertrust_file = dir.join("ownertrust.txt");
    std::fs::write(&ownertrust_file, &ownertrust).unwrap();
    let mut c = gpg_in(&home);
    c.args(["--import-ownertrust", ownertrust_file.to_str().unwrap()]);
    run_ok(c);
    let mut c = gpg_in(&home);
    c.arg("--check-trustdb");
    run_ok(c);

    let mut c = gpg_in(&home);
    c.args(["--with-colons", "--list-keys"]);
    let listing = String::from_utf8(run_ok(c)).unwrap();
    let mut validity = BTreeMap::new();
    let mut current = String::new();
    let mut pending_pub = false;
    for line in listing.lines() {
        let f: Vec<&str> = line.split(':').collect();
        match f[0] {
            "pub" => pending_pub = true,
            "fpr" if pending_pub => {
                current = f[9].to_string();
                pending_pub = false;
            }
            "uid" => {
                let uid = f[9].replace("\\x3a", ":");
                validity.insert((current.clone(), uid), gpg_level(f[1]).to_string());
            }
            _ => {}
        }
    }

    let export = dir.join("export.pgp");
    let mut c = gpg_in(&home);
    c.args(["--export", "--export-options", "export-local-sigs"]);
    std::fs::write(&export, run_ok(c)).unwrap();
    let mut c = gpg_in(&home);
    c.arg("--export-ownertrust");
    let exported_trust = dir.join("exported-ownertrust.txt");
    std::fs::write(&exported_trust, run_ok(c)).unwrap();
    kill_agent(&home);
    (validity, export, exported_trust)
}

fn pgp_pkg_validity(
    env: &Env,
    export: &Path,
    ownertrust: &Path,
) -> BTreeMap<(String, String), String> {
    let out = env.run(&["key", "import", export.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = env.run(&["trust", "import-gpg", ownertrust.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = env.run(&["key", "list", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let mut validity = BTreeMap::new();
    for cert in list.as_array().unwrap() {
        for uid in cert["user_ids"].as_array().unwrap() {
            validity.insert(
                (
                    cert["fingerprint"].as_str().unwrap().to_string(),
                    uid["user_id"].as_str().unwrap().to_string(),
                ),
                uid["validity"].as_str().unwrap().to_string(),
            );
        }
    }
    validity
}

#[test]
fn validity_agrees_with_gnupg_on_random_webs() {
    if !require_program("gpg") {
        return;
    }
    let pool = Pool::create();
    let mut disagreements = Vec::new();
    let mut deliberate = 0;
    let mut compared = 0;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let seeds = seeds();
    let webs = seeds.clone().count();
    for seed in seeds {
        let web = random_web(seed);
        if std::env::var_os("PGP_PKG_WOT_PRINT").is_some() {
            eprintln!("web {seed}: {web:?}");
        }
        let dir = tempfile::Builder::new()
            .prefix("w")
            .tempdir_in(pool.dir.path())
            .unwrap();
        let (gpg, export, ownertrust) = build_in_gpg(&pool, &web, dir.path());
        let env = Env::new();
        let ours = pgp_pkg_validity(&env, &export, &ownertrust);
        // Deliberate difference 1 (docs/trust-model.md): local certifications
        // by keys that are not ultimately trusted count in gpg, not here. Its
        // effect reaches along paths, so it is judged exactly: the same web
        // without those certifications, in gpg, is what pgp-pkg must match.
        let without = without_foreign_local_sigs(&web);
        let gpg_without = (without.certifications != web.certifications).then(|| {
            let dir = tempfile::Builder::new()
                .prefix("x")
                .tempdir_in(pool.dir.path())
                .unwrap();
            build_in_gpg(&pool, &without, dir.path()).0
        });
        for (binding, theirs) in &gpg {
            let mine = ours.get(binding).map(String::as_str).unwrap_or("missing");
            compared += 1;
            *seen.entry(theirs.clone()).or_default() += 1;
            if mine != "missing" && rank(mine) == rank(theirs) {
                continue;
            }
            let expected = gpg_without.as_ref().and_then(|g| g.get(binding));
            if mine != "missing"
                && rank(mine) < rank(theirs)
                && expected.is_some_and(|e| rank(e) == rank(mine))
            {
                deliberate += 1;
                continue;
            }
            let explained = env.run(&["trust", "explain", &binding.0]).stdout;
            disagreements.push(format!(
                "web {seed} ({}): {} {:?}: gpg {theirs}, pgp-pkg {mine}\n  {web:?}\n{explained}",
                web.shape, binding.0, binding.1
            ));
        }
    }
    eprintln!("compared {compared} bindings in {webs} webs ({seen:?}); {deliberate} documented deliberate differences");
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    // The webs must exercise every level gpg can give, or agreement means little.
    for level in ["ultimate", "full", "marginal", "unknown"] {
        assert!(
            seen.get(level).copied().unwrap_or(0) >= 5,
            "too few {level} bindings: {seen:?}"
        );
    }
    assert!(compared > webs * 5, "compared only {compared} bindings");
}

/// The web without local certifications (lsign) by keys that are not
/// ultimately trusted: GnuPG counts those, pgp-pkg does not
/// (docs/trust-model.md, deliberate difference 1).
fn without_foreign_local_sigs(web: &Web) -> Web {
    Web {
        certifications: web
            .certifications
            .iter()
            .filter(|c| !c.local || web.owner_trust.get(&c.from) == Some(&6))
            .copied()
            .collect(),
        owner_trust: web.owner_trust.clone(),
        revoke_uid: web.revoke_uid,
        revoke_key: web.revoke_key,
        shape: web.shape,
    }
}
