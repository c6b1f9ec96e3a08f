//! Web variants of a photo: one decode, three sizes, JPEG and WebP, upright, no metadata.
//!
//! JPEGs are decoded at the smallest DCT scale (1/8 … 1) that still covers the largest
//! variant, which is most of the speed on 24–45 MP files (libjpeg-turbo's code, see
//! [`super::jpeg`]), and their rows stream into the resizer (`fast_image_resize`, SIMD),
//! so the decoded picture is never whole in memory; each smaller size is resized from the
//! one before. Rotation from EXIF is applied to the largest output, not to the big input.
//! The encoders write pixels only, so nothing of the original's metadata (GPS included)
//! reaches a variant.

use std::io::Cursor;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::{jpeg, webp};

/// Whether libjpeg-turbo's SIMD code was built in (`nasm` found at build time, build.rs).
pub const SIMD: bool = cfg!(jpeg_simd);

/// The sizes, by long edge, largest first.
pub const SIZES: [(&str, u32); 3] = [("large", 2400), ("medium", 1200), ("thumb", 400)];

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The bytes claim a format Relais reads but do not decode: a broken file.
    #[error("cannot decode the image: {0}")]
    Corrupt(String),
    #[error("cannot encode a variant: {0}")]
    Encode(String),
    /// Refused from its header, before any pixel was decoded.
    #[error("the picture is {width} × {height} pixels, more than the {limit_mp} megapixels allowed")]
    TooManyPixels { width: u32, height: u32, limit_mp: u64 },
}

/// The largest picture decoded unless the configuration says otherwise (`media.max_megapixels`).
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

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

/// An RGB picture in memory (8 bits per channel, rows top to bottom, no padding).
pub(super) struct Rgb {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
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

/// PNG, WebP, GIF: full decode, transparency flattened on white.
fn decode_other(bytes: &[u8]) -> Result<Rgb, ImageError> {
    let decoded = image::load_from_memory(bytes).map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let (width, height) = (decoded.width(), decoded.height());
    // Converted by value: an RGB picture is not copied at all, and at most one other
    // full-size buffer ever exists beside the decoded one (the budget counts on it).
    let pixels = if decoded.color().has_alpha() {
        let rgba = decoded.into_rgba8().into_raw();
        let mut rgb = Vec::with_capacity(rgba.len() / 4 * 3);
        for p in rgba.chunks_exact(4) {
            // Transparency over white, as the picture would show on a page.
            let a = u16::from(p[3]);
            rgb.extend([p[0], p[1], p[2]].map(|c| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8));
        }
        rgb
    } else {
        decoded.into_rgb8().into_raw()
    };
    Ok(Rgb { width, height, pixels })
}

/// Lanczos3 for the big reductions (largest → medium → thumbnail), where its sharpness
/// shows.
const FILTER: FilterType = FilterType::Lanczos3;
/// Catmull-Rom for the first, mild one (a scaled decode is at most about 1.3× the largest
/// size): as sharp there, on two thirds of the taps. Its support (2) sizes the window.
const STREAM_FILTER: FilterType = FilterType::CatmullRom;
const STREAM_FILTER_SUPPORT: f64 = 2.0;
/// Output rows resized at a time while a JPEG streams in: the window of decoded rows
/// this needs (about 1.3 × 64 plus the filter's reach) stays in the CPU's cache.
const STRIP_ROWS: u32 = 256;

fn resize_error(e: impl std::fmt::Display) -> ImageError {
    ImageError::Encode(format!("resize: {e}"))
}

fn resize(
    src: &Rgb,
    (width, height): (u32, u32),
    filter: FilterType,
    resizer: &mut Resizer,
) -> Result<Rgb, ImageError> {
    let from = ImageRef::new(src.width, src.height, &src.pixels, PixelType::U8x3).map_err(resize_error)?;
    let mut to = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter));
    resizer.resize(&from, &mut to, &options).map_err(resize_error)?;
    Ok(Rgb {
        width,
        height,
        pixels: to.into_vec(),
    })
}

