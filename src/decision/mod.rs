//! The decision: evidence and policy become a status, a report, its stable
//! JSON and an exit code. Pure logic, no I/O.

pub mod report;
pub(crate) mod rules;
