//! The quote site's records (clients, quotes, invoices, payments, documents). Writes are
//! upserts keyed by the quote site's id that only ever move a record to a higher version:
//! `ON CONFLICT … DO UPDATE … WHERE stored.version < new.version`, one statement, so
//! concurrent senders can neither duplicate a record nor bring back an older one.

use sqlx::{Any, Executor, FromRow};

use super::{DbError, parse_id};
use crate::domain::quote_site::{ClientRecord, InvoiceRecord, PaymentRecord, QuoteRecord};
use crate::domain::{Timestamp, UserId};

/// The tables whose rows carry a version; the name is never taken from input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Clients,
    Quotes,
    Invoices,
    Payments,
    Documents,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Clients => "integration_clients",
            Table::Quotes => "quotes",
            Table::Invoices => "invoices",
            Table::Payments => "payments",
            Table::Documents => "documents",
        }
    }
}

/// The version and digest a record was last written with.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Stored {
    pub version: i64,
    pub digest: String,
}

pub async fn stored<'e>(
    ex: impl Executor<'e, Database = Any>,
    table: Table,
    ext: &str,
) -> Result<Option<Stored>, DbError> {
    let sql = format!("SELECT version, digest FROM {} WHERE ext_id = $1", table.name());
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ext)
        .fetch_optional(ex)
        .await?)
}

/// The account a quote-site client became.
pub async fn client_account<'e>(ex: impl Executor<'e, Database = Any>, ext: &str) -> Result<Option<UserId>, DbError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT user_id FROM integration_clients WHERE ext_id = $1")
        .bind(ext)
        .fetch_optional(ex)
        .await?;
    row.map(|(id,)| parse_id(&id, UserId::parse)).transpose()
}

/// The quote-site id of an account, when it came from (or was linked to) the quote site.
pub async fn client_ext_id<'e>(ex: impl Executor<'e, Database = Any>, user: UserId) -> Result<Option<String>, DbError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT ext_id FROM integration_clients WHERE user_id = $1")
        .bind(user.to_db())
        .fetch_optional(ex)
        .await?;
    Ok(row.map(|(id,)| id))
}

/// Links a quote-site client to an account (new or existing). Returns false when the
/// link already exists: a concurrent request made it first.
pub async fn link_client<'e>(
    ex: impl Executor<'e, Database = Any>,
    ext: &str,
    user: UserId,
    record: &ClientRecord,
    digest: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO integration_clients (ext_id, user_id, phone, event_date, version, digest, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (ext_id) DO NOTHING",
    )
    .bind(ext)
    .bind(user.to_db())
    .bind(&record.phone)
    .bind(&record.event_date)
    .bind(record.version)
    .bind(digest)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a client's quote-site details to a newer version; false when the stored one is
