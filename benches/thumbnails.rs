//! Thumbnails: the three web variants of 24 MP and 45 MP JPEGs (baseline and progressive),
//! made by Relais' pipeline, against `vipsthumbnail` making one 400 px thumbnail of the same
//! file (PRODUCT §5: no more CPU time, and under 100 MiB per image in flight). Relais is
//! measured twice: as it runs (three sizes in JPEG and WebP) and with the WebP encodes left
//! out (three JPEG sizes, what the bar compares with vips' one JPEG). Each side runs in a
//! child process so its CPU time and peak RSS are the kernel's own figures; the runs of the
//! three sides are interleaved so that a busy moment of the machine hits all of them.
//!
//! Run: `cargo bench --bench thumbnails [-- --runs N]` (needs `vipsthumbnail`, Debian's
//! libvips-tools). `-- --camera` measures phone and camera files instead: a 12 MP HEIC
//! (made by libheif's `heif-enc`) through Relais' `heif-convert` path against
//! `vipsthumbnail` reading the HEIC itself, and a DNG holding a 24 MP JPEG preview through
//! Relais' RAW path against `vipsthumbnail` reading that preview (it cannot read the RAW).

use std::path::Path;
use std::process::Command;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Pictures are made in a child process: the kernel's peak-RSS figure of a process
    // includes what its parent held when it forked, so this process stays small.
    if let Some(i) = args.iter().position(|a| a == "--make") {
        let (w, h) = (args[i + 2].parse().expect("w"), args[i + 3].parse().expect("h"));
        std::fs::write(&args[i + 1], photo(w, h, args[i + 4] == "progressive")).expect("write");
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--make-camera") {
        make_camera_files(Path::new(&args[i + 1]));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--one") {
        let bytes = std::fs::read(&args[i + 1]).expect("image");
        let made = if args.iter().any(|a| a == "--jpeg-only") {
            relais::media::image::make_jpeg_only(&bytes)
        } else {
            relais::media::image::make(&bytes, relais::media::image::DEFAULT_MAX_PIXELS)
        }
        .expect("variants");
        assert_eq!(made.variants.len(), 3);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--one-heic") {
        let dir = tempfile::tempdir().expect("dir");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let jpeg = runtime
            .block_on(relais::media::heif::to_jpeg(&args[i + 1], dir.path()))
            .expect("decoded");
        let bytes = std::fs::read(jpeg).expect("jpeg");
        let made = relais::media::image::make_oriented(&bytes, relais::media::image::DEFAULT_MAX_PIXELS, Some(1))
            .expect("variants");
        assert_eq!(made.variants.len(), 3);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--one-raw") {
        use std::io::{Read, Seek};
        let mut file = std::fs::File::open(&args[i + 1]).expect("raw");
        let preview = relais::media::raw::find(relais::media::raw::Kind::Tiff, &mut file).expect("preview");
        file.seek(std::io::SeekFrom::Start(preview.offset)).expect("seek");
        let mut bytes = Vec::new();
        file.take(preview.len).read_to_end(&mut bytes).expect("read");
        let made =
            relais::media::image::make_oriented(&bytes, relais::media::image::DEFAULT_MAX_PIXELS, preview.orientation)
                .expect("variants");
        assert_eq!(made.variants.len(), 3);
        return;
    }
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .map_or(5, |i| args[i + 1].parse().expect("--runs N"));
    if args.iter().any(|a| a == "--camera") {
        return camera(runs);
    }
    if Command::new("vipsthumbnail").arg("--version").output().is_err() {
        eprintln!("vipsthumbnail is not installed (Debian: apt install libvips-tools)");
        std::process::exit(1);
    }
    let dir = tempfile::tempdir().expect("dir");
    println!("Medians of {runs} runs; CPU seconds / peak RSS MiB of each child process.\n");
    println!(
        "| image | Relais, 3 sizes × JPEG + WebP | Relais, 3 sizes × JPEG | vipsthumbnail, 1 × 400 px JPEG | ratio, JPEG + WebP | ratio, JPEG |"
    );
    println!("|---|---|---|---|---|---|");
    for (label, w, h, progressive) in [
        ("24 MP baseline", 6000u16, 4000u16, false),
        ("24 MP progressive", 6000, 4000, true),
        ("45 MP baseline", 8256, 5504, false),
        ("45 MP progressive", 8256, 5504, true),
    ] {
        let path = dir.path().join(format!("{w}x{h}-{progressive}.jpg"));
        let me = std::env::current_exe().expect("self");
        let made = Command::new(&me)
            .arg("--make")
            .arg(&path)
            .args([w.to_string(), h.to_string()])
            .arg(if progressive { "progressive" } else { "baseline" })
            .status()
            .expect("make");
        assert!(made.success());
        let out = dir.path().join("thumb.jpg");
        let sides: [&dyn Fn() -> Command; 3] = [
            &|| {
                let mut c = Command::new(&me);
                c.arg("--one").arg(&path);
                c
            },
            &|| {
                let mut c = Command::new(&me);
                c.arg("--one").arg(&path).arg("--jpeg-only");
                c
            },
            &|| {
                let mut c = Command::new("vipsthumbnail");
                c.arg(&path).args(["--size", "400", "-o"]).arg(&out);
                c
            },
        ];
        let mut samples = [const { Vec::new() }; 3];
        for _ in 0..runs {
            for (side, make) in sides.iter().enumerate() {
                samples[side].push(measure(make()));
            }
        }
        let [all, jpeg, vips] = samples.map(median);
        println!(
            "| {label} | {:.3} / {:.0} | {:.3} / {:.0} | {:.3} / {:.0} | {:.2} | {:.2} |",
            all.0,
            all.1,
            jpeg.0,
            jpeg.1,
            vips.0,
            vips.1,
            all.0 / vips.0,
            jpeg.0 / vips.0
        );
    }
}

