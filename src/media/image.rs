//! Web variants of a photo: one decode, three sizes, JPEG and WebP, upright, no metadata.
//!
//! JPEGs are decoded at the smallest DCT scale (1/8 … 1) that still covers the largest
//! variant, which is most of the speed on 24–45 MP files; the three sizes are resized
//! from that one decode with `fast_image_resize` (SIMD Lanczos3), each from the previous
//! one. Rotation from EXIF is applied to the small outputs, not to the big input. The
//! encoders write pixels only, so nothing of the original's metadata (GPS included)
//! reaches a variant.

use std::io::Cursor;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use jpeg_decoder::PixelFormat;
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

/// The sizes, by long edge, largest first.
pub const SIZES: [(&str, u32); 3] = [("large", 2400), ("medium", 1200), ("thumb", 400)];
const JPEG_QUALITY: u8 = 80;
const WEBP_QUALITY: f32 = 75.0;
const WEBP_METHOD: i32 = 0;

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The bytes claim a format Relais reads but do not decode: a broken file.
    #[error("cannot decode the image: {0}")]
    Corrupt(String),
    #[error("cannot encode a variant: {0}")]
    Encode(String),
}

/// What kinds of bytes these are, from their first bytes (never from the name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Other,
    NotAnImage,
}

pub fn sniff(head: &[u8]) -> Kind {
    match head {
        [0xFF, 0xD8, 0xFF, ..] => Kind::Jpeg,
        [0x89, b'P', b'N', b'G', ..] => Kind::Other,
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Kind::Other,
        [b'G', b'I', b'F', b'8', ..] => Kind::Other,
        _ => Kind::NotAnImage,
    }
}

/// One encoded size.
pub struct Variant {
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
    pub webp: Vec<u8>,
}

/// The photo's upright dimensions and its variants.
pub struct Made {
    pub width: u32,
    pub height: u32,
    pub variants: Vec<Variant>,
}

/// An RGB picture in memory, in the file's own (not yet rotated) orientation.
struct Rgb {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

/// EXIF orientation 1–8 (1 when absent or unreadable).
fn orientation(bytes: &[u8]) -> u32 {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()
        .and_then(|e| {
            e.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
                .and_then(|f| f.value.get_uint(0))
        })
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1)
}

/// Decodes a JPEG at the smallest scale whose long edge still reaches `long_edge`; also
/// returns the full size.
fn decode_jpeg(bytes: &[u8], long_edge: u32) -> Result<(Rgb, (u32, u32)), ImageError> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let info = decoder.info().ok_or_else(|| ImageError::Corrupt("no header".into()))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    let long = w.max(h).max(1);
    let want = long_edge.min(long);
    // The decoder picks the smallest 1/8 step at least as large as asked.
    let (req_w, req_h) = (
        (u64::from(w) * u64::from(want)).div_ceil(u64::from(long)) as u16,
        (u64::from(h) * u64::from(want)).div_ceil(u64::from(long)) as u16,
    );
    let (sw, sh) = decoder
        .scale(req_w.max(1), req_h.max(1))
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let data = decoder.decode().map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let info = decoder.info().ok_or_else(|| ImageError::Corrupt("no header".into()))?;
    let pixels = match info.pixel_format {
        PixelFormat::RGB24 => data,
        PixelFormat::L8 => data.iter().flat_map(|&l| [l, l, l]).collect(),
        PixelFormat::L16 => data.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0]]).collect(),
        PixelFormat::CMYK32 => data
            .chunks_exact(4)
            .flat_map(|p| {
                // Adobe JPEGs store CMYK inverted; this is the usual approximation.
                let k = u16::from(p[3]);
                [p[0], p[1], p[2]].map(|c| ((u16::from(c) * k) / 255) as u8)
            })
            .collect(),
    };
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    if pixels.len() != (sw * sh * 3) as usize {
        return Err(ImageError::Corrupt("truncated image data".into()));
    }
    let picture = Rgb {
        width: sw,
        height: sh,
        pixels,
    };
    Ok((picture, (w, h)))
}

/// PNG, WebP, GIF: full decode, transparency flattened on white.
fn decode_other(bytes: &[u8]) -> Result<Rgb, ImageError> {
    let decoded = image::load_from_memory(bytes).map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let rgba = decoded.to_rgba8();
    let (width, height) = rgba.dimensions();
    let pixels = rgba
        .as_raw()
        .chunks_exact(4)
        .flat_map(|p| {
            let a = u16::from(p[3]);
            [p[0], p[1], p[2]].map(|c| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8)
        })
        .collect();
    Ok(Rgb { width, height, pixels })
}

fn resize(src: &Rgb, width: u32, height: u32, resizer: &mut Resizer) -> Result<Rgb, ImageError> {
    if (width, height) == (src.width, src.height) {
        return Ok(Rgb {
            width,
            height,
            pixels: src.pixels.clone(),
        });
    }
    let from = ImageRef::new(src.width, src.height, &src.pixels, PixelType::U8x3)
        .map_err(|e| ImageError::Encode(e.to_string()))?;
    let mut to = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    resizer
        .resize(&from, &mut to, &options)
        .map_err(|e| ImageError::Encode(e.to_string()))?;
    Ok(Rgb {
        width,
        height,
        pixels: to.into_vec(),
    })
}

