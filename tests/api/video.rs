//! Videos' web copies, on real files made here with Debian's ffmpeg: an iPhone-like HEVC
//! `.mov` with PCM sound and a ProRes film are transcoded to H.264 High + AAC with the
//! index first; an H.264/AAC clip that already plays everywhere is remuxed; a 1440p clip
//! comes down to 1920 px; the page's player gets the copy and a download the original,
//! byte-exact. A file that only claims to be a video, a truncated one and one over the
//! time limit end `failed` with their reason, and the job runner goes on.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::helpers::tus::{Tus, sha256_hex};

/// A clip made by ffmpeg from its test sources: `seconds` long, `size` (`WxH`), with the
/// given codecs and container (by `out`'s extension).
fn clip(dir: &Path, name: &str, size: &str, seconds: u32, codecs: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={size}:rate=25"))
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t"])
        .arg(seconds.to_string())
        .args(codecs)
        .arg(&out)
        .status()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(status.success(), "ffmpeg made {name}");
    std::fs::read(&out).expect("clip")
}

/// ffprobe's streams and format of a local file, as JSON.
fn ffprobe(path: &Path) -> Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_streams", "-show_format", "-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

/// The MD5 of a file's video packets as stored (what a remux keeps and a transcode changes).
fn packets_md5(path: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-c", "copy", "-f", "md5", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The top-level boxes of an MP4, in order.
fn boxes(bytes: &[u8]) -> Vec<String> {
    let mut at = 0usize;
    let mut names = Vec::new();
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4")) as usize;
        names.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        if size < 8 {
            break;
        }
        at += size;
    }
    names
}

async fn delivery(app: &TestApp, studio: &Tus<'_>) -> String {
    let (_, user) = Tus::client(app, "anne@example.fr").await;
    let made = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(json!({"title": "Film", "client": user.id})),
        )
        .await;
    made.body["id"].as_str().expect("id").to_owned()
}

async fn file_named(studio: &Tus<'_>, transfer: &str, name: &str) -> Value {
    studio
        .files(transfer)
        .await
        .into_iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("{name} listed"))
}

/// The page's player's bytes of a file (`?play=1`), saved to `path`.
async fn played(studio: &Tus<'_>, id: &str, path: &Path) -> reqwest::header::HeaderMap {
    let answer = studio
        .request(Method::GET, &format!("/api/v1/files/{id}/content?play=1"))
        .send()
        .await
        .expect("play");
    assert_eq!(answer.status(), 200);
    let headers = answer.headers().clone();
    std::fs::write(path, answer.bytes().await.expect("bytes")).expect("write");
    headers
}

