//! Audio and video, through `ffmpeg`/`ffprobe` when they are on the PATH (checked once;
//! `relais check` reports it): the duration of both, and a poster frame for videos. Without
//! them, files are kept and played as they are, and custom posters still work.

use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::process::Command;

/// A tool that hangs on a strange file must not hold a job forever.
const TOOL_TIMEOUT: Duration = Duration::from_secs(120);

/// What ffmpeg and ffprobe may open: the local file they are given (and `pipe:` for their
/// output), nothing on the network; and only the containers a studio's media come in, so a
/// playlist or a concat list cannot name other inputs.
pub(super) const INPUT_GUARDS: [&str; 4] = [
    "-protocol_whitelist",
    "file,pipe",
    "-format_whitelist",
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpeg,mpegts,mp3,wav,flac,ogg,aac,asf,aiff,caf,w64",
];

/// HDR to SDR BT.709, for web copies and posters: to linear light (100 nits as SDR's
/// white), BT.709 primaries, highlights rolled off by the Möbius curve (which leaves what SDR
/// can show nearly as it was: HLG's reference white stays white, where Hable dims it to
/// grey), then BT.709's transfer and matrix in 8-bit 4:2:0.
pub const TONE_MAP: &str = "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,\
tonemap=tonemap=mobius:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p";

/// Whether this ffmpeg has the filters [`TONE_MAP`] needs (`zscale` comes with libzimg,
/// which Debian's ffmpeg has; a build without it squeezes HDR into SDR as it is).
pub fn tone_mapping() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        let Ok(out) = std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-filters"])
            .output()
        else {
            return false;
        };
        let listed = String::from_utf8_lossy(&out.stdout);
        let has = |name: &str| listed.lines().any(|l| l.split_whitespace().nth(1) == Some(name));
        let found = has("zscale") && has("tonemap");
        if !found {
            tracing::warn!("ffmpeg has no zscale/tonemap filter: HDR videos will look washed out");
        }
        found
    })
}

/// The first line of `ffmpeg -version`, or `None` when ffmpeg or ffprobe is missing.
pub fn ffmpeg_version() -> Option<&'static str> {
    static FOUND: OnceLock<Option<String>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let probe = std::process::Command::new("ffprobe").arg("-version").output();
            let ffmpeg = std::process::Command::new("ffmpeg").arg("-version").output();
            match (probe, ffmpeg) {
                (Ok(p), Ok(f)) if p.status.success() && f.status.success() => {
                    String::from_utf8_lossy(&f.stdout).lines().next().map(str::to_owned)
                }
                _ => None,
            }
        })
        .as_deref()
}

async fn run(command: &mut Command) -> Option<Vec<u8>> {
    command.stdin(Stdio::null()).stderr(Stdio::null()).kill_on_drop(true);
    let output = tokio::time::timeout(TOOL_TIMEOUT, command.output()).await.ok()?.ok()?;
    output.status.success().then_some(output.stdout)
}

/// How long the media in the local file `source` plays, in milliseconds.
pub async fn duration_ms(source: &str) -> Option<i64> {
    ffmpeg_version()?;
    let out = run(Command::new("ffprobe").args(INPUT_GUARDS).args([
        "-v",
        "error",
        "-show_entries",
        "format=duration",
        "-of",
        "default=noprint_wrappers=1:nokey=1",
        source,
    ]))
    .await?;
    let secs: f64 = String::from_utf8_lossy(&out).trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).round() as i64)
}

/// A JPEG of one frame: a second in (past fades from black), or the first frame of a
/// shorter clip; tone-mapped to SDR when `hdr` (and ffmpeg can).
pub async fn poster_frame(source: &str, hdr: bool) -> Option<Vec<u8>> {
    ffmpeg_version()?;
    let filter = (hdr && tone_mapping()).then_some(TONE_MAP);
    for at in ["1", "0"] {
        let frame = run(Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error"])
            .args(INPUT_GUARDS)
            .args(["-ss", at, "-i", source, "-frames:v", "1"])
            .args(filter.map(|f| ["-vf", f]).into_iter().flatten())
            .args(["-f", "image2pipe", "-vcodec", "mjpeg", "-q:v", "2", "pipe:1"]))
        .await;
        if let Some(bytes) = frame.filter(|b| !b.is_empty()) {
            return Some(bytes);
        }
    }
    None
}
