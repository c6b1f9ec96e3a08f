//! The database as backend-neutral JSON lines: a header, then for each table a line naming
//! its columns, its rows as JSON arrays, and a line closing it with its count. Values are
//! what both backends share: integers, text, bytes (`{"b64": …}`) and null. Tables go in
//! an order where every reference points to a table already written, except the
//! `DEFERRED` columns (a cycle and a self-reference), restored once every row is in.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::TryStreamExt;
use serde_json::{Value, json};
use sqlx::{Any, AnyConnection, Row};

use super::BackupError;
use crate::db::Backend;

/// A table and, where some rows must not travel, which ones do.
pub struct Table {
    pub name: &'static str,
    /// A SQL condition on the rows kept. Uploads still in progress stay behind: their
    /// bytes are partial and live outside the objects, so after a restore their client
    /// starts them again rather than resuming onto nothing.
    pub keep: Option<&'static str>,
}

const fn all(name: &'static str) -> Table {
    Table { name, keep: None }
}

/// Every table of the schema, parents before children.
pub const TABLES: &[Table] = &[
    all("users"),
    all("recovery_codes"),
    all("sessions"),
    all("api_tokens"),
    all("account_links"),
    all("jobs"),
    all("emails"),
    all("transfers"),
    // Guests' links: files sent through them and downloads made with them point at them.
    all("links"),
    all("link_sessions"),
    all("link_pin_failures"),
    Table {
        name: "files",
        keep: Some("status <> 'uploading'"),
    },
    Table {
        name: "uploads",
        keep: Some("completed_at IS NOT NULL AND file_id IN (SELECT id FROM files WHERE status <> 'uploading')"),
    },
    Table {
        name: "upload_parts",
        keep: Some("1 = 0"),
    },
    Table {
        name: "downloads",
        keep: Some("file_id IS NULL OR file_id IN (SELECT id FROM files WHERE status <> 'uploading')"),
    },
    all("activity"),
    all("setup_links"),
    all("email_changes"),
    Table {
        name: "variants",
        keep: Some("file_id IN (SELECT id FROM files WHERE status <> 'uploading')"),
    },
    all("integrations"),
    all("integration_secrets"),
    all("integration_clients"),
    all("quotes"),
    all("invoices"),
    all("payments"),
    all("documents"),
    all("integration_requests"),
    all("integration_calls"),
    all("albums"),
    all("stories"),
    Table {
        name: "portfolio_items",
        keep: Some("file_id IN (SELECT id FROM files WHERE status <> 'uploading')"),
    },
    all("studio_profile"),
    all("backup_runs"),
    all("trash"),
    all("newsletter_subscribers"),
    all("newsletter_issues"),
    all("newsletter_deliveries"),
    all("mail_pace"),
    all("appointments"),
    all("appointment_reminders"),
    all("calendar_feeds"),
    all("digests"),
    // Selections: lists point at transfers, users and links; favourites at lists and files.
    all("selection_lists"),
    all("favourites"),
    all("selection_limits"),
];

/// Columns that may point forward (or to their own table): written NULL with the row,
/// set once every table is in. `(table, column, the table's key column)`.
pub const DEFERRED: &[(&str, &str, &str)] = &[("transfers", "cover_file_id", "id"), ("downloads", "archive_id", "id")];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
    Bytes,
}

/// The columns of `table` in the connected database, in order, with their kinds.
pub async fn columns(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<(String, Kind)>, BackupError> {
    let sql = match backend {
        Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        Backend::Postgres => {
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    let rows: Vec<(String, String)> = sqlx::query_as(sql).bind(table).fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|(name, declared)| {
            let declared = declared.to_ascii_lowercase();
            let kind = if declared.contains("int") {
                Kind::Int
            } else if declared.contains("blob") || declared.contains("bytea") {
                Kind::Bytes
            } else if declared.contains("text") || declared.contains("char") {
                Kind::Text
            } else {
                return Err(BackupError::Damaged(format!(
                    "{table}.{name} has a type backups do not carry: {declared}"
                )));
            };
            Ok((name, kind))
        })
        .collect()
}

/// The last migration applied to the connected database (0 before any).
pub async fn schema_version(conn: &mut AnyConnection, backend: Backend) -> Result<i64, BackupError> {
    // Asked first whether the ledger exists, so that no failed statement aborts the
    // caller's transaction (PostgreSQL) or hides a real error.
    let exists = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_name = '_sqlx_migrations'"
        }
    };
    let (n,): (i64,) = sqlx::query_as(exists).fetch_one(&mut *conn).await?;
    if n == 0 {
        return Ok(0);
    }
    let (version,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut *conn)
        .await?;
    Ok(version.unwrap_or(0))
}

