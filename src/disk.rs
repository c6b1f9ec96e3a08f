//! How full the local disk holding the objects is: for the studio's storage overview and
//! for refusing uploads while a reserve is still free (a disk that fills up to the last
//! byte takes the database's writes down with it).

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    pub total: u64,
    /// What an unprivileged process may still write.
    pub free: u64,
}

impl Space {
    /// Used, in whole percent of the total.
    pub fn percent_used(&self) -> u64 {
        (self.total.saturating_sub(self.free) * 100)
            .checked_div(self.total)
            .unwrap_or(0)
    }
}

/// The filesystem holding `path`, or `None` where it cannot be asked.
pub fn space(path: &Path) -> Option<Space> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: an all-zero statvfs is a valid value for the call to fill.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is a NUL-terminated string that outlives the call, and `stats` is a
    // valid, writable statvfs.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stats) };
    if rc != 0 {
        return None;
    }
    let unit = stats.f_frsize as u64;
    Some(Space {
        total: stats.f_blocks as u64 * unit,
        free: stats.f_bavail as u64 * unit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_disk_of_a_temporary_folder_has_room_and_a_size() {
        let dir = std::env::temp_dir();
        let s = space(&dir).expect("statvfs");
        assert!(s.total > 0 && s.free <= s.total, "{s:?}");
        assert!(s.percent_used() <= 100);
        assert_eq!(space(Path::new("/no/such/place/at/all")), None);
    }
}
