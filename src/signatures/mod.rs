//! Signatures: where a package's signatures are (directories, URL
//! templates, beside the package) and checking them against the keyring.

pub(crate) mod fetch;
pub(crate) mod sources;
pub mod verify;
