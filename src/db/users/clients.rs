//! The studio's list of clients: how many, and a page of them with what they store.

use sqlx::{Any, Executor, FromRow};

use super::{COLUMNS, User, UserRow};
use crate::db::DbError;

/// A client with what the studio's list shows about them.
#[derive(Debug, Clone)]
pub struct ClientSummary {
    pub user: User,
    /// Bytes of everything stored for this client, both directions.
    pub stored_bytes: u64,
    pub invited_pending: bool,
}

/// How many clients the studio has (the dashboard's figure), counted, not listed.
pub async fn count_clients<'e>(ex: impl Executor<'e, Database = Any>) -> Result<u64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'client' AND deleted_at IS NULL")
        .fetch_one(ex)
        .await?;
    Ok(n.max(0) as u64)
}

/// Clients whose name or address contains `search` (all when empty), by name.
pub async fn clients<'e>(ex: impl Executor<'e, Database = Any>, search: &str) -> Result<Vec<ClientSummary>, DbError> {
    Ok(clients_page(ex, search, None, None)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect())
}

/// Like [`clients`], `limit` at most after the key `after` (the sort name and id of the
/// last client of the page before); each with its key, as the database sorts it.
pub async fn clients_page<'e>(
    ex: impl Executor<'e, Database = Any>,
    search: &str,
    after: Option<(&str, &str)>,
    limit: Option<u32>,
) -> Result<Vec<(ClientSummary, [String; 2])>, DbError> {
    #[derive(FromRow)]
    struct Summary {
        #[sqlx(flatten)]
        user: UserRow,
        stored_bytes: i64,
        sort_name: String,
    }
    let pattern = format!("%{}%", search.to_lowercase().replace(['%', '_'], ""));
    let keyset = if after.is_some() {
        " AND (LOWER(name) > $2 OR (LOWER(name) = $2 AND id > $3))"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS}, CAST(COALESCE((SELECT SUM(f.size) FROM files f JOIN transfers t ON t.id = f.transfer_id \
         WHERE t.client_id = users.id AND f.sha256 IS NOT NULL AND f.deleted_at IS NULL), 0) AS BIGINT) \
         AS stored_bytes, LOWER(name) AS sort_name FROM users WHERE role = 'client' AND deleted_at IS NULL \
         AND (LOWER(name) LIKE $1 OR LOWER(email) LIKE $1){keyset} \
         ORDER BY LOWER(name), id{}",
        limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default()
    );
    let mut query = sqlx::query_as::<_, Summary>(sqlx::AssertSqlSafe(sql)).bind(pattern);
    if let Some((name, id)) = after {
        query = query.bind(name.to_owned()).bind(id.to_owned());
    }
    let rows = query.fetch_all(ex).await?;
    rows.into_iter()
        .map(|r| {
            let invited_pending = r.user.password_hash.is_none();
            let user = r.user.into_credentials()?.user;
            let key = [r.sort_name, user.id.to_string()];
            Ok((
                ClientSummary {
                    user,
                    stored_bytes: r.stored_bytes.max(0) as u64,
                    invited_pending,
                },
                key,
            ))
        })
        .collect()
}
