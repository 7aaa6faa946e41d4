//! Finding and refreshing keys (issue 12, SPEC §3.1) against keyservers and
//! Web Key Directories that the tests run on 127.0.0.1: found, not found,
//! server errors, refused connections, timeouts, revocations and extended
//! expiry dates arriving, `--offline`, and no request without `--fetch-keys`.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::keyserver::{Reply, Server};
use common::*;
use openpgp::cert::prelude::*;
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::SerializeInto;
use openpgp::types::ReasonForRevocation;
use sequoia_openpgp as openpgp;

fn armored(cert: &Cert) -> Vec<u8> {
    cert.armored().to_vec().unwrap()
}

fn pub_key(name: &str) -> Vec<u8> {
    std::fs::read(testkey(name)).unwrap()
}

/// `foo-1.0.0.tar` in the env, signed by `tsk` (at `at`) into `foo-1.0.0.tar.asc`.
fn signed_foo(env: &Env, tsk: &Cert, at: Option<SystemTime>) -> String {
    let tar = env.path("foo-1.0.0.tar");
    std::fs::copy(fixture("hex/foo-1.0.0.tar"), &tar).unwrap();
    let text = env.checksum(&[tar.to_str().unwrap()]);
    let sig = sign_raw(
        tsk,
        text.as_bytes(),
        RawSig {
            created: at,
            ..RawSig::default()
        },
    );
    std::fs::write(env.path("foo-1.0.0.tar.asc"), sig).unwrap();
    tar.to_str().unwrap().to_string()
}

/// `verify PKG --json --fetch-keys` against `server` (keyserver and WKD):
/// the exit code, the report and standard error.
fn verify_fetching(env: &Env, pkg: &str, server: &Server) -> (i32, serde_json::Value, String) {
    let out = env.run_with(
        &[
            "verify",
            pkg,
            "--json",
            "--fetch-keys",
            "--keyserver",
            &server.url(),
        ],
        &[("PGP_PKG_WKD_BASE", &server.url())],
    );
    let json = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.stderr));
    (out.code, json, out.stderr)
}

