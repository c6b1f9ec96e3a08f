//! The two databases hold one schema: after every migration, SQLite and PostgreSQL have the
//! same tables, the same columns (name, type, whether they may be empty) and the same
//! indexes. The migrations are written twice (`migrations/sqlite`, `migrations/postgres`);
//! a column added to one folder only would otherwise surface as a failure on one backend
//! in production. Runs in the PostgreSQL pass, where both servers are at hand.

use std::collections::BTreeMap;

use relais::config::{DatabaseConfig, DatabaseKind};
use relais::db::Db;
use secrecy::SecretString;

use crate::helpers::backend::Backend;

/// table → column → (type, nullable); and the index names.
type Shape = (BTreeMap<String, BTreeMap<String, (String, bool)>>, Vec<String>);

/// One name for the types both dialects spell differently.
fn normal(kind: &str) -> String {
    match kind.to_ascii_lowercase().as_str() {
        "integer" | "int" | "int4" => "integer".into(),
        "bigint" | "int8" => "bigint".into(),
        "text" | "character varying" | "varchar" => "text".into(),
        "blob" | "bytea" => "bytes".into(),
        "real" | "double" | "double precision" | "float8" => "double".into(),
        "boolean" | "bool" => "boolean".into(),
        other => other.into(),
    }
}

async fn sqlite_shape(db: &Db) -> Shape {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(db.pool())
    .await
    .expect("tables");
    let mut shape = BTreeMap::new();
    let mut indexes = Vec::new();
    for (table,) in tables {
        let columns: Vec<(String, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{table}')"
        )))
        .fetch_all(db.pool())
        .await
        .expect("columns");
        let cols = columns
            .into_iter()
            // A primary key is never empty, whatever SQLite's catalogue says.
            .map(|(name, kind, not_null, pk)| (name, (normal(&kind), not_null == 0 && pk == 0)))
            .collect();
        shape.insert(table.clone(), cols);
        let named: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_index_list('{table}') WHERE origin = 'c'"
        )))
        .fetch_all(db.pool())
        .await
        .expect("indexes");
        indexes.extend(named.into_iter().map(|(n,)| n));
    }
    indexes.sort();
    (shape, indexes)
}

async fn postgres_shape(db: &Db) -> Shape {
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         AND table_name NOT LIKE '\\_sqlx%' ORDER BY table_name, column_name",
    )
    .fetch_all(db.pool())
    .await
    .expect("columns");
    let primary: Vec<(String, String)> = sqlx::query_as(
        "SELECT k.table_name::text, k.column_name::text FROM information_schema.table_constraints c \
         JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name \
         AND k.table_schema = c.table_schema WHERE c.constraint_type = 'PRIMARY KEY' \
         AND c.table_schema = current_schema()",
    )
    .fetch_all(db.pool())
    .await
    .expect("keys");
    let mut shape: BTreeMap<String, BTreeMap<String, (String, bool)>> = BTreeMap::new();
    for (table, column, kind, nullable) in columns {
        let pk = primary.iter().any(|(t, c)| *t == table && *c == column);
        shape
            .entry(table)
            .or_default()
            .insert(column, (normal(&kind), nullable == "YES" && !pk));
    }
    // Indexes made by CREATE INDEX (not those behind primary keys and UNIQUE constraints,
    // which SQLite names its own way).
    let indexes: Vec<(String,)> = sqlx::query_as(
        "SELECT i.indexname::text FROM pg_indexes i WHERE i.schemaname = current_schema() \
         AND i.tablename NOT LIKE '\\_sqlx%' AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
         WHERE c.conname = i.indexname) ORDER BY 1",
    )
    .fetch_all(db.pool())
    .await
    .expect("indexes");
    (shape, indexes.into_iter().map(|(n,)| n).collect())
}

#[tokio::test]
async fn sqlite_and_postgresql_hold_the_same_schema() {
    if Backend::from_env() != Backend::PostgresS3 {
        // Both servers are at hand in the PostgreSQL pass; once is enough.
        return;
    }
    let app = crate::helpers::spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = Db::connect(&DatabaseConfig {
        url: SecretString::from(format!("sqlite://{}?mode=rwc", dir.path().join("relais.db").display())),
        kind: DatabaseKind::Sqlite,
        max_connections: 2,
    })
    .await
    .expect("sqlite");
    sqlite.migrate().await.expect("sqlite migrations");
    let (lite, lite_indexes) = sqlite_shape(&sqlite).await;
    let (pg, pg_indexes) = postgres_shape(&app.state.db).await;
    assert!(lite.len() > 30, "the SQLite schema was read: {} tables", lite.len());
    let lite_tables: Vec<&String> = lite.keys().collect();
    let pg_tables: Vec<&String> = pg.keys().collect();
    assert_eq!(lite_tables, pg_tables, "the same tables");
    let mut differences = Vec::new();
    for (table, columns) in &lite {
        let other = &pg[table];
        for (column, spec) in columns {
            match other.get(column) {
                Some(theirs) if theirs == spec => {}
                theirs => differences.push(format!("{table}.{column}: SQLite {spec:?}, PostgreSQL {theirs:?}")),
            }
        }
        for column in other.keys().filter(|c| !columns.contains_key(*c)) {
            differences.push(format!("{table}.{column}: only in PostgreSQL"));
        }
    }
    assert!(differences.is_empty(), "columns differ:\n{}", differences.join("\n"));
    assert_eq!(lite_indexes, pg_indexes, "the same indexes");
}
