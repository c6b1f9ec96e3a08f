//! The memory set aside for decoding pictures, shared by every job of the process: what a
//! decode may cost, and the reason one that could never fit is refused.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// Memory for images being processed across all jobs of this process, in MiB (file bytes
/// and decoded pixels). A job waits until its estimate fits, so a batch of 45 MP photos
/// cannot exhaust memory whatever the job concurrency.
pub const PIXEL_BUDGET_MIB: u32 = 384;

/// What decoding a picture may cost in MiB: the file's bytes, plus decoded RGB and the
/// resizer's buffers (about three bytes per pixel, three times); `None` when that is more
/// than the whole budget, which no waiting would ever make fit.
pub fn decode_cost_mib(file_bytes: u64, pixels: u64) -> Option<u32> {
    let mib = (file_bytes + pixels * 9).div_ceil(1024 * 1024).max(1);
    (mib <= u64::from(PIXEL_BUDGET_MIB)).then_some(mib as u32)
}

/// The reason a picture too costly to decode is refused.
pub fn over_budget(file_bytes: u64, pixels: u64) -> String {
    format!(
        "decoding this picture would take about {} MiB, more than the {PIXEL_BUDGET_MIB} MiB set aside for pictures",
        (file_bytes + pixels * 9).div_ceil(1024 * 1024)
    )
}

/// The semaphore of [`PIXEL_BUDGET_MIB`] permits that every decode in this process shares.
pub fn new_budget() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(PIXEL_BUDGET_MIB as usize))
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    #[test]
    fn a_decode_larger_than_the_whole_budget_is_refused_not_squeezed_in() {
        assert_eq!(decode_cost_mib(30 << 20, 24_000_000), Some(236));
        assert_eq!(decode_cost_mib(1 << 20, 100_000_000), None, "a 100 MP progressive JPEG");
        assert!(over_budget(1 << 20, 100_000_000).contains("384 MiB"));
        assert_eq!(decode_cost_mib(10, 0), Some(1));
    }
}
