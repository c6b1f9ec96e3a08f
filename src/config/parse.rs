//! Turning the merged sources into a validated `Config`, one group of keys at a time.

use std::net::SocketAddr;
use std::path::PathBuf;

use url::Url;

use super::reader::Reader;
use super::{Config, DownloadsConfig, HttpConfig, JobsConfig, LogConfig, LogFormat, MediaConfig, UploadsConfig};
use crate::domain::ByteSize;

pub(super) fn read(r: &mut Reader) -> Option<Config> {
    let listen = r
        .parse("listen", "host:port, e.g. 127.0.0.1:8080 or [::]:8080", |s| {
            s.parse::<SocketAddr>().map_err(|_| "not a socket address".into())
        })
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    let public_url = r
        .parse(
            "public_url",
            "an http:// or https:// URL, e.g. https://transfert.example.fr",
            |s| {
                let url = Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
                match url.scheme() {
                    "http" | "https" if url.host().is_some() => Ok(url),
                    _ => Err("not an http(s) URL with a host".into()),
                }
            },
        )
        .or_else(|| Url::parse(&format!("http://{listen}")).ok());
    let data_dir = r.path("data_dir").unwrap_or_else(|| PathBuf::from("./data"));
    let database = super::database::read(r, &data_dir);
    let storage = super::storage::read(r, &data_dir);
    let max_file_size = r
        .parse(
            "uploads.max_file_size",
            "a size such as 5GiB or 500MB, at least 1 byte",
            |s| {
                ByteSize::parse(s)
                    .map_err(|e| e.to_string())
                    .and_then(|b| if b.bytes() == 0 { Err("zero".into()) } else { Ok(b) })
            },
        )
        .unwrap_or(ByteSize::from_bytes(5 * ByteSize::GIB));
    let part_size = r
        .parse("uploads.part_size", "a size from 5MiB to 5GiB, such as 16MiB", |s| {
            let size = ByteSize::parse(s).map_err(|e| e.to_string())?;
            if (5 * ByteSize::MIB..=5 * ByteSize::GIB).contains(&size.bytes()) {
                Ok(size)
            } else {
                Err("outside S3's part limits".into())
            }
        })
        .unwrap_or(ByteSize::from_bytes(16 * ByteSize::MIB));
    let expire_after = r
        .parse("uploads.expire_after", "a duration such as 24h, 90m or 7d", |s| {
            parse_duration(s)
                .filter(|d| d.as_secs() >= 60)
                .ok_or_else(|| "not a duration of at least a minute".into())
        })
        .unwrap_or(std::time::Duration::from_secs(24 * 3600));
    let idle_timeout = r
        .parse("uploads.idle_timeout", "a duration such as 60s or 5m", |s| {
            parse_duration(s)
                .filter(|d| (1..=3600).contains(&d.as_secs()))
                .ok_or_else(|| "not a duration from 1 s to 1 h".into())
        })
        .unwrap_or(std::time::Duration::from_secs(60));
    let disk_reserve = r
        .parse(
            "uploads.disk_reserve",
            "a size such as 1GiB or 500MB (0 for none)",
            |s| ByteSize::parse(s).map_err(|e| e.to_string()),
        )
        .unwrap_or(ByteSize::from_bytes(ByteSize::GIB));
    let direct_to_bucket = r.bool("uploads.direct_to_bucket").unwrap_or(false);
    let mail = super::mail::read(r, &data_dir);
    let redirect_to_bucket = r.bool("downloads.redirect_to_bucket").unwrap_or(false);
    let log = read_log(r);
    let concurrency = r
        .parse("jobs.concurrency", "a whole number from 1 to 64", |s| {
            match s.parse::<usize>() {
                Ok(n) if (1..=64).contains(&n) => Ok(n),
                _ => Err("out of range".into()),
            }
        })
        .unwrap_or(4);
    let max_megapixels = r
        .parse(
            "media.max_megapixels",
            "a whole number of megapixels from 1 to 1000",
            |s| match s.parse::<u64>() {
                Ok(n) if (1..=1000).contains(&n) => Ok(n),
                _ => Err("out of range".into()),
            },
        )
        .unwrap_or(100);
    let video_crf = r
        .parse(
            "media.video_crf",
            "a whole number from 16 (best, largest) to 32 (smallest)",
            |s| match s.parse::<u8>() {
                Ok(n) if (16..=32).contains(&n) => Ok(n),
                _ => Err("out of range".into()),
            },
        )
        .unwrap_or(23);
    let video_preset = r
        .parse(
            "media.video_preset",
            "one of ultrafast, superfast, veryfast, faster, fast, medium, slow",
            |s| match s {
                "ultrafast" | "superfast" | "veryfast" | "faster" | "fast" | "medium" | "slow" => Ok(s.to_owned()),
                _ => Err("unknown preset".into()),
            },
        )
        .unwrap_or_else(|| "veryfast".to_owned());
    let video_jobs = r
        .parse("media.video_jobs", "a whole number from 1 to 8", |s| {
            match s.parse::<usize>() {
                Ok(n) if (1..=8).contains(&n) => Ok(n),
                _ => Err("out of range".into()),
            }
        })
        .unwrap_or(1);
    let http = read_http(r);
    let backup = super::backup::read(r, storage.as_ref());
    let trash_days = r
        .parse(
            "trash.keep_days",
            "a whole number of days from 0 to 3650",
            |s| match s.parse::<u32>() {
                Ok(n) if n <= 3650 => Ok(n),
                _ => Err("out of range".into()),
            },
        )
        .unwrap_or(30);
    let mut days = |key: &str| {
        r.parse(
            key,
            "a whole number of days from 1 to 3650 (leave it out to keep for ever)",
            |s| match s.parse::<u32>() {
                Ok(n) if (1..=3650).contains(&n) => Ok(n),
                _ => Err("out of range".into()),
            },
        )
    };
    let retention = super::RetentionConfig {
        delivery_days: days("retention.delivery_days"),
        inbound_days: days("retention.inbound_days"),
    };
    let newsletter = super::newsletter::read(r);
    let metrics = super::metrics::read(r, listen);
    let reminders = super::reminders::read(r);
    let digest_at = super::reminders::read_digest(r);
    let behind_proxy = r.bool("behind_proxy").unwrap_or(false);
    let cors_origins = r.list("cors_origins").unwrap_or_default();
    for origin in &cors_origins {
        let ok = Url::parse(origin)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.origin().ascii_serialization() == *origin);
        if !ok {
            r.problem("cors_origins", format!("not an origin (got {origin:?}; expected scheme://host[:port] with no path, e.g. https://studio.example.fr)"));
        }
    }
    let node_name = r
        .parse("node_name", "1 to 64 letters, digits, '.', '_' or '-'", |s| {
            let ok =
                !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if ok {
                Ok(s.to_owned())
            } else {
                Err("not a node name".into())
            }
        })
        .unwrap_or_else(default_node_name);

    Some(Config {
        listen,
        public_url: public_url?,
        data_dir,
        database: database?,
        storage: storage?,
        uploads: UploadsConfig {
            max_file_size,
            part_size,
            expire_after,
            idle_timeout,
            disk_reserve,
            direct_to_bucket,
        },
        mail: mail?,
        downloads: DownloadsConfig { redirect_to_bucket },
        log,
        jobs: JobsConfig { concurrency },
        media: MediaConfig {
            max_pixels: max_megapixels * 1_000_000,
            video: crate::media::web_copy::Settings {
                crf: video_crf,
                preset: video_preset,
                jobs: video_jobs,
                fixed_limit: None,
            },
        },
        http,
        backup,
        trash_days,
        retention,
        newsletter,
        metrics,
        reminders,
        digest_at,
        cors_origins,
        node_name,
        behind_proxy,
    })
}

