//! The studio's identity: one row (`id = 1`), absent until the studio names itself.

use sqlx::{Any, Executor, FromRow};

use super::DbError;
use crate::domain::Millis;

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
pub async fn save_texts<'e>(ex: impl Executor<'e, Database = Any>, t: Texts<'_>, now: Millis) -> Result<(), DbError> {
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

/// A new logo (or none). `name` is used only if the row does not exist yet.
pub async fn save_logo<'e>(
    ex: impl Executor<'e, Database = Any>,
    name: &str,
    logo: Option<(&[u8], &str, &str)>,
    now: Millis,
) -> Result<(), DbError> {
    let (bytes, content_type, hash) = match logo {
        Some((b, t, h)) => (Some(b.to_vec()), Some(t), Some(h)),
        None => (None, None, None),
    };
    sqlx::query(
        "INSERT INTO studio_profile (id, name, logo, logo_type, logo_hash, updated_at) VALUES (1, $1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO UPDATE SET logo = excluded.logo, logo_type = excluded.logo_type, \
         logo_hash = excluded.logo_hash, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(bytes)
    .bind(content_type)
    .bind(hash)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// The logo's bytes and type, when there is one.
pub async fn logo<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Option<(Vec<u8>, String)>, DbError> {
    let row: Option<(Option<Vec<u8>>, Option<String>)> =
        sqlx::query_as("SELECT logo, logo_type FROM studio_profile WHERE id = 1")
            .fetch_optional(ex)
            .await?;
    Ok(row.and_then(|(bytes, kind)| Some((bytes?, kind?))))
}

/// Whether any quote-site integration exists, revoked ones included.
pub async fn has_integrations<'e>(ex: impl Executor<'e, Database = Any>) -> Result<bool, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM integrations")
        .fetch_one(ex)
        .await?;
    Ok(n > 0)
}
