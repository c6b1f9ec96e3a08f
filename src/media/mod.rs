//! The media pipeline: once a file is stored, a job makes what the pages show of it (web
//! variants of photos), records its dimensions, and marks it `ready`, or `failed` with the
//! reason when a file that claims to be a picture does not decode. Files of other kinds
//! (RAW, HEIC, documents) are kept as they are and become `ready` without variants.

mod budget;
pub mod heif;
pub mod image;
mod jpeg;
mod process;
pub mod raw;
mod save;
mod scratch;
pub mod video;
pub mod web_copy;
mod webp;

use crate::db::{DbError, Tx};
use crate::domain::{FileId, Timestamp};

pub use budget::{PIXEL_BUDGET_MIB, decode_cost_mib, new_budget, over_budget};
pub use process::ProcessFile;
pub use save::{SaveError, save_variants};
pub(crate) use scratch::local_source;

pub const KIND: &str = "process_file";
const MAX_ATTEMPTS: i64 = 5;
/// Originals larger than this are not read into memory for variants; they stay as they
/// are (a 45 MP JPEG is ~30 MB; a huge PNG scan would cost more than it is worth).
const MAX_IMAGE_BYTES: u64 = 96 * 1024 * 1024;
const HEADER_BYTES: u64 = 128 * 1024;

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    file: FileId,
}

/// Queues the processing of a file, in the transaction that stores it.
pub async fn queue(tx: &mut Tx, file: FileId, now: Timestamp) -> Result<(), DbError> {
    crate::jobs::enqueue(&mut **tx, KIND, &Payload { file }, MAX_ATTEMPTS, now).await?;
    Ok(())
}