/// Turns a picture the way EXIF says it should be shown.
fn orient(src: Rgb, orientation: u32) -> Rgb {
    if orientation == 1 {
        return src;
    }
    let (w, h) = (src.width as usize, src.height as usize);
    let swap = orientation >= 5;
    let (ow, oh) = if swap { (h, w) } else { (w, h) };
    let mut out = vec![0u8; src.pixels.len()];
    for y in 0..h {
        for x in 0..w {
            // Where the source pixel (x, y) lands in the upright picture.
            let (nx, ny) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (h - 1 - y, x),
                7 => (h - 1 - y, w - 1 - x),
                8 => (y, w - 1 - x),
                _ => (x, y),
            };
            let from = (y * w + x) * 3;
            let to = (ny * ow + nx) * 3;
            out[to..to + 3].copy_from_slice(&src.pixels[from..from + 3]);
        }
    }
    Rgb {
        width: ow as u32,
        height: oh as u32,
        pixels: out,
    }
}

fn encode_jpeg(img: &Rgb) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, JPEG_QUALITY);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder.set_progressive(true);
    let (w, h) = (
        u16::try_from(img.width).map_err(|_| ImageError::Encode("too wide".into()))?,
        u16::try_from(img.height).map_err(|_| ImageError::Encode("too tall".into()))?,
    );
    encoder
        .encode(&img.pixels, w, h, ColorType::Rgb)
        .map_err(|e| ImageError::Encode(e.to_string()))?;
    Ok(out)
}

fn encode_webp(img: &Rgb) -> Result<Vec<u8>, ImageError> {
    let mut config = webp::WebPConfig::new().map_err(|()| ImageError::Encode("webp config".into()))?;
    config.quality = WEBP_QUALITY;
    // libwebp's fastest method: most of the size of the default one for a third of its
    // CPU, which dominates a photo's processing otherwise.
    config.method = WEBP_METHOD;
    webp::Encoder::from_rgb(&img.pixels, img.width, img.height)
        .encode_advanced(&config)
        .map(|m| m.to_vec())
        .map_err(|e| ImageError::Encode(format!("webp: {e:?}")))
}

/// Dimensions of `(w, h)` scaled so the long edge is at most `edge` (never enlarged).
fn fit(w: u32, h: u32, edge: u32) -> (u32, u32) {
    let long = w.max(h);
    if long <= edge {
        return (w, h);
    }
    let scale = f64::from(edge) / f64::from(long);
    (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    )
}

/// The header's pixel count, to budget memory before decoding; `None` if unreadable.
pub fn pixels_hint(bytes: &[u8]) -> Option<u64> {
    if sniff(bytes) == Kind::Jpeg {
        let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
        decoder.read_info().ok()?;
        let info = decoder.info()?;
        let full = u64::from(info.width) * u64::from(info.height);
        // A baseline file is decoded at a reduced scale: at most what the largest variant
        // needs, ×4. A progressive one keeps every coefficient of the full picture.
        if info.coding_process == jpeg_decoder::CodingProcess::DctProgressive {
            return Some(full);
        }
        let cap = u64::from(SIZES[0].1) * u64::from(SIZES[0].1) * 4;
        return Some(full.min(cap));
    }
    let reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?;
    let (w, h) = reader.into_dimensions().ok()?;
    Some(u64::from(w) * u64::from(h))
}

/// Makes the three variants of an image.
pub fn make(bytes: &[u8]) -> Result<Made, ImageError> {
    let (decoded, (full_w, full_h)) = match sniff(bytes) {
        Kind::Jpeg => decode_jpeg(bytes, SIZES[0].1)?,
        Kind::Other => {
            let picture = decode_other(bytes)?;
            let size = (picture.width, picture.height);
            (picture, size)
        }
        Kind::NotAnImage => return Err(ImageError::Corrupt("not an image Relais can read".into())),
    };
    let turn = orientation(bytes);
    let mut resizer = Resizer::new();
    let mut variants = Vec::with_capacity(SIZES.len());
    let mut source = decoded;
    for (i, (name, edge)) in SIZES.into_iter().enumerate() {
        let (w, h) = fit(source.width, source.height, edge);
        let sized = resize(&source, w, h, &mut resizer)?;
        // Turned once, at the largest size; the smaller ones come from it already upright.
        let upright = if i == 0 { orient(sized, turn) } else { sized };
        variants.push(Variant {
            name,
            width: upright.width,
            height: upright.height,
            jpeg: encode_jpeg(&upright)?,
            webp: encode_webp(&upright)?,
        });
        // The next, smaller size is made from this one: less to read, same quality.
        source = upright;
    }
    let (width, height) = if turn >= 5 { (full_h, full_w) } else { (full_w, full_h) };
    Ok(Made {
        width,
        height,
        variants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_keeps_the_ratio_and_never_enlarges() {
        assert_eq!(fit(6000, 4000, 2400), (2400, 1600));
        assert_eq!(fit(4000, 6000, 400), (267, 400));
        assert_eq!(fit(300, 200, 400), (300, 200));
    }

    #[test]
    fn orientation_six_turns_the_picture_a_quarter_clockwise() {
        // EXIF 6: shown turned a quarter clockwise, so the stored top-left pixel ends at the
        // top-right. A 2×1 strip (red, green) becomes a 1×2 one, red on top.
        let src = Rgb {
            width: 2,
            height: 1,
            pixels: vec![255, 0, 0, 0, 255, 0],
        };
        let out = orient(src, 6);
        assert_eq!((out.width, out.height), (1, 2));
        assert_eq!(out.pixels, vec![255, 0, 0, 0, 255, 0]);
    }
}
