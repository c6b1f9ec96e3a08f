//! What a source is (ffprobe's account of it) and how its web copy is made: remuxed when
//! every browser plays it already, transcoded otherwise.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use super::MAX_EDGE;
use crate::media::video::{INPUT_GUARDS, ffmpeg_version};

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
                tone_map: video.is_hdr() && crate::media::video::tone_mapping(),
            })
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::web_copy::{Settings, arguments};

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
