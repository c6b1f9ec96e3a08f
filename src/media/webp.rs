//! Lossy WebP through libwebp (built from `libwebp-sys`'s bundled sources).
//!
//! Called directly rather than through the `webp` crate: that crate always imports pixels
//! as ARGB, a 4-byte-per-pixel copy of the whole picture (15 MB at 2400 × 1600) that
//! libwebp then converts to YUV for lossy coding anyway. Imported as YUV straight away,
//! the copy and its page faults are gone.

use std::os::raw::c_int;

use libwebp_sys::{WebPConfig, WebPEncode, WebPPicture, WebPPictureFree, WebPPictureImportRGB};

use super::image::{ImageError, Rgb};

const QUALITY: f32 = 75.0;
/// libwebp's fastest method: most of the compression of the default one (4) for a
/// fraction of its CPU, which would otherwise dominate a photo's processing.
const METHOD: c_int = 0;

/// A picture handed to libwebp, freed whatever happens.
struct Picture(WebPPicture);

impl Drop for Picture {
    fn drop(&mut self) {
        // SAFETY: initialised by WebPPictureInit (inside WebPPicture::new); freeing an
        // unimported or already freed picture is a no-op in libwebp.
        unsafe { WebPPictureFree(&mut self.0) };
    }
}

pub fn encode(img: &Rgb) -> Result<Vec<u8>, ImageError> {
    let failed = |what: &str| ImageError::Encode(format!("webp: {what}"));
    let mut config = WebPConfig::new().map_err(|()| failed("configuration"))?;
    config.quality = QUALITY;
    config.method = METHOD;
    let (Ok(width), Ok(height), Ok(stride)) = (
        c_int::try_from(img.width),
        c_int::try_from(img.height),
        c_int::try_from(u64::from(img.width) * 3),
    ) else {
        return Err(failed("picture too large"));
    };
    if img.pixels.len() != img.width as usize * img.height as usize * 3 {
        return Err(failed("pixel buffer does not match the size"));
    }
    let mut picture = Picture(WebPPicture::new().map_err(|()| failed("picture"))?);
    let mut out: Vec<u8> = Vec::new();
    picture.0.use_argb = 0;
    picture.0.width = width;
    picture.0.height = height;
    picture.0.writer = Some(append);
    picture.0.custom_ptr = (&raw mut out).cast();
    // SAFETY: `pixels` holds `height` rows of `stride` bytes (checked above) and outlives
    // the call; libwebp copies them into the picture's own YUV planes.
    if unsafe { WebPPictureImportRGB(&mut picture.0, img.pixels.as_ptr(), stride) } == 0 {
        return Err(failed("out of memory importing the picture"));
    }
    // SAFETY: config and picture are initialised; the writer only touches `out`, which
    // outlives the call and is not otherwise used while it runs.
    if unsafe { WebPEncode(&config, &mut picture.0) } == 0 {
        return Err(failed(&format!("{:?}", picture.0.error_code)));
    }
    drop(picture);
    Ok(out)
}

/// libwebp's output callback: appends each piece to the `Vec<u8>` in `custom_ptr`.
unsafe extern "C" fn append(data: *const u8, size: usize, picture: *const WebPPicture) -> c_int {
    // SAFETY: `custom_ptr` is the Vec that `encode` set and keeps alive during WebPEncode;
    // libwebp hands `size` readable bytes at `data`.
    unsafe {
        let out = &mut *(*picture).custom_ptr.cast::<Vec<u8>>();
        out.extend_from_slice(std::slice::from_raw_parts(data, size));
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_becomes_a_lossy_webp_that_decodes_to_the_same_size_and_colour() {
        let (w, h) = (300u32, 200u32);
        let pixels = (0..w * h).flat_map(|_| [200u8, 40, 90]).collect();
        let bytes = encode(&Rgb {
            width: w,
            height: h,
            pixels,
        })
        .expect("encodes");
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(&bytes[8..16], b"WEBPVP8 ", "lossy, no metadata chunks");
        let back = image::load_from_memory(&bytes).expect("decodes").to_rgb8();
        assert_eq!(back.dimensions(), (w, h));
        let p = back.get_pixel(150, 100).0;
        assert!(p.iter().zip([200u8, 40, 90]).all(|(a, b)| a.abs_diff(b) < 8), "{p:?}");
    }
}