/// Decodes a JPEG straight to its size fitted in `edge`: rows come from libjpeg (already
/// at a reduced scale) into a small window, and each strip of output rows is resized from
/// the window as soon as the rows it reaches have arrived. Only the output is ever whole
/// in memory. Each strip is the same crop of the same source as a resize of the whole
/// picture would use, and the window holds every row the filter reaches, so the result is
/// that of a whole resize.
fn shrink_jpeg(bytes: &[u8], edge: u32, resizer: &mut Resizer) -> Result<(Rgb, (u32, u32)), ImageError> {
    let mut rows = jpeg::Scanlines::open(bytes, edge)?;
    let full = rows.full_size();
    let (sw, sh) = rows.size();
    let (tw, th) = fit(sw, sh, edge);
    let row_bytes = sw as usize * 3;
    let mut out = vec![0u8; tw as usize * th as usize * 3];
    if (tw, th) == (sw, sh) {
        rows.read(&mut out)?;
        rows.finish()?;
        return Ok((
            Rgb {
                width: tw,
                height: th,
                pixels: out,
            },
            full,
        ));
    }
    let scale = f64::from(sh) / f64::from(th);
    // One row more on each side than the filter reaches, against rounding.
    let reach = STREAM_FILTER_SUPPORT * scale.max(1.0) + 1.0;
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(STREAM_FILTER));
    // Rows [top, top + window.len() / row_bytes) of the decoded picture.
    let mut window: Vec<u8> = Vec::new();
    let mut top = 0u32;
    for first in (0..th).step_by(STRIP_ROWS as usize) {
        let last = (first + STRIP_ROWS).min(th);
        let need_from = ((f64::from(first) + 0.5) * scale - reach).floor().max(0.0) as u32;
        let need_to = (((f64::from(last) - 0.5) * scale + reach).ceil() as u32).min(sh);
        let held = (window.len() / row_bytes) as u32;
        let drop = need_from.saturating_sub(top).min(held);
        window.drain(..drop as usize * row_bytes);
        top += drop;
        let have_to = top + held - drop;
        if need_to > have_to {
            let old = window.len();
            window.resize(old + (need_to - have_to) as usize * row_bytes, 0);
            rows.read(&mut window[old..])?;
        }
        let held = (window.len() / row_bytes) as u32;
        let src = ImageRef::new(sw, held, &window, PixelType::U8x3).map_err(resize_error)?;
        let strip = &mut out[first as usize * tw as usize * 3..last as usize * tw as usize * 3];
        let mut dst = Image::from_slice_u8(tw, last - first, strip, PixelType::U8x3).map_err(resize_error)?;
        let crop_top = f64::from(first) * scale - f64::from(top);
        // The last strip ends at the bottom edge, give or take the float's last bit.
        let crop_height = (f64::from(last - first) * scale).min(f64::from(held) - crop_top);
        let crop = options.crop(0.0, crop_top, f64::from(sw), crop_height);
        resizer.resize(&src, &mut dst, &crop).map_err(resize_error)?;
    }
    rows.finish()?;
    Ok((
        Rgb {
            width: tw,
            height: th,
            pixels: out,
        },
        full,
    ))
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

/// Width and height from the header alone, nothing decoded; `None` if unreadable.
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    if sniff(bytes) == Kind::Jpeg {
        let header = jpeg::header(bytes)?;
        return Some((header.width, header.height));
    }
    image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
}

/// The header's pixel count, to budget memory before decoding; `None` if unreadable.
pub fn pixels_hint(bytes: &[u8]) -> Option<u64> {
    if sniff(bytes) == Kind::Jpeg {
        let header = jpeg::header(bytes)?;
        let full = u64::from(header.width) * u64::from(header.height);
        // A baseline file streams through a small window: what stays in memory is the
        // largest variant. A progressive one keeps every coefficient of the full picture
        // while it decodes.
        if header.progressive {
            return Some(full);
        }
        let largest = u64::from(SIZES[0].1) * u64::from(SIZES[0].1);
        return Some(full.min(largest));
    }
    let reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?;
    let (w, h) = reader.into_dimensions().ok()?;
    Some(u64::from(w) * u64::from(h))
}

/// Makes the three variants of an image, unless its header announces more than
/// `max_pixels`: that is refused before a single pixel is decoded.
pub fn make(bytes: &[u8], max_pixels: u64) -> Result<Made, ImageError> {
    within(bytes, max_pixels)?;
    make_formats(bytes, true, None)
}

