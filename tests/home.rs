//! The home: bad input never damages it, a damaged one is reported, and
//! concurrent writers do not lose each other's work.

mod common;

use common::*;
use sequoia_openpgp::parse::Parse;

fn fingerprints(env: &Env) -> Vec<String> {
    let out = env.run(&["key", "list", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let mut fprs: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["fingerprint"].as_str().unwrap().to_string())
        .collect();
    fprs.sort();
    fprs
}

#[test]
fn a_bad_import_changes_nothing() {
    let env = Env::new();
    env.import(&["alice.pub.asc"]);
    let before = std::fs::read(env.home().join("keyring.pgp")).unwrap();
    std::fs::write(
        env.path("garbage.asc"),
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64!!\n",
    )
    .unwrap();
    // One good file and one bad file: all or nothing.
    let out = env.run(&[
        "key",
        "import",
        testkey("bob.pub.asc").to_str().unwrap(),
        "garbage.asc",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("garbage.asc"), "{}", out.stderr);
    assert_eq!(
        std::fs::read(env.home().join("keyring.pgp")).unwrap(),
        before
    );
    assert_eq!(fingerprints(&env), vec![ALICE.to_string()]);

    let out = env.run(&["key", "import", "missing.asc"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.asc"));
}

#[test]
fn a_damaged_keyring_is_reported_not_replaced() {
    let env = Env::new();
    env.import(&["alice.pub.asc"]);
    let keyring = env.home().join("keyring.pgp");
    let mut bytes = std::fs::read(&keyring).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&keyring, &bytes).unwrap();
    for args in [
        vec!["key", "list"],
        vec!["key", "import", testkey("bob.pub.asc").to_str().unwrap()],
    ] {
        let out = env.run(&args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(
            out.stderr.contains("damaged home") && out.stderr.contains("keyring.pgp"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"));
    }
    assert_eq!(
        std::fs::read(&keyring).unwrap(),
        bytes,
        "the damaged keyring must be left for the user to inspect"
    );
}

#[test]
fn concurrent_imports_keep_every_key() {
    let env = Env::new();
    let keys = [
        "alice.pub.asc",
        "bob.pub.asc",
        "carol.pub.asc",
        "mallory.pub.asc",
        "dave.pub.asc",
    ];
    let children: Vec<_> = keys
        .iter()
        .flat_map(|k| [k, k])
        .map(|k| {
            env.cmd()
                .args(["key", "import", testkey(k).to_str().unwrap()])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let mut expected: Vec<String> = [ALICE, BOB, CAROL, MALLORY, DAVE]
        .iter()
        .map(|s| s.to_string())
        .collect();
    expected.sort();
    assert_eq!(fingerprints(&env), expected);
    let leftovers: Vec<_> = std::fs::read_dir(env.home())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

#[test]
fn reimporting_merges_instead_of_duplicating() {
    let env = Env::new();
    env.import(&["alice.pub.asc"]);
    let out = env.run(&["key", "import", testkey("alice.pub.asc").to_str().unwrap()]);
    assert!(out.stdout.contains("unchanged"), "{}", out.stdout);
    // The secret key upgrades the known certificate to an own key.
    let out = env.run(&["key", "import", testkey("alice.sec.asc").to_str().unwrap()]);
    assert!(out.stdout.contains("own key"), "{}", out.stdout);
    assert_eq!(fingerprints(&env), vec![ALICE.to_string()]);
    let list: serde_json::Value =
        serde_json::from_str(&env.run(&["key", "list", "--json"]).stdout).unwrap();
    assert_eq!(list[0]["user_ids"][0]["validity"], "ultimate");
    // The public keyring never holds secrets.
    let keyring = std::fs::read(env.home().join("keyring.pgp")).unwrap();
    let reparsed = sequoia_openpgp::Cert::from_bytes(&keyring).unwrap();
    assert!(!reparsed.is_tsk());
}

/// A save copies the bytes of every certificate it did not change (from
/// the keyring as loaded, along its index) instead of serialising it again:
/// the file must still be exactly what serialising every certificate gives.
#[test]
fn a_save_that_copies_unchanged_certificates_writes_what_serialising_would() {
    use sequoia_openpgp::cert::CertParser;
    use sequoia_openpgp::serialize::Serialize;
    let env = Env::new();
    env.import(&["alice.sec.asc", "bob.pub.asc", "carol.pub.asc"]);
    let out = env.run(&[
        "key",
        "certify",
        BOB,
        "Bob Builder (TEST KEY) <bob@example.org>",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    env.import(&["dave.pub.asc", "mallory.pub.asc"]);
    let keyring = std::fs::read(env.home().join("keyring.pgp")).unwrap();
    let certs: Vec<_> = CertParser::from_bytes(&keyring)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut serialised = Vec::new();
    for cert in &certs {
        cert.serialize(&mut serialised).unwrap();
    }
    assert!(
        serialised == keyring,
        "keyring.pgp differs from its certificates serialised"
    );
    assert_eq!(certs.len(), 5);
    let bob = certs
        .iter()
        .find(|c| c.fingerprint().to_hex() == BOB)
        .unwrap();
    let certified = bob.userids().flat_map(|u| u.certifications()).any(|s| {
        s.get_issuers()
            .iter()
            .any(|h| h.to_hex() == ALICE || ALICE.ends_with(&h.to_hex()))
    });
    assert!(certified, "Bob's certification by Alice was lost");
}

#[test]
fn home_comes_from_flag_then_environment() {
    let env = Env::new();
    env.import(&["alice.pub.asc"]);
    // --home before or after the subcommand beats PGP_PKG_HOME.
    let other = env.path("other-home");
    std::fs::create_dir(&other).unwrap();
    for args in [
        vec!["--home", other.to_str().unwrap(), "key", "list", "--json"],
        vec!["key", "list", "--json", "--home", other.to_str().unwrap()],
    ] {
        let out = env.run(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout.trim(), "[]");
    }
    assert_eq!(fingerprints(&env), vec![ALICE.to_string()]);
}

/// Alice (own key) signed the widget; returns the env.
fn signed_widget_env() -> Env {
    let env = Env::new();
    env.import(&["alice.sec.asc", "bob.pub.asc", "carol.pub.asc"]);
    write_zip(&env.path("widget.zip"), WIDGET);
    assert_eq!(
        env.run(&["sign", "widget.zip", "--version", "1.0.0"]).code,
        0
    );
    env
}

fn verdict(env: &Env) -> (i32, String, String) {
    let (code, pkg) = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    (
        code,
        pkg["status"].as_str().unwrap().to_string(),
        pkg["trust"].as_str().unwrap().to_string(),
    )
}

#[test]
fn caches_are_only_an_optimisation() {
    let env = signed_widget_env();
    let expected = (0, "ok".to_string(), "ultimate".to_string());
    assert_eq!(verdict(&env), expected);
    let listing = env.run(&["key", "list", "--json"]).stdout;
    let cache = env.home().join("cache");
    let names = [
        "keyring-index.json",
        "network.json",
        "trust.json",
        "wot.json",
        "signatures.bin",
    ];
    for name in names {
        assert!(cache.join(name).exists(), "{name} not written");
    }
    // Garbage in every cache file: ignored and rebuilt.
    for name in names {
        std::fs::write(cache.join(name), "{ not json").unwrap();
    }
    assert_eq!(verdict(&env), expected);
    assert_eq!(env.run(&["key", "list", "--json"]).stdout, listing);
    let sigs = std::fs::read(cache.join("signatures.bin")).unwrap();
    assert!(
        sigs.windows(25).any(|w| w == b"pgp-pkg signature cache 1"),
        "the damaged signature cache was rebuilt by the next full check"
    );
    // No cache at all.
    std::fs::remove_dir_all(&cache).unwrap();
    assert_eq!(verdict(&env), expected);
    assert_eq!(env.run(&["key", "list", "--json"]).stdout, listing);
}

/// Issue 11: `key list` and `trust explain` read the validity snapshot
/// (`wot.json`) instead of the keyring; it answers exactly as a fresh
/// computation does, and a change of owner trust or of the keyring makes it
/// stale at once.
#[test]
fn the_validity_snapshot_answers_as_a_computation_does() {
    let env = signed_widget_env();
    let carol = common::CAROL;
    let fresh = |env: &Env, args: &[&str]| {
        std::fs::remove_file(env.home().join("cache/wot.json")).ok();
        env.run(args).stdout
    };
    for args in [
        &["key", "list", "--json"][..],
        &["key", "list"][..],
        &["trust", "explain", carol][..],
        &["trust", "explain", carol, "--json"][..],
    ] {
        let computed = fresh(&env, args);
        assert!(env.home().join("cache/wot.json").exists());
        assert_eq!(env.run(args).stdout, computed, "{args:?}");
    }
    // Bob is unknown; make him a full introducer... and certify him: both
    // change what the listing says, and the snapshot follows at once.
    let bob_line = |env: &Env| {
        let out = env.run(&["key", "list"]).stdout;
        out.lines()
            .skip_while(|l| !l.starts_with(common::BOB))
            .take(2)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let before = bob_line(&env);
    assert!(before.contains("unknown"), "{before}");
    assert_eq!(env.run(&["trust", "set", common::BOB, "full"]).code, 0);
    let after_trust = bob_line(&env);
    assert!(after_trust.contains("owner trust full"), "{after_trust}");
    let uid = "Bob Builder (TEST KEY) <bob@example.org>";
    assert_eq!(env.run(&["key", "certify", common::BOB, uid]).code, 0);
    let after_certify = bob_line(&env);
    assert!(after_certify.contains("[    full]"), "{after_certify}");
    assert_eq!(after_certify, {
        std::fs::remove_file(env.home().join("cache/wot.json")).unwrap();
        bob_line(&env)
    });
}

#[test]
fn a_keyring_replaced_behind_our_back_is_not_read_through_a_stale_index() {
    let env = signed_widget_env();
    assert_eq!(verdict(&env).1, "ok");
    // Another keyring, written without pgp-pkg (so without a new index): Alice's
    // certificate is no longer where the index says.
    let other = Env::new();
    other.import(&["mallory.pub.asc", "dave.pub.asc", "alice.pub.asc"]);
    std::fs::copy(
        other.home().join("keyring.pgp"),
        env.home().join("keyring.pgp"),
    )
    .unwrap();
    let (code, status, _) = verdict(&env);
    assert_eq!(
        (code, status.as_str()),
        (0, "ok"),
        "Alice must still be found"
    );
}

/// Reseals a cache file after `edit` changed its JSON (as a damaged or
/// stale but well-formed file would be).
fn reseal(path: &std::path::Path, edit: impl FnOnce(&mut serde_json::Value)) {
    use sha2::Digest;
    let bytes = std::fs::read(path).unwrap();
    let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&bytes[newline + 1..]).unwrap();
    edit(&mut json);
    let payload = serde_json::to_vec(&json).unwrap();
    let digest: String = sha2::Sha256::digest(&payload)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut out = digest.into_bytes();
    out.push(b'\n');
    out.extend(payload);
    std::fs::write(path, out).unwrap();
}

/// Issue 8: the index is validated on load and never trusted for offsets.
#[test]
fn a_damaged_keyring_index_is_ignored_never_followed() {
    let env = signed_widget_env();
    let expected = (0, "ok".to_string(), "ultimate".to_string());
    let index = env.home().join("cache/keyring-index.json");
    let original = std::fs::read(&index).unwrap();
    // Truncated, and one flipped byte: the seal no longer matches.
    std::fs::write(&index, &original[..original.len() / 2]).unwrap();
    assert_eq!(verdict(&env), expected);
    let mut flipped = original.clone();
    let at = flipped.len() - 10;
    flipped[at] ^= 0x01;
    std::fs::write(&index, &flipped).unwrap();
    assert_eq!(verdict(&env), expected);
    // Well sealed, but spans past the end of keyring.pgp (once an index out of bounds).
    std::fs::write(&index, &original).unwrap();
    reseal(&index, |j| {
        for span in j["spans"].as_array_mut().unwrap() {
            span[0] = serde_json::json!(1u64 << 40);
        }
    });
    let out = env.run(&["verify", "widget.zip", "--version", "1.0.0"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(verdict(&env), expected);
    // Well sealed, in bounds, but every span points at another certificate:
    // Alice must still be found (through the whole keyring).
    std::fs::write(&index, &original).unwrap();
    reseal(&index, |j| {
        let spans = j["spans"].as_array_mut().unwrap();
        spans.rotate_left(1);
    });
    assert_eq!(verdict(&env), expected);
}

#[test]
fn an_empty_keyring_beside_an_own_key_is_a_damaged_home() {
    let env = signed_widget_env();
    std::fs::write(env.home().join("keyring.pgp"), b"").unwrap();
    for args in [
        &["verify", "widget.zip", "--version", "1.0.0"][..],
        &["key", "list"][..],
    ] {
        let out = env.run(args);
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains("damaged home"), "{}", out.stderr);
        assert!(out.stderr.contains("keyring.pgp"), "{}", out.stderr);
    }
}

#[test]
fn import_is_all_or_nothing_when_owner_trust_is_damaged() {
    let env = signed_widget_env();
    let keyring = std::fs::read(env.home().join("keyring.pgp")).unwrap();
    std::fs::write(
        env.home().join("ownertrust.txt"),
        "not owner trust at all\n",
    )
    .unwrap();
    let out = env.run(&["key", "import", testkey("dave.sec.asc").to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("ownertrust.txt"), "{}", out.stderr);
    assert_eq!(
        std::fs::read(env.home().join("keyring.pgp")).unwrap(),
        keyring,
        "keyring.pgp must be untouched"
    );
    let secrets: Vec<_> = std::fs::read_dir(env.home().join("secret"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(secrets.len(), 1, "no new secret key: {secrets:?}");
}

/// Reading never needs the write lock: a writer holding it (or a home where
/// it cannot be taken) does not block or fail `verify`, even with every
/// cache stale.
#[test]
fn reading_never_waits_for_the_write_lock() {
    let env = signed_widget_env();
    let expected = (0, "ok".to_string(), "ultimate".to_string());
    let answers: Vec<(Vec<String>, String)> = [
        &["key", "list", "--json"][..],
        &["trust", "explain", common::CAROL][..],
    ]
    .iter()
    .map(|a| (a.iter().map(|s| s.to_string()).collect(), env.run(a).stdout))
    .collect();
    let listing_or_explanation = |args: &[&str]| {
        answers
            .iter()
            .find(|(a, _)| a == args)
            .map(|(_, out)| out.clone())
            .unwrap()
    };
    std::fs::remove_dir_all(env.home().join("cache")).unwrap();
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(env.home().join("lock"))
        .unwrap();
    lock.lock().unwrap();
    let started = std::time::Instant::now();
    assert_eq!(verdict(&env), expected);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "verify waited for the lock"
    );
    drop(lock);
    // A lock that cannot even be opened (as in a read-only home).
    std::fs::remove_file(env.home().join("lock")).unwrap();
    std::fs::create_dir(env.home().join("lock")).unwrap();
    std::fs::remove_dir_all(env.home().join("cache")).ok();
    assert_eq!(verdict(&env), expected);
    assert!(!env.home().join("cache/trust.json").exists());
    // The listing and explanations too, computed in memory, as they are
    // where the home can be written.
    for args in [
        &["key", "list", "--json"][..],
        &["trust", "explain", common::CAROL][..],
    ] {
        let out = env.run(args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, listing_or_explanation(args), "{args:?}");
    }
    assert!(!env.home().join("cache/wot.json").exists());
}

/// A closed standard output ends the command quietly, and never turns a
/// failure into success.
#[test]
fn a_closed_stdout_is_no_panic_and_keeps_the_exit_code() {
    let env = signed_widget_env();
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        writer
    };
    let out = env
        .cmd()
        .args(["key", "list"])
        .stdout(closed())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // A failing verify still exits 1.
    write_zip(
        &env.path("widget.zip"),
        &[("composer.json", "{}"), ("evil.php", "x")],
    );
    let out = env
        .cmd()
        .args([
            "verify",
            "widget.zip",
            "--version",
            "1.0.0",
            "--name",
            "acme/widget",
        ])
        .stdout(closed())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
}

/// The payload of a sealed cache file, as JSON.
fn cache_json(env: &Env, name: &str) -> serde_json::Value {
    let bytes = std::fs::read(env.home().join("cache").join(name)).unwrap();
    let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
    serde_json::from_slice(&bytes[newline + 1..]).unwrap()
}

/// Issue 11: a copied home (`cp -a`: new inodes, same content) keeps its
/// speed: the derived files are matched by content and restamped, not
/// recomputed, and the answer is the same.
#[test]
fn a_copied_home_is_restamped_not_recomputed() {
    use std::os::unix::fs::MetadataExt;
    let env = signed_widget_env();
    let expected = (0, "ok".to_string(), "ultimate".to_string());
    assert_eq!(verdict(&env), expected);
    let before = cache_json(&env, "trust.json");
    std::thread::sleep(std::time::Duration::from_millis(1100));

    let copy = Env::new();
    std::fs::remove_dir(copy.home()).unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(env.home())
        .arg(copy.home())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::copy(env.path("widget.zip"), copy.path("widget.zip")).unwrap();
    std::fs::copy(env.path("widget.zip.asc"), copy.path("widget.zip.asc")).unwrap();
    std::fs::remove_file(copy.home().join("cache/network.json")).unwrap();
    let inode = std::fs::metadata(copy.home().join("keyring.pgp"))
        .unwrap()
        .ino();
    assert_ne!(
        before["stamps"]["keyring"]["inode"], inode,
        "cp -a makes new inodes"
    );

    assert_eq!(verdict(&copy), expected);
    let after = cache_json(&copy, "trust.json");
    assert_eq!(
        after["stamps"]["keyring"]["inode"], inode,
        "restamped for the copy"
    );
    assert!(
        !copy.home().join("cache/network.json").exists(),
        "the snapshot was reused, not recomputed (which needs the network)"
    );
    assert_eq!(after["body"], before["body"]);
    let index = cache_json(&copy, "keyring-index.json");
    assert_eq!(index["keyring"]["inode"], inode);

    // Other content is not mistaken for a copy: it is read as it is.
    let other = Env::new();
    other.import(&["alice.sec.asc", "bob.pub.asc"]);
    std::fs::copy(
        other.home().join("keyring.pgp"),
        copy.home().join("keyring.pgp"),
    )
    .unwrap();
    let out = copy.run(&["key", "list"]);
    assert!(!out.stdout.contains("Carol"), "{}", out.stdout);
}
