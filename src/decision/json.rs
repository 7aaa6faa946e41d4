//! The stable JSON (docs/interface.md): filled in below.
