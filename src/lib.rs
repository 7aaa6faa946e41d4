//! pgp-pkg: OpenPGP author signatures and a web of trust for Hex (mix) and
//! Composer packages. See `docs/architecture.md` for how the modules fit.

pub mod cache_file;
pub mod checksum_file;
pub mod cli;
pub mod commands;
pub mod erlang_term;
pub mod explain;
pub mod fetch;
pub mod home;
pub mod keyring;
pub mod keyring_index;
pub mod locate;
pub mod lockfile;
pub mod owner_trust;
pub mod package;
pub mod policy;
pub mod project_policy;
pub mod report;
pub mod signature_source;
pub mod signing;
pub mod text_cursor;
pub mod trust;
pub mod verify;
pub mod wot;
pub mod wot_cache;
