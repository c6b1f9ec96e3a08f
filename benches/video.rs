//! Videos' web copies: Relais' job (its ffmpeg arguments, lowered priority, memory limit,
//! progress reading) against the same ffmpeg command run by hand, on a 4K HEVC clip with
//! PCM sound and a 1080p H.264/AAC clip made here by ffmpeg; and the remux path against
//! transcoding the same web-ready clip. CPU seconds are the kernel's figures for the
//! child processes (ffmpeg included); runs are interleaved.
//!
//! Run: `cargo bench --bench video [-- --runs N --seconds S]` (needs ffmpeg with libx264
//! and libx265; Debian's has both). The 4K clip takes a few minutes to make at 60 s.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use relais::media::web_copy::{self, Plan, Settings};

/// CPU seconds of every child waited for so far (user + system).
fn children_cpu() -> f64 {
    // SAFETY: getrusage writes into the struct it is given and nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Wall and CPU seconds of a command run to its end.
fn measure(command: &mut Command) -> (f64, f64) {
    let cpu = children_cpu();
    let start = Instant::now();
    let status = command.status().expect("runs");
    assert!(status.success(), "{command:?}");
    (start.elapsed().as_secs_f64(), children_cpu() - cpu)
}

fn make(path: &Path, size: &str, seconds: u32, codecs: &[&str]) {
    if path.exists() {
        return;
    }
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={size}:rate=30"))
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t"])
        .arg(seconds.to_string())
        .args(codecs)
        .arg(path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "made {}", path.display());
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // A child: one web copy the way the job makes it.
    if let Some(i) = args.iter().position(|a| a == "--one") {
        let (source, out) = (&args[i + 1], &args[i + 2]);
        let plan = if args[i + 3] == "remux" {
            Plan::Remux
        } else {
            Plan::Transcode {
                scale: args[i + 3] == "scale",
                tone_map: false,
            }
        };
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime
            .block_on(async {
                let duration = web_copy::probe(source).await.and_then(|p| p.duration_ms);
                web_copy::run(&plan, &Settings::default(), source, Path::new(out), duration, |_| {}).await
            })
            .expect("web copy");
        return;
    }
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .map_or(3, |i| args[i + 1].parse().expect("--runs N"));
    let seconds = args
        .iter()
        .position(|a| a == "--seconds")
        .map_or(60, |i| args[i + 1].parse().expect("--seconds S"));
    let dir = std::env::temp_dir().join("relais-bench-video");
    std::fs::create_dir_all(&dir).expect("dir");
    let hevc = dir.join(format!("4k-hevc-{seconds}s.mov"));
    let h264 = dir.join(format!("1080p-h264-{seconds}s.mp4"));
    eprintln!("making the clips (kept in {} for the next run)…", dir.display());
    make(
        &hevc,
        "3840x2160",
        seconds,
        &[
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error",
            "-tag:v",
            "hvc1",
            "-c:a",
            "pcm_s16le",
        ],
    );
    make(
        &h264,
        "1920x1080",
        seconds,
        &[
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac",
        ],
    );
    let me = std::env::current_exe().expect("self");
    let out = dir.join("out.mp4");
    let cases: [(&str, &Path, &str, Plan); 3] = [
        (
            "4K HEVC + PCM → 1080p H.264 + AAC",
            &hevc,
            "scale",
            Plan::Transcode {
                scale: true,
                tone_map: false,
            },
        ),
        (
            "1080p H.264 + AAC, transcoded",
            &h264,
            "transcode",
            Plan::Transcode {
                scale: false,
                tone_map: false,
            },
        ),
        ("1080p H.264 + AAC, remuxed", &h264, "remux", Plan::Remux),
    ];
    let mut results: Vec<[Vec<f64>; 4]> = (0..cases.len()).map(|_| Default::default()).collect();
    for _ in 0..runs {
        for (i, (_, source, mode, plan)) in cases.iter().enumerate() {
            let (wall, cpu) = measure(Command::new(&me).arg("--one").arg(source).arg(&out).arg(mode));
            results[i][0].push(wall);
            results[i][1].push(cpu);
            let by_hand = web_copy::arguments(
                plan,
                &Settings::default(),
                source.to_str().expect("utf-8"),
                out.to_str().expect("utf-8"),
            );
            // The same command, without the progress pipe Relais reads.
            let by_hand: Vec<&String> = by_hand.iter().filter(|a| *a != "-progress" && *a != "pipe:1").collect();
            let (wall, cpu) = measure(Command::new("ffmpeg").args(by_hand));
            results[i][2].push(wall);
            results[i][3].push(cpu);
        }
    }
    println!("Medians of {runs} runs of {seconds} s clips; wall / CPU seconds (ffmpeg included).\n");
    println!("| case | Relais' job | ffmpeg by hand | ratio, wall | ratio, CPU |");
    println!("|---|---|---|---|---|");
    for ((label, ..), r) in cases.iter().zip(&results) {
        let [rw, rc, hw, hc] = r.clone().map(median);
        println!(
            "| {label} | {rw:.1} s / {rc:.1} s | {hw:.1} s / {hc:.1} s | {:.2}× | {:.2}× |",
            rw / hw,
            rc / hc
        );
    }
    let transcode = median(results[1][0].clone());
    let remux = median(results[2][0].clone());
    println!(
        "\nRemux against transcode of the same web-ready clip: {:.3}× the wall time.",
        remux / transcode
    );
}
