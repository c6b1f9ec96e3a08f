//! JPEG through libjpeg-turbo's code (the `mozjpeg` build, compiled from the crate's own
//! sources and linked statically): decoding at a reduced DCT scale and encoding.
//!
//! Why not a pure-Rust codec: a photo's processing is mostly Huffman decoding and
//! encoding, and libjpeg-turbo does both about twice as fast as `jpeg-decoder` and three
//! times as fast as `jpeg-encoder` here (README, Performance). Its SIMD code is assembled
//! with `nasm` when the build finds it; without it the same code builds in plain C, slower
//! but correct.
//!
//! The `mozjpeg` crate reports libjpeg's fatal errors by unwinding out of the C code;
//! [`Scanlines`] and [`encode`] catch that and turn it into an [`ImageError`]. Warnings that
//! mean lost image data (a truncated file, a damaged segment) fail the decode too, where
//! libjpeg alone would fill the gap with grey and carry on.

use std::cell::RefCell;
use std::os::raw::c_int;
use std::panic::{AssertUnwindSafe, catch_unwind};

use mozjpeg::decompress::DecompressStarted;
use mozjpeg::{ColorSpace, Compress, Decompress};
use mozjpeg_sys::{jpeg_common_struct, jpeg_error_mgr};

use super::image::{ImageError, Rgb};

const QUALITY: f32 = 80.0;

/// What a JPEG's frame header says, read without decoding anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub width: u32,
    pub height: u32,
    /// Progressive files keep every coefficient of the full picture while decoding,
    /// whatever the output scale.
    pub progressive: bool,
}

/// Walks the markers up to the first frame header (SOFn). `None` when there is none in
/// `bytes` (not a JPEG, or cut before it).
pub fn header(bytes: &[u8]) -> Option<Header> {
    let mut at = 2; // after SOI
    if bytes.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    loop {
        // A marker is 0xFF, any number of 0xFF fill bytes, then its code.
        while *bytes.get(at)? != 0xFF {
            at += 1;
        }
        while *bytes.get(at)? == 0xFF {
            at += 1;
        }
        let code = *bytes.get(at)?;
        at += 1;
        match code {
            // Markers without a length: TEM, RSTn, SOI, EOI.
            0x01 | 0xD0..=0xD9 => continue,
            // Start of scan: the frame header always comes before it.
            0xDA => return None,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
        // SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
        if (0xC0..=0xCF).contains(&code) && !matches!(code, 0xC4 | 0xC8 | 0xCC) {
            // Precision (1 byte), height, width (2 bytes each); a shorter segment is broken.
            let [_, h0, h1, w0, w1, ..] = *bytes.get(at + 2..at + len)? else {
                return None;
            };
            let height = u32::from(u16::from_be_bytes([h0, h1]));
            let width = u32::from(u16::from_be_bytes([w0, w1]));
            return Some(Header {
                width,
                height,
                progressive: matches!(code, 0xC2 | 0xC6 | 0xCA | 0xCE),
            });
        }
        at += len;
    }
}

/// A JPEG being decoded at a reduced scale, read top to bottom in RGB a few rows at a
/// time, so that the whole decoded picture never has to be in memory.
pub struct Scanlines<'a> {
    started: DecompressStarted<&'a [u8]>,
    /// CMYK files come out of libjpeg in four channels, turned into RGB row by row here.
    cmyk: Option<Vec<u8>>,
    full: (u32, u32),
    /// Rows handed out so far.
    done: u32,
}

impl<'a> Scanlines<'a> {
    /// Starts decoding at the smallest scale n/8 whose long edge still reaches
    /// `long_edge` (never above the full size).
    pub fn open(bytes: &'a [u8], long_edge: u32) -> Result<Self, ImageError> {
        LOST_DATA.with(|w| w.borrow_mut().take());
        guarded(|| {
            let mut dec = Decompress::with_err(error_manager()).from_mem(bytes).map_err(corrupt)?;
            let full = (dec.width() as u32, dec.height() as u32);
            dec.scale(scale_for(full.0.max(full.1), long_edge));
            let cmyk = matches!(dec.color_space(), ColorSpace::JCS_CMYK | ColorSpace::JCS_YCCK);
            let started = if cmyk {
                dec.to_colorspace(ColorSpace::JCS_CMYK)
            } else {
                // Greyscale and YCbCr both come out as RGB.
                dec.rgb()
            }
            .map_err(corrupt)?;
            Ok(Self {
                started,
                cmyk: cmyk.then(Vec::new),
                full,
                done: 0,
            })
        })
    }