/// SQL built here names only tables of `TABLES` and columns the database itself listed
/// (a dump's column names are checked against the schema before use); values are always
/// bound. That is the audit `sqlx` asks for.
fn audited(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

/// Writes every table to `out`, inside the caller's transaction (one consistent view);
/// returns the rows written per table.
pub async fn write_all(
    conn: &mut AnyConnection,
    backend: Backend,
    schema_version: i64,
    out: &mut impl Write,
) -> Result<Vec<(String, u64)>, BackupError> {
    let io = |e: std::io::Error| BackupError::Io {
        path: "database dump".into(),
        source: e,
    };
    writeln!(
        out,
        "{}",
        json!({"relais_backup": super::FORMAT, "schema_version": schema_version})
    )
    .map_err(io)?;
    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let cols = columns(conn, backend, table.name).await?;
        let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
        writeln!(out, "{}", json!({"table": table.name, "columns": names})).map_err(io)?;
        let select = format!(
            "SELECT {} FROM {}{}",
            names.iter().map(|n| quoted(n)).collect::<Vec<_>>().join(", "),
            table.name,
            table.keep.map(|k| format!(" WHERE {k}")).unwrap_or_default()
        );
        let mut rows = sqlx::query(audited(select)).fetch(&mut *conn);
        let mut count = 0u64;
        while let Some(row) = rows.try_next().await? {
            let mut values = Vec::with_capacity(cols.len());
            for (i, (column, kind)) in cols.iter().enumerate() {
                // A value of another type than its column declares (SQLite allows it)
                // is named, with its row, rather than reported by column number.
                let unreadable = |e: sqlx::Error| {
                    let id = row.try_get::<String, _>(0).unwrap_or_default();
                    BackupError::Damaged(format!(
                        "{}.{column} of the row {id:?} cannot be read as {kind:?}: {e}",
                        table.name
                    ))
                };
                values.push(match kind {
                    Kind::Int => row
                        .try_get::<Option<i64>, _>(i)
                        .map_err(unreadable)?
                        .map_or(Value::Null, Value::from),
                    Kind::Text => row
                        .try_get::<Option<String>, _>(i)
                        .map_err(unreadable)?
                        .map_or(Value::Null, Value::from),
                    Kind::Bytes => row
                        .try_get::<Option<Vec<u8>>, _>(i)
                        .map_err(unreadable)?
                        .map_or(Value::Null, |b| json!({"b64": B64.encode(b)})),
                });
            }
            serde_json::to_writer(&mut *out, &values).map_err(|e| io(e.into()))?;
            out.write_all(b"\n").map_err(io)?;
            count += 1;
        }
        drop(rows);
        writeln!(out, "{}", json!({"end": table.name, "rows": count})).map_err(io)?;
        counts.push((table.name.to_owned(), count));
    }
    Ok(counts)
}

/// What a dump's header says.
pub fn read_header(line: &str) -> Result<i64, BackupError> {
    let header: Value = serde_json::from_str(line).map_err(|e| BackupError::Damaged(format!("header: {e}")))?;
    let format = header["relais_backup"].as_u64().unwrap_or(0);
    if format == 0 || format > u64::from(super::FORMAT) {
        return Err(BackupError::Damaged(format!("unknown dump format {format}")));
    }
    header["schema_version"]
        .as_i64()
        .ok_or_else(|| BackupError::Damaged("the header has no schema version".into()))
}

