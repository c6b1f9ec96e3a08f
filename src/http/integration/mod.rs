//! The quote site's signed API: `PUT /api/v1/integration/{clients,quotes,invoices,
//! payments,documents}/{id}`. Checks run in this order, each before the next looks at
//! anything: the Standard Webhooks signature over the raw body, then the body's fields,
//! then the idempotency ledger (`webhook-id`), then parents and versions inside one
//! transaction that also stores the answer. Every call goes to the studio's call log.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use serde_json::Value;
use sha2::{Digest, Sha256};

mod pdf;
pub(crate) mod spool;

use self::pdf::{check_pdf, discard, spool_pdf, store_pdf};
use super::deadline::{self, Deadline};
use super::limits;
use crate::auth::secrets::hex;
use crate::db::{self, DbError, integrations::Call};
use crate::domain::quote_site::{
    AppointmentRecord, ClientRecord, DocumentMeta, ExtId, InvoiceRecord, PaymentRecord, QuoteRecord,
};
use crate::http::error::{AppError, FieldError};
use crate::integration::idempotency::{self, Claim};
use crate::integration::signature::{Headers, Secret, Signed, Verifier};
use crate::integration::sync::{self, Applied, Outcome, ReceivedPdf, SyncError};
use crate::state::AppState;
use axum::middleware::from_fn_with_state;

/// Records are small JSON objects.
const JSON_LIMIT: usize = 64 * 1024;
/// Concurrent first writes of one record: the loser runs again and finds the winner's.
const RACE_ATTEMPTS: usize = 3;

/// The OpenAPI document of these routes, for the quote site's developers.
const OPENAPI: &str = include_str!("../../integration/openapi.json");

/// Records get the API's usual time limit (`records`); a signed PDF may take longer to
/// arrive (`documents`).
pub fn routes(behind_proxy: bool, records: Deadline, documents: Deadline) -> Router<AppState> {
    let signed = Router::new()
        .route("/integration/clients/{id}", put(put_client))
        .route("/integration/quotes/{id}", put(put_quote))
        .route("/integration/invoices/{id}", put(put_invoice))
        .route("/integration/payments/{id}", put(put_payment))
        .route("/integration/appointments/{id}", put(put_appointment))
        .route_layer(from_fn_with_state(records, deadline::within))
        .route(
            "/integration/documents/{id}",
            put(put_document).layer(from_fn_with_state(documents, deadline::within)),
        )
        .route_layer(limits::per_ip_integration_layer(behind_proxy));
    signed.route(
        "/openapi.json",
        axum::routing::get(openapi).layer(from_fn_with_state(records, deadline::within)),
    )
}

async fn openapi() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        OPENAPI,
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Client,
    Quote,
    Invoice,
    Payment,
    Appointment,
    Document,
}

async fn put_client(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    handle(&state, Resource::Client, &id, req).await
}

async fn put_quote(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    handle(&state, Resource::Quote, &id, req).await
}

async fn put_invoice(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    handle(&state, Resource::Invoice, &id, req).await
}

async fn put_payment(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    handle(&state, Resource::Payment, &id, req).await
}

async fn put_appointment(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    handle(&state, Resource::Appointment, &id, req).await
}

async fn put_document(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    handle(&state, Resource::Document, &id, req).await
}

/// What is answered: a record's fate, or (`outcome: None`) the stored answer to a resend.
struct Answer {
    status: StatusCode,
    body: String,
    outcome: Option<Outcome>,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if self.outcome.is_none() {
            headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
        }
        response
    }
}

async fn handle(state: &AppState, resource: Resource, id: &str, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let mut call = Call {
        id: uuid::Uuid::now_v7().to_string(),
        integration_id: None,
        webhook_id: header_text(&parts, "webhook-id").map(|s| s.chars().take(200).collect()),
        method: parts.method.to_string(),
        path: original_uri(&parts).path().chars().take(300).collect(),
        status: 0,
        outcome: "rejected".into(),
        reason: None,
        at: state.clock.now(),
    };
    let response = match run(state, resource, id, &parts, body, &mut call).await {
        Ok(answer) => {
            call.outcome = answer.outcome.map_or("replayed", Outcome::as_str).into();
            answer.into_response()
        }
        Err(e) => {
            let (status, code) = e.parts();
            // The studio reads the reason; a server fault's cause stays in the server log.
            call.reason = Some(if status.is_server_error() {
                code.to_owned()
            } else {
                format!("{code}: {e}")
            });
            e.into_response()
        }
    };
    call.status = i64::from(response.status().as_u16());
    if let Err(e) = db::integrations::log_call(&state.db, &call).await {
        tracing::warn!(error = %e, "cannot write the integration call log");
    }
    response
}

