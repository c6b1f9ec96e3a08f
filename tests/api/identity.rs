//! The studio's identity: named at setup or on its settings page, then seen everywhere
//! a client, a guest or a visitor looks — pages, the public site, emails — and never
//! Relais' own name in its place.

use reqwest::Method;

use crate::helpers::spawn_app;
use crate::helpers::tus::Tus;
use crate::pages::Browser;

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::RgbImage::from_pixel(width, height, image::Rgb([200, 120, 40]))
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

#[tokio::test]
async fn the_studio_names_itself_and_pages_site_and_emails_carry_that_name() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;

    // Before it names itself, nothing says "Relais" to a visitor.
    let before = studio.call(Method::GET, "/api/v1/studio", None).await;
    assert_eq!((before.status, before.body["named"].as_bool()), (200, Some(false)));
    assert_ne!(before.body["name"], "Relais");
    let home = Browser::new(&app).get("/", None).await;
    assert!(!home.body.contains("Relais"), "{}", home.body);

    let named = studio
        .call(
            Method::PATCH,
            "/api/v1/studio",
            Some(serde_json::json!({
                "name": "  Atelier Nord  ",
                "tagline": "Photo et film de mariage",
                "tagline_en": "Wedding photography and film",
                "contact_email": "Bonjour@Atelier-Nord.fr",
            })),
        )
        .await;
    assert_eq!(named.status, 200, "{:?}", named.body);
    assert_eq!(named.body["name"], "Atelier Nord");
    assert_eq!(named.body["contact_email"], "bonjour@atelier-nord.fr");

    // The public site: title, tagline in each language, contact in the footer.
    let fr = Browser::new(&app).get("/", None).await;
    assert!(fr.body.contains("<title>Atelier Nord</title>"), "{}", fr.body);
    assert!(fr.body.contains("Photo et film de mariage"));
    assert!(fr.body.contains("mailto:bonjour@atelier-nord.fr"));
    let en = Browser::new(&app).get("/en", None).await;
    assert!(en.body.contains("Wedding photography and film"));
    // The sign-in page, which clients see first.
    let login = Browser::new(&app).get("/login", None).await;
    assert!(login.body.contains("Atelier Nord") && !login.body.contains(">Relais<"));

    // Emails: the sender's name, the signature; the address stays `mail.from`'s.
    app.create_client("claire@example.fr", "Claire").await;
    app.run_jobs().await;
    let mail = app.outbox().pop().expect("invitation");
    let from = mail.lines().find(|l| l.starts_with("From:")).expect("From header");
    assert!(
        from.contains("Atelier Nord") && from.contains(&format!("<{}>", app.state.cfg.mail.from.email)),
        "{from}"
    );
    assert!(!from.contains("Relais"), "{from}");
    assert!(mail.contains("Atelier Nord vous a ouvert un espace client"), "{mail}");

    // A partial change keeps the rest; null clears.
    let cleared = studio
        .call(
            Method::PATCH,
            "/api/v1/studio",
            Some(serde_json::json!({"tagline_en": null})),
        )
        .await;
    assert_eq!(cleared.body["tagline"], "Photo et film de mariage");
    assert!(cleared.body["tagline_en"].is_null());
    let en = Browser::new(&app).get("/en", None).await;
    assert!(
        en.body.contains("Photo et film de mariage"),
        "English falls back to French"
    );
}

#[tokio::test]
async fn bad_identity_fields_are_all_named_and_only_the_studio_may_change_them() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (client, _) = Tus::client(&app, "claire@example.fr").await;

    let bad = studio
        .call(
            Method::PATCH,
            "/api/v1/studio",
            Some(serde_json::json!({"name": "", "tagline": "x".repeat(201), "contact_email": "not an address"})),
        )
        .await;
    assert_eq!(bad.status, 422);
    let fields: Vec<_> = bad.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["name", "tagline", "contact_email"]);

    for (method, path) in [
        (Method::GET, "/api/v1/studio"),
        (Method::PATCH, "/api/v1/studio"),
        (Method::PUT, "/api/v1/studio/logo"),
        (Method::DELETE, "/api/v1/studio/logo"),
    ] {
        let answer = client
            .call(method.clone(), path, Some(serde_json::json!({"name": "Pirate"})))
            .await;
        assert_eq!(answer.status, 403, "{method} {path}");
        let stranger = app
            .http
            .request(method.clone(), app.url(path))
            .send()
            .await
            .expect("request");
        assert_eq!(stranger.status(), 401, "{method} {path} without credentials");
    }
    let kept = studio.call(Method::GET, "/api/v1/studio", None).await;
    assert_ne!(kept.body["name"], "Pirate");
}

