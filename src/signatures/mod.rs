//! Signatures: where a package's signatures are (directories, URL
//! templates, beside the package) and checking them against the keyring.

pub mod fetch;
pub mod sources;
pub mod verify;