/// Reads a dump into the connected database (inside the caller's transaction), whose
/// tables must exist and be empty. Returns the rows read per table.
pub async fn read_all(
    conn: &mut AnyConnection,
    backend: Backend,
    input: impl BufRead,
) -> Result<Vec<(String, u64)>, BackupError> {
    let damaged = |what: String| BackupError::Damaged(what);
    let mut lines = input.lines();
    let mut next = || -> Result<Option<String>, BackupError> {
        lines.next().transpose().map_err(|e| BackupError::Io {
            path: "database dump".into(),
            source: e,
        })
    };
    read_header(&next()?.ok_or_else(|| damaged("the dump is empty".into()))?)?;
    let mut counts = Vec::new();
    let mut deferred: Vec<(&'static str, &'static str, &'static str, String, String)> = Vec::new();
    while let Some(line) = next()? {
        let opening: Value = serde_json::from_str(&line).map_err(|e| damaged(format!("table line: {e}")))?;
        let Some(name) = opening["table"].as_str() else {
            return Err(damaged(format!("expected a table, found {}", shorten(&line))));
        };
        if !TABLES.iter().any(|t| t.name == name) {
            return Err(damaged(format!("unknown table {name}")));
        }
        let dumped: Vec<String> = serde_json::from_value(opening["columns"].clone())
            .map_err(|e| damaged(format!("columns of {name}: {e}")))?;
        let here: HashMap<String, Kind> = columns(conn, backend, name).await?.into_iter().collect();
        let mut kinds = Vec::with_capacity(dumped.len());
        for column in &dumped {
            let kind = here.get(column).copied().ok_or_else(|| {
                damaged(format!(
                    "{name}.{column} is in the backup but not in this database: was the backup made by a newer Relais?"
                ))
            })?;
            kinds.push(kind);
        }
        let later: Vec<(usize, &(&str, &str, &str))> = DEFERRED
            .iter()
            .filter(|(t, _, _)| *t == name)
            .filter_map(|d| dumped.iter().position(|c| c == d.1).map(|i| (i, d)))
            .collect();
        let key_index = |key: &str| dumped.iter().position(|c| c == key);
        let insert = format!(
            "INSERT INTO {name} ({}) VALUES ({})",
            dumped.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", "),
            (1..=dumped.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut count = 0u64;
        loop {
            let line = next()?.ok_or_else(|| damaged(format!("the dump ends inside table {name}")))?;
            if line.starts_with('{') {
                let closing: Value = serde_json::from_str(&line).map_err(|e| damaged(format!("end of {name}: {e}")))?;
                if closing["end"] != name || closing["rows"].as_u64() != Some(count) {
                    return Err(damaged(format!("table {name} is cut short ({count} rows read)")));
                }
                break;
            }
            let values: Vec<Value> =
                serde_json::from_str(&line).map_err(|e| damaged(format!("a row of {name}: {e}")))?;
            if values.len() != dumped.len() {
                return Err(damaged(format!("a row of {name} has {} values", values.len())));
            }
            let mut query = sqlx::query::<Any>(audited(insert.clone()));
            for (i, (value, kind)) in values.iter().zip(&kinds).enumerate() {
                let postponed = later.iter().find(|(at, _)| *at == i);
                if let (Some((_, (t, column, key))), Some(text)) = (postponed, value.as_str()) {
                    let id = key_index(key)
                        .and_then(|k| values[k].as_str())
                        .ok_or_else(|| damaged(format!("a row of {name} has no {key}")))?;
                    deferred.push((t, column, key, id.to_owned(), text.to_owned()));
                    query = query.bind(None::<String>);
                    continue;
                }
                query = bind(query, value, *kind).map_err(|e| damaged(format!("{name}.{}: {e}", dumped[i])))?;
            }
            query
                .execute(&mut *conn)
                .await
                .map_err(|e| damaged(format!("a row of {name} (number {}) was refused: {e}", count + 1)))?;
            count += 1;
        }
        counts.push((name.to_owned(), count));
    }
    for (table, column, key, id, value) in deferred {
        sqlx::query(audited(format!(
            "UPDATE {table} SET {} = $1 WHERE {} = $2",
            quoted(column),
            quoted(key)
        )))
        .bind(value)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(counts)
}

fn bind<'q>(
    query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    value: &Value,
    kind: Kind,
) -> Result<sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>, String> {
    Ok(match (kind, value) {
        (Kind::Int, Value::Null) => query.bind(None::<i64>),
        (Kind::Text, Value::Null) => query.bind(None::<String>),
        (Kind::Bytes, Value::Null) => query.bind(None::<Vec<u8>>),
        (Kind::Int, Value::Number(n)) => query.bind(n.as_i64().ok_or("not a whole number")?),
        (Kind::Text, Value::String(s)) => query.bind(s.clone()),
        (Kind::Bytes, Value::Object(o)) => {
            let encoded = o.get("b64").and_then(Value::as_str).ok_or("bytes without b64")?;
            query.bind(B64.decode(encoded).map_err(|e| e.to_string())?)
        }
        (_, other) => return Err(format!("unexpected value {}", shorten(&other.to_string()))),
    })
}

fn shorten(s: &str) -> String {
    s.chars().take(80).collect()
}

/// The tables that hold rows, with their counts: a restore goes only into an empty
/// database.
pub async fn non_empty(conn: &mut AnyConnection) -> Result<Vec<(String, i64)>, BackupError> {
    let mut found = Vec::new();
    for table in TABLES {
        let count: Result<(i64,), _> = sqlx::query_as(audited(format!("SELECT COUNT(*) FROM {}", table.name)))
            .fetch_one(&mut *conn)
            .await;
        // A table this database does not have yet (not migrated) is empty.
        if let Ok((n,)) = count
            && n > 0
        {
            found.push((table.name.to_owned(), n));
        }
    }
    Ok(found)
}

/// Removes every table and the migrations' ledger, children first, so that the schema
/// can be built again at another version (a restore into a database migrated further).
pub async fn drop_schema(conn: &mut AnyConnection, backend: Backend) -> Result<(), BackupError> {
    // Children go first; the one cycle (a transfer's cover) is `ON DELETE SET NULL`.
    let cascade = if backend == Backend::Postgres { " CASCADE" } else { "" };
    // The ledgers too: the snapshot's schema is rebuilt from its own migrations.
    for table in TABLES
        .iter()
        .map(|t| t.name)
        .rev()
        .chain(["schema_writers", "_sqlx_migrations"])
    {
        sqlx::query(audited(format!("DROP TABLE IF EXISTS {table}{cascade}")))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Empties every table, children first (`restore --force`).
pub async fn clear(conn: &mut AnyConnection) -> Result<(), BackupError> {
    for (table, column, _) in DEFERRED {
        sqlx::query(audited(format!("UPDATE {table} SET {} = NULL", quoted(column))))
            .execute(&mut *conn)
            .await?;
    }
    for table in TABLES.iter().rev() {
        sqlx::query(audited(format!("DELETE FROM {}", table.name)))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
