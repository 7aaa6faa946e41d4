//! Keys: the home on disk, the keyring and its index, the user's own keys,
//! signing, the one crypto policy every check uses, finding certificates on
//! keyservers and in Web Key Directories, and certificates shipped with
//! signatures and projects.

pub(crate) mod cache_file;
pub(crate) mod crypto;
pub(crate) mod discovery;
pub(crate) mod home;
pub(crate) mod index;
pub(crate) mod keyring;
pub(crate) mod memory;
pub(crate) mod shipped;
pub(crate) mod sig_cache;
pub(crate) mod signing;