/// The URI as the caller sent it (routing under `/api/v1` strips the prefix).
fn original_uri(parts: &Parts) -> &axum::http::Uri {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(&parts.uri, |o| &o.0)
}

fn header_text<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The body once its signature is proven.
enum Received {
    Json(Value),
    Pdf(DocumentMeta, ReceivedPdf),
}

async fn run(
    state: &AppState,
    resource: Resource,
    id: &str,
    parts: &Parts,
    body: Body,
    call: &mut Call,
) -> Result<Answer, AppError> {
    let now = state.clock.now();
    let signed = Signed {
        id: header_text(parts, "webhook-id").unwrap_or_default(),
        timestamp: header_text(parts, "webhook-timestamp").unwrap_or_default(),
        signature: header_text(parts, "webhook-signature").unwrap_or_default(),
    };
    if signed.id.len() > 200 {
        return Err(AppError::InvalidSignature);
    }
    let headers = Headers::check(&signed, now.unix_secs()).map_err(|_| AppError::InvalidSignature)?;
    let (owners, secrets): (Vec<String>, Vec<Secret>) = db::integrations::active_secrets(&state.db, now)
        .await?
        .into_iter()
        .filter_map(|s| Some((s.integration_id, Secret::parse(&s.secret)?)))
        .unzip();
    if secrets.is_empty() {
        // No quote site is connected: nothing can be signed, nothing is read.
        return Err(AppError::InvalidSignature);
    }
    let verifier = Verifier::start(&secrets, headers);

    let (matched, received, body_digest) = if resource == Resource::Document {
        // Spooled locally until the signature holds: a stranger's body never reaches
        // object storage, and the spool is bounded in total and per address.
        let from = super::limits::client_ip(
            &parts.headers,
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0),
            state.cfg.behind_proxy,
        );
        let place = state.limits.document_spool.enter(from)?;
        let mut verifier = verifier;
        let spooled = spool_pdf(state, body, &mut verifier, place).await?;
        let matched = verifier.finish().map_err(|_| AppError::InvalidSignature)?;
        call.integration_id = owners.get(matched).cloned();
        let meta = check_pdf(parts, &spooled.head)?;
        let digest = spooled.sha256.clone();
        let pdf = store_pdf(state, spooled).await?;
        let received = Received::Pdf(meta, pdf);
        (matched, received, digest)
    } else {
        let mut verifier = verifier;
        let bytes = axum::body::to_bytes(body, JSON_LIMIT)
            .await
            .map_err(|_| AppError::PayloadTooLarge {
                detail: format!("a record is at most {} KiB of JSON", JSON_LIMIT / 1024),
            })?;
        verifier.update(&bytes);
        let matched = verifier.finish().map_err(|_| AppError::InvalidSignature)?;
        call.integration_id = owners.get(matched).cloned();
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| AppError::Validation(vec![FieldError::new("body", format!("not valid JSON: {e}"))]))?;
        (matched, Received::Json(value), hex(&Sha256::digest(&bytes)))
    };
    let integration = owners.get(matched).cloned().unwrap_or_default();
    call.integration_id = Some(integration.clone());

    let proven = Proven {
        resource,
        id,
        parts,
        webhook_id: signed.id.trim(),
        integration: &integration,
        body_digest: &body_digest,
    };
    let result = accept(state, &proven, received).await;
    result.map_err(|(e, orphan)| {
        if let Some(key) = orphan {
            let state = state.clone();
            tokio::spawn(async move { discard(&state, &key).await });
        }
        e
    })
}

/// A request whose signature is proven, and what identifies it.
struct Proven<'a> {
    resource: Resource,
    /// The record's id, from the path (not yet parsed).
    id: &'a str,
    parts: &'a Parts,
    webhook_id: &'a str,
    integration: &'a str,
    body_digest: &'a str,
}