/// as new or newer.
pub async fn update_client<'e>(
    ex: impl Executor<'e, Database = Any>,
    ext: &str,
    record: &ClientRecord,
    digest: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE integration_clients SET phone = $1, event_date = $2, version = $3, digest = $4, updated_at = $5 \
         WHERE ext_id = $6 AND version < $3",
    )
    .bind(&record.phone)
    .bind(&record.event_date)
    .bind(record.version)
    .bind(digest)
    .bind(now)
    .bind(ext)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn upsert_quote<'e>(
    ex: impl Executor<'e, Database = Any>,
    ext: &str,
    q: &QuoteRecord,
    digest: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO quotes (ext_id, client_ext_id, number, title, status, total, currency, version, digest, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
         ON CONFLICT (ext_id) DO UPDATE SET client_ext_id = excluded.client_ext_id, number = excluded.number, \
           title = excluded.title, status = excluded.status, total = excluded.total, currency = excluded.currency, \
           version = excluded.version, digest = excluded.digest, updated_at = excluded.updated_at \
         WHERE quotes.version < excluded.version",
    )
    .bind(ext)
    .bind(q.client.as_str())
    .bind(&q.number)
    .bind(&q.title)
    .bind(q.status.as_str())
    .bind(q.total)
    .bind(q.currency.as_str())
    .bind(q.version)
    .bind(digest)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn upsert_invoice<'e>(
    ex: impl Executor<'e, Database = Any>,
    ext: &str,
    i: &InvoiceRecord,
    digest: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO invoices (ext_id, client_ext_id, quote_ext_id, number, title, status, total, currency, due_date, \
           version, digest, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
         ON CONFLICT (ext_id) DO UPDATE SET client_ext_id = excluded.client_ext_id, quote_ext_id = excluded.quote_ext_id, \
           number = excluded.number, title = excluded.title, status = excluded.status, total = excluded.total, \
           currency = excluded.currency, due_date = excluded.due_date, version = excluded.version, \
           digest = excluded.digest, updated_at = excluded.updated_at \
         WHERE invoices.version < excluded.version",
    )
    .bind(ext)
    .bind(i.client.as_str())
    .bind(i.quote.as_ref().map(|q| q.as_str()))
    .bind(&i.number)
    .bind(&i.title)
    .bind(i.status.as_str())
    .bind(i.total)
    .bind(i.currency.as_str())
    .bind(&i.due_date)
    .bind(i.version)
    .bind(digest)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn upsert_payment<'e>(
    ex: impl Executor<'e, Database = Any>,
    ext: &str,
    p: &PaymentRecord,
    digest: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO payments (ext_id, invoice_ext_id, amount, currency, paid_at, method, version, digest, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (ext_id) DO UPDATE SET invoice_ext_id = excluded.invoice_ext_id, amount = excluded.amount, \
           currency = excluded.currency, paid_at = excluded.paid_at, method = excluded.method, \
           version = excluded.version, digest = excluded.digest, updated_at = excluded.updated_at \
         WHERE payments.version < excluded.version",
    )
    .bind(ext)
    .bind(p.invoice.as_str())
    .bind(p.amount)
    .bind(p.currency.as_str())
    .bind(p.paid_at)
    .bind(&p.method)
    .bind(p.version)
    .bind(digest)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A stored PDF's row, as written.
pub struct NewDocument<'a> {
    pub client_ext_id: &'a str,
    pub kind: &'a str,
    pub owner_ext_id: &'a str,
    pub filename: &'a str,
    pub blob_key: &'a str,
    pub size: u64,
    pub sha256: &'a str,
    pub version: i64,
    pub digest: &'a str,
}

pub async fn upsert_document<'e>(
    ex: impl Executor<'e, Database = Any>,
    ext: &str,
    d: &NewDocument<'_>,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO documents (ext_id, client_ext_id, kind, owner_ext_id, filename, blob_key, size, sha256, version, \
           digest, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
         ON CONFLICT (ext_id) DO UPDATE SET client_ext_id = excluded.client_ext_id, kind = excluded.kind, \
           owner_ext_id = excluded.owner_ext_id, filename = excluded.filename, blob_key = excluded.blob_key, \
           size = excluded.size, sha256 = excluded.sha256, version = excluded.version, digest = excluded.digest, \
           updated_at = excluded.updated_at \
         WHERE documents.version < excluded.version",
    )
    .bind(ext)
    .bind(d.client_ext_id)
    .bind(d.kind)
    .bind(d.owner_ext_id)
    .bind(d.filename)
    .bind(d.blob_key)
    .bind(i64::try_from(d.size).unwrap_or(i64::MAX))
    .bind(d.sha256)
    .bind(d.version)
    .bind(d.digest)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The client a quote belongs to.
pub async fn quote_client<'e>(ex: impl Executor<'e, Database = Any>, ext: &str) -> Result<Option<String>, DbError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT client_ext_id FROM quotes WHERE ext_id = $1")
        .bind(ext)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(|(c,)| c))
}

/// The client and currency of an invoice.
pub async fn invoice_owner<'e>(
    ex: impl Executor<'e, Database = Any>,
    ext: &str,
) -> Result<Option<(String, String)>, DbError> {
    Ok(
        sqlx::query_as("SELECT client_ext_id, currency FROM invoices WHERE ext_id = $1")
            .bind(ext)
            .fetch_optional(ex)
            .await?,
    )
}

/// The blob of a document as stored now.
pub async fn document_blob<'e>(ex: impl Executor<'e, Database = Any>, ext: &str) -> Result<Option<String>, DbError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT blob_key FROM documents WHERE ext_id = $1")
        .bind(ext)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(|(k,)| k))
}

// ---- Reading, for the client space and the studio ----

