//! Builds the front end (`web/`, bundled by Vite) and embeds it: `cargo build` is the one
//! step, so a fresh clone needs nothing else run by hand. The bundle lands in `OUT_DIR`,
//! never in the source tree, and `assets.rs` there lists every file with its content type
//! and a content hash for cache-busting URLs.
//!
//! `WEB_DIST=/path` embeds an already-built bundle instead (machines without Node).
//!
//! Nothing here is named `RELAIS_*`: that prefix belongs to the configuration, which refuses
//! every `RELAIS_*` variable it does not know, and `cargo run` hands the program the
//! environment a build script sets with `rustc-env`. Build facts reach the code as `cfg`s.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

fn main() {
    for watched in [
        "web/src",
        "web/package.json",
        "web/package-lock.json",
        "web/vite.config.js",
    ] {
        println!("cargo:rerun-if-changed={watched}");
    }
    println!("cargo:rerun-if-env-changed=WEB_DIST");
    report_jpeg_simd();
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let dist = match env::var_os("WEB_DIST") {
        Some(dir) => PathBuf::from(dir),
        None => build_front_end(&out),
    };
    write_manifest(&dist, &out.join("assets.rs"));
    write_build_info(&out.join("build_info.rs"));
}

/// `relais --version` names the commit it was built from: read from git when the source is
/// a clone, `GIT_COMMIT` for a build from an archive, else "unknown". Written as a file in
/// `OUT_DIR` (not `rustc-env`, see above).
fn write_build_info(path: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Git says where HEAD and the refs live: in a worktree `.git` is a file, and HEAD is
    // not under it.
    for name in ["HEAD", "refs/heads", "packed-refs"] {
        let watched = Command::new("git")
            .args(["rev-parse", "--git-path", name])
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| root.join(String::from_utf8_lossy(&o.stdout).trim()));
        if let Some(watched) = watched
            && watched.exists()
        {
            println!("cargo:rerun-if-changed={}", watched.display());
        }
    }
    println!("cargo:rerun-if-env-changed=GIT_COMMIT");
    let commit = env::var("GIT_COMMIT")
        .ok()
        .or_else(|| {
            Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .current_dir(root)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        })
        .filter(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".to_owned());
    let version = env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let text = format!(
        "/// The commit this binary was built from.\npub const COMMIT: &str = {commit:?};\n\
         /// What `relais --version` prints after the name.\npub const LONG_VERSION: &str = \"{version} (commit {commit})\";\n"
    );
    fs::write(path, text).expect("build_info.rs written");
}

fn build_front_end(out: &Path) -> PathBuf {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let installed = web.join("node_modules/.package-lock.json");
    let lock = web.join("package-lock.json");
    if modified(&installed) < modified(&lock) {
        run(
            Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]),
            &web,
        );
    }
    let dist = out.join("web");
    run(
        Command::new("node")
            .args(["node_modules/vite/bin/vite.js", "build"])
            .env("WEB_OUT", &dist),
        &web,
    );
    dist
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn run(command: &mut Command, dir: &Path) {
    let shown = format!("{command:?}");
    match command.current_dir(dir).status() {
        Ok(status) if status.success() => {}
        Ok(status) => panic!("`{shown}` in {} failed ({status})", dir.display()),
        Err(e) => panic!(
            "cannot run `{shown}` ({e}). Relais' web front end is built with Node.js (20 or later) \
             and npm: install them (Debian: apt install nodejs npm) and build again, or point \
             WEB_DIST at a bundle built elsewhere."
        ),
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// FNV-1a: stable across builds and toolchains, which is all a cache-busting tag needs.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn write_manifest(dist: &Path, target: &Path) {
    let assets = dist.join("assets");
    let mut files: Vec<PathBuf> = fs::read_dir(&assets)
        .unwrap_or_else(|e| panic!("no front-end bundle in {} ({e})", assets.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut code = String::from("pub static ASSETS: &[Asset] = &[\n");
    for file in files {
        let bytes = fs::read(&file).expect("readable asset");
        let name = file.file_name().and_then(|n| n.to_str()).expect("UTF-8 asset name");
        writeln!(
            code,
            "    Asset {{ name: {name:?}, content_type: {:?}, hash: \"{:016x}\", bytes: include_bytes!({:?}) }},",
            content_type(&file),
            fnv1a(&bytes),
            file.display().to_string(),
        )
        .expect("write to string");
    }
    code.push_str("];\n");
    fs::write(target, code).expect("write assets.rs");
}

/// mozjpeg-sys assembles libjpeg-turbo's SIMD code when it finds `nasm`, and quietly builds
/// plain C otherwise (cargo hides a dependency's build warnings). The same test here makes
/// it visible: a warning at build time, and `relais check` says which code was built.
fn report_jpeg_simd() {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let needs_nasm = matches!(arch.as_str(), "x86_64" | "x86");
    let simd = !needs_nasm
        || Command::new("nasm")
            .arg("-v")
            .output()
            .is_ok_and(|o| o.status.success());
    if !simd {
        println!(
            "cargo:warning=nasm not found: JPEG code built without SIMD, photos will take about 1.7x the CPU \
             (Debian: apt install nasm, then cargo clean -p mozjpeg-sys -p relais)"
        );
    }
    println!("cargo::rustc-check-cfg=cfg(jpeg_simd)");
    if simd {
        println!("cargo:rustc-cfg=jpeg_simd");
    }
}
