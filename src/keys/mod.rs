//! Keys: the home on disk, the keyring and its index, the user's own keys,
//! signing, and the one crypto policy every check uses.

pub(crate) mod cache_file;
pub(crate) mod crypto;
pub(crate) mod home;
pub(crate) mod index;
pub(crate) mod keyring;
pub(crate) mod memory;
pub(crate) mod sig_cache;
pub(crate) mod signing;
