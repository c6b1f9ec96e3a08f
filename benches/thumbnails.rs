//! Thumbnails: the three web variants of 24 MP and 45 MP JPEGs (baseline and progressive),
//! made by Relais' pipeline, against `vipsthumbnail` making one 400 px thumbnail of the same
//! file (PRODUCT §5: no more CPU time, and under 100 MiB per image in flight). Each side
//! runs in a child process so its CPU time and peak RSS are the kernel's own figures.
//!
//! Run: `cargo bench --bench thumbnails` (needs `vipsthumbnail`, Debian's libvips-tools).

use std::process::Command;

const RUNS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Pictures are made in a child process: the kernel's peak-RSS figure of a process
    // includes what its parent held when it forked, so this process stays small.
    if let Some(i) = args.iter().position(|a| a == "--make") {
        let (w, h) = (args[i + 2].parse().expect("w"), args[i + 3].parse().expect("h"));
        std::fs::write(&args[i + 1], photo(w, h, args[i + 4] == "progressive")).expect("write");
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--one") {
        let bytes = std::fs::read(&args[i + 1]).expect("image");
        let made = relais::media::image::make(&bytes).expect("variants");
        assert_eq!(made.variants.len(), 3);
        return;
    }
    if Command::new("vipsthumbnail").arg("--version").output().is_err() {
        eprintln!("vipsthumbnail is not installed (Debian: apt install libvips-tools)");
        std::process::exit(1);
    }
    let dir = tempfile::tempdir().expect("dir");
    println!(
        "| image | Relais, 3 variants: CPU s / peak MiB | vipsthumbnail, 1 × 400 px: CPU s / peak MiB | CPU ratio |"
    );
    println!("|---|---|---|---|");
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
        let relais = median_run(|| {
            let mut c = Command::new(&me);
            c.arg("--one").arg(&path);
            c
        });
        let out = dir.path().join("thumb.jpg");
        let vips = median_run(|| {
            let mut c = Command::new("vipsthumbnail");
            c.arg(&path).args(["--size", "400", "-o"]).arg(&out);
            c
        });
        println!(
            "| {label} | {:.3} / {:.0} | {:.3} / {:.0} | {:.2} |",
            relais.0,
            relais.1,
            vips.0,
            vips.1,
            relais.0 / vips.0
        );
    }
}

/// A photo-like picture: smooth gradients with fine noise, so it compresses (and
/// decodes) like a camera file rather than a flat test card.
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
    encoder
        .encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    out
}

/// Median over [`RUNS`] of (CPU seconds, peak RSS MiB) of one child process.
fn median_run(make: impl Fn() -> Command) -> (f64, f64) {
    let mut cpu = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..RUNS {
        let (c, r) = measure(make());
        cpu.push(c);
        rss.push(r);
    }
    cpu.sort_by(f64::total_cmp);
    rss.sort_by(f64::total_cmp);
    (cpu[RUNS / 2], rss[RUNS / 2])
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
