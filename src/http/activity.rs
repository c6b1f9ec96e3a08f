//! `GET /api/v1/activity`: the studio's activity log, newest first.

use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use super::auth::Studio;
use crate::activity::Kind;
use crate::db;
use crate::domain::UserId;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ActivityQuery {
    client: Option<String>,
    kind: Option<String>,
    limit: Option<i64>,
}

#[derive(Serialize)]
pub struct EntryView {
    at: i64,
    kind: String,
    actor: Option<String>,
    client: Option<String>,
    client_name: Option<String>,
    transfer: Option<String>,
    file: Option<String>,
    detail: String,
}

pub async fn list(
    State(state): State<AppState>,
    _: Studio,
    Query(q): Query<ActivityQuery>,
) -> Result<axum::Json<Vec<EntryView>>, AppError> {
    let (client, kind) = parse_filter(q.client.as_deref(), q.kind.as_deref())?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let entries = db::activity::recent(state.db.pool(), client, kind.map(Kind::as_str), limit).await?;
    Ok(axum::Json(
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
