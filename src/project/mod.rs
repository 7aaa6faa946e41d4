//! A project: what its lockfiles pin is installed (`deps/`, `vendor/`, the
//! package caches), and its policy file (`pgp-pkg.toml`).

pub(crate) mod installed;
pub mod policy_file;
