//! Signature URL templates (issue 4), against a local server on 127.0.0.1:
//! a 404 means unsigned, any other failure is an error, never `unsigned`.

mod common;

use common::*;

/// A Composer project with acme/widget installed, and its signature by
/// Alice (the user) published under `www/composer/acme/widget/1.0.0.asc`.
fn project() -> Env {
    let env = Env::new();
    env.import(&["alice.sec.asc"]);
    for (name, content) in WIDGET {
        let p = env.path(&format!("project/vendor/acme/widget/{name}"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    let lock = r#"{"packages": [{"name": "acme/widget", "version": "1.0.0",
        "dist": {"type": "zip", "url": "https://example.invalid/w.zip", "shasum": ""}}], "packages-dev": []}"#;
    std::fs::write(env.path("project/composer.lock"), lock).unwrap();
    std::fs::create_dir_all(env.path("www/composer/acme/widget")).unwrap();
    let out = env.run(&[
        "sign",
        "project/vendor/acme/widget",
        "--version",
        "1.0.0",
        "--output",
        "www/composer/acme/widget/1.0.0.asc",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    env
}

fn run(env: &Env, template: &str) -> (i32, String, String) {
    let out = env
        .cmd()
        .env("COMPOSER_CACHE_DIR", env.path("cache"))
        .args([
            "verify-tree",
            "project/composer.lock",
            "--signatures",
            template,
            "--json",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = serde_json::from_str::<serde_json::Value>(&stdout)
        .map(|j| {
            j["packages"][0]["status"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default();
    (
        out.status.code().unwrap(),
        status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_published_signature_verifies_and_a_404_is_unsigned() {
    let env = project();
    let port = serve_dir(env.path("www"));
    let template = format!("http://127.0.0.1:{port}/{{ecosystem}}/{{name}}/{{version}}.asc");
    let (code, status, stderr) = run(&env, &template);
    assert_eq!((code, status.as_str()), (0, "ok"), "{stderr}");

    std::fs::remove_file(env.path("www/composer/acme/widget/1.0.0.asc")).unwrap();
    let (code, status, stderr) = run(&env, &template);
    assert_eq!((code, status.as_str()), (0, "unsigned"), "{stderr}");
}

#[test]
fn a_tampered_tree_fails_against_a_fetched_signature() {
    let env = project();
    std::fs::write(
        env.path("project/vendor/acme/widget/src/Widget.php"),
        "<?php evil();",
    )
    .unwrap();
    let port = serve_dir(env.path("www"));
    let template = format!("http://127.0.0.1:{port}/{{ecosystem}}/{{name}}/{{version}}.asc");
    let (code, status, _) = run(&env, &template);
    assert_eq!(code, 1);
    assert_eq!(
        status, "checksum-mismatch",
        "the fetched .checksums names the change"
    );
}

#[test]
fn server_errors_and_refused_connections_are_errors_not_unsigned() {
    let env = project();
    let port = serve_dir(env.path("www"));
    let (code, _, stderr) = run(
        &env,
        &format!("http://127.0.0.1:{port}/fail/{{name}}/{{version}}.asc"),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("HTTP 500"), "{stderr}");

    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, _, stderr) = run(&env, &format!("http://127.0.0.1:{closed}/{{name}}.asc"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot reach http://127.0.0.1"), "{stderr}");

    // Plain HTTP to anything but this machine is refused outright.
    let (code, _, stderr) = run(&env, "http://sigs.example.invalid/{name}.asc");
    assert_eq!(code, 2);
    assert!(stderr.contains("https://"), "{stderr}");
}

#[test]
fn the_environment_names_sources_too() {
    let env = project();
    let port = serve_dir(env.path("www"));
    let template = format!("http://127.0.0.1:{port}/{{ecosystem}}/{{name}}/{{version}}.asc");
    // An empty directory first: the search goes on to the template.
    std::fs::create_dir(env.path("empty-sigs")).unwrap();
    let out = env
        .cmd()
        .env("PGP_PKG_SIGNATURES", format!("empty-sigs {template}"))
        .env("COMPOSER_CACHE_DIR", env.path("cache"))
        .args(["verify-tree", "project/composer.lock", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["packages"][0]["status"],
        "ok",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