/// In `dir`: `IMG_0001.HEIC` (12 MP, by heif-enc), `DSC_0001.DNG` holding a 24 MP JPEG
/// preview, and that preview as `preview.jpg`.
fn make_camera_files(dir: &Path) {
    // A 12 MP photo-like picture, as a PNG for heif-enc (made from the JPEG generator).
    let jpeg = photo(4032, 3024, false);
    let picture = image::load_from_memory(&jpeg).expect("decodes");
    let png = dir.join("photo.png");
    picture.save(&png).expect("png");
    let heic = dir.join("IMG_0001.HEIC");
    let made = Command::new("heif-enc")
        .args(["-q", "60", "-o"])
        .arg(&heic)
        .arg(&png)
        .output()
        .expect("heif-enc (Debian: libheif-examples)");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    // A DNG-like TIFF whose SubIFD holds a 24 MP JPEG preview.
    let preview = photo(6000, 4000, false);
    std::fs::write(dir.join("preview.jpg"), &preview).expect("preview");
    std::fs::write(dir.join("DSC_0001.DNG"), dng_holding(&preview)).expect("dng");
}

/// Phone and camera files: Relais' path against vipsthumbnail's, CPU and peak RSS.
fn camera(runs: usize) {
    let dir = tempfile::tempdir().expect("dir");
    let me = std::env::current_exe().expect("self");
    // Made by a child, like the JPEGs above: this process stays small, so the peak RSS a
    // child inherits through fork is not the files' size.
    let made = Command::new(&me)
        .arg("--make-camera")
        .arg(dir.path())
        .status()
        .expect("make");
    assert!(made.success());
    let (heic, dng) = (dir.path().join("IMG_0001.HEIC"), dir.path().join("DSC_0001.DNG"));
    let preview_path = dir.path().join("preview.jpg");
    let out = dir.path().join("thumb.jpg");
    println!(
        "Medians of {runs} runs; CPU seconds / peak RSS MiB of each child process (tools included: the \
         largest of the child and the tools it ran).\n"
    );
    println!("| file | Relais, 3 sizes × JPEG + WebP | vipsthumbnail, 1 × 400 px JPEG | ratio, CPU |");
    println!("|---|---|---|---|");
    let cases: [(&str, &str, &Path, &Path); 2] = [
        ("12 MP HEIC", "--one-heic", &heic, &heic),
        (
            "DNG, 24 MP preview (vips: the preview JPEG)",
            "--one-raw",
            &dng,
            &preview_path,
        ),
    ];
    for (label, mode, ours, theirs) in cases {
        let mut relais = Vec::new();
        let mut vips = Vec::new();
        for _ in 0..runs {
            let mut c = Command::new(&me);
            c.arg(mode).arg(ours);
            relais.push(measure(c));
            let mut c = Command::new("vipsthumbnail");
            c.arg(theirs).args(["--size", "400", "-o"]).arg(&out);
            vips.push(measure(c));
        }
        let (r, v) = (median(relais), median(vips));
        println!(
            "| {label} | {:.3} / {:.0} | {:.3} / {:.0} | {:.2} |",
            r.0,
            r.1,
            v.0,
            v.1,
            r.0 / v.0
        );
    }
}