fn read_http(r: &mut Reader) -> HttpConfig {
    let mut seconds = |key: &str, range: std::ops::RangeInclusive<u64>, default: u64| {
        let expected = format!(
            "a duration from {} s to {} s, such as 30s or 2m",
            range.start(),
            range.end()
        );
        r.parse(key, &expected, |s| {
            parse_duration(s)
                .filter(|d| range.contains(&d.as_secs()))
                .ok_or_else(|| "not a duration in that range".into())
        })
        .unwrap_or(std::time::Duration::from_secs(default))
    };
    HttpConfig {
        header_timeout: seconds("http.header_timeout", 1..=600, 30),
        request_timeout: seconds("http.request_timeout", 1..=3600, 60),
        file_timeout: seconds("http.file_timeout", 1..=86_400, 600),
    }
}

/// The host name, made safe as a node name.
fn default_node_name() -> String {
    let raw = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .unwrap_or_default();
    let clean: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .take(64)
        .collect();
    if clean.is_empty() { "relais".into() } else { clean }
}

/// `30s`, `90m`, `24h`, `7d`.
pub(super) fn parse_duration(s: &str) -> Option<std::time::Duration> {
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let secs = match unit.trim() {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(std::time::Duration::from_secs(secs))
}

fn read_log(r: &mut Reader) -> LogConfig {
    let format = r
        .parse("log_format", "text or json", |s| {
            match s.to_ascii_lowercase().as_str() {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                _ => Err("unknown format".into()),
            }
        })
        .unwrap_or(LogFormat::Text);
    let level = r
        .parse(
            "log_level",
            "a level (error, warn, info, debug, trace) or a filter such as relais=debug,info",
            |s| {
                tracing_subscriber::EnvFilter::try_new(s)
                    .map(|_| s.to_owned())
                    .map_err(|e| format!("not a log filter: {e}"))
            },
        )
        .unwrap_or_else(|| "info".into());
    LogConfig { format, level }
}
