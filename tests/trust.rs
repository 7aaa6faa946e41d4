//! Owner trust, local certification, validity, `trust explain`, and the
//! trust `verify` reports (issue 3). The differential test against GnuPG is
//! in wot_gpg.rs.

mod common;

use common::*;
use sequoia_openpgp::types::HashAlgorithm;

const BOB_UID: &str = "Bob Builder (TEST KEY) <bob@example.org>";

/// Alice is the user (own key) and has certified Bob locally; Bob has
/// certified Carol (exportable, made with `hash`).
fn alice_bob_carol(hash: HashAlgorithm) -> Env {
    let env = Env::new();
    env.import(&["alice.sec.asc", "bob.pub.asc"]);
    let out = env.run(&["key", "certify", BOB, BOB_UID]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let carol = certified(&read_tsk("bob.sec.asc"), &read_cert("carol.pub.asc"), hash);
    write_armored_cert(&env.path("carol.asc"), &carol);
    assert_eq!(env.run(&["key", "import", "carol.asc"]).code, 0);
    env
}

fn validity(env: &Env, fpr: &str) -> String {
    let list: serde_json::Value =
        serde_json::from_str(&env.run(&["key", "list", "--json"]).stdout).unwrap();
    let cert = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["fingerprint"] == fpr)
        .expect("listed");
    cert["user_ids"][0]["validity"]
        .as_str()
        .unwrap()
        .to_string()
}

