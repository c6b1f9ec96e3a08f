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

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

mod job;

pub use job::{MakeWebCopy, queue};

use super::video::{INPUT_GUARDS, ffmpeg_version};

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

/// How a web copy is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The source's streams are copied as they are into a fast-start MP4.
    Remux,
    /// Re-encoded: H.264 High at `crf`, scaled down when larger than `MAX_EDGE`, and
    /// tone-mapped to SDR when the source is HDR (and ffmpeg can).
    Transcode { scale: bool, tone_map: bool },
}

/// What ffprobe says of a source.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    pub video: Option<VideoStream>,
    /// The first audio stream's codec, if any.
    pub audio: Option<String>,
    pub duration_ms: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct VideoStream {
    pub codec: String,
    pub profile: Option<String>,
    pub pix_fmt: Option<String>,
    pub width: u32,
    pub height: u32,
    /// The transfer characteristic (`bt709`, `arib-std-b67` for HLG, `smpte2084` for PQ).
    pub transfer: Option<String>,
}

impl VideoStream {
    /// HLG or PQ: pictures meant for an HDR screen, grey and flat when shown as SDR.
    pub fn is_hdr(&self) -> bool {
        matches!(self.transfer.as_deref(), Some("arib-std-b67" | "smpte2084"))
    }
}

impl Probe {
    fn parse(json: &[u8]) -> Option<Self> {
        let v: serde_json::Value = serde_json::from_slice(json).ok()?;
        let streams = v["streams"].as_array()?;
        let video = streams
            .iter()
            .find(|s| s["codec_type"] == "video" && s["disposition"]["attached_pic"] != 1)
            .map(|s| VideoStream {
                codec: s["codec_name"].as_str().unwrap_or_default().to_owned(),
                profile: s["profile"].as_str().map(str::to_owned),
                pix_fmt: s["pix_fmt"].as_str().map(str::to_owned),
                width: s["width"].as_u64().unwrap_or(0) as u32,
                height: s["height"].as_u64().unwrap_or(0) as u32,
                transfer: s["color_transfer"].as_str().map(str::to_owned),
            });
        let audio = streams
            .iter()
            .find(|s| s["codec_type"] == "audio")
            .map(|s| s["codec_name"].as_str().unwrap_or_default().to_owned());
        let duration_ms = v["format"]["duration"]
            .as_str()
            .and_then(|d| d.parse::<f64>().ok())
            .filter(|d| d.is_finite() && *d >= 0.0)
            .map(|d| (d * 1000.0).round() as i64);
        Some(Self {
            video,
            audio,
            duration_ms,
        })
    }

    /// Remux when every browser already plays the streams; otherwise transcode. `None`:
    /// no picture to make a copy of.
    pub fn plan(&self) -> Option<Plan> {
        let video = self.video.as_ref()?;
        if video.width == 0 || video.height == 0 {
            return None;
        }
        let fits = video.width.max(video.height) <= MAX_EDGE;
        let h264_420 = video.codec == "h264"
            && matches!(video.pix_fmt.as_deref(), Some("yuv420p" | "yuvj420p"))
            && !video
                .profile
                .as_deref()
                .is_some_and(|p| p.contains("10") || p.contains("4:2:2") || p.contains("4:4:4"));
        let sound_plays = self.audio.as_deref().is_none_or(|a| a == "aac");
        if fits && h264_420 && sound_plays && !video.is_hdr() {
            Some(Plan::Remux)
        } else {
            Some(Plan::Transcode {
                scale: !fits,
                tone_map: video.is_hdr() && super::video::tone_mapping(),
            })
        }
    }
}

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
                filters.push(super::video::TONE_MAP.to_owned());
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

