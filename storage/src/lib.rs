//! Object storage for Relais.
//!
//! One object-safe trait, [`BlobStore`], in domain words (put, read a range, multipart
//! begin / part / finish / abort, presign), with three backends: a local directory, any
//! S3-compatible service and memory (tests). The key layout lives here and nowhere else.
//! This crate knows nothing of HTTP handlers or of the metadata database.

#![deny(clippy::unwrap_used)]

mod config;
mod error;
mod file_io;
mod key;
mod local;
mod memory;
pub mod resumable;
mod s3;
#[cfg(feature = "setup")]
pub mod setup;
mod store;

pub use config::{S3Config, StorageConfig};
pub use error::BlobError;
pub use file_io::read_stream;
pub use key::{BlobKey, KeyError, keys};
pub use store::{
    BlobMeta, BlobRead, BlobStore, ByteRange, ByteStream, FileCheck, MAX_SINGLE_PUT, MultipartId, PartNumber,
    PartReceipt, PresignOp, PresignRequest, StagingFile, StagingKind,
};

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
