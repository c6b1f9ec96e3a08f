//! Running ffmpeg for a web copy: its arguments, its time and size limits, and the process
//! itself at a lowered priority within a memory limit.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

use super::{LONGEST, LONGEST_FILM_MS, MAX_EDGE, MEMORY_LIMIT, NICENESS, Plan, THREADS};
use crate::media::video::{INPUT_GUARDS, ffmpeg_version};

/// The encoder's settings (`media.video_crf`, `media.video_preset`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub crf: u8,
    pub preset: String,
    /// Web copies made at once on this node.
    pub jobs: usize,
    /// A fixed time limit instead of the one that grows with the duration (for tests
    /// that check a copy over its limit is stopped).
    pub fixed_limit: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            crf: 23,
            preset: "veryfast".into(),
            jobs: 1,
            fixed_limit: None,
        }
    }
}

/// ffmpeg's arguments for `plan`, from the local file `source` to `out` (an `.mp4`).
pub fn arguments(plan: &Plan, settings: &Settings, source: &str, out: &str) -> Vec<String> {
    let mut args: Vec<String> = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    args.extend(INPUT_GUARDS.iter().map(|s| (*s).to_owned()));
    args.extend(["-i".into(), source.into()]);
    // The first picture and the first sound; no subtitles, data or cover art. Frames pass
    // as they are: a file whose timestamps leap hours ahead is not filled with copies.
    args.extend(
        [
            "-map",
            "0:v:0",
            "-map",
            "0:a:0?",
            "-sn",
            "-dn",
            "-map_metadata",
            "-1",
            "-fps_mode",
            "passthrough",
            "-threads",
            THREADS,
        ]
        .map(str::to_owned),
    );
    match plan {
        Plan::Remux => args.extend(["-c", "copy"].map(str::to_owned)),
        Plan::Transcode { scale, tone_map } => {
            let mut filters = Vec::new();
            if *scale {
                // The long edge to MAX_EDGE, the other to an even size keeping the shape;
                // first, so that tone mapping works on the smaller picture.
                filters.push(format!(
                    "scale=w='if(gte(iw,ih),min({MAX_EDGE},iw),-2)':h='if(gte(iw,ih),-2,min({MAX_EDGE},ih))'"
                ));
            }
            if *tone_map {
                filters.push(crate::media::video::TONE_MAP.to_owned());
            }
            if !filters.is_empty() {
                args.extend(["-vf".to_owned(), filters.join(",")]);
            }
            if *tone_map {
                // Said in the stream, so that players do not guess.
                args.extend(
                    [
                        "-color_primaries",
                        "bt709",
                        "-color_trc",
                        "bt709",
                        "-colorspace",
                        "bt709",
                    ]
                    .map(str::to_owned),
                );
            }
            args.extend(
                [
                    "-c:v",
                    "libx264",
                    "-profile:v",
                    "high",
                    "-pix_fmt",
                    "yuv420p",
                    "-preset",
                ]
                .map(str::to_owned),
            );
            args.push(settings.preset.clone());
            args.extend(["-crf".to_owned(), settings.crf.to_string()]);
            args.extend(["-c:a", "aac", "-b:a", "160k", "-ac", "2"].map(str::to_owned));
        }
    }
    args.extend(["-movflags", "+faststart", "-progress", "pipe:1", "-nostats"].map(str::to_owned));
    args.push(out.to_owned());
    args
}

/// How long a web copy may take: generous for a long film on a small machine, but a
/// stuck or hostile file is stopped.
pub fn time_limit(duration_ms: Option<i64>) -> Duration {
    let secs = duration_ms.unwrap_or(0).clamp(0, LONGEST_FILM_MS) as u64 / 1000;
    Duration::from_secs(300 + secs * 8).min(LONGEST)
}

/// The largest copy accepted for a source of `size` bytes (the output is capped: a
/// crafted file cannot fill the disk).
pub fn output_cap(size: u64) -> u64 {
    size.saturating_mul(3).saturating_add(64 << 20)
}

