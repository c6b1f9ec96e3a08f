use std::fmt;
use std::path::PathBuf;

use url::Url;

/// Where the bytes live. Built by the application from its validated configuration.
#[derive(Debug, Clone)]
pub enum StorageConfig {
    /// A directory on this machine.
    Local { root: PathBuf },
    /// Any S3-compatible service.
    S3(S3Config),
    /// Process memory; for tests only.
    Memory,
}

/// Connection settings for an S3-compatible service.
#[derive(Clone)]
pub struct S3Config {
    /// `None` means AWS itself (the endpoint is derived from the region).
    pub endpoint: Option<Url>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`; most
    /// self-hosted services (MinIO, Garage, Ceph) want this.
    pub path_style: bool,
}

// The secret must never reach a log line, so Debug is written by hand.
impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint.as_ref().map(Url::as_str))
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .field("path_style", &self.path_style)
            .finish()
    }
}

impl S3Config {
    /// The endpoint as the SDKs want it: with scheme, without trailing slash.
    pub fn endpoint_str(&self) -> String {
        match &self.endpoint {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => format!("https://s3.{}.amazonaws.com", self.region),
        }
    }

    pub fn allows_http(&self) -> bool {
        self.endpoint.as_ref().is_some_and(|u| u.scheme() == "http")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_secret() {
        let cfg = S3Config {
            endpoint: None,
            bucket: "b".into(),
            region: "eu-west-3".into(),
            access_key_id: "AKIA".into(),
            secret_access_key: "very-secret-value".into(),
            path_style: false,
        };
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(shown.contains("AKIA"));
    }
}
