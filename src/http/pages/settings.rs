//! `/studio/settings`: the studio's identity (name, taglines, contact address, logo).
//! The form talks to `PATCH /api/v1/studio`; the logo to `PUT /api/v1/studio/logo`.

use axum::response::Response;

use super::viewer::Viewer;
use super::{Chrome, PageError, render};

#[derive(askama::Template)]
#[template(path = "pages/studio/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    /// What the trash and the retention rules remove, and when, in words.
    retention: Vec<String>,
}

pub async fn page(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.studio()?;
    let t = viewer.texts();
    let days = |text: &str, n: u32| text.replace("{days}", &n.to_string());
    let mut retention = vec![days(t.retention_trash, state.cfg.trash_days)];
    let rules = &state.cfg.retention;
    retention.extend(rules.delivery_days.map(|n| days(t.retention_deliveries, n)));
    retention.extend(rules.inbound_days.map(|n| days(t.retention_inbound, n)));
    if rules.delivery_days.is_none() && rules.inbound_days.is_none() {
        retention.push(t.retention_none.to_owned());
    }
    render(SettingsPage {
        chrome: viewer.chrome("settings", t.settings_title),
        retention,
    })
}