/// A little-endian TIFF RAW whose SubIFD holds `preview` as a JPEG strip (as a DNG keeps
/// its full-size preview), after a small thumbnail in IFD0.
fn dng_holding(preview: &[u8]) -> Vec<u8> {
    let ifd0 = 8u32;
    let sub = ifd0 + 2 + 2 * 12 + 4;
    let preview_at = sub + 2 + 3 * 12 + 4;
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&ifd0.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, value: u32| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    };
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0112, 3, 1);
    entry(&mut t, 0x014A, 4, sub);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes());
    entry(&mut t, 0x0103, 3, 7);
    entry(&mut t, 0x0111, 4, preview_at);
    entry(&mut t, 0x0117, 4, preview.len() as u32);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(preview);
    t.extend_from_slice(&vec![0x5a; 20 << 20]);
    t
}

/// A photo-like picture: smooth gradients with fine noise, so it compresses (and
/// decodes) like a camera file rather than a flat test card; chroma subsampled 4:2:2, as
/// most cameras write their full-size JPEGs.
fn photo(w: u16, h: u16, progressive: bool) -> Vec<u8> {
    let (wu, hu) = (usize::from(w), usize::from(h));
    let mut pixels = Vec::with_capacity(wu * hu * 3);
    let mut x32: u32 = 0x9E37_79B9;
    for y in 0..hu {
        for x in 0..wu {
            x32 ^= x32 << 13;
            x32 ^= x32 >> 17;
            x32 ^= x32 << 5;
            let n = (x32 & 0x1F) as usize;
            pixels.push(((x * 200 / wu) + n) as u8);
            pixels.push(((y * 180 / hu) + n) as u8);
            pixels.push((((x + y) * 150 / (wu + hu)) + 40 + n) as u8);
        }
    }
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_progressive(progressive);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_2);
    encoder
        .encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    out
}

/// Medians of (CPU seconds, peak RSS MiB), each taken on its own.
fn median(samples: Vec<(f64, f64)>) -> (f64, f64) {
    let (mut cpu, mut rss): (Vec<f64>, Vec<f64>) = samples.into_iter().unzip();
    cpu.sort_by(f64::total_cmp);
    rss.sort_by(f64::total_cmp);
    (cpu[cpu.len() / 2], rss[rss.len() / 2])
}

/// Runs the command and reads its CPU time and peak RSS from `wait4`.
fn measure(mut command: Command) -> (f64, f64) {
    // Reaped by wait4 below, which also returns the child's resource usage.
    #[allow(clippy::zombie_processes)]
    let child = command.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data the kernel fills; the pid is our own child, reaped here
    // (the `Child` handle is dropped without waiting on it).
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let done = libc::wait4(pid, &mut status, 0, &mut usage);
        assert_eq!(done, pid, "wait4");
        usage
    };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed"
    );
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = secs(usage.ru_utime) + secs(usage.ru_stime);
    (cpu, usage.ru_maxrss as f64 / 1024.0)
}