/// Why a copy could not be made, in the studio's words (ffmpeg's last line when it had one).
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("ffmpeg is not installed")]
    NoFfmpeg,
    #[error("not a video ffmpeg can read")]
    Unreadable,
    #[error("stopped after {0} s, the limit for this duration")]
    TooLong(u64),
    #[error("the file claims to play for more than 12 hours")]
    ImplausibleDuration,
    #[error("ffmpeg failed: {0}")]
    Failed(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Runs ffmpeg: lowered priority, limited memory, a time limit; `progress` gets the
/// fraction done (0..=1000) as ffmpeg reports it.
pub async fn run(
    plan: &Plan,
    settings: &Settings,
    source: &str,
    out: &Path,
    duration_ms: Option<i64>,
    mut progress: impl FnMut(i64) + Send,
) -> Result<(), CopyError> {
    if ffmpeg_version().is_none() {
        return Err(CopyError::NoFfmpeg);
    }
    if duration_ms.is_some_and(|d| d > LONGEST_FILM_MS) {
        return Err(CopyError::ImplausibleDuration);
    }
    let out_str = out.to_str().ok_or(CopyError::Unreadable)?;
    let source_size = std::fs::metadata(source).map(|m| m.len()).unwrap_or(0);
    let cap = output_cap(source_size);
    let mut args = arguments(plan, settings, source, out_str);
    // ffmpeg stops writing past the cap (the output file's name stays last).
    args.splice(args.len() - 1..args.len() - 1, ["-fs".to_owned(), cap.to_string()]);
    let mut command = Command::new("ffmpeg");
    command
        .args(args)
        // glibc's per-thread arenas would otherwise reserve address space by the GiB.
        .env("MALLOC_ARENA_MAX", "2")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // SAFETY: between fork and exec only async-signal-safe calls are made (setpriority,
    // setrlimit), touching no memory the parent shares.
    unsafe {
        command.pre_exec(move || {
            if libc::setpriority(libc::PRIO_PROCESS, 0, NICENESS) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            for (resource, value) in [(libc::RLIMIT_AS, MEMORY_LIMIT), (libc::RLIMIT_FSIZE, cap)] {
                let limit = libc::rlimit {
                    rlim_cur: value as libc::rlim_t,
                    rlim_max: value as libc::rlim_t,
                };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let limit = settings.fixed_limit.unwrap_or_else(|| time_limit(duration_ms));
    let mut child = command.spawn()?;
    let stdout = child.stdout.take().ok_or(CopyError::Unreadable)?;
    let mut stderr = child.stderr.take().ok_or(CopyError::Unreadable)?;
    let total_us = duration_ms.unwrap_or(0).clamp(0, LONGEST_FILM_MS) * 1000;
    // ffmpeg's messages are read as they come (a damaged file can print one per frame,
    // and a full pipe would stall it); only the last few kilobytes are kept.
    let messages = tokio::spawn(async move {
        let mut kept: Vec<u8> = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf).await {
            if n == 0 {
                break;
            }
            kept.extend_from_slice(&buf[..n]);
            if kept.len() > 8192 {
                kept.drain(..kept.len() - 4096);
            }
        }
        String::from_utf8_lossy(&kept).into_owned()
    });
    let work = async {
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            // `out_time_us=12345678` (microseconds of output made so far).
            if let Some(us) = line
                .strip_prefix("out_time_us=")
                .and_then(|v| v.trim().parse::<i64>().ok())
                && total_us > 0
            {
                progress((i128::from(us.max(0)) * 1000 / i128::from(total_us)).min(999) as i64);
            }
        }
        child.wait().await
    };
    let status = match tokio::time::timeout(limit, work).await {
        Ok(done) => done?,
        // Dropping the child kills it (`kill_on_drop`).
        Err(_) => return Err(CopyError::TooLong(limit.as_secs())),
    };
    let errors = messages.await.unwrap_or_default();
    if status.success() {
        progress(1000);
        Ok(())
    } else {
        let last: String = errors
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message")
            .chars()
            .take(300)
            .collect();
        // The server's paths stay on the server.
        let last = last.replace(source, "the video").replace(out_str, "the copy");
        Err(CopyError::Failed(last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_limit_grows_with_the_duration_up_to_a_ceiling() {
        assert_eq!(time_limit(None), Duration::from_secs(300));
        assert_eq!(time_limit(Some(60_000)), Duration::from_secs(780));
        // A few bytes claiming to play for days get four hours at most.
        assert_eq!(time_limit(Some(100 * 3600 * 1000)), LONGEST);
        assert_eq!(time_limit(Some(i64::MAX)), LONGEST);
        assert_eq!(output_cap(1000), 3000 + (64 << 20));
        assert_eq!(output_cap(u64::MAX), u64::MAX);
    }

    #[test]
    fn ffmpeg_only_opens_local_files_and_writes_a_fast_start_mp4() {
        let args = arguments(
            &Plan::Transcode {
                scale: true,
                tone_map: false,
            },
            &Settings::default(),
            "/in.mov",
            "/out.mp4",
        );
        let joined = args.join(" ");
        assert!(joined.contains("-protocol_whitelist file,pipe"));
        assert!(
            joined.contains("-fps_mode passthrough"),
            "no frames invented to fill a gap"
        );
        assert!(joined.contains("-movflags +faststart"));
        assert!(joined.contains("-c:v libx264 -profile:v high -pix_fmt yuv420p"));
        assert!(joined.contains("min(1920,iw)"));
        assert_eq!(args.last().map(String::as_str), Some("/out.mp4"));
        let remux = arguments(&Plan::Remux, &Settings::default(), "/in.mp4", "/out.mp4").join(" ");
        assert!(remux.contains("-c copy") && !remux.contains("libx264"));
    }
}