    /// The size the rows come out at.
    pub fn size(&self) -> (u32, u32) {
        (self.started.width() as u32, self.started.height() as u32)
    }

    /// The picture's size in the file.
    pub fn full_size(&self) -> (u32, u32) {
        self.full
    }

    /// Fills `rows` (a whole number of RGB rows) with the next rows of the picture.
    pub fn read(&mut self, rows: &mut [u8]) -> Result<(), ImageError> {
        let row_bytes = self.size().0 as usize * 3;
        let Self {
            started, cmyk, done, ..
        } = self;
        *done += (rows.len() / row_bytes.max(1)) as u32;
        guarded(|| match cmyk {
            None => started.read_scanlines_into(rows).map(drop).map_err(corrupt),
            Some(inks) => {
                inks.resize(rows.len() / 3 * 4, 0);
                started.read_scanlines_into(inks).map_err(corrupt)?;
                for (rgb, p) in rows.chunks_exact_mut(3).zip(inks.chunks_exact(4)) {
                    // Adobe's CMYK JPEGs store the inks inverted; the usual approximation.
                    let k = u16::from(p[3]);
                    for (out, c) in rgb.iter_mut().zip(&p[..3]) {
                        *out = ((u16::from(*c) * k) / 255) as u8;
                    }
                }
                Ok(())
            }
        })?;
        lost_data()
    }

    /// Reads whatever rows are left and ends the decode; fails if libjpeg met damaged data
    /// on the way.
    pub fn finish(mut self) -> Result<(), ImageError> {
        let (w, h) = self.size();
        let mut row = vec![0u8; w as usize * 3];
        while self.done < h {
            self.read(&mut row)?;
        }
        let Self { started, .. } = self;
        guarded(|| started.finish().map_err(corrupt))?;
        lost_data()
    }
}

fn corrupt(e: std::io::Error) -> ImageError {
    ImageError::Corrupt(e.to_string())
}

/// Runs libjpeg code, turning its unwinding fatal errors into [`ImageError::Corrupt`].
fn guarded<T>(f: impl FnOnce() -> Result<T, ImageError>) -> Result<T, ImageError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| ImageError::Corrupt(unwound(payload)))?
}

/// Fails if a warning of this decode said pixels were lost.
fn lost_data() -> Result<(), ImageError> {
    match LOST_DATA.with(|w| w.borrow_mut().take()) {
        Some(warning) => Err(ImageError::Corrupt(warning)),
        None => Ok(()),
    }
}

/// The numerator n (1–8) of the smallest n/8 scale whose long edge reaches `want`
/// (libjpeg rounds the scaled size up).
fn scale_for(long: u32, want: u32) -> u8 {
    let want = u64::from(want.min(long));
    (1..=8u8)
        .find(|&n| (u64::from(long) * u64::from(n)).div_ceil(8) >= want)
        .unwrap_or(8)
}

/// Baseline JPEG at quality 80, 4:2:0, Huffman tables fitted to the picture (about a fifth
/// smaller than the standard tables, for a second pass over coefficients already in
/// memory: cheaper than progressive coding, and as small). Nothing but pixels is written.
pub fn encode(img: &Rgb) -> Result<Vec<u8>, ImageError> {
    catch_unwind(AssertUnwindSafe(|| {
        let mut c = Compress::new_err(Box::new(error_manager()), ColorSpace::JCS_RGB);
        // libjpeg-turbo's behaviour, not mozjpeg's slow trellis search.
        c.set_fastest_defaults();
        c.set_size(img.width as usize, img.height as usize);
        c.set_quality(QUALITY);
        c.set_chroma_sampling_pixel_sizes((2, 2), (2, 2));
        c.set_optimize_coding(false);
        let mut started = c.start_compress(Vec::new())?;
        started.write_scanlines(&img.pixels)?;
        started.finish()
    }))
    .map_err(|payload| ImageError::Encode(unwound(payload)))?
    .map_err(|e| ImageError::Encode(e.to_string()))
}