/// ffprobe's account of the local file `source`.
pub async fn probe(source: &str) -> Option<Probe> {
    ffmpeg_version()?;
    let mut command = Command::new("ffprobe");
    command
        .args(INPUT_GUARDS)
        .args(["-v", "error", "-show_streams", "-show_format", "-of", "json", source])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .ok()?
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Probe::parse(&out.stdout)
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

    fn probe(codec: &str, pix: &str, w: u32, h: u32, audio: Option<&str>) -> Probe {
        Probe {
            video: Some(VideoStream {
                codec: codec.into(),
                profile: Some("High".into()),
                pix_fmt: Some(pix.into()),
                width: w,
                height: h,
                transfer: Some("bt709".into()),
            }),
            audio: audio.map(str::to_owned),
            duration_ms: Some(1000),
        }
    }

    #[test]
    fn what_browsers_play_is_remuxed_and_the_rest_transcoded() {
        assert_eq!(
            probe("h264", "yuv420p", 1920, 1080, Some("aac")).plan(),
            Some(Plan::Remux)
        );
        assert_eq!(probe("h264", "yuv420p", 1080, 1920, None).plan(), Some(Plan::Remux));
        assert_eq!(
            probe("hevc", "yuv420p", 1920, 1080, Some("aac")).plan(),
            Some(Plan::Transcode {
                scale: false,
                tone_map: false
            })
        );
        assert_eq!(
            probe("h264", "yuv420p", 1920, 1080, Some("pcm_s16le")).plan(),
            Some(Plan::Transcode {
                scale: false,
                tone_map: false
            })
        );
        assert_eq!(
            probe("h264", "yuv420p", 3840, 2160, Some("aac")).plan(),
            Some(Plan::Transcode {
                scale: true,
                tone_map: false
            })
        );
        assert_eq!(
            probe("prores", "yuv422p10le", 1920, 1080, None).plan(),
            Some(Plan::Transcode {
                scale: false,
                tone_map: false
            })
        );
        assert_eq!(
            probe("h264", "yuv422p", 1280, 720, Some("aac")).plan(),
            Some(Plan::Transcode {
                scale: false,
                tone_map: false
            })
        );
        assert_eq!(Probe::default().plan(), None);
    }

    #[test]
    fn hdr_films_are_transcoded_and_tone_mapped_even_when_their_codec_fits() {
        for transfer in ["arib-std-b67", "smpte2084"] {
            let mut hdr = probe("h264", "yuv420p", 1920, 1080, Some("aac"));
            if let Some(v) = hdr.video.as_mut() {
                v.transfer = Some(transfer.into());
            }
            let tone_map = crate::media::video::tone_mapping();
            assert_eq!(hdr.plan(), Some(Plan::Transcode { scale: false, tone_map }));
            let args = arguments(
                &Plan::Transcode {
                    scale: true,
                    tone_map: true,
                },
                &Settings::default(),
                "/in.mov",
                "/out.mp4",
            )
            .join(" ");
            let scaled = args.find("scale=w=").expect("scaled");
            let mapped = args.find("tonemap=").expect("tone-mapped");
            assert!(scaled < mapped, "the smaller picture is tone-mapped: {args}");
            assert!(args.contains("-color_trc bt709"), "{args}");
        }
        let sdr = arguments(
            &Plan::Transcode {
                scale: false,
                tone_map: false,
            },
            &Settings::default(),
            "/in.mov",
            "/out.mp4",
        )
        .join(" ");
        assert!(!sdr.contains("-vf") && !sdr.contains("tonemap"), "{sdr}");
    }

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

    #[test]
    fn ffprobes_json_is_read() {
        let json = br#"{"streams":[{"codec_type":"video","codec_name":"hevc","profile":"Main","pix_fmt":"yuv420p","width":3840,"height":2160,"disposition":{"attached_pic":0}},{"codec_type":"audio","codec_name":"pcm_s16le"}],"format":{"duration":"61.5"}}"#;
        let p = Probe::parse(json).expect("parsed");
        assert_eq!(p.video.as_ref().map(|v| (v.width, v.height)), Some((3840, 2160)));
        assert_eq!(p.audio.as_deref(), Some("pcm_s16le"));
        assert_eq!(p.duration_ms, Some(61_500));
        assert_eq!(
            p.plan(),
            Some(Plan::Transcode {
                scale: true,
                tone_map: false
            })
        );
    }
}
