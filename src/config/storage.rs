//! The `storage.*` keys: where file bytes live (a local directory, memory, or an S3
//! bucket) and how to reach the bucket.

use std::path::Path;

use relais_storage::{S3Config, StorageConfig};
use secrecy::ExposeSecret;
use url::Url;

use super::reader::Reader;

pub(super) fn read(r: &mut Reader, data_dir: &Path) -> Option<StorageConfig> {
    let backend = r.text("storage.backend").unwrap_or_else(|| "local".into());
    let root = r.path("storage.root");
    let bucket = r.text("storage.bucket");
    let endpoint = r.parse(
        "storage.endpoint",
        "an http(s) URL such as https://s3.fr-par.scw.cloud or http://127.0.0.1:9000",
        |s| match Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
            Ok(_) => Err("not an http(s) URL with a host".into()),
            Err(e) => Err(format!("not a URL: {e}")),
        },
    );
    let region = r.text("storage.region");
    let access_key_id = r.text("storage.access_key_id");
    let secret = r.secret("storage.secret_access_key");
    let path_style = r.bool("storage.path_style");

    match backend.trim().to_ascii_lowercase().as_str() {
        "local" => Some(StorageConfig::Local {
            root: root.unwrap_or_else(|| data_dir.join("objects")),
        }),
        "memory" => Some(StorageConfig::Memory),
        "s3" => {
            let mut missing = |key: &str, what: &str| {
                r.problem(key, format!("required when storage.backend is s3 (expected {what})"))
            };
            let bucket = bucket.filter(|b| !b.is_empty());
            if bucket.is_none() {
                missing("storage.bucket", "the bucket name");
            }
            if access_key_id.is_none() {
                missing("storage.access_key_id", "the access key id");
            }
            if secret.is_none() {
                missing(
                    "storage.secret_access_key",
                    "the secret key, or storage.secret_access_key_file",
                );
            }
            if let Some(b) = &bucket
                && !valid_bucket_name(b)
            {
                r.problem(
                    "storage.bucket",
                    format!(
                        "not a valid bucket name (got {b:?}; expected 3 to 63 lower-case letters, digits, '.' or '-')"
                    ),
                );
                return None;
            }
            let path_style = path_style.unwrap_or(endpoint.is_some());
            Some(StorageConfig::S3(S3Config {
                endpoint,
                bucket: bucket?,
                region: region.filter(|s| !s.is_empty()).unwrap_or_else(|| "us-east-1".into()),
                access_key_id: access_key_id?,
                secret_access_key: secret?.expose_secret().to_owned(),
                path_style,
            }))
        }
        other => {
            r.problem(
                "storage.backend",
                format!("unknown backend (got {other:?}; expected local or s3)"),
            );
            None
        }
    }
}

pub(super) fn valid_bucket_name(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        && b.as_bytes().first().is_some_and(|c| c.is_ascii_alphanumeric())
        && b.as_bytes().last().is_some_and(|c| c.is_ascii_alphanumeric())
}
