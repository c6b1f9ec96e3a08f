//! Resumable uploads: the state machine behind tus (offsets, the one-writer lease, the
//! part ledger, checksums, the running SHA-256). No HTTP types here.

pub mod hashing;
pub mod metadata;