#[tokio::test]
async fn a_logo_is_checked_by_its_bytes_and_header_and_served_as_an_image() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let put = |body: Vec<u8>, kind: &'static str| {
        studio
            .request(Method::PUT, "/api/v1/studio/logo")
            .header("content-type", kind)
            .body(body)
            .send()
    };

    // A logo never stands in for a name: an unnamed studio names itself first.
    let early = put(png(120, 40), "image/png").await.expect("put");
    assert_eq!(early.status(), 409);
    let still = studio.call(Method::GET, "/api/v1/studio", None).await;
    assert_eq!(still.body["named"], false);
    let named = studio
        .call(
            Method::PATCH,
            "/api/v1/studio",
            Some(serde_json::json!({"name": "Atelier Nord"})),
        )
        .await;
    assert_eq!(named.status, 200);

    // An SVG (script inside) declared as PNG, a picture too large in pixels, too many bytes.
    let svg = put(
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec(),
        "image/png",
    )
    .await
    .expect("put");
    assert_eq!(svg.status(), 415);
    let huge = put(png(5000, 2), "image/png").await.expect("put");
    assert_eq!(huge.status(), 422);
    let heavy = put(vec![0x89; 600 * 1024], "image/png").await.expect("put");
    assert_eq!(heavy.status(), 413);
    let none = app.http.get(app.url("/logo")).send().await.expect("get");
    assert_eq!(none.status(), 404);

    let logo = png(120, 40);
    let stored = put(logo.clone(), "application/octet-stream").await.expect("put");
    assert_eq!(stored.status(), 204);
    let view = studio.call(Method::GET, "/api/v1/studio", None).await;
    let url = view.body["logo"].as_str().expect("logo url").to_owned();
    let served = app.http.get(app.url(&url)).send().await.expect("get");
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert!(
        served.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("immutable")
    );
    let etag = served.headers()["etag"].clone();
    assert_eq!(served.bytes().await.expect("bytes").as_ref(), logo.as_slice());
    let again = app
        .http
        .get(app.url(&url))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), 304);
    // An old or made-up version is never cached for good.
    let other = app.http.get(app.url("/logo?v=0000")).send().await.expect("get");
    assert_eq!(other.headers()["cache-control"], "no-cache");
    let home = Browser::new(&app).get("/", None).await;
    assert!(home.body.contains(&format!("src=\"{url}\"")), "{}", home.body);

    let removed = studio.call(Method::DELETE, "/api/v1/studio/logo", None).await;
    assert_eq!(removed.status, 204);
    assert_eq!(app.http.get(app.url(&url)).send().await.expect("get").status(), 404);
}

#[tokio::test]
async fn clients_see_quotes_and_invoices_only_once_a_quote_site_is_connected() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    app.create_active_client("claire@example.fr", "correct horse battery")
        .await;
    let client = Browser::new(&app);
    client.login("claire@example.fr", "correct horse battery", None).await;
    let page = client.get("/deliveries", None).await;
    assert!(!page.body.contains("href=\"/billing\""), "{}", page.body);
    let billing = client.get("/billing", None).await;
    assert_eq!((billing.status, billing.header("location")), (303, "/deliveries"));

    let made = studio
        .call(
            Method::POST,
            "/api/v1/integrations",
            Some(serde_json::json!({"name": "Devis"})),
        )
        .await;
    assert_eq!(made.status, 201);
    let page = client.get("/deliveries", None).await;
    assert!(page.body.contains("href=\"/billing\""), "{}", page.body);
    assert_eq!(client.get("/billing", None).await.status, 200);
}
