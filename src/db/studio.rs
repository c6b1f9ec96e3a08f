//! The studio's identity: one row (`id = 1`), absent until the studio names itself.

use sqlx::{Any, Executor, FromRow};

use super::DbError;
use crate::domain::Timestamp;

#[derive(Debug, Clone, FromRow)]
pub struct ProfileRow {
    pub name: String,
    pub tagline: Option<String>,
    pub tagline_en: Option<String>,
    pub contact_email: Option<String>,
    pub logo_type: Option<String>,
    pub logo_hash: Option<String>,
}

/// The texts to store; `None` clears an optional one.
pub struct Texts<'a> {
    pub name: &'a str,
    pub tagline: Option<&'a str>,
    pub tagline_en: Option<&'a str>,
    pub contact_email: Option<&'a str>,
}

pub async fn get<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Option<ProfileRow>, DbError> {
    Ok(sqlx::query_as(
        "SELECT name, tagline, tagline_en, contact_email, logo_type, logo_hash FROM studio_profile WHERE id = 1",
    )
    .fetch_optional(ex)
    .await?)
}

/// Writes the texts, creating the row the first time; the logo is kept.
pub async fn save_texts<'e>(
    ex: impl Executor<'e, Database = Any>,
    t: Texts<'_>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO studio_profile (id, name, tagline, tagline_en, contact_email, updated_at) \
         VALUES (1, $1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, tagline = excluded.tagline, \
         tagline_en = excluded.tagline_en, contact_email = excluded.contact_email, updated_at = excluded.updated_at",
    )
    .bind(t.name)
    .bind(t.tagline)
    .bind(t.tagline_en)
    .bind(t.contact_email)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// A new logo (or none), for a studio that has named itself; false when it has not (the
/// row is made by naming it, so that a logo never stands in for a name).
pub async fn save_logo<'e>(
    ex: impl Executor<'e, Database = Any>,
    logo: Option<(&[u8], &str, &str)>,
    now: Timestamp,
) -> Result<bool, DbError> {
    let (bytes, content_type, hash) = match logo {
        Some((b, t, h)) => (Some(b.to_vec()), Some(t), Some(h)),
        None => (None, None, None),
    };
    let done = sqlx::query(
        "UPDATE studio_profile SET logo = $1, logo_type = $2, logo_hash = $3, updated_at = $4 WHERE id = 1",
    )
    .bind(bytes)
    .bind(content_type)
    .bind(hash)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The logo as stored: bytes, type and the hash of those very bytes.
pub struct StoredLogo {
    pub bytes: Vec<u8>,
    pub content_type: String,
    pub hash: String,
}

#[derive(FromRow)]
struct LogoRow {
    logo: Option<Vec<u8>>,
    logo_type: Option<String>,
    logo_hash: Option<String>,
}

pub async fn logo<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Option<StoredLogo>, DbError> {
    let row: Option<LogoRow> = sqlx::query_as("SELECT logo, logo_type, logo_hash FROM studio_profile WHERE id = 1")
        .fetch_optional(ex)
        .await?;
    Ok(row.and_then(|r| {
        Some(StoredLogo {
            bytes: r.logo?,
            content_type: r.logo_type?,
            hash: r.logo_hash?,
        })
    }))
}

/// Whether any quote-site integration exists, revoked ones included.
pub async fn has_integrations<'e>(ex: impl Executor<'e, Database = Any>) -> Result<bool, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM integrations")
        .fetch_one(ex)
        .await?;
    Ok(n > 0)
}
