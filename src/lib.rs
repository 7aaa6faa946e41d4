//! pgp-pkg: OpenPGP author signatures and a web of trust for Hex (mix) and
//! Composer packages. docs/development.md describes the layout; in short,
//! each layer uses only those listed before it:
//!
//! 1. `model`, `terms`, `net`: shared ids and time; term-file readers; the
//!    one HTTP client.
//! 2. `checksum_file`, `package`, `lockfile`, `git`: what is signed, package
//!    readers, what a project pins, releases in upstream git repositories.
//! 3. `keys`: the home, the keyring, own keys, signing.
//! 4. `trust`: owner trust, the web of trust, its caches, explanations.
//! 5. `signatures`: where signatures are, and checking them.
//! 6. `decision`: from evidence to a status, the report and its JSON.
//! 7. `project`: installed trees and the project's policy file.
//! 8. `cli`, `commands`: the command line and what each command does.

pub mod model;
pub(crate) mod net;
pub mod terms;

pub mod checksum_file;
pub(crate) mod git;
pub mod lockfile;
pub mod package;

pub mod keys;

pub mod trust;

pub mod signatures;

pub mod decision;
pub mod json;

pub mod project;

pub mod cli;
pub mod commands;