#[derive(Debug, Clone, FromRow)]
pub struct Quote {
    pub ext_id: String,
    pub number: String,
    pub title: Option<String>,
    pub status: String,
    pub total: i64,
    pub currency: String,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, FromRow)]
pub struct Invoice {
    pub ext_id: String,
    pub quote_ext_id: Option<String>,
    pub number: String,
    pub title: Option<String>,
    pub status: String,
    pub total: i64,
    pub currency: String,
    pub due_date: Option<String>,
    /// The sum of its payments.
    pub paid: i64,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, FromRow)]
pub struct Payment {
    pub ext_id: String,
    pub invoice_ext_id: String,
    pub invoice_number: String,
    pub amount: i64,
    pub currency: String,
    pub paid_at: Timestamp,
    pub method: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct Document {
    pub ext_id: String,
    pub kind: String,
    pub owner_ext_id: String,
    pub filename: String,
    pub blob_key: String,
    pub size: i64,
    pub sha256: String,
    pub updated_at: Timestamp,
}

const OF_ACCOUNT: &str = "client_ext_id = (SELECT ext_id FROM integration_clients WHERE user_id = $1)";

pub async fn quotes_of<'e>(ex: impl Executor<'e, Database = Any>, user: UserId) -> Result<Vec<Quote>, DbError> {
    let sql = format!(
        "SELECT ext_id, number, title, status, total, currency, updated_at FROM quotes WHERE {OF_ACCOUNT} \
         ORDER BY created_at DESC, ext_id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user.to_db())
        .fetch_all(ex)
        .await?)
}

pub async fn invoices_of<'e>(ex: impl Executor<'e, Database = Any>, user: UserId) -> Result<Vec<Invoice>, DbError> {
    let sql = format!(
        "SELECT i.ext_id, i.quote_ext_id, i.number, i.title, i.status, i.total, i.currency, i.due_date, \
           CAST(COALESCE((SELECT SUM(p.amount) FROM payments p WHERE p.invoice_ext_id = i.ext_id), 0) AS BIGINT) AS paid, \
           i.updated_at \
         FROM invoices i WHERE i.{OF_ACCOUNT} ORDER BY i.created_at DESC, i.ext_id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user.to_db())
        .fetch_all(ex)
        .await?)
}

pub async fn payments_of<'e>(ex: impl Executor<'e, Database = Any>, user: UserId) -> Result<Vec<Payment>, DbError> {
    let sql = format!(
        "SELECT p.ext_id, p.invoice_ext_id, i.number AS invoice_number, p.amount, p.currency, p.paid_at, p.method \
         FROM payments p JOIN invoices i ON i.ext_id = p.invoice_ext_id WHERE i.{OF_ACCOUNT} \
         ORDER BY p.paid_at DESC, p.ext_id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user.to_db())
        .fetch_all(ex)
        .await?)
}

pub async fn documents_of<'e>(ex: impl Executor<'e, Database = Any>, user: UserId) -> Result<Vec<Document>, DbError> {
    let sql = format!(
        "SELECT ext_id, kind, owner_ext_id, filename, blob_key, size, sha256, updated_at FROM documents \
         WHERE {OF_ACCOUNT} ORDER BY created_at DESC, ext_id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user.to_db())
        .fetch_all(ex)
        .await?)
}

/// A document and the account it belongs to, for the download check.
pub async fn document<'e>(
    ex: impl Executor<'e, Database = Any>,
    ext: &str,
) -> Result<Option<(Document, UserId)>, DbError> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        document: Document,
        user_id: String,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT d.ext_id, d.kind, d.owner_ext_id, d.filename, d.blob_key, d.size, d.sha256, d.updated_at, c.user_id \
         FROM documents d JOIN integration_clients c ON c.ext_id = d.client_ext_id WHERE d.ext_id = $1",
    )
    .bind(ext)
    .fetch_optional(ex)
    .await?;
    row.map(|r| Ok((r.document, parse_id(&r.user_id, UserId::parse)?)))
        .transpose()
}

/// The event date the quote site gave for the client who is `user` ("YYYY-MM-DD").
pub async fn event_date<'e>(ex: impl Executor<'e, Database = Any>, user: UserId) -> Result<Option<String>, DbError> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT event_date FROM integration_clients WHERE user_id = $1")
            .bind(user.to_db())
            .fetch_optional(ex)
            .await?;
    Ok(row.and_then(|(d,)| d))
}
