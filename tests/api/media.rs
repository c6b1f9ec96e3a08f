//! The media pipeline on real pictures made here (no binary fixtures): a 24 MP JPEG, a
//! progressive one, a PNG with transparency, a JPEG turned by EXIF with GPS tags, a broken
//! JPEG and a document.

use reqwest::Method;

use crate::helpers::tus::{Tus, pattern};
use crate::helpers::{TestApp, spawn_app};

/// A JPEG of `w`×`h`: left half red, right half blue, with optional APP1 (EXIF) bytes.
pub(crate) fn jpeg(w: u16, h: u16, progressive: bool, exif: Option<&[u8]>) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
    for _ in 0..h {
        for x in 0..w {
            pixels.extend_from_slice(if x < w / 2 { &[220, 30, 30] } else { &[30, 30, 220] });
        }
    }
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 85);
    encoder.set_progressive(progressive);
    if let Some(data) = exif {
        encoder.add_app_segment(1, data.to_vec()).expect("app1");
    }
    encoder
        .encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    out
}

/// EXIF with Orientation 6 (turned right) and a GPS IFD holding a latitude reference.
fn exif_turned_right_with_gps() -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"Exif\0\0");
    t.extend_from_slice(b"II*\0");
    t.extend_from_slice(&8u32.to_le_bytes());
    // IFD0 at 8: two entries.
    t.extend_from_slice(&2u16.to_le_bytes());
    // Orientation, SHORT, 1, value 6.
    t.extend_from_slice(&0x0112u16.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&6u16.to_le_bytes());
    t.extend_from_slice(&0u16.to_le_bytes());
    // GPSInfo pointer, LONG, 1, offset 38.
    t.extend_from_slice(&0x8825u16.to_le_bytes());
    t.extend_from_slice(&4u16.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&38u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD at 38 (TIFF offsets count from "II"): GPSLatitudeRef = "N".
    t.extend_from_slice(&1u16.to_le_bytes());
    t.extend_from_slice(&0x0001u16.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    t.extend_from_slice(&2u32.to_le_bytes());
    t.extend_from_slice(b"N\0\0\0");
    t.extend_from_slice(&0u32.to_le_bytes());
    t
}

fn png_with_alpha(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            image::Rgba([0, 160, 0, 255])
        } else {
            image::Rgba([0, 0, 0, 0])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

async fn process(app: &TestApp) {
    app.run_jobs().await;
}

async fn file_named(tus: &Tus<'_>, name: &str) -> serde_json::Value {
    tus.all_files()
        .await
        .into_iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("{name} listed"))
}

async fn fetch(tus: &Tus<'_>, url: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let response = tus.request(Method::GET, url).send().await.expect("get");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn a_24_megapixel_photo_gets_three_sizes_in_jpeg_and_webp() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let original = jpeg(6000, 4000, false, None);
    anne.upload("IMG_0001.jpg", &original, None).await;
    process(&app).await;

    let file = file_named(&anne, "IMG_0001.jpg").await;
    assert_eq!(file["status"], "ready", "{file}");
    assert_eq!(
        (file["width"].as_u64(), file["height"].as_u64()),
        (Some(6000), Some(4000))
    );
    for (name, w, h) in [("large", 2400, 1600), ("medium", 1200, 800), ("thumb", 400, 267)] {
        let v = &file["variants"][name];
        assert_eq!(
            (v["width"].as_u64(), v["height"].as_u64()),
            (Some(w), Some(h)),
            "{name}"
        );
        let (status, headers, body) = fetch(&anne, v["url"].as_str().expect("url")).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "image/jpeg");
        assert!(headers["cache-control"].to_str().expect("ascii").contains("immutable"));
        let decoded = image::load_from_memory(&body).expect("a JPEG");
        assert_eq!((decoded.width(), decoded.height()), (w as u32, h as u32));
        let (status, headers, body) = fetch(&anne, v["webp"].as_str().expect("webp url")).await;
        assert_eq!(
            (status, headers["content-type"].to_str().expect("ascii")),
            (200, "image/webp")
        );
        assert_eq!(&body[8..12], b"WEBP");
    }
    // The original is untouched, byte for byte.
    let id = file["id"].as_str().expect("id");
    let (_, _, body) = fetch(&anne, &format!("/api/v1/files/{id}/content")).await;
    assert!(body == original);
}

