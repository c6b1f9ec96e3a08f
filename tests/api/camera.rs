//! Photos from phones and cameras: an HEIC made here with libheif's `heif-enc`, and camera
//! RAW files (a DNG turned by its orientation, a RAF, a CR3) built here around a JPEG
//! preview, get the same web variants as a JPEG, upright; a RAW without a usable preview
//! is ready as it is and says why.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::helpers::tus::Tus;
use crate::media::jpeg;

async fn delivery(app: &TestApp, studio: &Tus<'_>) -> String {
    let (_, user) = Tus::client(app, "anne@example.fr").await;
    let made = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(json!({"title": "Photos", "client": user.id})),
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

/// The `large` JPEG variant of a file, decoded.
async fn large(studio: &Tus<'_>, file: &Value) -> image::RgbImage {
    let url = file["variants"]["large"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("a large variant: {file}"));
    let bytes = studio
        .request(Method::GET, url)
        .send()
        .await
        .expect("variant")
        .bytes()
        .await
        .expect("bytes");
    image::load_from_memory(&bytes).expect("a JPEG").to_rgb8()
}

fn is_red(p: &image::Rgb<u8>) -> bool {
    p[0] > 150 && p[2] < 100
}

/// A little-endian TIFF RAW: IFD0 with `orientation` and a small thumbnail (0x0201/0x0202),
/// a SubIFD holding `preview` as a JPEG strip (compression 7), as a DNG keeps them.
fn dng(orientation: u16, preview: &[u8]) -> Vec<u8> {
    let thumb = jpeg(160, 120, false, None);
    let ifd0 = 8u32;
    let sub = ifd0 + 2 + 4 * 12 + 4;
    let thumb_at = sub + 2 + 3 * 12 + 4;
    let preview_at = thumb_at + thumb.len() as u32;
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&ifd0.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, value: u32| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    };
    t.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut t, 0x0112, 3, u32::from(orientation));
    entry(&mut t, 0x014A, 4, sub);
    entry(&mut t, 0x0201, 4, thumb_at);
    entry(&mut t, 0x0202, 4, thumb.len() as u32);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes());
    entry(&mut t, 0x0103, 3, 7);
    entry(&mut t, 0x0111, 4, preview_at);
    entry(&mut t, 0x0117, 4, preview.len() as u32);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&thumb);
    t.extend_from_slice(preview);
    // Some "sensor data" after it, as a real file has.
    t.extend_from_slice(&vec![0x5a; 200_000]);
    t
}

fn raf(preview: &[u8]) -> Vec<u8> {
    let mut f = b"FUJIFILMCCD-RAW 0201FF383501".to_vec();
    f.resize(84, 0);
    f.extend_from_slice(&256u32.to_be_bytes());
    f.extend_from_slice(&(preview.len() as u32).to_be_bytes());
    f.resize(256, 0);
    f.extend_from_slice(preview);
    f.extend_from_slice(&vec![0x33; 100_000]);
    f
}

fn cr3(preview: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&20u32.to_be_bytes());
    f.extend_from_slice(b"ftypcrx \0\0\0\x01crx ");
    let prvw_len = 8 + 16 + preview.len();
    let uuid_len = 8 + 16 + 8 + prvw_len;
    f.extend_from_slice(&(uuid_len as u32).to_be_bytes());
    f.extend_from_slice(b"uuid");
    f.extend_from_slice(&[
        0xea, 0xf4, 0x2b, 0x5e, 0x1c, 0x98, 0x4b, 0x88, 0xb9, 0xfb, 0xb7, 0xdc, 0x40, 0x6e, 0x4d, 0x16,
    ]);
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&(prvw_len as u32).to_be_bytes());
    f.extend_from_slice(b"PRVW");
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&1600u16.to_be_bytes());
    f.extend_from_slice(&1200u16.to_be_bytes());
    f.extend_from_slice(&[0; 2]);
    f.extend_from_slice(&(preview.len() as u32).to_be_bytes());
    f.extend_from_slice(preview);
    f
}

