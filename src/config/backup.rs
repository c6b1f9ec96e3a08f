//! The `backup.*` keys: where `relais backup` copies to, the S3 service of an `s3://`
//! target, when the daily run starts and what retention keeps.

use std::fmt;
use std::path::PathBuf;

use relais_storage::{S3Config, StorageConfig};
use secrecy::ExposeSecret;
use url::Url;

use super::reader::Reader;
use super::{BackupConfig, BackupTarget};

impl BackupTarget {
    /// `DIR`, or `s3://bucket[/prefix]`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if !super::storage::valid_bucket_name(bucket) {
                return Err(format!("{bucket:?} is not a bucket name"));
            }
            let prefix = prefix.trim_matches('/');
            if !prefix.is_empty() && relais_storage::BlobKey::parse(prefix).is_err() {
                return Err(format!(
                    "the prefix {prefix:?} may hold only letters, digits, '.', '_', '-' and '/'"
                ));
            }
            return Ok(Self::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            });
        }
        if s.is_empty() || s.contains("://") {
            return Err("neither a directory nor s3://bucket/prefix".into());
        }
        Ok(Self::Dir(PathBuf::from(s)))
    }
}

impl fmt::Display for BackupTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dir(dir) => write!(f, "{}", dir.display()),
            Self::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Self::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

pub(super) fn read(r: &mut Reader, live: Option<&StorageConfig>) -> BackupConfig {
    let target = r.parse(
        "backup.target",
        "a directory, or s3://bucket/prefix on another bucket than the live one",
        BackupTarget::parse,
    );
    let at = r
        .parse("backup.at", "a time of day HH:MM in UTC, such as 03:00", |s| {
            let (h, m) = s.split_once(':').ok_or("not HH:MM")?;
            match (h.parse::<u8>(), m.parse::<u8>()) {
                (Ok(h), Ok(m)) if h < 24 && m < 60 && m.to_string().len() <= 2 => Ok((h, m)),
                _ => Err("not a time of day".to_owned()),
            }
        })
        .unwrap_or((3, 0));
    let mut keep = |key: &str, default: u32| {
        r.parse(key, "a whole number from 0 to 1000", |s| match s.parse::<u32>() {
            Ok(n) if n <= 1000 => Ok(n),
            _ => Err("out of range".into()),
        })
        .unwrap_or(default)
    };
    let keep_daily = keep("backup.keep_daily", 7);
    let keep_weekly = keep("backup.keep_weekly", 4);
    let keep_monthly = keep("backup.keep_monthly", 12);
    let endpoint = r.parse("backup.s3.endpoint", "an http(s) URL", |s| match Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        _ => Err("not an http(s) URL with a host".into()),
    });
    let region = r.text("backup.s3.region");
    let access_key_id = r.text("backup.s3.access_key_id");
    let secret = r.secret("backup.s3.secret_access_key");
    let path_style = r.bool("backup.s3.path_style");
    let live_s3 = match live {
        Some(StorageConfig::S3(s3)) => Some(s3),
        _ => None,
    };
    // Each setting of its own, else the live storage's: a second bucket on the same
    // service needs nothing more than `backup.target`.
    let s3 = match (access_key_id, secret, live_s3) {
        (Some(id), Some(secret), _) => Some(S3Config {
            path_style: path_style.unwrap_or(endpoint.is_some()),
            endpoint,
            bucket: String::new(),
            region: region.unwrap_or_else(|| "us-east-1".into()),
            access_key_id: id,
            secret_access_key: secret.expose_secret().to_owned(),
        }),
        (None, None, Some(live)) => Some(S3Config {
            endpoint: endpoint.or_else(|| live.endpoint.clone()),
            region: region.unwrap_or_else(|| live.region.clone()),
            path_style: path_style.unwrap_or(live.path_style),
            ..live.clone()
        }),
        (Some(_), None, _) | (None, Some(_), _) => {
            r.problem(
                "backup.s3.access_key_id",
                "backup.s3.access_key_id and backup.s3.secret_access_key go together",
            );
            None
        }
        (None, None, None) => None,
    };
    if let (Some(BackupTarget::S3 { .. }), None) = (&target, &s3) {
        r.problem(
            "backup.target",
            "an s3:// target needs backup.s3.access_key_id and backup.s3.secret_access_key (and backup.s3.endpoint \
             outside AWS) when the live storage is not on S3",
        );
    }
    BackupConfig {
        target,
        at,
        keep_daily,
        keep_weekly,
        keep_monthly,
        s3,
    }
}
