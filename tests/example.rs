//! The README's main command, on the shipped example: every outcome it
//! promises, so the README stays true.

mod common;

use common::*;

#[test]
fn the_shipped_example_reports_what_the_readme_says() {
    let env = Env::with_examples();
    let out = env
        .cmd()
        .env("HEX_HOME", env.path("no-hex-cache"))
        .env("COMPOSER_CACHE_DIR", env.path("no-composer-cache"))
        .args([
            "--home",
            "examples/home",
            "verify-tree",
            "examples/project/mix.lock",
            "examples/project/composer.lock",
            "--signatures",
            "examples/project/signatures",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, String, String)> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["status"].as_str().unwrap().into(),
                p["trust"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("bar", "ok", "full"),
        ("foo", "ok", "ultimate"),
        ("plug_dev", "unverifiable", "unverifiable"),
        ("acme/gadget", "checksum-mismatch", "checksum-mismatch"),
        ("acme/widget", "ok", "unknown"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, expected);
}
