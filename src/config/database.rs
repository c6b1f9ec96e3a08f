//! The `database_*` keys: which database (SQLite by default, in the data directory, or
//! PostgreSQL) and how many connections to it.

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::reader::Reader;
use super::{DatabaseConfig, DatabaseKind};

pub(super) fn read(r: &mut Reader, data_dir: &Path) -> Option<DatabaseConfig> {
    let max_connections = r.parse("database_max_connections", "a whole number from 1 to 1000", |s| match s
        .parse::<u32>()
    {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err("out of range".into()),
    });
    let url = match r.secret("database_url") {
        Some(url) => url,
        None => SecretString::from(sqlite_url(&data_dir.join("relais.db"))),
    };
    let kind = {
        let raw = url.expose_secret();
        if raw.starts_with("sqlite:") {
            Some(DatabaseKind::Sqlite)
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            match Url::parse(raw) {
                Ok(u) if u.host().is_some() || u.query().is_some_and(|q| q.contains("host=")) => {
                    Some(DatabaseKind::Postgres)
                }
                _ => {
                    r.problem(
                        "database_url",
                        "not a valid PostgreSQL URL (expected postgres://user:password@host:5432/database)",
                    );
                    None
                }
            }
        } else {
            // The value may hold a password: only its scheme is shown.
            let scheme = raw
                .split(':')
                .next()
                .unwrap_or_default()
                .chars()
                .take(20)
                .collect::<String>();
            r.problem("database_url", format!("unsupported database (got scheme {scheme:?}; expected sqlite://path or postgres://user:password@host/database)"));
            None
        }
    }?;
    let max_connections = max_connections.unwrap_or(match kind {
        // SQLite has one writer anyway; a few readers are enough.
        DatabaseKind::Sqlite => 8,
        DatabaseKind::Postgres => 16,
    });
    Some(DatabaseConfig {
        url,
        kind,
        max_connections,
    })
}

/// `sqlite://` URL for a path, percent-encoding what the URL syntax would misread.
pub fn sqlite_url(path: &Path) -> String {
    let mut encoded = String::new();
    for c in path.display().to_string().chars() {
        match c {
            '%' | '?' | '#' | ' ' => encoded.push_str(&format!("%{:02X}", c as u32)),
            c => encoded.push(c),
        }
    }
    format!("sqlite://{encoded}?mode=rwc")
}
