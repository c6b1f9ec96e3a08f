//! `/studio/settings`: the studio's identity (name, taglines, contact address, logo).
//! The form talks to `PATCH /api/v1/studio`; the logo to `PUT /api/v1/studio/logo`.

use axum::response::Response;

use super::viewer::Viewer;
use super::{Chrome, PageError, render};

#[derive(askama::Template)]
#[template(path = "pages/studio/settings.html")]
struct SettingsPage {
    chrome: Chrome,
}

pub async fn page(viewer: Viewer) -> Result<Response, PageError> {
    viewer.studio()?;
    let t = viewer.texts();
    render(SettingsPage {
        chrome: viewer.chrome("settings", t.settings_title),
    })
}