#[tokio::test]
async fn exif_orientation_is_applied_and_no_metadata_reaches_a_variant() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let original = jpeg(600, 400, true, Some(&exif_turned_right_with_gps()));
    anne.upload("portrait.jpg", &original, None).await;
    process(&app).await;

    let file = file_named(&anne, "portrait.jpg").await;
    assert_eq!(file["status"], "ready", "{file}");
    // Shot turned right: 600×400 on the sensor is a 400×600 portrait.
    assert_eq!(
        (file["width"].as_u64(), file["height"].as_u64()),
        (Some(400), Some(600))
    );
    let thumb = &file["variants"]["thumb"];
    assert_eq!(
        (thumb["width"].as_u64(), thumb["height"].as_u64()),
        (Some(267), Some(400))
    );
    for url in [
        thumb["url"].as_str().expect("url"),
        file["variants"]["large"]["url"].as_str().expect("url"),
    ] {
        let (_, _, body) = fetch(&anne, url).await;
        assert!(!body.windows(4).any(|w| w == b"Exif"), "no EXIF segment in a variant");
        let img = image::load_from_memory(&body).expect("decodes").to_rgb8();
        // The sensor's left (red) is now the top; its right (blue) the bottom.
        let (w, h) = img.dimensions();
        let top = img.get_pixel(w / 2, 5);
        let bottom = img.get_pixel(w / 2, h - 5);
        assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
        assert!(bottom[2] > 150 && bottom[0] < 100, "bottom is blue: {bottom:?}");
    }
    // The original keeps its EXIF: it is the photographer's file.
    let id = file["id"].as_str().expect("id");
    let (_, _, body) = fetch(&anne, &format!("/api/v1/files/{id}/content")).await;
    assert!(body == original);
}

#[tokio::test]
async fn transparency_broken_files_and_documents_are_handled_without_errors() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let (bob, _) = Tus::client(&app, "bob@example.fr").await;
    anne.upload("logo.png", &png_with_alpha(800, 300), None).await;
    let mut broken = jpeg(300, 200, false, None);
    broken.truncate(200);
    broken.extend_from_slice(&pattern(500, 3));
    anne.upload("abîmée.jpg", &broken, None).await;
    anne.upload("contrat.pdf", b"%PDF-1.7 not much of a document", None)
        .await;
    anne.upload("DSC_0042.NEF", &pattern(4000, 8), None).await;
    process(&app).await;

    let logo = file_named(&anne, "logo.png").await;
    assert_eq!(logo["status"], "ready");
    assert_eq!(logo["variants"]["thumb"]["width"].as_u64(), Some(400));
    let (_, _, body) = fetch(&anne, logo["variants"]["thumb"]["url"].as_str().expect("url")).await;
    let thumb = image::load_from_memory(&body).expect("decodes").to_rgb8();
    let right = thumb.get_pixel(350, 75);
    assert!(right.0.iter().all(|c| *c > 240), "transparency is white: {right:?}");

    let bad = file_named(&anne, "abîmée.jpg").await;
    assert_eq!(bad["status"], "failed");
    assert!(bad["failure"].as_str().is_some_and(|r| r.contains("decode")), "{bad}");
    // A photo Relais cannot read is still the client's file: it downloads.
    let id = bad["id"].as_str().expect("id");
    assert_eq!(fetch(&anne, &format!("/api/v1/files/{id}/content")).await.0, 200);
    // The studio may have it tried again; it fails again, for the same reason.
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let retry = studio
        .call(Method::POST, &format!("/api/v1/files/{id}/process"), None)
        .await;
    assert_eq!(retry.status, 202);
    process(&app).await;
    assert_eq!(file_named(&anne, "abîmée.jpg").await["status"], "failed");

    for name in ["contrat.pdf", "DSC_0042.NEF"] {
        let f = file_named(&anne, name).await;
        assert_eq!(
            (f["status"].as_str(), f["variants"].as_object().map(|m| m.len())),
            (Some("ready"), Some(0)),
            "{name}"
        );
    }

    // Variants are the file's: another client gets 404, and so does a wrong name.
    let url = logo["variants"]["thumb"]["url"].as_str().expect("url");
    assert_eq!(fetch(&bob, url).await.0, 404);
    let logo_id = logo["id"].as_str().expect("id");
    assert_eq!(
        fetch(&anne, &format!("/api/v1/files/{logo_id}/variants/huge")).await.0,
        404
    );
    // Without the generation tag the browser must revalidate; the ETag answers 304.
    let bare = format!("/api/v1/files/{logo_id}/variants/thumb");
    let (status, headers, _) = fetch(&anne, &bare).await;
    assert_eq!(
        (status, headers["cache-control"].to_str().expect("ascii")),
        (200, "private, no-cache")
    );
    let again = anne
        .request(Method::GET, &bare)
        .header("if-none-match", headers["etag"].clone())
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), 304);
}

/// A one-color JPEG of 800×450.
pub(crate) fn poster(rgb: [u8; 3]) -> Vec<u8> {
    let pixels: Vec<u8> = std::iter::repeat_n(rgb, 800 * 450).flatten().collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&pixels, 800, 450, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    out
}

