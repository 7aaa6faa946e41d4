//! Keys: the home on disk, the keyring and its index, the user's own keys,
//! signing, and the one crypto policy every check uses.

pub mod cache_file;
pub mod crypto;
pub mod home;
pub mod index;
pub mod keyring;
pub mod signing;
