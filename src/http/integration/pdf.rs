//! A document's body: streamed into object storage while the signature and the SHA-256
//! are computed, so a PDF is never held in memory; then checked to be a PDF.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::request::Parts;
use futures_util::StreamExt;
use relais_storage::{BlobError, BlobKey, keys};
use sha2::{Digest, Sha256};

use crate::auth::secrets::hex;
use crate::error::{AppError, FieldError};
use crate::integration::records::DocumentMeta;
use crate::integration::signature::Verifier;
use crate::integration::sync::ReceivedPdf;
use crate::state::AppState;

/// A quote or invoice PDF; anything larger is not one.
pub const DOCUMENT_LIMIT: u64 = 20 * 1024 * 1024;

/// What is counted while a PDF streams into storage.
struct Tap {
    verifier: Verifier,
    hash: Sha256,
    size: u64,
    head: Vec<u8>,
    too_large: bool,
}

/// Streams the body into storage under a fresh key, feeding the signature check and the
/// SHA-256 on the way, so a PDF is never held in memory. The caller deletes the object
/// if the signature then fails.
pub(super) async fn receive_pdf(
    state: &AppState,
    body: Body,
    verifier: Verifier,
) -> Result<(Verifier, ReceivedPdf, Vec<u8>), AppError> {
    let tap = Arc::new(Mutex::new(Tap {
        verifier,
        hash: Sha256::new(),
        size: 0,
        head: Vec::with_capacity(8),
        too_large: false,
    }));
    let key = keys::document(uuid::Uuid::now_v7());
    let counting = Arc::clone(&tap);
    let stream = body
        .into_data_stream()
        .map(move |chunk| {
            let chunk = chunk.map_err(|e| BlobError::Body(e.to_string()))?;
            let mut t = counting.lock().unwrap_or_else(|p| p.into_inner());
            t.size += chunk.len() as u64;
            if t.size > DOCUMENT_LIMIT {
                t.too_large = true;
                return Err(BlobError::Body("document too large".into()));
            }
            t.verifier.update(&chunk);
            t.hash.update(&chunk);
            let missing = 8usize.saturating_sub(t.head.len()).min(chunk.len());
            t.head.extend_from_slice(&chunk[..missing]);
            Ok(chunk)
        })
        .boxed();
    let stored = state.blobs.put_stream(&key, stream).await;
    let tap = Arc::try_unwrap(tap)
        .map_err(|_| AppError::internal("body stream still referenced"))?
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    if tap.too_large {
        discard(state, key.as_str()).await;
        return Err(AppError::PayloadTooLarge {
            detail: format!("a document is at most {} MiB", DOCUMENT_LIMIT / (1024 * 1024)),
        });
    }
    stored?;
    let pdf = ReceivedPdf {
        blob_key: key.as_str().to_owned(),
        size: tap.size,
        sha256: hex(&tap.hash.finalize()),
    };
    Ok((tap.verifier, pdf, tap.head))
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
