//! Allocator settings for a long-running service on glibc.
//!
//! glibc's malloc raises its mmap threshold each time a large block is freed, and gives
//! each thread that allocates its own arena. A server that allocates 1–2 MiB I/O buffers
//! per request, on whichever worker thread runs it, then keeps freed buffers in several
//! arenas: resident memory creeps up with the history of requests instead of following
//! the load (measured: a 5 GiB upload peaked 5 MiB above a 50 MiB one). Fixed thresholds
//! keep large buffers in their own mappings, returned to the system when freed, and a few
//! arenas are plenty for an I/O-bound service.

/// Applies the settings; call first thing in `main`, before other threads start.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn tune_allocator() {
    // Above the 256 KiB chunks that bodies and reads are cut into (cheap to recycle in an
    // arena), below the 1–2 MiB write buffers a request allocates once.
    const LARGE: libc::c_int = 512 * 1024;
    // SAFETY: mallopt only sets allocator parameters; it is called before any other
    // thread exists, as glibc recommends for these options.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 2 * LARGE);
        libc::mallopt(libc::M_ARENA_MAX, 4);
    }
}

/// Other allocators (musl, macOS) need no tuning.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune_allocator() {}