/// Like [`make`], turned by `orientation` (EXIF 1–8) instead of the picture's own EXIF: a
/// RAW's preview turns by the RAW's orientation, a decoded HEIC is already upright.
pub fn make_oriented(bytes: &[u8], max_pixels: u64, orientation: Option<u32>) -> Result<Made, ImageError> {
    within(bytes, max_pixels)?;
    make_formats(bytes, true, orientation)
}

/// Refuses a picture whose header says it is larger than `max_pixels`, or has no
/// readable header.
pub fn within(bytes: &[u8], max_pixels: u64) -> Result<(), ImageError> {
    let (width, height) = dimensions(bytes).ok_or_else(|| ImageError::Corrupt("no readable header".into()))?;
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(ImageError::TooManyPixels {
            width,
            height,
            limit_mp: max_pixels / 1_000_000,
        });
    }
    Ok(())
}

/// The same pipeline with the WebP encodes left out (their `webp` stays empty): for the
/// thumbnail benchmark, which compares three JPEG sizes with vipsthumbnail's one JPEG.
#[doc(hidden)]
pub fn make_jpeg_only(bytes: &[u8]) -> Result<Made, ImageError> {
    within(bytes, DEFAULT_MAX_PIXELS)?;
    make_formats(bytes, false, None)
}

fn make_formats(bytes: &[u8], with_webp: bool, orientation_given: Option<u32>) -> Result<Made, ImageError> {
    let mut resizer = Resizer::new();
    let largest = SIZES[0].1;
    let (sized, (full_w, full_h)) = match sniff(bytes) {
        Kind::Jpeg => shrink_jpeg(bytes, largest, &mut resizer)?,
        Kind::Other => {
            let picture = decode_other(bytes)?;
            let size = (picture.width, picture.height);
            let (w, h) = fit(picture.width, picture.height, largest);
            let sized = if (w, h) == size {
                picture
            } else {
                resize(&picture, (w, h), FILTER, &mut resizer)?
            };
            (sized, size)
        }
        Kind::NotAnImage => return Err(ImageError::Corrupt("not an image Relais can read".into())),
    };
    let turn = orientation_given
        .filter(|o| (1..=8).contains(o))
        .unwrap_or_else(|| orientation(bytes));
    // Turned once, at the largest size; the smaller ones come from it already upright.
    let mut source = orient(sized, turn);
    let mut variants = Vec::with_capacity(SIZES.len());
    for (name, edge) in SIZES {
        let (w, h) = fit(source.width, source.height, edge);
        if (w, h) != (source.width, source.height) {
            // Each size is made from the one before: less to read, same quality.
            source = resize(&source, (w, h), FILTER, &mut resizer)?;
        }
        variants.push(Variant {
            name,
            width: source.width,
            height: source.height,
            jpeg: jpeg::encode(&source)?,
            webp: if with_webp { webp::encode(&source)? } else { Vec::new() },
        });
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
    fn streaming_a_jpeg_through_the_resizer_matches_resizing_it_whole() {
        let bytes = jpeg::encode(&jpeg::tests::picture(1000, 1500)).expect("encodes");
        // 1100 px: decoded at 6/8 (750 × 1125, the smallest reaching 1100), then 1125 →
        // 1100 rows: 18 strips, the window sliding, a shorter last strip. 300 px: decoded
        // at 2/8 (250 × 375), a 1.25 shrink as on a 24 MP photo.
        for (edge, size) in [(1100, (733, 1100)), (300, (200, 300))] {
            let (whole, _) = jpeg::tests::decode(&bytes, edge).expect("decodes");
            let (w, h) = fit(whole.width, whole.height, edge);
            let expected = resize(&whole, (w, h), STREAM_FILTER, &mut Resizer::new()).expect("resizes");
            let (streamed, full) = shrink_jpeg(&bytes, edge, &mut Resizer::new()).expect("streams");
            assert_eq!(full, (1000, 1500));
            assert_eq!((streamed.width, streamed.height), size);
            let worst = expected
                .pixels
                .iter()
                .zip(&streamed.pixels)
                .map(|(a, b)| a.abs_diff(*b))
                .max();
            assert!(worst <= Some(1), "{edge}: largest difference {worst:?}");
        }
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