fn key_list(env: &Env) -> Vec<serde_json::Value> {
    let out = env.run(&["key", "list", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn revoked(tsk: &Cert) -> Cert {
    let mut signer = primary_signer(tsk);
    let rev = CertRevocationBuilder::new()
        .set_reason_for_revocation(ReasonForRevocation::KeyCompromised, b"stolen")
        .unwrap()
        .build(&mut signer, tsk, None)
        .unwrap();
    tsk.clone()
        .insert_packets(rev)
        .unwrap()
        .0
        .strip_secret_key_material()
}

#[test]
fn a_key_fetched_by_fingerprint_is_imported_with_its_origin_and_no_trust() {
    let env = Env::new();
    let server = Server::start();
    server.route(
        &Server::hkp_path(ALICE),
        Reply::ok(pub_key("alice.pub.asc")),
    );
    let out = env.run(&["key", "fetch", ALICE, "--keyserver", &server.url()]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(ALICE) && out.stdout.contains("(new)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("not trusted for being fetched"),
        "{}",
        out.stderr
    );
    let keys = key_list(&env);
    let alice = keys.iter().find(|k| k["fingerprint"] == ALICE).unwrap();
    assert!(
        alice["origin"]["source"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/pks/lookup", server.url())),
        "{alice}"
    );
    assert!(alice["origin"]["fetched"].as_str().unwrap().ends_with('Z'));
    assert_eq!(alice["own"], false);
    assert_eq!(
        alice["user_ids"][0]["validity"], "unknown",
        "fetched is not trusted"
    );
    let text = env.run(&["key", "list"]).stdout;
    assert!(text.contains("fetched from http://127.0.0.1"), "{text}");

    // A package Alice signed now verifies, but only at trust unknown.
    let tsk = read_tsk("alice.sec.asc");
    let pkg = signed_foo(&env, &tsk, None);
    let (code, json) = env.verify_json(&[&pkg]);
    assert_eq!((code, json["status"].as_str()), (0, Some("ok")), "{json}");
    assert_eq!(json["trust"], "unknown");
    let (code, _) = env.verify_json(&[&pkg, "--min-trust", "full"]);
    assert_eq!(code, 1);

    // Fetching again changes nothing, and says so.
    let out = env.run(&["key", "fetch", ALICE, "--keyserver", &server.url()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("(unchanged)"), "{}", out.stdout);
}

#[test]
fn key_fetch_exit_codes_not_found_server_error_refused_and_usage() {
    let env = Env::new();
    let server = Server::start();
    server.route(
        &Server::hkp_path(ALICE),
        Reply::ok(pub_key("alice.pub.asc")),
    );
    server.route(&Server::hkp_path(CAROL), Reply::status(500));
    let url = server.url();

    let out = env.run(&["key", "fetch", BOB, "--keyserver", &url]);
    assert_eq!(out.code, 1, "not found: {}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("not found"), "{}", out.stdout);

    let out = env.run(&["key", "fetch", ALICE, BOB, "--keyserver", &url]);
    assert_eq!(out.code, 1, "one of two found: {}", out.stdout);

    let out = env.run(&["key", "fetch", CAROL, "--keyserver", &url]);
    assert_eq!(out.code, 2, "HTTP 500: {}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("HTTP 500"), "{}", out.stdout);

    // A port nobody listens on: the connection is refused.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = env.run(&[
        "key",
        "fetch",
        ALICE,
        "--keyserver",
        &format!("http://127.0.0.1:{closed}"),
    ]);
    assert_eq!(out.code, 2, "refused: {}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("could not be looked up"),
        "{}",
        out.stdout
    );

    for bad in ["nobody", "0123", "http://evil.example"] {
        let out = env.run(&["key", "fetch", bad, "--keyserver", &url]);
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
    }
    // Plain HTTP to anything but this machine is refused before any request.
    let out = env.run(&["key", "fetch", ALICE, "--keyserver", "http://keys.example"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("only allowed to localhost"),
        "{}",
        out.stderr
    );
    let out = env.run_with(
        &["key", "fetch", ALICE],
        &[(
            "PGP_PKG_KEYSERVERS",
            &format!("http://127.0.0.1.nip.io:{}", server.port),
        )],
    );
    assert_eq!(out.code, 2);
}

#[test]
fn a_timeout_is_exit_2_and_never_not_found() {
    let env = Env::new();
    let server = Server::start();
    server.fallback(Reply::ok(pub_key("alice.pub.asc")).after(Duration::from_secs(20)));
    let started = Instant::now();
    let out = env.run_with(
        &["key", "fetch", ALICE, "--keyserver", &server.url()],
        &[("PGP_PKG_NET_TIMEOUT", "1")],
    );
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        out.stdout.contains("could not be looked up"),
        "{}",
        out.stdout
    );

    // The same with --fetch-keys: a signer that cannot be looked up is not judged.
    let tsk = read_tsk("alice.sec.asc");
    let pkg = signed_foo(&env, &tsk, None);
    let out = env.run_with(
        &["verify", &pkg, "--fetch-keys", "--keyserver", &server.url()],
        &[("PGP_PKG_NET_TIMEOUT", "1")],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("could not look up"), "{}", out.stderr);
}

#[test]
fn wkd_answers_keep_only_the_queried_address() {
    let env = Env::new();
    let server = Server::start();
    let (tsk, _) = CertBuilder::new()
        .add_userid("Joe Doe <joe.doe@example.org>")
        .add_userid("Linus <torvalds@kernel.example>")
        .add_signing_subkey()
        .generate()
        .unwrap();
    // The draft's own example: the local part "Joe.Doe" hashes to this.
    server.route(
        "/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=joe.doe",
        Reply::ok(armored(&tsk.clone().strip_secret_key_material())),
    );
    let out = env.run_with(
        &[
            "key",
            "fetch",
            "joe.doe@example.org",
            "--keyserver",
            &server.url(),
        ],
        &[("PGP_PKG_WKD_BASE", &server.url())],
    );
    let stdout = out.stdout;
    assert_eq!(out.code, 0, "{stdout}{}", out.stderr);
    assert!(
        stdout.contains("/.well-known/openpgpkey/example.org/hu/"),
        "{stdout}"
    );
    // WKD was asked first, so the keyserver never was.
    assert!(
        server.log().iter().all(|p| !p.starts_with("/pks/")),
        "{:?}",
        server.log()
    );
    let keys = key_list(&env);
    let uids: Vec<&str> = keys[0]["user_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        uids,
        ["Joe Doe <joe.doe@example.org>"],
        "the other address is not the directory's to vouch for"
    );

    // An address WKD does not know: the keyservers by email are asked next.
    server.clear_log();
    let out = env.run_with(
        &[
            "key",
            "fetch",
            "nobody@example.org",
            "--keyserver",
            &server.url(),
        ],
        &[("PGP_PKG_WKD_BASE", &server.url())],
    );
    assert_eq!(out.code, 1);
    let log = server.log();
    assert!(log.iter().any(|p| p.contains("/hu/")), "{log:?}");
    assert!(
        log.iter()
            .any(|p| p == "/pks/lookup?op=get&options=mr&search=nobody%40example.org"),
        "{log:?}"
    );
}

#[test]
fn an_unknown_signer_is_looked_up_only_with_fetch_keys() {
    let env = Env::new();
    let server = Server::start();
    server.route(
        &Server::hkp_path(ALICE),
        Reply::ok(pub_key("alice.pub.asc")),
    );
    let tsk = read_tsk("alice.sec.asc");
    let pkg = signed_foo(&env, &tsk, None);

    let out = env.run_with(
        &["verify", &pkg, "--json"],
        &[("PGP_PKG_KEYSERVERS", &server.url())],
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let p = &json["packages"][0];
    assert_eq!(p["status"], "unknown-key", "{p}");
    let reasons = p["reasons"].to_string();
    assert!(
        reasons.contains(&format!("pgp-pkg key fetch {ALICE}")),
        "{reasons}"
    );
    assert!(reasons.contains("--fetch-keys"), "{reasons}");
    assert!(
        server.log().is_empty(),
        "no request without --fetch-keys: {:?}",
        server.log()
    );

    // The command the message suggests works.
    let out = env.run(&["key", "fetch", ALICE, "--keyserver", &server.url()]);
    assert_eq!(out.code, 0);
    let (code, json) = env.verify_json(&[&pkg]);
    assert_eq!((code, json["status"].as_str()), (0, Some("ok")));

    // And --fetch-keys does it in one step, in a new home.
    let env2 = Env::new();
    let pkg2 = signed_foo(&env2, &tsk, None);
    let out = env2.run_with(
        &["verify", &pkg2, "--json", "--fetch-keys"],
        &[("PGP_PKG_KEYSERVERS", &server.url())],
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["packages"][0]["status"], "ok");
    assert_eq!(
        json["packages"][0]["trust"], "unknown",
        "fetched, not trusted"
    );
    assert!(out.stderr.contains("pgp-pkg: fetched"));
}

#[test]
fn not_found_is_remembered_and_a_failure_is_not() {
    let env = Env::new();
    env.import(&["bob.pub.asc"]);
    let server = Server::start();
    let tsk = read_tsk("alice.sec.asc");
    let pkg = signed_foo(&env, &tsk, None);
    let verify = || {
        env.run_with(
            &["verify", &pkg, "--fetch-keys", "--keyserver", &server.url()],
            &[],
        )
    };
    let first = verify();
    assert_eq!(first.code, 0, "unknown key, default policy");
    let asked = server.log().len();
    assert!(asked >= 1);
    let second = verify();
    assert_eq!(second.code, 0);
    assert_eq!(
        server.log().len(),
        asked,
        "the not-found answer was remembered"
    );

    // A server error is never remembered as "not found".
    let env = Env::new();
    let pkg = signed_foo(&env, &tsk, None);
    server.fallback(Reply::status(503));
    server.clear_log();
    for _ in 0..2 {
        let out = env.run_with(
            &["verify", &pkg, "--fetch-keys", "--keyserver", &server.url()],
            &[],
        );
        assert_eq!(out.code, 2, "an unreachable source is exit 2, not a pass");
    }
    assert_eq!(server.log().len(), 2, "asked again: {:?}", server.log());
}

#[test]
fn a_revocation_reaches_verify_through_refresh_and_fetch_keys() {
    let now = SystemTime::now();
    let (tsk, _) = new_key(
        "Rita <rita@example.org>",
        now - Duration::from_secs(3600),
        None,
    );
    let fpr = tsk.fingerprint().to_hex();
    let server = Server::start();
    server.route(&Server::hkp_path(&fpr), Reply::ok(armored(&revoked(&tsk))));

    // Unknown signer: --fetch-keys brings the certificate with its revocation.
    let env = Env::new();
    let pkg = signed_foo(&env, &tsk, None);
    let (code, json, _) = verify_fetching(&env, &pkg, &server);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["packages"][0]["status"], "revoked");

    // Known signer: `key refresh` picks the revocation up and says so.
    let env = Env::new();
    let pkg = signed_foo(&env, &tsk, None);
    write_armored_cert(
        &env.path("rita.asc"),
        &tsk.clone().strip_secret_key_material(),
    );
    assert_eq!(env.run(&["key", "import", "rita.asc"]).code, 0);
    assert_eq!(env.verify_json(&[&pkg]).0, 0);
    let out = env.run_with(
        &["key", "refresh", "--keyserver", &server.url()],
        &[("PGP_PKG_WKD_BASE", &server.url())],
    );
    let stdout = out.stdout;
    assert_eq!(out.code, 0, "{stdout}");
    assert!(stdout.contains("revoked"), "{stdout}");
    let (code, json) = env.verify_json(&[&pkg]);
    assert_eq!(
        (code, json["status"].as_str()),
        (1, Some("revoked")),
        "{json}"
    );
    // The revocation's reason is the signer's; the package says what to do.
    assert!(
        json["signers"][0]["reason"].to_string().contains("stolen"),
        "{json}"
    );
    assert!(
        json["reasons"].to_string().contains("key refresh"),
        "{json}"
    );
    assert!(
        !json["reasons"].to_string().contains("stolen"),
        "not twice: {json}"
    );
}

#[test]
fn an_expired_signer_is_refreshed_once_and_an_extension_is_picked_up() {
    let now = SystemTime::now();
    let created = now - Duration::from_secs(3 * 86_400);
    let (tsk, _) = new_key(
        "Ed <ed@example.org>",
        created,
        Some(Duration::from_secs(86_400)),
    );
    let fpr = tsk.fingerprint().to_hex();
    let env = Env::new();
    let pkg = signed_foo(&env, &tsk, Some(created + Duration::from_secs(3600)));
    write_armored_cert(
        &env.path("ed.asc"),
        &tsk.clone().strip_secret_key_material(),
    );
    assert_eq!(env.run(&["key", "import", "ed.asc"]).code, 0);

    let (code, json) = env.verify_json(&[&pkg]);
    assert_eq!(
        (code, json["status"].as_str()),
        (1, Some("expired")),
        "{json}"
    );
    let reasons = json["reasons"].to_string();
    let signer = json["signers"][0]["reason"].to_string();
    assert!(signer.contains("expired on"), "the date: {signer}");
    assert!(
        reasons.contains(&format!("pgp-pkg key refresh {fpr}")),
        "the command: {reasons}"
    );

    // The author extends the key and publishes it.
    let policy = StandardPolicy::new();
    let mut signer = primary_signer(&tsk);
    let extension = tsk
        .with_policy(&policy, created + Duration::from_secs(60))
        .unwrap()
        .primary_key()
        .set_expiration_time(&mut signer, Some(now + Duration::from_secs(365 * 86_400)))
        .unwrap();
    let extended = tsk.clone().insert_packets(extension).unwrap().0;
    let server = Server::start();
    server.route(
        &Server::hkp_path(&fpr),
        Reply::ok(armored(&extended.strip_secret_key_material())),
    );
    let (code, json, stderr) = verify_fetching(&env, &pkg, &server);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["packages"][0]["status"], "ok");
    assert!(stderr.contains("updated: expires"), "{stderr}");
    assert_eq!(
        server.log().len(),
        2,
        "keyserver and WKD, once each: {:?}",
        server.log()
    );
}

#[test]
fn offline_means_no_network_and_says_so() {
    let env = Env::new();
    let server = Server::start();
    server.fallback(Reply::ok(pub_key("alice.pub.asc")));
    let out = env.run(&[
        "key",
        "fetch",
        ALICE,
        "--keyserver",
        &server.url(),
        "--offline",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--offline"), "{}", out.stderr);
    let out = env.run_with(
        &[
            "--home",
            env.home().to_str().unwrap(),
            "key",
            "refresh",
            "--keyserver",
            &server.url(),
        ],
        &[("PGP_PKG_OFFLINE", "1")],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--offline"));
    let tsk = read_tsk("alice.sec.asc");
    let pkg = signed_foo(&env, &tsk, None);
    let out = env.run_with(
        &["verify", &pkg, "--fetch-keys", "--keyserver", &server.url()],
        &[("PGP_PKG_OFFLINE", "1")],
    );
    assert_eq!(out.code, 2, "needs the network, may not use it");
    assert!(out.stderr.contains("--fetch-keys needs the network"));
    // PGP_PKG_OFFLINE=0 is not offline.
    let out = env.run_with(&["key", "list"], &[("PGP_PKG_OFFLINE", "0")]);
    assert_eq!(out.code, 0);
    // Offline without --fetch-keys needs nothing: the default policy decides.
    let out = env.run_with(&["verify", &pkg], &[("PGP_PKG_OFFLINE", "1")]);
    assert_eq!(out.code, 0);
    assert!(server.log().is_empty(), "{:?}", server.log());
}

#[test]
fn a_served_secret_key_never_becomes_an_own_key() {
    let env = Env::new();
    let server = Server::start();
    server.route(
        &Server::hkp_path(ALICE),
        Reply::ok(pub_key("alice.sec.asc")),
    );
    let out = env.run(&["key", "fetch", ALICE, "--keyserver", &server.url()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let keys = key_list(&env);
    assert_eq!(keys[0]["own"], false);
    assert_eq!(keys[0]["user_ids"][0]["validity"], "unknown");
    assert!(
        !env.home().join("secret").exists()
            || std::fs::read_dir(env.home().join("secret"))
                .unwrap()
                .next()
                .is_none()
    );
    let exported = env.run(&["key", "export", ALICE]).stdout;
    let cert = Cert::from_bytes(exported.as_bytes()).unwrap();
    assert!(!cert.is_tsk());
}

#[test]
fn a_certificate_that_does_not_hold_the_key_asked_for_is_not_taken() {
    let env = Env::new();
    let server = Server::start();
    // A keyserver that answers a lookup for Alice with Mallory's key.
    server.route(
        &Server::hkp_path(ALICE),
        Reply::ok(pub_key("mallory.pub.asc")),
    );
    let out = env.run(&["key", "fetch", ALICE, "--keyserver", &server.url()]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(key_list(&env).is_empty());
}

#[test]
fn a_home_that_cannot_take_fetched_keys_uses_them_for_the_run() {
    let env = Env::new();
    env.import(&["bob.pub.asc"]);
    // A lock that cannot be opened, as in a read-only home.
    std::fs::remove_file(env.home().join("lock")).unwrap();
    std::fs::create_dir(env.home().join("lock")).unwrap();
    let server = Server::start();
    let now = SystemTime::now();
    let (tsk, _) = new_key(
        "Rita <rita@example.org>",
        now - Duration::from_secs(3600),
        None,
    );
    server.route(
        &Server::hkp_path(&tsk.fingerprint().to_hex()),
        Reply::ok(armored(&revoked(&tsk))),
    );
    let pkg = signed_foo(&env, &tsk, None);
    let (code, json, stderr) = verify_fetching(&env, &pkg, &server);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        json["packages"][0]["status"], "revoked",
        "the fetched revocation counts"
    );
    assert!(stderr.contains("for this run only"), "{stderr}");
    assert!(!key_list(&env)
        .iter()
        .any(|k| k["fingerprint"] == tsk.fingerprint().to_hex()));
}

#[test]
fn the_composer_hook_honours_pgp_pkg_fetch_keys() {
    let env = Env::new();
    write_zip(&env.path("widget.zip"), WIDGET);
    let text = env.checksum(&["widget.zip", "--version", "1.0.0"]);
    std::fs::create_dir_all(env.path("sigs/composer/acme/widget")).unwrap();
    let sig = sign_raw(
        &read_tsk("carol.sec.asc"),
        text.as_bytes(),
        RawSig::default(),
    );
    std::fs::write(env.path("sigs/composer/acme/widget/1.0.0.asc"), sig).unwrap();
    let server = Server::start();
    server.route(
        &Server::hkp_path(CAROL),
        Reply::ok(pub_key("carol.pub.asc")),
    );
    // Carol signs with a subkey: the keyserver is asked for that key.
    server.fallback(Reply::ok(pub_key("carol.pub.asc")));
    let sigs = env.path("sigs");
    let hook = |fetch: &str| {
        env.run_with(
            &[
                "hook",
                "composer",
                "--archive",
                "widget.zip",
                "--name",
                "acme/widget",
                "--version",
                "1.0.0",
            ],
            &[
                ("PGP_PKG_SIGNATURES", sigs.to_str().unwrap()),
                ("PGP_PKG_KEYSERVERS", &server.url()),
                ("PGP_PKG_FETCH_KEYS", fetch),
            ],
        )
    };
    let out = hook("0");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("unknown-key"), "{}", out.stdout);
    assert!(
        server.log().is_empty(),
        "PGP_PKG_FETCH_KEYS=0 fetches nothing"
    );
    let out = hook("1");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("fetched {CAROL}")),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("unknown-key"), "{}", out.stdout);
}
