use sqlx::Any;

use super::{Db, DbError};
use crate::domain::Millis;

/// Stores an integration with its first secret, in one transaction; returns its id.
pub async fn insert(db: &Db, name: &str, secret: &str, now: Millis) -> Result<String, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = db.begin().await?;
    sqlx::query::<Any>("INSERT INTO integrations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query::<Any>("INSERT INTO integration_secrets (integration_id, secret, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(secret)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Every secret that signs validly now: those of integrations not revoked, not expired.
pub async fn active_secrets(db: &Db, now: Millis) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT s.secret FROM integration_secrets s JOIN integrations i ON i.id = s.integration_id \
         WHERE i.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > $1)",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(s,)| s).collect())
}
