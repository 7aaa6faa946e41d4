//! The Mix archive task `pgp_pkg.verify` with the real `mix` (issue 5): a
//! project whose deps/ and Hex cache hold real Hex tarballs. The task must
//! pass, and fail on tampering without compiling any dependency. With
//! `PGP_PKG_E2E=1` a missing mix fails these tests.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

struct MixProject {
    env: Env,
}

impl MixProject {
    fn new() -> Option<MixProject> {
        if !require_program("mix") {
            return None;
        }
        let env = Env::new();
        env.import(&["alice.sec.asc"]);
        // Build and install the archive the way users do, from a copy (no _build in the repo).
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("integrations/mix");
        assert!(Command::new("cp")
            .arg("-r")
            .arg(&src)
            .arg(env.path("archive-src"))
            .status()
            .unwrap()
            .success());
        let archive = env.path("pgp_pkg_verify.ez");
        let build = mix(&env, &env.path("archive-src"))
            .args(["archive.build", "-o", archive.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            build.status.success(),
            "{}",
            String::from_utf8_lossy(&build.stderr)
        );
        let install = mix(&env, &env.path("archive-src"))
            .args(["archive.install", archive.to_str().unwrap(), "--force"])
            .output()
            .unwrap();
        assert!(
            install.status.success(),
            "{}",
            String::from_utf8_lossy(&install.stderr)
        );

        let cache = env.path("hex/packages/hexpm");
        std::fs::create_dir_all(&cache).unwrap();
        let mut lock = String::from("%{\n");
        for name in ["foo", "bar"] {
            let tar = cache.join(format!("{name}-1.0.0.tar"));
            std::fs::copy(fixture(&format!("hex/{name}-1.0.0.tar")), &tar).unwrap();
            install_hex(&tar, &env.path(&format!("project/deps/{name}")));
            let (inner, outer) = hex_checksums(&env, &tar);
            lock.push_str(&format!("  \"{name}\": {{:hex, :{name}, \"1.0.0\", \"{inner}\", [:mix], [], \"hexpm\", \"{outer}\"}},\n"));
            std::fs::create_dir_all(env.path(&format!("sigs/hex/{name}"))).unwrap();
            let out = env.run(&[
                "sign",
                tar.to_str().unwrap(),
                "--output",
                &format!("sigs/hex/{name}/1.0.0.asc"),
            ]);
            assert_eq!(out.code, 0, "{}", out.stderr);
        }
        lock.push_str("}\n");
        std::fs::write(env.path("project/mix.lock"), lock).unwrap();
        // The deps.get alias form, on a task that needs no Hex (Hex cannot be installed offline).
        std::fs::write(
            env.path("project/mix.exs"),
            r#"defmodule Demo.MixProject do
  use Mix.Project

  def project do
    [app: :demo, version: "0.1.0", deps: deps(), aliases: aliases()]
  end

  defp deps, do: [{:foo, "1.0.0"}, {:bar, "1.0.0"}]

  # In a real project: "deps.get": ["deps.get", "pgp_pkg.verify"]
  defp aliases, do: ["deps.verified": ["loadconfig", "pgp_pkg.verify"]]
end
"#,
        )
        .unwrap();
        Some(MixProject { env })
    }

    fn run(&self, task: &str) -> (bool, String) {
        let out = mix(&self.env, &self.env.path("project"))
            .arg(task)
            .env("PGP_PKG_BIN", assert_cmd::cargo::cargo_bin("pgp-pkg"))
            .env("PGP_PKG_SIGNATURES", self.env.path("sigs"))
            .env("HEX_HOME", self.env.path("hex"))
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    fn compiled_anything(&self) -> bool {
        self.env.path("project/_build").exists()
    }
}

fn mix(env: &Env, dir: &Path) -> Command {
    let mut cmd = Command::new("mix");
    cmd.current_dir(dir)
        .env("MIX_HOME", env.path("mix-home"))
        .env("PGP_PKG_HOME", env.home())
        .env_remove("PGP_PKG_MIN_TRUST")
        .env("MIX_ENV", "dev");
    cmd
}

#[test]
fn the_task_and_the_alias_pass_on_an_untampered_project() {
    let Some(p) = MixProject::new() else { return };
    for task in ["pgp_pkg.verify", "deps.verified"] {
        let (ok, out) = p.run(task);
        assert!(ok, "{task}: {out}");
        assert!(
            out.contains("hex foo")
                && out.contains("ultimate")
                && out.contains("passed: 2 packages"),
            "{task}: {out}"
        );
    }
    assert!(!p.compiled_anything());
}

#[test]
fn each_kind_of_tampering_fails_mix_without_compiling() {
    type Tamper = fn(&Env);
    let kinds: [(&str, Tamper); 3] = [
        ("installed file changed", |env| {
            std::fs::write(
                env.path("project/deps/foo/lib/foo.ex"),
                "defmodule Foo, do: System.halt()",
            )
            .unwrap()
        }),
        ("installed file added", |env| {
            std::fs::write(env.path("project/deps/bar/lib/evil.ex"), "x").unwrap()
        }),
        ("cached tarball changed", |env| {
            std::fs::copy(
                fixture("hex/foo-1.0.1.tar"),
                env.path("hex/packages/hexpm/foo-1.0.0.tar"),
            )
            .unwrap();
        }),
    ];
    for (what, tamper) in kinds {
        let Some(p) = MixProject::new() else { return };
        tamper(&p.env);
        for task in ["pgp_pkg.verify", "deps.verified"] {
            let (ok, out) = p.run(task);
            assert!(!ok, "{what}, {task}: mix must fail: {out}");
            assert!(
                out.contains("pgp-pkg refused the dependencies"),
                "{what}, {task}: {out}"
            );
            assert!(out.contains("checksum-mismatch"), "{what}, {task}: {out}");
        }
        assert!(!p.compiled_anything(), "{what}: nothing may be compiled");
    }
}

#[test]
fn a_missing_binary_fails_closed() {
    let Some(p) = MixProject::new() else { return };
    let out = mix(&p.env, &p.env.path("project"))
        .arg("pgp_pkg.verify")
        .env("PGP_PKG_BIN", "/nonexistent/pgp-pkg")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot run pgp-pkg"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