#[tokio::test]
async fn camera_raws_get_variants_from_their_preview_turned_upright() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = delivery(&app, &studio).await;
    // Left half red, right half blue; the RAW says "turned a quarter clockwise".
    let preview = jpeg(3000, 2000, false, None);
    studio.upload("DSC_0001.DNG", &dng(6, &preview), Some(&transfer)).await;
    studio
        .upload("DSCF0002.RAF", &raf(&jpeg(1200, 800, false, None)), Some(&transfer))
        .await;
    studio
        .upload("IMG_0003.CR3", &cr3(&jpeg(1600, 1200, false, None)), Some(&transfer))
        .await;
    // A NEF whose only image is the sensor's (no JPEG anywhere).
    let mut bare = b"II*\0\x08\0\0\0".to_vec();
    bare.extend_from_slice(&0u16.to_le_bytes());
    bare.extend_from_slice(&0u32.to_le_bytes());
    bare.extend_from_slice(&vec![0x11; 50_000]);
    studio.upload("DSC_0004.NEF", &bare, Some(&transfer)).await;
    app.run_jobs().await;

    let errors: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT kind, last_error FROM jobs WHERE last_error IS NOT NULL")
            .fetch_all(app.state.db.pool())
            .await
            .expect("jobs");
    assert!(errors.is_empty(), "{errors:?}");
    let dng = file_named(&studio, &transfer, "DSC_0001.DNG").await;
    assert_eq!(dng["status"], "ready", "{dng}");
    assert_eq!(
        (dng["width"].as_i64(), dng["height"].as_i64()),
        (Some(2000), Some(3000)),
        "upright"
    );
    let picture = large(&studio, &dng).await;
    assert_eq!(picture.dimensions(), (1600, 2400));
    // Turned a quarter clockwise, the red left half is now on top.
    assert!(is_red(picture.get_pixel(800, 300)) && !is_red(picture.get_pixel(800, 2100)));
    for size in ["thumb", "medium", "large"] {
        assert!(dng["variants"][size]["webp"].is_string(), "{size} in JPEG and WebP");
    }

    let raf = file_named(&studio, &transfer, "DSCF0002.RAF").await;
    assert_eq!(raf["status"], "ready");
    assert_eq!(large(&studio, &raf).await.dimensions(), (1200, 800), "never enlarged");
    let cr3 = file_named(&studio, &transfer, "IMG_0003.CR3").await;
    assert_eq!(cr3["status"], "ready");
    assert_eq!(large(&studio, &cr3).await.dimensions(), (1600, 1200));

    let nef = file_named(&studio, &transfer, "DSC_0004.NEF").await;
    assert_eq!(nef["status"], "ready", "kept as it is: {nef}");
    assert!(nef["variants"].as_object().is_none_or(|v| v.is_empty()));
    assert!(nef["failure"].as_str().expect("why").contains("no usable preview"));
}

#[tokio::test]
async fn heic_photos_get_the_same_variants_as_a_jpeg() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = delivery(&app, &studio).await;
    let dir = tempfile::tempdir().expect("dir");
    let png = dir.path().join("photo.png");
    let mut picture = image::RgbImage::new(3024, 4032);
    for (_, y, p) in picture.enumerate_pixels_mut() {
        *p = if y < 2016 {
            image::Rgb([220, 30, 30])
        } else {
            image::Rgb([30, 30, 220])
        };
    }
    picture.save(&png).expect("png");
    let heic = dir.path().join("IMG_1234.HEIC");
    let made = std::process::Command::new("heif-enc")
        .args(["-q", "60", "-o"])
        .arg(&heic)
        .arg(&png)
        .output()
        .expect("heif-enc runs (apt-get install libheif-examples)");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    studio
        .upload("IMG_1234.HEIC", &std::fs::read(&heic).expect("heic"), Some(&transfer))
        .await;
    // Two pictures in one file: the first is shown.
    let second = dir.path().join("other.png");
    image::RgbImage::from_pixel(400, 300, image::Rgb([30, 200, 30]))
        .save(&second)
        .expect("png");
    let first = dir.path().join("first.png");
    image::RgbImage::from_pixel(300, 400, image::Rgb([220, 30, 30]))
        .save(&first)
        .expect("png");
    let pair = dir.path().join("pair.heic");
    let made = std::process::Command::new("heif-enc")
        .args(["-q", "60", "-o"])
        .arg(&pair)
        .arg(&first)
        .arg(&second)
        .output()
        .expect("heif-enc runs");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    studio
        .upload("IMG_PAIR.HEIC", &std::fs::read(&pair).expect("heic"), Some(&transfer))
        .await;
    // Claims to be HEIC, is not one.
    let mut fake = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    fake.extend_from_slice(&[0x42; 5000]);
    studio.upload("IMG_9999.HEIC", &fake, Some(&transfer)).await;
    app.run_jobs().await;

    let file = file_named(&studio, &transfer, "IMG_1234.HEIC").await;
    assert_eq!(file["status"], "ready", "{file}");
    assert_eq!(
        (file["width"].as_i64(), file["height"].as_i64()),
        (Some(3024), Some(4032))
    );
    let large = large(&studio, &file).await;
    assert_eq!(large.dimensions(), (1800, 2400));
    assert!(
        is_red(large.get_pixel(900, 200)) && !is_red(large.get_pixel(900, 2200)),
        "upright"
    );
    for size in ["thumb", "medium", "large"] {
        assert!(file["variants"][size]["url"].is_string() && file["variants"][size]["webp"].is_string());
    }
    let pair = file_named(&studio, &transfer, "IMG_PAIR.HEIC").await;
    assert_eq!(pair["status"], "ready", "{pair}");
    assert_eq!(
        (pair["width"].as_i64(), pair["height"].as_i64()),
        (Some(300), Some(400))
    );
    // Nothing of the decoding is left in scratch.
    let scratch = app.state.cfg.data_dir.join("tmp");
    let left: Vec<_> = std::fs::read_dir(&scratch)
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    let fake = file_named(&studio, &transfer, "IMG_9999.HEIC").await;
    assert_eq!(fake["status"], "failed", "{fake}");
    assert!(fake["failure"].as_str().expect("why").contains("HEIC"));
}
