//! HEIC/HEIF photos (iPhones): decoded by libheif's `heif-convert` (Debian:
//! `libheif-examples`) into a JPEG that the photo pipeline then sizes like any other, when
//! the tool is installed (`relais check` says so). Debian's ffmpeg 5.1 cannot read HEIC's
//! tiled pictures, and linking libheif would tie the binary to a C library.
//!
//! The picture's size is read from its `ispe` box before anything is decoded; the tool
//! runs at a lowered priority, within a memory limit and a time limit, on a local file.

use std::path::Path;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::process::Command;

const TIME_LIMIT: Duration = Duration::from_secs(120);
const MEMORY_LIMIT: u64 = 2 << 30;

/// Whether the first bytes are an HEIF image file (its `ftyp` brand).
pub fn sniff(head: &[u8]) -> bool {
    head.len() >= 12
        && &head[4..8] == b"ftyp"
        && matches!(&head[8..12], b"heic" | b"heix" | b"heim" | b"heis" | b"mif1" | b"msf1")
}

/// The largest picture size the file declares (`ispe` boxes in its header).
pub fn dimensions(head: &[u8]) -> Option<(u32, u32)> {
    let mut best: Option<(u32, u32)> = None;
    for at in head
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"ispe")
        .map(|(i, _)| i)
    {
        let Some(b) = head.get(at + 8..at + 16) else { continue };
        let w = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let h = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
        if w > 0 && h > 0 && best.is_none_or(|(bw, bh)| u64::from(w) * u64::from(h) > u64::from(bw) * u64::from(bh)) {
            best = Some((w, h));
        }
    }
    best
}

/// `heif-convert`'s presence, checked once.
pub fn available() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        std::process::Command::new("heif-convert")
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    })
}

/// Decodes the local HEIF file `source` into a JPEG in the empty folder `dir` (quality
/// 92; libheif applies the picture's rotation and mirroring itself) and returns its path.
/// A file holding several pictures gives one JPEG each (`photo-1.jpg`, …): the first is
/// the one shown.
pub async fn to_jpeg(source: &str, dir: &Path) -> Result<std::path::PathBuf, String> {
    let out = dir.join("photo.jpg");
    decode(source, &out).await?;
    if out.exists() {
        return Ok(out);
    }
    let mut made: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    made.sort();
    made.into_iter()
        .next()
        .ok_or_else(|| "not an HEIC photo libheif can read: no picture in it".to_owned())
}

async fn decode(source: &str, out: &Path) -> Result<(), String> {
    let mut command = Command::new("heif-convert");
    command
        .args(["-q", "92", source])
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // SAFETY: between fork and exec only async-signal-safe calls are made.
    unsafe {
        command.pre_exec(|| {
            libc::setpriority(libc::PRIO_PROCESS, 0, 10);
            let limit = libc::rlimit {
                rlim_cur: MEMORY_LIMIT as libc::rlim_t,
                rlim_max: MEMORY_LIMIT as libc::rlim_t,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    let output = tokio::time::timeout(TIME_LIMIT, command.output())
        .await
        .map_err(|_| format!("heif-convert stopped after {} s", TIME_LIMIT.as_secs()))?
        .map_err(|e| format!("heif-convert: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        let why = String::from_utf8_lossy(&output.stderr);
        let last = why.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message");
        Err(format!(
            "not an HEIC photo libheif can read: {}",
            last.chars().take(200).collect::<String>()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_heif_header_is_recognised_and_its_size_read() {
        let mut head = vec![0, 0, 0, 24];
        head.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
        // ispe: size, type, version/flags, width, height (a thumbnail and the picture).
        for (w, h) in [(320u32, 240u32), (4032, 3024)] {
            head.extend_from_slice(&20u32.to_be_bytes());
            head.extend_from_slice(b"ispe\0\0\0\0");
            head.extend_from_slice(&w.to_be_bytes());
            head.extend_from_slice(&h.to_be_bytes());
        }
        assert!(sniff(&head));
        assert_eq!(dimensions(&head), Some((4032, 3024)));
        assert!(!sniff(b"\0\0\0\x18ftypisom\0\0\0\0"));
    }
}