fn explain(env: &Env, fpr: &str) -> (String, serde_json::Value) {
    let human = env.run(&["trust", "explain", fpr]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    let json = env.run(&["trust", "explain", fpr, "--json"]);
    (human.stdout, serde_json::from_str(&json.stdout).unwrap())
}

#[test]
fn owner_trust_carries_validity_one_step_further() {
    let env = alice_bob_carol(HashAlgorithm::SHA512);
    assert_eq!(
        validity(&env, BOB),
        "full",
        "Alice's local certification authenticates Bob"
    );
    assert_eq!(
        validity(&env, CAROL),
        "unknown",
        "Bob has no owner trust yet"
    );
    let (human, _) = explain(&env, CAROL);
    assert!(human.contains("has no owner trust"), "{human}");

    assert_eq!(env.run(&["trust", "set", BOB, "full"]).code, 0);
    assert_eq!(validity(&env, CAROL), "full");
    let (human, json) = explain(&env, CAROL);
    let path = &json["user_ids"][0]["paths"][0];
    assert_eq!(path[0]["fingerprint"], ALICE, "{json:#}");
    assert_eq!(path[1]["fingerprint"], BOB);
    assert_eq!(path[2]["fingerprint"], CAROL);
    assert_eq!(json["user_ids"][0]["depth"], 2);
    insta::assert_snapshot!(human);

    assert_eq!(env.run(&["trust", "set", BOB, "marginal"]).code, 0);
    assert_eq!(validity(&env, CAROL), "marginal");
    let (human, _) = explain(&env, CAROL);
    assert!(
        human.contains("only 1 marginally trusted introducer(s)"),
        "{human}"
    );

    assert_eq!(env.run(&["trust", "set", BOB, "never"]).code, 0);
    assert_eq!(validity(&env, CAROL), "unknown");
    let (human, _) = explain(&env, CAROL);
    assert!(human.contains("distrust"), "{human}");
}

#[test]
fn sha1_certifications_confer_nothing() {
    let env = alice_bob_carol(HashAlgorithm::SHA1);
    assert_eq!(env.run(&["trust", "set", BOB, "full"]).code, 0);
    assert_eq!(validity(&env, CAROL), "unknown");
    let (human, _) = explain(&env, CAROL);
    assert!(
        human.contains("SHA1") && human.contains("too weak"),
        "{human}"
    );
}

#[test]
fn verify_reports_web_of_trust_levels() {
    let env = alice_bob_carol(HashAlgorithm::SHA512);
    write_zip(&env.path("widget.zip"), WIDGET);
    let text = env.checksum(&["widget.zip", "--version", "1.0.0"]);
    std::fs::write(
        env.path("widget.zip.asc"),
        sign_raw(&read_tsk("bob.sec.asc"), text.as_bytes(), RawSig::default()),
    )
    .unwrap();
    let (code, pkg) = env.verify_json(&["widget.zip", "--version", "1.0.0", "--min-trust", "full"]);
    assert_eq!(
        (code, pkg["status"].as_str(), pkg["trust"].as_str()),
        (0, Some("ok"), Some("full")),
        "{pkg:#}"
    );
    let (code, pkg) = env.verify_json(&[
        "widget.zip",
        "--version",
        "1.0.0",
        "--min-trust",
        "ultimate",
    ]);
    assert_eq!(
        (code, pkg["status"].as_str()),
        (1, Some("below-policy")),
        "{pkg:#}"
    );

    // A signer the user distrusts fails even the default policy.
    assert_eq!(env.run(&["trust", "set", BOB, "never"]).code, 0);
    let (code, pkg) = env.verify_json(&["widget.zip", "--version", "1.0.0"]);
    assert_eq!(
        (code, pkg["status"].as_str(), pkg["trust"].as_str()),
        (1, Some("below-policy"), Some("never")),
        "{pkg:#}"
    );
}

#[test]
fn local_certifications_stay_local() {
    let env = alice_bob_carol(HashAlgorithm::SHA512);
    let exported = env.run(&["key", "export", BOB]).stdout;
    std::fs::write(env.path("bob-export.asc"), exported).unwrap();
    let other = Env::new();
    other.import(&["alice.pub.asc"]);
    assert_eq!(
        other
            .run(&[
                "key",
                "import",
                env.path("bob-export.asc").to_str().unwrap()
            ])
            .code,
        0
    );
    assert_eq!(
        other
            .run(&["trust", "set", ALICE, "ultimate", "--confirm-ultimate"])
            .code,
        0
    );
    assert_eq!(
        validity(&other, BOB),
        "unknown",
        "Alice's local certification must not travel with the export"
    );
}

#[test]
fn import_gpg_ownertrust_reads_gpgs_format_and_rejects_garbage() {
    let env = Env::new();
    env.import(&["alice.pub.asc", "bob.pub.asc"]);
    let text = format!("# List of assigned trustvalues\n# (Use \"gpg --import-ownertrust\" to restore them)\n{ALICE}:6:\n{BOB}:4:\n");
    std::fs::write(env.path("trust.txt"), text).unwrap();
    let out = env.run(&["trust", "import-gpg", "trust.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(validity(&env, ALICE), "ultimate");
    let stored = std::fs::read_to_string(env.home().join("ownertrust.txt")).unwrap();
    assert!(stored.contains(&format!("{BOB}:4:")), "{stored}");

    std::fs::write(env.path("bad.txt"), format!("{ALICE}:6:\nnot a line\n")).unwrap();
    let out = env.run(&["trust", "import-gpg", "bad.txt"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("bad.txt") && out.stderr.contains("line 2"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(env.home().join("ownertrust.txt")).unwrap(),
        stored,
        "nothing half-imported"
    );

    let out = env.run(&["trust", "set", BOB, "trusted"]);
    assert_eq!(out.code, 2);
}

#[test]
fn a_chain_longer_than_five_is_too_deep() {
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    let now = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let mut certifier = read_tsk("alice.sec.asc");
    let mut chain = Vec::new();
    for i in 1..=6 {
        let (tsk, _) = new_key(&format!("Link {i} <link{i}@example.org>"), now, None);
        let cert = certified(
            &certifier,
            &tsk.clone().strip_secret_key_material(),
            HashAlgorithm::SHA512,
        );
        write_armored_cert(&env.path(&format!("link{i}.asc")), &cert);
        assert_eq!(env.run(&["key", "import", &format!("link{i}.asc")]).code, 0);
        let fpr = cert.fingerprint().to_hex();
        if i < 6 {
            assert_eq!(env.run(&["trust", "set", &fpr, "full"]).code, 0);
        }
        chain.push(fpr);
        certifier = tsk;
    }
    for (i, fpr) in chain.iter().enumerate().take(5) {
        assert_eq!(
            validity(&env, fpr),
            "full",
            "link {} at depth {}",
            i + 1,
            i + 1
        );
    }
    assert_eq!(
        validity(&env, &chain[5]),
        "unknown",
        "depth 6 is beyond GnuPG's limit of 5"
    );
    let (human, _) = explain(&env, &chain[5]);
    assert!(human.contains("too deep"), "{human}");
    let (_, json5) = explain(&env, &chain[4]);
    assert_eq!(json5["user_ids"][0]["depth"], 5);
    assert_eq!(
        json5["user_ids"][0]["paths"][0].as_array().unwrap().len(),
        6,
        "{json5:#}"
    );
}

/// Issue 10: owner trust tells the truth about trust roots.
#[test]
fn ultimate_owner_trust_is_explicit_and_listed() {
    let env = alice_bob_carol(HashAlgorithm::SHA256);
    // Ultimate for a key that is not the user's own needs a confirmation.
    let out = env.run(&["trust", "set", BOB, "ultimate"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("--confirm-ultimate"), "{}", out.stderr);
    assert_eq!(validity(&env, CAROL), "unknown", "nothing changed");
    let out = env.run(&["trust", "set", BOB, "ultimate", "--confirm-ultimate"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(validity(&env, CAROL), "full", "Bob is now a root");
    // Own keys need no confirmation.
    assert_eq!(env.run(&["trust", "set", ALICE, "ultimate"]).code, 0);

    // trust list: every setting, and which keys are roots.
    let out = env.run(&["trust", "list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains(&format!("{ALICE} ultimate  trust root (your own key)")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("{BOB} ultimate  trust root: {BOB_UID}")),
        "{}",
        out.stdout
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.run(&["trust", "list", "--json"]).stdout).unwrap();
    let bob = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["fingerprint"] == BOB)
        .unwrap();
    assert_eq!(
        (bob["trust_root"].as_bool(), bob["own"].as_bool()),
        (Some(true), Some(false))
    );
}

#[test]
fn import_gpg_says_when_an_absent_key_will_become_a_root() {
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    std::fs::write(env.path("ot.txt"), format!("{MALLORY}:6:\n{BOB}:5:\n")).unwrap();
    let out = env.run(&["trust", "import-gpg", "ot.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "{MALLORY} has ultimate owner trust but is not in the keyring yet"
        )),
        "{}",
        out.stdout
    );
    let out = env.run(&["trust", "list"]);
    assert!(
        out.stdout.contains(&format!(
            "{MALLORY} ultimate  trust root: (not in the keyring)"
        )),
        "{}",
        out.stdout
    );
    // The moment it arrives, it is a root.
    env.import(&["mallory.pub.asc"]);
    assert_eq!(validity(&env, MALLORY), "ultimate");
}

/// Issue 10: `trust explain` gives a reason for every certification it did
/// not count, here one that has expired.
#[test]
fn explain_names_a_certification_that_expired() {
    use sequoia_openpgp::packet::signature::SignatureBuilder;
    use sequoia_openpgp::types::SignatureType;
    let env = Env::new();
    env.import(&["alice.sec.asc", "bob.pub.asc"]);
    assert_eq!(env.run(&["key", "certify", BOB, BOB_UID]).code, 0);
    assert_eq!(env.run(&["trust", "set", BOB, "full"]).code, 0);
    let bob = read_tsk("bob.sec.asc");
    let carol = read_cert("carol.pub.asc");
    let mut signer = primary_signer(&bob);
    let uid = carol.userids().next().unwrap().userid().clone();
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let sig = SignatureBuilder::new(SignatureType::GenericCertification)
        .set_signature_creation_time(an_hour_ago)
        .unwrap()
        .set_signature_validity_period(std::time::Duration::from_secs(60))
        .unwrap()
        .sign_userid_binding(&mut signer, carol.primary_key().key(), &uid)
        .unwrap();
    let carol = carol.insert_packets(sig).unwrap().0;
    write_armored_cert(&env.path("carol.asc"), &carol);
    assert_eq!(env.run(&["key", "import", "carol.asc"]).code, 0);
    assert_eq!(validity(&env, CAROL), "unknown");
    let (human, json) = explain(&env, CAROL);
    assert!(human.contains("the certification expired on"), "{human}");
    assert!(
        json["user_ids"][0]["reasons"].to_string().contains(BOB),
        "{json:#}"
    );
}

/// `key certify` refuses what gpg refuses (an expired or revoked key, a
/// revoked user ID), exits 2 and leaves the keyring as it was.
#[test]
fn certify_refuses_expired_and_revoked_keys_and_user_ids() {
    use sequoia_openpgp::cert::prelude::*;
    use sequoia_openpgp::types::ReasonForRevocation;
    use std::time::{Duration, SystemTime};
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    let year = Duration::from_secs(365 * 24 * 3600);
    let (expired, _) = new_key(
        "Old Key <old@example.org>",
        SystemTime::now() - 2 * year,
        Some(year),
    );
    let bob = read_tsk("bob.sec.asc");
    let uid = bob.userids().next().unwrap().userid().clone();
    let uid_revocation = UserIDRevocationBuilder::new()
        .set_reason_for_revocation(ReasonForRevocation::UIDRetired, b"")
        .unwrap()
        .build(&mut primary_signer(&bob), &bob, &uid, None)
        .unwrap();
    let bob_retired = read_cert("bob.pub.asc")
        .insert_packets(uid_revocation)
        .unwrap()
        .0;
    let carol = read_tsk("carol.sec.asc");
    let carol_revoked = read_cert("carol.pub.asc")
        .insert_packets(
            carol
                .revoke(
                    &mut primary_signer(&carol),
                    ReasonForRevocation::KeyCompromised,
                    b"",
                )
                .unwrap(),
        )
        .unwrap()
        .0;
    let carol_uid =
        String::from_utf8_lossy(carol.userids().next().unwrap().userid().value()).into_owned();
    let cases = [
        (
            expired.clone(),
            "Old Key <old@example.org>".to_string(),
            "has expired",
        ),
        (bob_retired, BOB_UID.to_string(), "revoked that user ID"),
        (carol_revoked, carol_uid, "has revoked it"),
    ];
    for (i, (cert, uid, reason)) in cases.into_iter().enumerate() {
        let file = format!("cert{i}.asc");
        write_armored_cert(&env.path(&file), &cert);
        assert_eq!(env.run(&["key", "import", &file]).code, 0);
        let before = std::fs::read(env.home().join("keyring.pgp")).unwrap();
        let fpr = cert.fingerprint().to_hex();
        let out = env.run(&["key", "certify", &fpr, &uid]);
        assert_eq!(out.code, 2, "{fpr}: {}", out.stderr);
        assert!(out.stderr.contains(reason), "{fpr}: {}", out.stderr);
        let after = std::fs::read(env.home().join("keyring.pgp")).unwrap();
        assert!(before == after, "{fpr}: the keyring changed");
    }
}
