//! `GET /api/v1/transfers/{id}/files?limit&cursor`: a transfer's files a page at a time,
//! as the caller may see them (the whole list stays on `GET /api/v1/transfers/{id}`).

use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

use super::auth::Reader;
use super::transfers::FileView;
use crate::db::{
    self,
    file_pages::{self, Audience, FileCursor},
};
use crate::domain::{Role, TransferId};
use crate::http::error::AppError;
use crate::state::AppState;
use crate::transfers;

/// `?limit&cursor` of a paged list.
#[derive(Deserialize)]
pub struct PageQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

impl PageQuery {
    /// The page's size (200 unless asked, at most 1 000) and where it starts.
    fn parse(&self) -> Result<(u32, Option<FileCursor>), AppError> {
        let limit = match self.limit.as_deref().filter(|l| !l.is_empty()) {
            None => DEFAULT_PAGE,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=file_pages::MAX_PAGE).contains(l))
                .ok_or_else(|| AppError::validation("limit", "a number of files from 1 to 1000"))?,
        };
        let cursor = self
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| FileCursor::parse(c).ok_or_else(|| AppError::validation("cursor", "not a cursor this list gave")))
            .transpose()?;
        Ok((limit, cursor))
    }
}

/// Files per page when the caller does not say.
pub const DEFAULT_PAGE: u32 = 200;

#[derive(Serialize)]
pub struct FilePage {
    files: Vec<FileView>,
    /// Give it back as `cursor` for the next page; `null` after the last.
    next_cursor: Option<String>,
    /// Files in the whole list.
    total: u64,
}

/// `GET /api/v1/transfers/{id}/files?limit&cursor`: a transfer's files a page at a time,
/// in the order of its pages, as the caller may see them.
pub async fn files(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<axum::Json<FilePage>, AppError> {
    let id = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    let (limit, cursor) = query.parse()?;
    let audience = match &reader {
        Reader::User(caller) => {
            transfers::readable(&state, &caller.user, id).await?;
            match caller.user.role {
                Role::Studio => Audience::Studio,
                Role::Client => Audience::Client,
            }
        }
        Reader::Guest(guest) => {
            guest.transfer(id)?;
            Audience::Guest
        }
    };
    let page = file_pages::page(state.db.pool(), id, audience, cursor.as_ref(), limit).await?;
    let totals = file_pages::totals(state.db.pool(), id, audience).await?;
    let ids: Vec<_> = page.files.iter().map(|f| f.id).collect();
    let mut variants = db::variants::for_files(state.db.pool(), &ids).await?;
    let files = page
        .files
        .into_iter()
        .map(|f| {
            let own = variants.remove(&f.id.to_string()).unwrap_or_default();
            let view = FileView::new(f, &own);
            if audience == Audience::Guest {
                view.for_guest()
            } else {
                view
            }
        })
        .collect();
    Ok(axum::Json(FilePage {
        files,
        next_cursor: page.next.map(|c| c.to_string()),
        total: totals.listed,
    }))
}
