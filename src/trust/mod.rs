//! Trust: levels, owner trust, the web of trust computed over the validated
//! certification network, the cached per-key snapshot `verify` reads, and
//! explanations of it. Layered inside too: `level` → `owner_trust` →
//! `network` → `wot` → `snapshot` → `explain`.

pub(crate) mod explain;
pub(crate) mod level;
pub(crate) mod network;
pub(crate) mod owner_trust;
pub(crate) mod snapshot;
pub(crate) mod wot;

pub(crate) use level::{TrustLevel, TrustModel};