thread_local! {
    /// The first warning of the current decode on this thread that means pixels were lost.
    static LOST_DATA: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// libjpeg's standard error manager with two hooks replaced: fatal errors unwind (the
/// `mozjpeg` crate's convention, caught by [`decode`]/[`encode`]) instead of exiting the
/// process, and warnings are recorded instead of printed to stderr.
fn error_manager() -> jpeg_error_mgr {
    // SAFETY: jpeg_error_mgr is a plain C struct (function pointers, integers, pointers) for
    // which all-zero is a valid value; jpeg_std_error then fills every field.
    let mut err: jpeg_error_mgr = unsafe { std::mem::zeroed() };
    // SAFETY: `err` is a valid, exclusively borrowed error manager.
    unsafe { mozjpeg_sys::jpeg_std_error(&mut err) };
    err.error_exit = Some(fatal);
    err.emit_message = Some(warning);
    err
}

/// libjpeg's text for the current message, parameters filled in.
fn message(cinfo: &mut jpeg_common_struct) -> String {
    let mut buffer = [0u8; 80]; // JMSG_LENGTH_MAX
    // SAFETY: `err` points at the error manager libjpeg was given, alive for the whole
    // call. `format_message` writes at most JMSG_LENGTH_MAX bytes, NUL included, into the
    // buffer it is handed: the binding declares that parameter as a shared reference,
    // so the call goes through a raw pointer of the same C ABI.
    unsafe {
        let Some(format) = cinfo.err.as_ref().and_then(|e| e.format_message) else {
            return "unknown libjpeg error".into();
        };
        let format: unsafe extern "C-unwind" fn(&mut jpeg_common_struct, *mut u8) = std::mem::transmute(format);
        format(cinfo, buffer.as_mut_ptr());
    }
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}

extern "C-unwind" fn fatal(cinfo: &mut jpeg_common_struct) {
    // resume_unwind, not panic!: no panic hook, no backtrace in the log for a bad file.
    std::panic::resume_unwind(Box::new(message(cinfo)));
}

extern "C-unwind" fn warning(cinfo: &mut jpeg_common_struct, level: c_int) {
    // Negative levels are warnings; the others are trace messages.
    if level >= 0 {
        return;
    }
    // SAFETY: as in `message`: the error manager outlives the call.
    let code = unsafe { cinfo.err.as_ref().map_or(0, |e| e.msg_code) };
    // Extraneous bytes between markers are common in camera files and lose nothing.
    let loses_pixels = [
        mozjpeg_sys::JWRN_JPEG_EOF,
        mozjpeg_sys::JWRN_HIT_MARKER,
        mozjpeg_sys::JWRN_HUFF_BAD_CODE,
        mozjpeg_sys::JWRN_MUST_RESYNC,
        mozjpeg_sys::JWRN_BOGUS_PROGRESSION,
    ]
    .contains(&code);
    if loses_pixels {
        let text = message(cinfo);
        LOST_DATA.with(|w| {
            w.borrow_mut().get_or_insert(text);
        });
    }
}

fn unwound(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "libjpeg failed".into())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn picture(w: u32, h: u32) -> Rgb {
        let pixels = (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                [(x * 255 / w) as u8, (y * 255 / h) as u8, 128]
            })
            .collect();
        Rgb {
            width: w,
            height: h,
            pixels,
        }
    }

    /// The whole picture at the scale `Scanlines` picks for `edge`.
    pub(crate) fn decode(bytes: &[u8], edge: u32) -> Result<(Rgb, (u32, u32)), ImageError> {
        let mut rows = Scanlines::open(bytes, edge)?;
        let (width, height) = rows.size();
        let mut pixels = vec![0u8; width as usize * height as usize * 3];
        rows.read(&mut pixels)?;
        let full = rows.full_size();
        rows.finish()?;
        Ok((Rgb { width, height, pixels }, full))
    }

    #[test]
    fn the_scale_is_the_smallest_that_still_covers_the_size_asked() {
        assert_eq!(scale_for(6000, 2400), 4); // 3000 px
        assert_eq!(scale_for(8256, 2400), 3); // 3096 px
        assert_eq!(scale_for(6000, 400), 1); // 750 px
        assert_eq!(scale_for(2000, 2400), 8); // never enlarged
        assert_eq!(scale_for(2401, 2400), 8); // 7/8 would be 2101 px
    }

    #[test]
    fn a_round_trip_keeps_size_and_colour_and_reads_the_header() {
        let src = picture(640, 480);
        let bytes = encode(&src).expect("encodes");
        assert_eq!(
            header(&bytes),
            Some(Header {
                width: 640,
                height: 480,
                progressive: false
            })
        );
        let (full, size) = decode(&bytes, 2400).expect("decodes");
        assert_eq!((full.width, full.height, size), (640, 480, (640, 480)));
        let at = |img: &Rgb, x: u32, y: u32| {
            let i = ((y * img.width + x) * 3) as usize;
            [img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]]
        };
        let (a, b) = (at(&src, 600, 400), at(&full, 600, 400));
        assert!(a.iter().zip(b).all(|(x, y)| x.abs_diff(y) < 12), "{a:?} vs {b:?}");
        // Asked for 160 px: decoded at 2/8, 160 × 120.
        let (small, _) = decode(&bytes, 160).expect("decodes small");
        assert_eq!((small.width, small.height), (160, 120));
    }

    /// A JPEG of `w` × `h` pixels in the given colour space, `left` on the left half and
    /// `right` on the right half (as many bytes per pixel as the space has channels).
    fn two_halves(space: ColorSpace, w: usize, h: usize, left: &[u8], right: &[u8]) -> Vec<u8> {
        let mut pixels = Vec::new();
        for _ in 0..h {
            for x in 0..w {
                pixels.extend_from_slice(if x < w / 2 { left } else { right });
            }
        }
        let mut c = Compress::new(space);
        c.set_size(w, h);
        c.set_quality(95.0);
        let mut started = c.start_compress(Vec::new()).expect("starts");
        started.write_scanlines(&pixels).expect("writes");
        started.finish().expect("finishes")
    }

    #[test]
    fn greyscale_and_cmyk_files_come_out_as_rgb_also_read_a_few_rows_at_a_time() {
        let at = |img: &Rgb, x: u32, y: u32| {
            let i = ((y * img.width + x) * 3) as usize;
            [img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]]
        };
        let close = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).all(|(x, y)| x.abs_diff(y) < 10);

        let grey = two_halves(ColorSpace::JCS_GRAYSCALE, 64, 48, &[30], &[220]);
        let (img, _) = decode(&grey, 64).expect("greyscale decodes");
        assert!(close(at(&img, 5, 20), [30, 30, 30]), "{:?}", at(&img, 5, 20));
        assert!(close(at(&img, 60, 20), [220, 220, 220]), "{:?}", at(&img, 60, 20));

        // Adobe's convention: inks stored inverted, so 255 everywhere is white, and
        // full magenta and yellow with no black is red.
        let cmyk = two_halves(ColorSpace::JCS_CMYK, 64, 48, &[255, 255, 255, 255], &[255, 0, 0, 255]);
        let mut rows = Scanlines::open(&cmyk, 64).expect("cmyk opens");
        assert_eq!(rows.size(), (64, 48));
        let mut pixels = vec![0u8; 64 * 48 * 3];
        for batch in pixels.chunks_mut(64 * 3 * 5) {
            rows.read(batch).expect("rows");
        }
        rows.finish().expect("finishes");
        let img = Rgb {
            width: 64,
            height: 48,
            pixels,
        };
        assert!(close(at(&img, 5, 47), [255, 255, 255]), "{:?}", at(&img, 5, 47));
        assert!(close(at(&img, 60, 47), [255, 0, 0]), "{:?}", at(&img, 60, 47));
    }

    #[test]
    fn a_cut_file_and_garbage_fail_with_a_reason_instead_of_grey_pixels() {
        let bytes = encode(&picture(640, 480)).expect("encodes");
        let cut = decode(&bytes[..bytes.len() / 2], 2400).err().expect("cut fails");
        assert!(cut.to_string().contains("Premature end"), "{cut}");
        // Also when the rows are read a few at a time and the damage is met on the way.
        let mut rows = Scanlines::open(&bytes[..bytes.len() / 2], 2400).expect("header is whole");
        let mut some = vec![0u8; 640 * 3 * 16];
        let outcome = (0..30)
            .try_for_each(|_| rows.read(&mut some))
            .and_then(|()| rows.finish());
        assert!(outcome.is_err(), "a cut file never decodes cleanly");
        let garbage = decode(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 2, 1, 2, 3], 2400)
            .err()
            .expect("garbage fails");
        assert!(matches!(garbage, ImageError::Corrupt(_)), "{garbage}");
        assert_eq!(header(b"not a jpeg"), None);
        assert_eq!(header(&bytes[..10]), None);
        // A frame header whose length leaves no room for the size: no answer, no panic.
        assert_eq!(header(&[0xFF, 0xD8, 0xFF, 0xC0, 0, 4, 8, 0]), None);
    }
}
