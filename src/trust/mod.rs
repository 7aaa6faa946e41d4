//! Trust: levels, owner trust, the web of trust computed over the validated
//! certification network, the cached per-key snapshot `verify` reads, and
//! explanations of it. Layered inside too: `level` → `owner_trust` →
//! `network` → `wot` → `snapshot` → `explain`.

pub mod explain;
pub mod level;
pub mod network;
pub mod owner_trust;
pub mod snapshot;
pub mod wot;

pub use level::{TrustLevel, TrustModel};
