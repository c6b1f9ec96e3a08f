//! Object storage for Relais.
//!
//! Traits by capability, in domain words, each object-safe: [`BlobStore`] (objects: put,
//! read a range, list, delete), which every backend has and which hands out the others;
//! [`StagingStore`] (one staging file per resumable upload: local directory, memory) or
//! [`PartStore`] (multipart uploads: S3), as [`Resumable`] says; [`Presign`] (signed URLs,
//! S3 only). No method answers "not supported" at run time: a backend without a capability
//! does not hand it out. Three backends: a local directory, any S3-compatible service and
//! memory (tests); the resumable writer ([`resumable`]) serves all of them. The key layout
//! lives here and nowhere else. This crate knows nothing of HTTP handlers or of the
//! metadata database.

#![deny(clippy::unwrap_used)]

mod config;
mod error;
mod file_io;
mod key;
mod local;
mod memory;
mod object;
mod object_store_glue;
mod parts;
mod presign;
pub mod resumable;
mod s3;
mod s3_error;
mod sdk;
pub mod setup;
mod staging;
mod stream;

pub use config::{S3Config, StorageConfig};
pub use error::BlobError;
pub use file_io::read_stream;
pub use key::{BlobKey, KeyError, keys};
pub use object::{BlobMeta, BlobRead, BlobStore, ByteRange, FileCheck, MAX_SINGLE_PUT, Resumable};
pub use parts::{MultipartId, PartNumber, PartReceipt, PartStore};
pub use presign::{Presign, PresignOp, PresignRequest};
pub use staging::{StagingFile, StagingStore};
pub use stream::ByteStream;

use std::sync::Arc;

/// Opens the store described by `config`. Nothing is sent over the network here; use
/// [`BlobStore::probe`] to find out whether the store is reachable and accepts our keys.
pub fn open(config: &StorageConfig) -> Result<Arc<dyn BlobStore>, BlobError> {
    Ok(match config {
        StorageConfig::Local { root } => Arc::new(local::LocalStore::open(root)?),
        StorageConfig::S3(s3) => Arc::new(s3::S3Store::open(s3)?),
        StorageConfig::Memory => Arc::new(memory::MemoryStore::new()),
    })
}
