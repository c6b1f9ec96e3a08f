//! A document's body: spooled to a local file while the signature and the SHA-256 are
//! computed, so a PDF is never held in memory and nothing reaches object storage before
//! the signature holds; then checked to be a PDF, and only then stored.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::request::Parts;
use futures_util::{StreamExt, TryStreamExt};
use relais_storage::{BlobError, BlobKey, keys};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::spool::{Place, Spooled};
use crate::auth::secrets::hex;
use crate::domain::quote_site::DocumentMeta;
use crate::http::error::{AppError, FieldError};
use crate::integration::signature::Verifier;
use crate::integration::sync::ReceivedPdf;
use crate::state::AppState;

/// A quote or invoice PDF; anything larger is not one.
pub const DOCUMENT_LIMIT: u64 = 20 * 1024 * 1024;

/// A body read whole into the spool, with what was counted on the way.
pub(super) struct Received {
    pub spooled: Spooled,
    pub size: u64,
    pub sha256: String,
    pub head: Vec<u8>,
}

/// Reads the body into a spool file, feeding the signature check and the SHA-256 on the
/// way; the file goes when `Received` is dropped.
pub(super) async fn spool_pdf(
    state: &AppState,
    body: Body,
    verifier: &mut Verifier,
    place: Place,
) -> Result<Received, AppError> {
    let dir = state.cfg.data_dir.join("tmp");
    let fail = |e: std::io::Error| AppError::internal(format!("document spool: {e}"));
    tokio::fs::create_dir_all(&dir).await.map_err(fail)?;
    let spooled = Spooled {
        path: dir.join(format!("spool-{}", uuid::Uuid::now_v7().simple())),
        _place: place,
    };
    let mut file = tokio::fs::File::create(&spooled.path).await.map_err(fail)?;
    let mut hash = Sha256::new();
    let mut size = 0u64;
    let mut head = Vec::with_capacity(8);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest {
            code: "body_incomplete",
            detail: format!("the body could not be read: {e}"),
        })?;
        size += chunk.len() as u64;
        if size > DOCUMENT_LIMIT {
            return Err(AppError::PayloadTooLarge {
                detail: format!("a document is at most {} MiB", DOCUMENT_LIMIT / (1024 * 1024)),
            });
        }
        verifier.update(&chunk);
        hash.update(&chunk);
        let missing = 8usize.saturating_sub(head.len()).min(chunk.len());
        head.extend_from_slice(&chunk[..missing]);
        file.write_all(&chunk).await.map_err(fail)?;
    }
    file.flush().await.map_err(fail)?;
    Ok(Received {
        spooled,
        size,
        sha256: hex(&hash.finalize()),
        head,
    })
}

/// Stores a proven, checked document under a fresh key, from its spool file.
pub(super) async fn store_pdf(state: &AppState, received: Received) -> Result<ReceivedPdf, AppError> {
    let key = keys::document(uuid::Uuid::now_v7());
    let file = tokio::fs::File::open(&received.spooled.path)
        .await
        .map_err(|e| AppError::internal(format!("document spool: {e}")))?;
    let stream = tokio_util::io::ReaderStream::new(file)
        .map_err(|e| BlobError::Body(e.to_string()))
        .boxed();
    state.blobs.put_stream(&key, stream).await?;
    Ok(ReceivedPdf {
        blob_key: key.as_str().to_owned(),
        size: received.size,
        sha256: received.sha256,
    })
}

/// The document's description (query string) and that the body is a PDF.
pub(super) fn check_pdf(parts: &Parts, head: &[u8]) -> Result<DocumentMeta, AppError> {
    let query: HashMap<String, String> = parts
        .uri
        .query()
        .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let mut errors = Vec::new();
    let meta = DocumentMeta::parse(&query).map_err(|e| errors.extend(e)).ok();
    if !head.starts_with(b"%PDF-") {
        errors.push(FieldError::new("body", "expected a PDF (it must start with %PDF-)"));
    }
    match meta {
        Some(meta) if errors.is_empty() => Ok(meta),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Deletes an object no record points to; a failure only leaves garbage, so it is logged.
pub(super) async fn discard(state: &AppState, key: &str) {
    let Ok(key) = BlobKey::parse(key) else { return };
    if let Err(e) = state.blobs.delete(&key).await {
        tracing::warn!(error = %e, key = %key, "cannot delete an unused document");
    }
}