#[tokio::test]
async fn videos_get_a_web_copy_every_browser_plays_and_downloads_keep_the_original() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = delivery(&app, &studio).await;
    let dir = tempfile::tempdir().expect("dir");
    let hevc = clip(
        dir.path(),
        "IMG_0042.MOV",
        "1280x720",
        2,
        &[
            "-c:v",
            "libx265",
            "-x265-params",
            "log-level=error",
            "-tag:v",
            "hvc1",
            "-c:a",
            "pcm_s16le",
        ],
    );
    let prores = clip(
        dir.path(),
        "film.mov",
        "640x360",
        1,
        &["-c:v", "prores_ks", "-profile:v", "0", "-c:a", "pcm_s24le"],
    );
    let ready = clip(
        dir.path(),
        "web.mp4",
        "640x360",
        2,
        &[
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-movflags",
            "+faststart",
        ],
    );
    let big = clip(
        dir.path(),
        "drone.mp4",
        "2560x1440",
        1,
        &["-c:v", "libx264", "-preset", "ultrafast", "-an"],
    );
    for (name, data) in [
        ("IMG_0042.MOV", &hevc),
        ("film.mov", &prores),
        ("web.mp4", &ready),
        ("drone.mp4", &big),
    ] {
        studio.upload(name, data, Some(&transfer)).await;
    }
    app.run_jobs().await;
    let errors: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT kind, last_error FROM jobs WHERE last_error IS NOT NULL")
            .fetch_all(app.state.db.pool())
            .await
            .expect("jobs");
    assert!(errors.is_empty(), "{errors:?}");

    for (name, original, width, height, sound) in [
        ("IMG_0042.MOV", &hevc, 1280, 720, true),
        ("film.mov", &prores, 640, 360, true),
        ("web.mp4", &ready, 640, 360, true),
        ("drone.mp4", &big, 1920, 1080, false),
    ] {
        let file = file_named(&studio, &transfer, name).await;
        assert_eq!(file["web_copy"]["state"], "ready", "{name}: {file}");
        assert_eq!(
            (file["web_copy"]["width"].as_i64(), file["web_copy"]["height"].as_i64()),
            (Some(width), Some(height)),
            "{name}"
        );
        let id = file["id"].as_str().expect("id");
        let copy = dir.path().join(format!("{name}.web.mp4"));
        let headers = played(&studio, id, &copy).await;
        assert_eq!(headers["content-type"], "video/mp4", "{name}");
        assert_eq!(headers["accept-ranges"], "bytes");
        let probe = ffprobe(&copy);
        let streams = probe["streams"].as_array().expect("streams");
        let video = streams.iter().find(|s| s["codec_type"] == "video").expect("video");
        assert_eq!(video["codec_name"], "h264", "{name}");
        assert_eq!(video["pix_fmt"], "yuv420p", "{name}");
        assert_eq!(
            (video["width"].as_i64(), video["height"].as_i64()),
            (Some(width), Some(height)),
            "{name}"
        );
        let audio = streams.iter().find(|s| s["codec_type"] == "audio");
        assert_eq!(
            audio.map(|a| a["codec_name"].as_str()),
            sound.then_some(Some("aac")),
            "{name}"
        );
        let bytes = std::fs::read(&copy).expect("copy");
        let order = boxes(&bytes);
        let moov = order.iter().position(|b| b == "moov").expect("moov");
        let mdat = order.iter().position(|b| b == "mdat").expect("mdat");
        assert!(moov < mdat, "{name}: the index comes first ({order:?})");
        // A download is the original, untouched.
        let download = studio
            .request(Method::GET, &format!("/api/v1/files/{id}/content"))
            .send()
            .await
            .expect("download");
        let got = download.bytes().await.expect("bytes");
        assert_eq!(
            sha256_hex(&got),
            sha256_hex(original),
            "{name}: the original, byte-exact"
        );
    }
    // The H.264 + AAC clip was copied, not re-encoded: its picture is bit for bit the same.
    assert_eq!(
        packets_md5(&dir.path().join("web.mp4")),
        packets_md5(&dir.path().join("web.mp4.web.mp4")),
        "remuxed, not transcoded"
    );

    // The poster comes from the copy once made: the 1440p drone film's largest picture is
    // the copy's 1080p frame, not a 2400 px frame of the original.
    let drone = file_named(&studio, &transfer, "drone.mp4").await;
    assert_eq!(
        (
            drone["variants"]["large"]["width"].as_u64(),
            drone["variants"]["large"]["height"].as_u64()
        ),
        (Some(1920), Some(1080)),
        "{drone}"
    );

    // A video's pictures are its poster, not a web size of it.
    let poster_only = studio
        .request(
            Method::GET,
            &format!(
                "/api/v1/files/{}/content?size=web",
                file_named(&studio, &transfer, "film.mov").await["id"]
                    .as_str()
                    .expect("id")
            ),
        )
        .send()
        .await
        .expect("web size");
    assert_eq!(poster_only.status(), 409);

    // A guest who may only look plays the copy too (players are not downloads).
    let link = studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{transfer}/publication"),
            Some(json!({"notify": false})),
        )
        .await;
    assert_eq!(link.status, 200, "{}", link.body);
    let made = studio
        .call(
            Method::POST,
            &format!("/api/v1/transfers/{transfer}/links"),
            Some(json!({"kind": "view", "permissions": ["view"]})),
        )
        .await;
    let guest = Tus {
        app: &app,
        token: made.body["token"].as_str().expect("token").to_owned(),
    };
    let hevc_id = file_named(&studio, &transfer, "IMG_0042.MOV").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let plays = guest
        .request(Method::GET, &format!("/api/v1/files/{hevc_id}/content?play=1"))
        .send()
        .await
        .expect("play");
    assert_eq!(
        (plays.status().as_u16(), plays.headers()["content-type"].to_str().ok()),
        (200, Some("video/mp4"))
    );
    let takes = guest
        .request(Method::GET, &format!("/api/v1/files/{hevc_id}/content"))
        .send()
        .await
        .expect("download");
    assert_eq!(takes.status(), 403, "but does not download it");

    // The player seeks with ranges.
    let id = file_named(&studio, &transfer, "IMG_0042.MOV").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let part = studio
        .request(Method::GET, &format!("/api/v1/files/{id}/content?play=1"))
        .header("range", "bytes=100-199")
        .send()
        .await
        .expect("range");
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.expect("bytes").len(), 100);
}