#[tokio::test]
async fn a_custom_video_poster_sticks_and_its_replacement_shows_everywhere_at_once() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (anne, anne_user) = Tus::client(&app, "anne@example.fr").await;
    let (bob, _) = Tus::client(&app, "bob@example.fr").await;
    let delivery = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(serde_json::json!({"title": "Film", "client": anne_user.id})),
        )
        .await;
    let delivery = delivery.body["id"].as_str().expect("id").to_owned();
    let path = studio
        .create(
            5000,
            &crate::helpers::tus::meta(&[
                ("filename", "film.mp4"),
                ("filetype", "video/mp4"),
                ("transfer", delivery.as_str()),
            ]),
        )
        .await;
    studio.send_all(&path, &pattern(5000, 4), 5000).await;
    studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{delivery}/publication"),
            Some(serde_json::json!({})),
        )
        .await;
    process(&app).await;
    let video = studio.files(&delivery).await.remove(0);
    let id = video["id"].as_str().expect("id").to_owned();
    let put = |who: &Tus<'_>, body: Vec<u8>| {
        who.request(Method::PUT, &format!("/api/v1/files/{id}/poster"))
            .header("content-type", "image/jpeg")
            .body(body)
            .send()
    };

    // The client who receives it, and anyone else, cannot change it.
    assert_eq!(put(&anne, poster([200, 0, 0])).await.expect("put").status(), 403);
    assert_eq!(put(&bob, poster([200, 0, 0])).await.expect("put").status(), 404);
    let not_image = put(&studio, b"not a picture".to_vec()).await.expect("put");
    assert_eq!(not_image.status(), 422);

    let first = put(&studio, poster([200, 0, 0])).await.expect("put");
    assert_eq!(first.status(), 200);
    let first: serde_json::Value = first.json().await.expect("json");
    let first_url = first["variants"]["large"]["url"].as_str().expect("url").to_owned();
    assert_eq!(first["variants"]["large"]["width"].as_u64(), Some(800));

    let second: serde_json::Value = put(&studio, poster([0, 0, 200]))
        .await
        .expect("put")
        .json()
        .await
        .expect("json");
    let second_url = second["variants"]["large"]["url"].as_str().expect("url").to_owned();
    assert_ne!(first_url, second_url, "a new poster is a new URL");

    // Everywhere: the file, the transfer, the client's view and the delivery page.
    for (who, path) in [
        (&studio, format!("/api/v1/files/{id}")),
        (&anne, format!("/api/v1/files/{id}")),
    ] {
        let shown = who.call(Method::GET, &path, None).await;
        assert_eq!(
            shown.body["variants"]["large"]["url"].as_str(),
            Some(second_url.as_str()),
            "{path}"
        );
    }
    assert_eq!(
        anne.files(&delivery).await[0]["variants"]["thumb"]["url"],
        second["variants"]["thumb"]["url"]
    );
    // The old URL, if a page still had it, revalidates and gets the new picture.
    let (status, headers, body) = fetch(&anne, &first_url).await;
    assert_eq!(
        (status, headers["cache-control"].to_str().expect("ascii")),
        (200, "private, no-cache")
    );
    let pixel = *image::load_from_memory(&body)
        .expect("jpeg")
        .to_rgb8()
        .get_pixel(400, 225);
    assert!(pixel[2] > 150 && pixel[0] < 60, "the new, blue poster: {pixel:?}");
    // The old objects are gone from storage.
    let old_tag = first_url.split("v=").nth(1).expect("tag").to_owned();
    let files = relais_storage::keys::derived(
        uuid::Uuid::parse_str(&id).expect("uuid"),
        &format!("large-{old_tag}.jpg"),
    )
    .expect("key");
    assert!(app.state.blobs.head(&files).await.is_err(), "replaced variant deleted");

    // The pipeline running again (a retry) keeps the custom poster.
    studio
        .call(Method::POST, &format!("/api/v1/files/{id}/process"), None)
        .await;
    process(&app).await;
    let after = studio.call(Method::GET, &format!("/api/v1/files/{id}"), None).await;
    assert_eq!(
        after.body["variants"]["large"]["url"].as_str(),
        Some(second_url.as_str())
    );
}

/// A file made by ffmpeg (installed by scripts/test.sh, as Debian's `ffmpeg`).
fn ffmpeg_make(dir: &std::path::Path, name: &str, args: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y"])
        .args(args)
        .arg(&out)
        .status()
        .expect("ffmpeg is installed (scripts/test.sh installs Debian's ffmpeg)");
    assert!(status.success(), "ffmpeg made {name}");
    std::fs::read(out).expect("made")
}

