//! The pages' Content-Security-Policy.

use axum::http::HeaderValue;
use relais_storage::StorageConfig;

use crate::config::Config;

/// Where the browser may fetch from besides this origin: the bucket, when it sends parts
/// there (direct-to-bucket) or is redirected there for downloads and media playback.
fn bucket_sources(cfg: &Config) -> Vec<String> {
    let StorageConfig::S3(s3) = &cfg.storage else {
        return Vec::new();
    };
    if !cfg.uploads.direct_to_bucket && !cfg.downloads.redirect_to_bucket {
        return Vec::new();
    }
    match &s3.endpoint {
        None => vec!["https://*.amazonaws.com".into()],
        Some(endpoint) => {
            let origin = endpoint.origin().ascii_serialization();
            if s3.path_style {
                vec![origin]
            } else {
                let host = endpoint.host_str().unwrap_or_default();
                let port = endpoint.port().map(|p| format!(":{p}")).unwrap_or_default();
                vec![origin, format!("{}://*.{host}{port}", endpoint.scheme())]
            }
        }
    }
}

/// Exactly what the pages need: their own scripts and styles, images and media from here
/// (and `blob:` for the uploader's previews), the bucket where configured, nothing inline.
pub fn page_policy(cfg: &Config) -> HeaderValue {
    let bucket = bucket_sources(cfg).join(" ");
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: {bucket}; \
         media-src 'self' blob: {bucket}; connect-src 'self' {bucket}; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy.replace("  ", " ").replace(" ;", ";"))
        .unwrap_or(HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_is_allowed_only_when_the_browser_talks_to_it() {
        let mut cfg = Config::defaults_in(std::path::Path::new("/tmp/relais-csp")).expect("defaults");
        let plain = page_policy(&cfg);
        let plain = plain.to_str().expect("ascii");
        assert!(plain.contains("script-src 'self';") && !plain.contains("amazonaws"));
        cfg.storage = StorageConfig::S3(relais_storage::S3Config {
            endpoint: Some("http://127.0.0.1:9000".parse().expect("url")),
            bucket: "b".into(),
            region: "us-east-1".into(),
            access_key_id: "k".into(),
            secret_access_key: "s".into(),
            path_style: true,
        });
        cfg.uploads.direct_to_bucket = true;
        let policy = page_policy(&cfg);
        assert!(
            policy
                .to_str()
                .expect("ascii")
                .contains("connect-src 'self' http://127.0.0.1:9000;")
        );
    }
}
