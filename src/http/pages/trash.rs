//! `/studio/trash`: what was deleted, until when it can come back, and the way back.

use axum::extract::State;
use axum::response::Response;

use super::{Chrome, PageError, Viewer, render};
use crate::state::AppState;
use crate::{db, i18n};

struct Row {
    id: String,
    kind: &'static str,
    label: String,
    contents: String,
    deleted: String,
    purge: String,
    confirm_purge: String,
}

#[derive(askama::Template)]
#[template(path = "pages/studio/trash.html")]
struct TrashPage {
    chrome: Chrome,
    rows: Vec<Row>,
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.studio()?;
    let (t, locale) = (viewer.texts(), viewer.locale);
    let rows = db::trash::list(state.db.pool())
        .await?
        .into_iter()
        .map(|e| {
            let contents = (
                t.files_count(e.files.max(0) as usize),
                i18n::size(locale, e.bytes.max(0) as u64),
            );
            Row {
                kind: match e.kind.as_str() {
                    "file" => t.trash_kind_file,
                    "transfer" => t.trash_kind_transfer,
                    _ => t.trash_kind_client,
                },
                confirm_purge: t
                    .confirm_purge
                    .replace("{name}", &e.label)
                    .replace("{count}", &contents.0)
                    .replace("{size}", &contents.1),
                contents: format!("{} · {}", contents.0, contents.1),
                deleted: i18n::date_time(locale, e.deleted_at),
                purge: i18n::date(locale, e.purge_after),
                label: e.label,
                id: e.id,
            }
        })
        .collect();
    render(TrashPage {
        chrome: viewer.chrome("dashboard", t.trash_title),
        rows,
    })
}