#[tokio::test]
async fn videos_get_an_automatic_poster_and_audio_its_duration_with_ffmpeg() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let dir = tempfile::tempdir().expect("dir");
    let video = ffmpeg_make(
        dir.path(),
        "clip.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x360:rate=25",
            "-t",
            "3",
            "-c:v",
            "mpeg4",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    let audio = ffmpeg_make(
        dir.path(),
        "la.wav",
        &["-f", "lavfi", "-i", "sine=frequency=440:duration=2"],
    );
    let meta = |name: &str, kind: &str| crate::helpers::tus::meta(&[("filename", name), ("filetype", kind)]);
    let path = anne
        .create(video.len() as u64, &meta("ouverture de bal.mp4", "video/mp4"))
        .await;
    anne.send_all(&path, &video, video.len()).await;
    let path = anne.create(audio.len() as u64, &meta("la.wav", "audio/wav")).await;
    anne.send_all(&path, &audio, audio.len()).await;
    process(&app).await;

    let clip = file_named(&anne, "ouverture de bal.mp4").await;
    assert_eq!(clip["status"], "ready", "{clip}");
    let ms = clip["duration_ms"].as_i64().expect("duration");
    assert!((2900..=3100).contains(&ms), "{ms}");
    let thumb = &clip["variants"]["thumb"];
    assert_eq!(
        (thumb["width"].as_u64(), thumb["height"].as_u64()),
        (Some(400), Some(225)),
        "{clip}"
    );
    let (status, _, body) = fetch(&anne, thumb["url"].as_str().expect("url")).await;
    assert_eq!(status, 200);
    assert_eq!(image::load_from_memory(&body).expect("jpeg").width(), 400);

    let sound = file_named(&anne, "la.wav").await;
    assert_eq!(sound["status"], "ready");
    let ms = sound["duration_ms"].as_i64().expect("duration");
    assert!((1950..=2050).contains(&ms), "{ms}");
    assert_eq!(sound["variants"].as_object().map(|m| m.len()), Some(0));
}

#[tokio::test]
async fn a_video_that_is_really_a_playlist_makes_ffmpeg_fetch_nothing() {
    // A canary on loopback: any connection to it is a request ffmpeg should never make.
    let canary = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("canary");
    let port = canary.local_addr().expect("addr").port();
    let knocks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = knocks.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = canary.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let playlist = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nhttp://127.0.0.1:{port}/segment.ts\n\
         #EXTINF:2.0,\nhttp://127.0.0.1:{port}/other.ts\n#EXT-X-ENDLIST\n"
    );
    let meta = crate::helpers::tus::meta(&[("filename", "film.mp4"), ("filetype", "video/mp4")]);
    let path = anne.create(playlist.len() as u64, &meta).await;
    anne.send_all(&path, playlist.as_bytes(), playlist.len()).await;
    process(&app).await;

    // On S3 the job works from a local copy, and on any storage ffmpeg may open the file
    // it was given and nothing else.
    let film = file_named(&anne, "film.mp4").await;
    assert_eq!(film["status"], "ready", "kept as it is: {film}");
    assert!(film["duration_ms"].is_null(), "{film}");
    assert_eq!(
        knocks.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "ffmpeg reached the network"
    );
    // Nothing is left in the scratch folder.
    let scratch = app.state.cfg.data_dir.join("tmp");
    let left = std::fs::read_dir(&scratch)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("media-"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(left, 0);
}

/// A PNG that announces `w` × `h` pixels in a few hundred bytes: its signature, its
/// header and a tiny compressed image (the header is all a bound needs to read).
pub(crate) fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test]
async fn a_picture_announcing_too_many_pixels_is_refused_before_it_is_decoded() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let bomb = png_bomb(16_000, 16_000);
    assert!(bomb.len() < 1024);
    anne.upload("bombe.png", &bomb, None).await;
    process(&app).await;
    let file = file_named(&anne, "bombe.png").await;
    assert_eq!(file["status"], "failed", "{file}");
    let reason = file["failure"].as_str().unwrap_or_default();
    assert!(
        reason.contains("16000 × 16000") && reason.contains("100 megapixels"),
        "{file}"
    );
    assert!(file["variants"].as_object().is_none_or(|v| v.is_empty()), "{file}");

    // A poster goes through the same bound.
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfers = studio.call(Method::GET, "/api/v1/transfers", None).await;
    assert_eq!(transfers.status, 200);
    let video = crate::helpers::tus::meta(&[("filename", "film.mp4"), ("filetype", "video/mp4")]);
    let path = anne.create(10, &video).await;
    anne.send_all(&path, b"0123456789", 10).await;
    let film = file_named(&anne, "film.mp4").await;
    let poster = anne
        .request(
            Method::PUT,
            &format!("/api/v1/files/{}/poster", film["id"].as_str().expect("id")),
        )
        .header("content-type", "image/png")
        .body(bomb)
        .send()
        .await
        .expect("put");
    assert_eq!(poster.status(), 422);
    let body: serde_json::Value = poster.json().await.expect("json");
    assert!(body.to_string().contains("megapixels"), "{body}");
}