/// Steps after the signature: the fields, the idempotency ledger, the write. On failure
/// returns the blob of a received PDF that no record points to.
async fn accept(state: &AppState, req: &Proven<'_>, received: Received) -> Result<Answer, (AppError, Option<String>)> {
    let orphan = match &received {
        Received::Pdf(_, pdf) => Some(pdf.blob_key.clone()),
        Received::Json(_) => None,
    };
    let fail = |e: AppError| (e, orphan.clone());
    let ext = ExtId::parse(req.id).ok_or_else(|| {
        fail(AppError::validation(
            "id",
            "expected an id of 1 to 100 characters among A-Z a-z 0-9 . _ : -",
        ))
    })?;
    let record = Record::parse(state, req.resource, received).map_err(|errors| fail(AppError::Validation(errors)))?;

    // The same id must mean the same request: method, path and body.
    let uri = original_uri(req.parts);
    let target = uri.path_and_query().map(|p| p.as_str()).unwrap_or_default();
    let request_hash = idempotency::request_hash(req.parts.method.as_str(), target, req.body_digest);
    let webhook_id = req.webhook_id;
    let claimed = idempotency::claim(&state.db, webhook_id, req.integration, &request_hash, state.clock.now())
        .await
        .map_err(|e| fail(e.into()))?;
    if let Claim::Replay { status, body } = claimed {
        // The first request's PDF is the one kept; this copy is not needed.
        if let Some(key) = orphan {
            discard(state, &key).await;
        }
        return Ok(Answer {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            body,
            outcome: None,
        });
    }

    let applied = apply(state, &ext, &record, webhook_id).await;
    match applied {
        Ok((answer, replaced)) => {
            if let Some(old) = replaced {
                discard(state, &old).await;
            }
            // The record kept its earlier PDF: the one just received is not needed.
            if matches!(answer.outcome, Some(Outcome::Stale | Outcome::Unchanged))
                && let Some(key) = orphan
            {
                discard(state, &key).await;
            }
            Ok(answer)
        }
        Err(e) => {
            idempotency::release(&state.db, webhook_id).await;
            Err((e, orphan))
        }
    }
}

/// A parsed record, ready to apply.
enum Record {
    Client(ClientRecord),
    Quote(QuoteRecord),
    Invoice(InvoiceRecord),
    Payment(PaymentRecord),
    Appointment(AppointmentRecord),
    Document(DocumentMeta, ReceivedPdf),
}

impl Record {
    fn parse(state: &AppState, resource: Resource, received: Received) -> Result<Self, Vec<FieldError>> {
        match (resource, received) {
            (Resource::Appointment, Received::Json(v)) => {
                AppointmentRecord::parse(&v, &crate::appointments::default_zone(state), state.clock.now())
                    .map(Record::Appointment)
            }
            (Resource::Client, Received::Json(v)) => ClientRecord::parse(&v).map(Record::Client),
            (Resource::Quote, Received::Json(v)) => QuoteRecord::parse(&v).map(Record::Quote),
            (Resource::Invoice, Received::Json(v)) => InvoiceRecord::parse(&v).map(Record::Invoice),
            (Resource::Payment, Received::Json(v)) => PaymentRecord::parse(&v).map(Record::Payment),
            (_, Received::Pdf(meta, pdf)) => Ok(Record::Document(meta, pdf)),
            (Resource::Document, Received::Json(_)) => Err(vec![FieldError::new("body", "expected a PDF")]),
        }
    }
}

/// Writes the record and its answer in one transaction; a lost race runs again.
async fn apply(
    state: &AppState,
    ext: &ExtId,
    record: &Record,
    webhook_id: &str,
) -> Result<(Answer, Option<String>), AppError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match apply_once(state, ext, record, webhook_id).await {
            Err(e) if e.is_race() && attempt < RACE_ATTEMPTS => continue,
            Err(e) if e.is_race() => return Err(SyncError::Raced.into()),
            Err(e) => return Err(e.into()),
            Ok(done) => return Ok(done),
        }
    }
}

async fn apply_once(
    state: &AppState,
    ext: &ExtId,
    record: &Record,
    webhook_id: &str,
) -> Result<(Answer, Option<String>), SyncError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (applied, replaced): (Applied, Option<String>) = match record {
        Record::Client(r) => (sync::client(state, &mut tx, ext, r, now).await?, None),
        Record::Quote(r) => (sync::quote(&mut tx, ext, r, now).await?, None),
        Record::Invoice(r) => (sync::invoice(&mut tx, ext, r, now).await?, None),
        Record::Payment(r) => (sync::payment(&mut tx, ext, r, now).await?, None),
        Record::Appointment(r) => (sync::appointment(&mut tx, ext, r, now).await?, None),
        Record::Document(meta, pdf) => sync::document(&mut tx, ext, meta, pdf, now).await?,
    };
    let status = if applied.result == Outcome::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = serde_json::to_string(&applied).map_err(|e| DbError::Corrupt(e.to_string()))?;
    db::integrations::complete(&mut *tx, webhook_id, status.as_u16(), &body, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    Ok((
        Answer {
            status,
            body,
            outcome: Some(applied.result),
        },
        replaced,
    ))
}
