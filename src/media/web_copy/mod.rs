//! A video's web copy: an H.264 (High) + AAC MP4 with its index at the front and a long
//! edge of at most 1920 px, which every browser plays; the original stays untouched for
//! downloads. A source that already fits (H.264 in 4:2:0, AAC or no sound, ≤ 1920 px) is
//! remuxed in seconds; anything else (HEVC from phones, ProRes, DNxHR, VP9, PCM sound) is
//! transcoded. HDR films (HLG from phones, HDR10's PQ) are tone-mapped to SDR BT.709, so
//! they look as the filmmaker saw them instead of grey and washed out.
//!
//! ffmpeg runs as a job of its own kind: a bounded number at a time (`media.video_jobs`,
//! one per node by default), at a lowered priority and within a memory limit so that
//! uploads and pages keep their speed, within a time limit proportional to the duration,
//! on local files only (an S3 object is first copied to scratch, never handed as a URL).

use std::time::Duration;

mod ffmpeg;
mod job;
mod plan;

pub use ffmpeg::{CopyError, Settings, arguments, output_cap, run, time_limit};
pub use job::{MakeWebCopy, queue};
pub use plan::{Plan, Probe, VideoStream, probe};

pub const KIND: &str = "web_copy";
const MAX_ATTEMPTS: i64 = 2;
/// The long edge of a web copy.
pub const MAX_EDGE: u32 = 1920;
/// Address space ffmpeg may take: enough for a 4K HEVC decode and a 1080p encode with a
/// few threads, never the whole machine.
const MEMORY_LIMIT: u64 = 3 << 30;
/// How much lower than Relais ffmpeg runs (`nice`).
const NICENESS: i32 = 10;
/// The longest a copy may take, whatever duration a file claims.
const LONGEST: Duration = Duration::from_secs(4 * 3600);
/// A file claiming to play longer than this is not copied (a few bytes can claim days).
const LONGEST_FILM_MS: i64 = 12 * 3600 * 1000;
/// ffmpeg's threads: enough for two cores' worth of work, bounded address space.
const THREADS: &str = "4";