/// A film of one flat grey (`rgb`, hex) coded as 10-bit HEVC with the HDR `transfer` (and
/// BT.2020 colours) an iPhone (HLG) or a cinema camera (PQ) writes.
fn hdr_grey(dir: &Path, name: &str, rgb: &str, transfer: &str) -> Vec<u8> {
    let out = dir.join(name);
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("color=c=0x{rgb}:size=640x360:rate=25,format=yuv420p10le"))
        .args(["-t", "1", "-c:v", "libx265", "-x265-params"])
        .arg(format!(
            "log-level=error:colorprim=bt2020:transfer={transfer}:colormatrix=bt2020nc"
        ))
        .args([
            "-color_primaries",
            "bt2020",
            "-color_trc",
            transfer,
            "-colorspace",
            "bt2020nc",
        ])
        .args(["-tag:v", "hvc1"])
        .arg(&out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg made {name}");
    std::fs::read(&out).expect("film")
}

/// The mean of a video's first frame as 8-bit RGB (0–255), as a browser would show it.
fn mean_brightness(path: &Path) -> f64 {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-vf", "format=rgb24", "-f", "rawvideo", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success() && !out.stdout.is_empty(), "decoded");
    out.stdout.iter().map(|b| f64::from(*b)).sum::<f64>() / out.stdout.len() as f64
}

#[tokio::test]
async fn hdr_films_are_tone_mapped_so_their_white_stays_white() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = delivery(&app, &studio).await;
    let dir = tempfile::tempdir().expect("dir");
    // HLG's reference white (75 % of the signal) and PQ's 100 nits: both SDR's white.
    // Squeezed into SDR as they are, they would show as greys of 191 and 130.
    let hlg = hdr_grey(dir.path(), "iphone-hlg.mov", "BFBFBF", "arib-std-b67");
    let pq = hdr_grey(dir.path(), "camera-pq.mov", "828282", "smpte2084");
    assert!((185.0..197.0).contains(&mean_brightness(&dir.path().join("iphone-hlg.mov"))));
    assert!((124.0..136.0).contains(&mean_brightness(&dir.path().join("camera-pq.mov"))));
    studio.upload("iphone-hlg.mov", &hlg, Some(&transfer)).await;
    studio.upload("camera-pq.mov", &pq, Some(&transfer)).await;
    app.run_jobs().await;

    for (name, at_least) in [("iphone-hlg.mov", 215.0), ("camera-pq.mov", 195.0)] {
        let file = file_named(&studio, &transfer, name).await;
        assert_eq!(file["web_copy"]["state"], "ready", "{name}: {file}");
        let id = file["id"].as_str().expect("id");
        let copy = dir.path().join(format!("{name}.web.mp4"));
        played(&studio, id, &copy).await;
        let probe = ffprobe(&copy);
        let video = probe["streams"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["codec_type"] == "video"))
            .expect("video")
            .clone();
        assert_eq!(
            (
                video["codec_name"].as_str(),
                video["pix_fmt"].as_str(),
                video["color_transfer"].as_str(),
                video["color_primaries"].as_str(),
                video["color_space"].as_str()
            ),
            (
                Some("h264"),
                Some("yuv420p"),
                Some("bt709"),
                Some("bt709"),
                Some("bt709")
            ),
            "{name}: SDR, and said so"
        );
        let shown = mean_brightness(&copy);
        assert!(shown >= at_least, "{name}: white stays white ({shown:.0})");
        // Its poster, taken from the copy, looks the same.
        let poster_url = file["variants"]["large"]["url"].as_str().expect("poster");
        let poster = studio
            .request(Method::GET, poster_url)
            .send()
            .await
            .expect("poster")
            .bytes()
            .await
            .expect("bytes");
        let rgb = image::load_from_memory(&poster).expect("jpeg").to_rgb8();
        let mean = rgb.as_raw().iter().map(|b| f64::from(*b)).sum::<f64>() / rgb.as_raw().len() as f64;
        assert!((mean - shown).abs() < 12.0, "{name}: poster {mean:.0}, film {shown:.0}");
    }
}

