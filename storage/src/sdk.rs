//! The AWS SDK's S3 client, for what object_store does not do: listing a multipart
//! upload's parts (direct-to-bucket uploads) and bucket administration (`setup`). Its
//! errors carry the service's code as a typed field: they are mapped by code, not by
//! searching text.

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::config::S3Config;
use crate::error::BlobError;
use crate::key::BlobKey;
use crate::parts::{MultipartId, PartNumber, PartReceipt};

pub(crate) fn client(cfg: &S3Config) -> Client {
    let credentials = Credentials::new(&cfg.access_key_id, &cfg.secret_access_key, None, None, "relais-config");
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(cfg.region.clone()))
        .credentials_provider(credentials)
        .endpoint_url(cfg.endpoint_str())
        .force_path_style(cfg.path_style)
        // S3-compatible services often reject the newer default checksums.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .build();
    Client::from_conf(conf)
}

/// `code: message` as the service sent them, or the SDK's own account of the failure.
pub(crate) fn describe<E: ProvideErrorMetadata + std::error::Error + 'static>(err: &SdkError<E>) -> String {
    match (err.code(), err.message()) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(err).to_string(),
    }
}

/// Our error for an SDK failure: by the service's error code when it answered, by the
/// kind of failure when it did not.
pub(crate) fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: &SdkError<E>,
    bucket: &str,
) -> BlobError {
    let detail = describe(err);
    match err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => return BlobError::Unreachable { detail },
        _ => {}
    }
    match err.code() {
        Some("SignatureDoesNotMatch" | "InvalidAccessKeyId" | "AccessDenied" | "InvalidToken" | "ExpiredToken") => {
            BlobError::Unauthorized { detail }
        }
        Some("NoSuchBucket") => BlobError::NoSuchBucket {
            bucket: bucket.to_owned(),
        },
        Some("NoSuchUpload") => BlobError::NoSuchUpload(detail),
        Some("NoSuchKey") => BlobError::NotFound { key: detail },
        _ => match err.raw_response().map(|r| r.status().as_u16()) {
            Some(401 | 403) => BlobError::Unauthorized { detail },
            _ => BlobError::Backend(detail),
        },
    }
}

/// Every part S3 holds for a multipart upload, in part order, page after page.
pub(crate) async fn list_parts(
    client: &Client,
    bucket: &str,
    key: &BlobKey,
    upload: &MultipartId,
) -> Result<Vec<PartReceipt>, BlobError> {
    // 10 000 parts at most, 1 000 per page: a service that keeps saying "more" is wrong.
    const MAX_PAGES: usize = 20;
    let mut parts = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = client
            .list_parts()
            .bucket(bucket)
            .key(key.as_str())
            .upload_id(&upload.0)
            .set_part_number_marker(marker.take())
            .send()
            .await
            .map_err(|e| classify(&e, bucket))?;
        for part in page.parts() {
            let number = part
                .part_number()
                .and_then(|n| u32::try_from(n).ok())
                .and_then(PartNumber::new)
                .ok_or_else(|| BlobError::Backend("a listed part without a valid number".into()))?;
            let size = part
                .size()
                .and_then(|s| u64::try_from(s).ok())
                .ok_or_else(|| BlobError::Backend(format!("listed part {} has no size", number.get())))?;
            // AWS always sends the ETag; some compatible servers (s3s-fs) leave it out.
            let etag = part.e_tag().unwrap_or_default().to_owned();
            parts.push(PartReceipt { number, size, etag });
        }
        match page.next_part_number_marker() {
            Some(next) if page.is_truncated() == Some(true) => marker = Some(next.to_owned()),
            _ => {
                // AWS answers in part order; not every compatible server does.
                parts.sort_by_key(|p| p.number);
                return Ok(parts);
            }
        }
    }
    Err(BlobError::Backend(format!(
        "ListParts of {key} went on for more than {MAX_PAGES} pages"
    )))
}
