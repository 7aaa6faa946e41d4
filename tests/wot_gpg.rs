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

/// How many random webs to compare (issue 3 asks for at least 50).
const WEBS: u64 = 50;

/// Keys K0..K9 take part in every web; K9 has a second user ID (to be
/// revoked); EXP expired long ago; REV gets revoked in some webs.
const PLAIN_KEYS: usize = 10;

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
        let gen = |uid: &str, extra: &[&str]| {
            let mut c = gpg_in(&home);
            c.args(extra)
                .args(["--quick-generate-key", uid, "ed25519", "sign,cert"]);
            c.arg(if extra.is_empty() { "never" } else { "1y" });
            run_ok(c);
        };
        for i in 0..PLAIN_KEYS {
            let uid = format!("K{i} <k{i}@example.org>");
            gen(&uid, &[]);
            let mut uids = vec![uid.clone()];
            if i == PLAIN_KEYS - 1 {
                let second = format!("K{i} Second <k{i}b@example.org>");
                let mut c = gpg_in(&home);
                c.args(["--quick-add-uid", &uid, &second]);
                run_ok(c);
                uids.push(second);
            }
            keys.push((fingerprint_of(&home, &format!("k{i}@example.org")), uids));
        }
        // Created two years ago, valid for one: expired now.
        let expired_uid = "EXP <exp@example.org>";
        let two_years_ago = (std::time::SystemTime::now()
            - std::time::Duration::from_secs(2 * 365 * 86_400))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
        gen(
            expired_uid,
            &["--faked-system-time", &format!("{two_years_ago}!")],
        );
        keys.push((
            fingerprint_of(&home, "exp@example.org"),
            vec![expired_uid.to_string()],
        ));
        let rev_uid = "REV <rev@example.org>";
        gen(rev_uid, &[]);
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

#[derive(Debug, Default)]
struct Web {
    /// (certifier index, target index, local)
    certifications: Vec<(usize, usize, bool)>,
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
    web.certifications
        .extend([(0, EXP, false), (0, REV, false)]);
    match seed % 5 {
        0 => {
            // A chain of full introducers longer than the depth limit.
            web.shape = "chain longer than 5";
            for i in 0..8 {
                web.certifications.push((i, i + 1, false));
                if i > 0 {
                    web.owner_trust.insert(i, 5);
                }
            }
        }
        1 | 2 => {
            // Exactly 2 or exactly 3 marginal introducers for K8.
            let n = if seed % 5 == 1 { 2 } else { 3 };
            web.shape = if n == 2 {
                "exactly 2 marginals"
            } else {
                "exactly 3 marginals"
            };
            for i in 1..=n {
                web.certifications.push((0, i, false));
                web.owner_trust.insert(i, 4);
                web.certifications.push((i, 8, false));
            }
        }
        3 => {
            // A distrusted introducer beside a trusted one.
            web.shape = "never introducer";
            web.certifications
                .extend([(0, 1, false), (0, 2, true), (1, 3, false), (2, 4, false)]);
            web.owner_trust.insert(1, 3);
            web.owner_trust.insert(2, 5);
        }
        _ => web.shape = "random",
    }
    let edges = 4 + rng.below(14);
    for _ in 0..edges {
        let from = rng.below(PLAIN_KEYS + 2);
        let to = rng.below(PLAIN_KEYS + 2);
        if from != to && from != EXP {
            web.certifications.push((from, to, rng.chance(15)));
        }
    }
    for k in 1..PLAIN_KEYS + 2 {
        if !web.owner_trust.contains_key(&k) && rng.chance(45) {
            let levels = [3u8, 4, 4, 5, 5];
            web.owner_trust.insert(k, levels[rng.below(levels.len())]);
        }
    }
    if rng.chance(10) {
        web.owner_trust.insert(1 + rng.below(PLAIN_KEYS - 1), 6);
    }
    web.revoke_uid = rng.chance(40);
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
    for &(from, to, local) in &web.certifications {
        let mut c = gpg_in(&home);
        c.args([
            "--default-key",
            &pool.keys[from].0,
            if local {
                "--quick-lsign-key"
            } else {
                "--quick-sign-key"
            },
            &pool.keys[to].0,
        ]);
        // Signing fails for keys gpg deems unusable (the expired one); that is part of the web.
        let _ = c.output().unwrap();
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
    for seed in 1..=WEBS {
        let web = random_web(seed);
        let dir = tempfile::Builder::new()
            .prefix("w")
            .tempdir_in(pool.dir.path())
            .unwrap();
        let (gpg, export, ownertrust) = build_in_gpg(&pool, &web, dir.path());
        let env = Env::new();
        let ours = pgp_pkg_validity(&env, &export, &ownertrust);
        for (binding, theirs) in &gpg {
            let mine = ours.get(binding).map(String::as_str).unwrap_or("missing");
            compared += 1;
            *seen.entry(theirs.clone()).or_default() += 1;
            if mine != "missing" && rank(mine) == rank(theirs) {
                continue;
            }
            let target = pool.keys.iter().position(|k| k.0 == binding.0).unwrap();
            if mine != "missing"
                && rank(mine) < rank(theirs)
                && local_sig_by_non_ultimate(&web, target)
            {
                // docs/trust-model.md, deliberate difference 1.
                deliberate += 1;
                continue;
            }
            disagreements.push(format!(
                "web {seed} ({}): {} {:?}: gpg {theirs}, pgp-pkg {mine}\n  {web:?}",
                web.shape, binding.0, binding.1
            ));
        }
    }
    eprintln!("compared {compared} bindings in {WEBS} webs ({seen:?}); {deliberate} documented deliberate differences");
    // The webs must exercise every level gpg can give, or agreement means little.
    for level in ["ultimate", "full", "marginal", "unknown"] {
        assert!(
            seen.get(level).copied().unwrap_or(0) >= 5,
            "too few {level} bindings: {seen:?}"
        );
    }
    assert!(
        compared > WEBS as usize * 5,
        "compared only {compared} bindings"
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// GnuPG counts a local certification (lsign) by any key in its keyring;
/// pgp-pkg only by an ultimately trusted one (docs/trust-model.md).
fn local_sig_by_non_ultimate(web: &Web, target: usize) -> bool {
    web.certifications
        .iter()
        .any(|&(from, to, local)| local && to == target && web.owner_trust.get(&from) != Some(&6))
}
