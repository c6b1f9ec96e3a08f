//! The studio's system page: release, schema and its history, where the data lives, the
//! checks of `relais check`, in both languages; nobody else sees it.

use crate::helpers::spawn_app;
use crate::pages::Browser;

#[tokio::test]
async fn the_system_page_says_what_runs_where_the_data_is_and_what_the_checks_found() {
    let app = spawn_app().await;
    let (_, secret) = app.create_studio("owner@example.fr", "correct horse battery").await;
    let browser = Browser::new(&app);
    browser
        .login(
            "owner@example.fr",
            "correct horse battery",
            Some(app.totp_code(&secret, 0)),
        )
        .await;
    let page = browser.get("/studio/system", Some("fr")).await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    let release = format!(
        "Relais {} (commit {})",
        env!("CARGO_PKG_VERSION"),
        relais::cli::build_info::COMMIT
    );
    assert!(body.contains(&release), "{body}");
    let newest = app.state.db.newest_migration();
    assert!(
        body.contains(&format!("{newest} (cette version connaît jusqu’au {newest})")),
        "{body}"
    );
    assert!(body.contains("data-pending>aucune<"), "{body}");
    // The history of releases on this database names this one.
    assert!(
        body.contains(&format!("<td data-label=\"Schéma\">{newest}</td>")),
        "{body}"
    );
    // Where the data is, and the room left on a local disk.
    assert!(body.contains(&app.state.blobs.describe()), "{body}");
    if app.state.blobs.backend() == "local" {
        assert!(body.contains("libres sur"), "{body}");
    }
    // The checks ran: the database and the storage answered.
    assert!(body.contains("data-check=\"ok\""), "{body}");
    assert!(!body.contains("data-check=\"bad\""), "nothing is broken here: {body}");
    assert!(body.contains("<span class=\"muted\">database</span>"), "{body}");
    assert!(body.contains("<span class=\"muted\">storage</span>"), "{body}");

    // In the owner's other language, every label too.
    sqlx::query("UPDATE users SET locale = 'en' WHERE email = 'owner@example.fr'")
        .execute(app.state.db.pool())
        .await
        .expect("locale");
    let en = browser.get("/studio/system", None).await;
    assert!(
        en.body.contains("<h1>System</h1>") && en.body.contains("Pending migrations") && en.body.contains(">none<"),
        "{}",
        en.body
    );

    // The dashboard leads there.
    let dashboard = browser.get("/studio", Some("fr")).await;
    assert!(dashboard.body.contains("href=\"/studio/system\""));
}