#[tokio::test]
async fn broken_videos_fail_with_their_reason_and_the_runner_goes_on() {
    let app = crate::helpers::spawn_app_with(|cfg| cfg.media.video.fixed_limit = Some(Duration::from_millis(1))).await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = delivery(&app, &studio).await;
    let dir = tempfile::tempdir().expect("dir");
    // Claims to be a video; is not one.
    studio
        .upload(
            "faux.mp4",
            b"this is not a video, whatever its name says",
            Some(&transfer),
        )
        .await;
    // Cut in half: its index (at the end of a plain .mov) is gone.
    let whole = clip(
        dir.path(),
        "coupe.mov",
        "640x360",
        2,
        &["-c:v", "libx264", "-c:a", "aac"],
    );
    studio
        .upload("coupe.mov", &whole[..whole.len() / 2], Some(&transfer))
        .await;
    // A real video, over the (test's) time limit.
    let slow = clip(
        dir.path(),
        "long.mov",
        "640x360",
        2,
        &[
            "-c:v",
            "libx265",
            "-x265-params",
            "log-level=error",
            "-c:a",
            "pcm_s16le",
        ],
    );
    studio.upload("long.mov", &slow, Some(&transfer)).await;
    app.run_jobs().await;

    for (name, reason) in [
        ("faux.mp4", "not a video"),
        ("coupe.mov", "not a video"),
        ("long.mov", "stopped after"),
    ] {
        let file = file_named(&studio, &transfer, name).await;
        assert_eq!(file["web_copy"]["state"], "failed", "{name}: {file}");
        let error = file["web_copy"]["error"].as_str().expect("a reason");
        assert!(error.contains(reason), "{name}: {error}");
    }
    // The files themselves are kept as stored.
    assert_eq!(file_named(&studio, &transfer, "faux.mp4").await["status"], "ready");
    // The original of the one over its limit still plays (as it is) and downloads.
    let id = file_named(&studio, &transfer, "long.mov").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let answer = studio
        .request(Method::GET, &format!("/api/v1/files/{id}/content?play=1"))
        .send()
        .await
        .expect("play");
    assert_eq!(sha256_hex(&answer.bytes().await.expect("bytes")), sha256_hex(&slow));

    // The studio asks again: queued for another try.
    let retried = studio
        .call(Method::POST, &format!("/api/v1/files/{id}/web-copy"), None)
        .await;
    assert_eq!(retried.status, 202, "{}", retried.body);
    assert_eq!(
        file_named(&studio, &transfer, "long.mov").await["web_copy"]["state"],
        "queued"
    );
    let not_video = file_named(&studio, &transfer, "faux.mp4").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let refused = studio
        .request(Method::POST, &format!("/api/v1/files/{not_video}/web-copy"))
        .send()
        .await
        .expect("post");
    assert_eq!(
        refused.status(),
        202,
        "a file named .mp4 may be retried; it fails again with its reason"
    );
}
