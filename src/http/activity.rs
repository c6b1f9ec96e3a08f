//! `GET /api/v1/activity`: the studio's activity log, newest first.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::auth::Studio;
use super::list_pages::Paged;
use crate::activity::Kind;
use crate::db;
use crate::domain::{Timestamp, UserId};
use crate::http::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ActivityQuery {
    client: Option<String>,
    kind: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

#[derive(Serialize)]
pub struct EntryView {
    at: Timestamp,
    kind: String,
    actor: Option<String>,
    client: Option<String>,
    client_name: Option<String>,
    transfer: Option<String>,
    file: Option<String>,
    detail: String,
}

/// Always a page (the log has no end): `limit` entries (100 by default, at most 500) and,
/// when older ones follow, a `Link: <…>; rel="next"` header with `cursor`.
pub async fn list(
    State(state): State<AppState>,
    _: Studio,
    Query(q): Query<ActivityQuery>,
) -> Result<(HeaderMap, axum::Json<Vec<EntryView>>), AppError> {
    let (client, kind) = parse_filter(q.client.as_deref(), q.kind.as_deref())?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let paged = Paged::with_limit(u32::try_from(limit).unwrap_or(100), q.cursor.as_deref(), 2)?;
    let after = match paged.after.as_deref() {
        Some([at, id]) => Some((
            at.parse::<i64>()
                .map(Timestamp::from_millis)
                .map_err(|_| AppError::validation("cursor", "not a cursor this list gave"))?,
            id.as_str(),
        )),
        _ => None,
    };
    let mut entries =
        db::activity::older_than(state.db.pool(), client, kind.map(Kind::as_str), after, limit + 1).await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let headers = match entries.last() {
        Some(last) if more => {
            let mut filter = Vec::new();
            if let Some(c) = client {
                filter.push(("client", c.to_string()));
            }
            if let Some(k) = kind {
                filter.push(("kind", k.as_str().to_owned()));
            }
            paged.next_link(
                "/api/v1/activity",
                &filter,
                &[last.at.as_millis().to_string(), last.id.clone()],
            )
        }
        _ => HeaderMap::new(),
    };
    Ok((
        headers,
        axum::Json(
            entries
                .into_iter()
                .map(|e| EntryView {
                    at: e.at,
                    kind: e.kind,
                    actor: e.actor_name,
                    client: e.client_id,
                    client_name: e.client_name,
                    transfer: e.transfer_id,
                    file: e.file_id,
                    detail: e.detail,
                })
                .collect(),
        ),
    ))
}

/// The client and kind filters, shared with the activity page.
pub fn parse_filter(client: Option<&str>, kind: Option<&str>) -> Result<(Option<UserId>, Option<Kind>), AppError> {
    let client = client
        .filter(|c| !c.is_empty())
        .map(|c| UserId::parse(c).ok_or_else(|| AppError::validation("client", "not a client id")))
        .transpose()?;
    let kind = kind
        .filter(|k| !k.is_empty())
        .map(|k| Kind::parse(k).ok_or_else(|| AppError::validation("kind", "not an activity kind")))
        .transpose()?;
    Ok((client, kind))
}
