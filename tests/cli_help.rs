//! The command line explains itself (issue 14, SPEC §4): help text on every
//! option and argument, shell completions and a man page generated from the
//! same definitions.

mod common;

use clap::CommandFactory;
use common::*;
use pgp_pkg::cli::Cli;

/// Every argument of every subcommand, by path, that has no help text.
fn without_help(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        if arg.get_help().is_none() && arg.get_long_help().is_none() {
            missing.push(format!("{path} {id}"));
        }
    }
    for sub in cmd.get_subcommands() {
        if sub.get_about().is_none() {
            missing.push(format!("{path} {} (the command)", sub.get_name()));
        }
        without_help(sub, &format!("{path} {}", sub.get_name()), missing);
    }
}

#[test]
fn every_option_and_command_has_help() {
    let mut missing = Vec::new();
    without_help(&Cli::command(), "pgp-pkg", &mut missing);
    assert!(
        missing.is_empty(),
        "without help text:\n{}",
        missing.join("\n")
    );
}

#[test]
fn completions_for_bash_zsh_and_fish_and_a_man_page() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = env.run(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        for word in ["verify-tree", "fetch", "fetch-keys", "min-trust"] {
            assert!(out.stdout.contains(word), "{shell} completions lack {word}");
        }
    }
    if require_program("bash") {
        let script = env.path("pgp-pkg.bash");
        std::fs::write(&script, env.run(&["completions", "bash"]).stdout).unwrap();
        let check = std::process::Command::new("bash")
            .arg("-n")
            .arg(&script)
            .status()
            .unwrap();
        assert!(check.success(), "bash -n rejects the completion script");
    }
    assert_eq!(env.run(&["completions", "tcsh"]).code, 2);
    let man = env.run(&["man"]);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH pgp-pkg"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
    assert!(
        man.stdout.contains("verify\\-tree"),
        "roff escapes the dash"
    );
    let out = env.run(&["man", "--output-dir", "man"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for page in [
        "pgp-pkg.1",
        "pgp-pkg-verify-tree.1",
        "pgp-pkg-key-fetch.1",
        "pgp-pkg-completions.1",
    ] {
        let text = std::fs::read_to_string(env.path("man").join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}");
    }
    let fetch = std::fs::read_to_string(env.path("man/pgp-pkg-key-fetch.1")).unwrap();
    assert!(fetch.contains("keyserver"), "options documented: {fetch}");
}

/// Every variable docs/interface.md lists under "Environment" is in `--help`.
#[test]
fn help_lists_every_environment_variable_the_docs_list() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/interface.md")).unwrap();
    let section = docs
        .split("## Environment")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    let help = Env::new().run(&["--help"]).stdout;
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        for var in line.split('|').nth(1).unwrap().split(',') {
            let var = var.trim().trim_matches('`');
            assert!(help.contains(var), "--help does not mention {var}");
        }
    }
}
