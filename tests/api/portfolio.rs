//! The portfolio API and its public media: albums and stories built from uploads and from
//! a delivery, what visitors may fetch before and after publishing, order, captions,
//! covers, expiry, and what clients may not do.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::tus::{Tus, meta, pattern};
use crate::helpers::{TestApp, spawn_app};
use crate::media::{jpeg, poster};

/// Uploads a file into a portfolio set (`album` or `story`) through tus.
async fn upload_into(tus: &Tus<'_>, key: &str, set: &str, name: &str, filetype: &str, data: &[u8]) {
    let path = tus
        .create(
            data.len() as u64,
            &meta(&[("filename", name), ("filetype", filetype), (key, set)]),
        )
        .await;
    tus.send_all(&path, data, data.len()).await;
}

async fn album(tus: &Tus<'_>, id: &str) -> Value {
    let answer = tus
        .call(Method::GET, &format!("/api/v1/portfolio/albums/{id}"), None)
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body
}

fn item_ids(set: &Value) -> Vec<String> {
    set["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

/// A public GET, without any credentials.
async fn public(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(app.url(path));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.send().await.expect("get")
}

/// A delivery for a new client holding one photo; returns the photo's file id.
async fn delivery_photo(app: &TestApp, studio: &Tus<'_>) -> String {
    let client = app.create_client("anne@example.fr", "Anne").await;
    let delivery = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(json!({"title": "Photos du mariage", "client": client.id})),
        )
        .await;
    let delivery = delivery.body["id"].as_str().expect("id").to_owned();
    studio
        .upload("IMG_2001.jpg", &jpeg(1600, 1000, false, None), Some(&delivery))
        .await;
    app.run_jobs().await;
    studio.files(&delivery).await[0]["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn the_studio_builds_an_album_from_uploads_and_a_delivery_and_visitors_see_it_once_published() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;

    let created = studio
        .call(
            Method::POST,
            "/api/v1/portfolio/albums",
            Some(json!({"title": "Mariage à Giverny", "description": "Un jour de juin."})),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["slug"], "mariage-a-giverny");
    assert_eq!(created.body["url"], "/albums/mariage-a-giverny");
    assert_eq!(created.body["published"], false);
    let id = created.body["id"].as_str().expect("id").to_owned();

    // Uploaded straight into the album, and picked from a delivery.
    upload_into(
        &studio,
        "album",
        &id,
        "portrait.jpg",
        "image/jpeg",
        &jpeg(3000, 2000, false, None),
    )
    .await;
    let picked_file = delivery_photo(&app, &studio).await;
    let picked = studio
        .call(
            Method::POST,
            &format!("/api/v1/portfolio/albums/{id}/items"),
            Some(json!({"file": picked_file})),
        )
        .await;
    assert_eq!(picked.status, 201, "{:?}", picked.body);
    assert_eq!(
        picked.body["file"]["id"],
        picked_file.as_str(),
        "the same file, not a copy"
    );
    app.run_jobs().await;

    let shown = album(&studio, &id).await;
    let items = item_ids(&shown);
    assert_eq!(items.len(), 2);
    assert_eq!(shown["items"][0]["file"]["name"], "portrait.jpg");
    assert_eq!(shown["items"][0]["file"]["status"], "ready");
    let first = items[0].clone();

    // Nothing is public before publication.
    let medium = format!("/media/{first}/medium.jpg");
    assert_eq!(public(&app, &medium, &[]).await.status(), 404);
    let published = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/portfolio/albums/{id}"),
            Some(json!({"published": true})),
        )
        .await;
    assert_eq!(published.status, 200, "{:?}", published.body);
    assert!(published.body["published_at"].is_i64());
    assert_eq!(
        published.body["description"], "Un jour de juin.",
        "a PATCH keeps what it does not name"
    );

    // The public sizes, without credentials; never the original.
    let response = public(&app, &medium, &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let etag = response.headers()["etag"].to_str().expect("ascii").to_owned();
    let picture = image::load_from_memory(&response.bytes().await.expect("body")).expect("jpeg");
    assert_eq!((picture.width(), picture.height()), (1200, 800));
    let again = public(&app, &medium, &[("if-none-match", etag.as_str())]).await;
    assert_eq!(again.status(), 304);
    let webp = public(&app, &format!("/media/{first}/thumb.webp"), &[]).await;
    assert_eq!(webp.headers()["content-type"], "image/webp");
    for missing in ["original.jpg", "medium.png", "video", "medium"] {
        let status = public(&app, &format!("/media/{first}/{missing}"), &[]).await.status();
        assert_eq!(status, 404, "{missing}");
    }

    // Order, caption, cover.
    let reversed: Vec<&String> = items.iter().rev().collect();
    let order = studio
        .call(
            Method::PUT,
            &format!("/api/v1/portfolio/albums/{id}/order"),
            Some(json!({"items": reversed})),
        )
        .await;
    assert_eq!(order.status, 204, "{:?}", order.body);
    assert_eq!(
        item_ids(&album(&studio, &id).await),
        vec![items[1].clone(), items[0].clone()]
    );
    let partial = studio
        .call(
            Method::PUT,
            &format!("/api/v1/portfolio/albums/{id}/order"),
            Some(json!({"items": [items[0]]})),
        )
        .await;
    assert_eq!(
        (partial.status, partial.body["code"].as_str()),
        (422, Some("validation_failed"))
    );
    let caption = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/portfolio/items/{first}"),
            Some(json!({"caption": "Sous les glycines", "caption_en": "Under the wisteria"})),
        )
        .await;
    assert_eq!(
        (caption.status, caption.body["caption_en"].as_str()),
        (200, Some("Under the wisteria"))
    );
    let cover = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/portfolio/albums/{id}"),
            Some(json!({"cover": first})),
        )
        .await;
    assert_eq!(cover.body["cover_item"], first.as_str());

    // Taking a photo out of the album leaves the file where it was; the cover falls back.
    let removed = studio
        .call(Method::DELETE, &format!("/api/v1/portfolio/items/{first}"), None)
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(public(&app, &medium, &[]).await.status(), 404);
    let after = album(&studio, &id).await;
    assert_eq!(item_ids(&after), vec![items[1].clone()]);
    assert!(after["cover_item"].is_null());
    let file = studio
        .call(Method::GET, &format!("/api/v1/files/{picked_file}"), None)
        .await;
    assert_eq!(file.status, 200);

    // Unpublishing closes the public address at once.
    studio
        .call(
            Method::PATCH,
            &format!("/api/v1/portfolio/albums/{id}"),
            Some(json!({"published": false})),
        )
        .await;
    let still = format!("/media/{}/thumb.jpg", items[1]);
    assert_eq!(public(&app, &still, &[]).await.status(), 404);
}

#[tokio::test]
async fn album_fields_are_checked_and_addresses_stay_unique() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let create = |body: Value| studio.call(Method::POST, "/api/v1/portfolio/albums", Some(body));

    let first = create(json!({"title": "Été 2026"})).await;
    assert_eq!((first.status, first.body["slug"].as_str()), (201, Some("ete-2026")));
    let taken = create(json!({"title": "ETE 2026!"})).await;
    assert_eq!((taken.status, taken.body["code"].as_str()), (409, Some("slug_taken")));
    // An album and a story may not share an address either.
    let story = studio
        .call(
            Method::POST,
            "/api/v1/portfolio/stories",
            Some(json!({"title": "Été 2026"})),
        )
        .await;
    assert_eq!(story.status, 409);
    for (body, field) in [
        (json!({"title": "  "}), "title"),
        (json!({"title": "x", "slug": "Pas Bon"}), "slug"),
        (json!({"title": "x", "slug": "../etc"}), "slug"),
        (json!({"title": "🎉"}), "slug"),
        (json!({"title": "x".repeat(201)}), "title"),
    ] {
        let answer = create(body).await;
        assert_eq!(answer.status, 422, "{field}: {:?}", answer.body);
        assert_eq!(answer.body["errors"][0]["field"], field, "{:?}", answer.body);
    }

    // Only photos and videos go into the portfolio; an unknown album is refused at creation.
    let id = first.body["id"].as_str().expect("id");
    let pdf = studio
        .request(Method::POST, "/api/v1/uploads")
        .header("upload-length", 10)
        .header(
            "upload-metadata",
            meta(&[
                ("filename", "devis.pdf"),
                ("filetype", "application/pdf"),
                ("album", id),
            ]),
        )
        .send()
        .await
        .expect("post");
    assert_eq!(pdf.status(), 400, "invalid_upload");
    let unknown = studio
        .request(Method::POST, "/api/v1/uploads")
        .header("upload-length", 10)
        .header(
            "upload-metadata",
            meta(&[
                ("filename", "a.jpg"),
                ("filetype", "image/jpeg"),
                ("album", &uuid::Uuid::now_v7().to_string()),
            ]),
        )
        .send()
        .await
        .expect("post");
    assert_eq!(unknown.status(), 400);

    // The studio's order of albums: all of them, each once.
    let second = create(json!({"title": "Printemps"})).await;
    let second = second.body["id"].as_str().expect("id");
    let listed = studio.call(Method::GET, "/api/v1/portfolio/albums", None).await;
    assert_eq!(listed.body[0]["id"], second, "new albums go first");
    let order = studio
        .call(
            Method::PUT,
            "/api/v1/portfolio/albums/order",
            Some(json!({"albums": [id, second]})),
        )
        .await;
    assert_eq!(order.status, 204);
    let listed = studio.call(Method::GET, "/api/v1/portfolio/albums", None).await;
    assert_eq!(listed.body[0]["id"], id);
    let bad = studio
        .call(
            Method::PUT,
            "/api/v1/portfolio/albums/order",
            Some(json!({"albums": [id, id]})),
        )
        .await;
    assert_eq!(bad.status, 422);

    let deleted = studio
        .call(Method::DELETE, &format!("/api/v1/portfolio/albums/{id}"), None)
        .await;
    assert_eq!(deleted.status, 204);
    let gone = studio
        .call(Method::GET, &format!("/api/v1/portfolio/albums/{id}"), None)
        .await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn clients_can_neither_manage_the_portfolio_nor_upload_into_it() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let created = studio
        .call(
            Method::POST,
            "/api/v1/portfolio/albums",
            Some(json!({"title": "Mariages"})),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    upload_into(
        &studio,
        "album",
        &id,
        "a.jpg",
        "image/jpeg",
        &jpeg(800, 600, false, None),
    )
    .await;
    let shown = album(&studio, &id).await;
    let item = item_ids(&shown)[0].clone();
    let file = shown["items"][0]["file"]["id"].as_str().expect("file").to_owned();

    for (method, path, body) in [
        (Method::GET, "/api/v1/portfolio/albums".to_owned(), None),
        (
            Method::POST,
            "/api/v1/portfolio/albums".to_owned(),
            Some(json!({"title": "x"})),
        ),
        (Method::GET, format!("/api/v1/portfolio/albums/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/portfolio/albums/{id}"),
            Some(json!({"published": true})),
        ),
        (Method::DELETE, format!("/api/v1/portfolio/albums/{id}"), None),
        (
            Method::POST,
            format!("/api/v1/portfolio/albums/{id}/items"),
            Some(json!({"file": file})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/portfolio/items/{item}"),
            Some(json!({"caption": "x"})),
        ),
        (Method::DELETE, format!("/api/v1/portfolio/items/{item}"), None),
        (Method::GET, "/api/v1/portfolio/stories".to_owned(), None),
    ] {
        let answer = anne.call(method.clone(), &path, body).await;
        assert_eq!(answer.status, 403, "{method} {path}");
    }
    // The portfolio's files are no client's.
    for path in [format!("/api/v1/files/{file}"), format!("/api/v1/files/{file}/content")] {
        assert_eq!(anne.call(Method::GET, &path, None).await.status, 404, "{path}");
    }
    let upload = anne
        .request(Method::POST, "/api/v1/uploads")
        .header("upload-length", 10)
        .header(
            "upload-metadata",
            meta(&[("filename", "a.jpg"), ("filetype", "image/jpeg"), ("album", &id)]),
        )
        .send()
        .await
        .expect("post");
    let refused = crate::helpers::Answer::of(upload).await;
    assert_eq!((refused.status, refused.code()), (400, "invalid_upload"));
    assert!(
        refused.body["detail"]
            .as_str()
            .expect("detail")
            .contains("no such album")
    );
    let unchanged = album(&studio, &id).await;
    assert_eq!(item_ids(&unchanged).len(), 1);
    assert_eq!(unchanged["published"], false);
}

#[tokio::test]
async fn stories_are_public_while_pinned_or_before_they_expire() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let in_an_hour = app.clock().now() + relais::domain::HOUR;
    let story = studio
        .call(
            Method::POST,
            "/api/v1/portfolio/stories",
            Some(json!({"title": "Coulisses", "published": true, "expires_at": in_an_hour})),
        )
        .await;
    assert_eq!(story.status, 201, "{:?}", story.body);
    assert_eq!(story.body["live"], true);
    let id = story.body["id"].as_str().expect("id").to_owned();
    upload_into(
        &studio,
        "story",
        &id,
        "coulisse.jpg",
        "image/jpeg",
        &jpeg(900, 1200, false, None),
    )
    .await;
    app.run_jobs().await;
    let shown = studio
        .call(Method::GET, &format!("/api/v1/portfolio/stories/{id}"), None)
        .await;
    let item = shown.body["items"][0]["id"].as_str().expect("item").to_owned();
    let thumb = format!("/media/{item}/thumb.jpg");
    assert_eq!(public(&app, &thumb, &[]).await.status(), 200);

    app.clock().advance(Duration::from_secs(3601));
    assert_eq!(public(&app, &thumb, &[]).await.status(), 404);
    let pinned = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/portfolio/stories/{id}"),
            Some(json!({"pinned": true})),
        )
        .await;
    assert_eq!((pinned.status, pinned.body["live"].as_bool()), (200, Some(true)));
    assert_eq!(public(&app, &thumb, &[]).await.status(), 200);

    let past = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/portfolio/stories/{id}"),
            Some(json!({"expires_at": app.clock().now() - Duration::from_millis(1)})),
        )
        .await;
    assert_eq!(past.status, 422, "a new expiry in the past is a mistake");
    let hidden = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/portfolio/stories/{id}"),
            Some(json!({"published": false})),
        )
        .await;
    assert_eq!(hidden.body["live"], false);
    assert_eq!(public(&app, &thumb, &[]).await.status(), 404);
}

#[tokio::test]
async fn a_portfolio_video_streams_with_ranges_and_shows_its_custom_poster() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let created = studio
        .call(
            Method::POST,
            "/api/v1/portfolio/albums",
            Some(json!({"title": "Films", "published": true})),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    let bytes = pattern(20_000, 9);
    upload_into(&studio, "album", &id, "film.mp4", "video/mp4", &bytes).await;
    app.run_jobs().await;
    let shown = album(&studio, &id).await;
    let item = item_ids(&shown)[0].clone();
    let file = shown["items"][0]["file"]["id"].as_str().expect("file").to_owned();

    let video = format!("/media/{item}/video");
    let part = public(&app, &video, &[("range", "bytes=100-199")]).await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 100-199/20000");
    assert_eq!(part.headers()["content-type"], "video/mp4");
    assert_eq!(part.bytes().await.expect("body").as_ref(), &bytes[100..200]);
    let beyond = public(&app, &video, &[("range", "bytes=30000-")]).await;
    assert_eq!(beyond.status(), 416);

    // A custom poster set through the files API shows on the public item at once.
    for colour in [[200, 0, 0], [0, 0, 200]] {
        let put = studio
            .request(Method::PUT, &format!("/api/v1/files/{file}/poster"))
            .header("content-type", "image/jpeg")
            .body(poster(colour))
            .send()
            .await
            .expect("put");
        assert_eq!(put.status(), 200);
        let shown = album(&studio, &id).await;
        let url = shown["items"][0]["file"]["variants"]["medium"]["url"]
            .as_str()
            .expect("url");
        let tag = url.split("v=").nth(1).expect("tag").split('&').next().expect("tag");
        let response = public(&app, &format!("/media/{item}/medium.jpg?v={tag}"), &[]).await;
        assert_eq!(response.status(), 200);
        let picture = image::load_from_memory(&response.bytes().await.expect("body"))
            .expect("jpeg")
            .to_rgb8();
        let centre = picture.get_pixel(picture.width() / 2, picture.height() / 2).0;
        let wanted = if colour[0] > 0 { 0 } else { 2 };
        assert!(centre[wanted] > 150, "poster {colour:?} shown, got {centre:?}");
    }

    // An album whose first item is a video: its cover is the poster, never a player
    // inside a link; the album's own page plays the video.
    for path in ["/albums", "/"] {
        let (_, _, html) = page(&app, path).await;
        let covers = html
            .split("<ul class=\"covers\">")
            .nth(1)
            .expect("covers")
            .split("</ul>")
            .next()
            .expect("list");
        assert!(!covers.contains("<video"), "{path}: {covers}");
        assert!(
            covers.contains(&format!("/media/{item}/")) && covers.contains("<img"),
            "{path}: {covers}"
        );
    }
    let slug = shown["slug"].as_str().expect("slug").to_owned();
    let (_, _, html) = page(&app, &format!("/albums/{slug}")).await;
    assert!(html.contains(&format!("src=\"/media/{item}/video\"")), "{html}");
}

async fn page(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = public(app, path, &[]).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("html"))
}

#[tokio::test]
async fn public_pages_offer_sized_pictures_open_graph_and_both_languages() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (status, _, empty_home) = page(&app, "/").await;
    assert_eq!(status, 200);
    assert!(empty_home.contains("Les premiers albums arrivent bientôt."));

    let created = studio
        .call(
            Method::POST,
            "/api/v1/portfolio/albums",
            Some(json!({
                "title": "Mariage à Giverny", "title_en": "A wedding in Giverny",
                "description": "Un jour de juin <au> jardin.", "published": true
            })),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    upload_into(
        &studio,
        "album",
        &id,
        "a.jpg",
        "image/jpeg",
        &jpeg(3000, 2000, false, None),
    )
    .await;
    upload_into(
        &studio,
        "album",
        &id,
        "b.jpg",
        "image/jpeg",
        &jpeg(2000, 3000, false, None),
    )
    .await;
    let draft = studio
        .call(
            Method::POST,
            "/api/v1/portfolio/albums",
            Some(json!({"title": "Brouillon"})),
        )
        .await;
    let draft = draft.body["id"].as_str().expect("id").to_owned();
    upload_into(
        &studio,
        "album",
        &draft,
        "c.jpg",
        "image/jpeg",
        &jpeg(800, 600, false, None),
    )
    .await;
    app.run_jobs().await;
    let items = item_ids(&album(&studio, &id).await);
    studio
        .call(
            Method::PATCH,
            &format!("/api/v1/portfolio/items/{}", items[1]),
            Some(json!({"caption": "Les alliances", "caption_en": "The rings"})),
        )
        .await;

    let (status, headers, html) = page(&app, "/albums/mariage-a-giverny").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(headers["cache-control"], "public, max-age=60");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("script-src 'self'")
    );
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("<h1>Mariage à Giverny</h1>"));
    assert!(
        html.contains("Un jour de juin") && !html.contains("<au>"),
        "text is escaped"
    );
    assert!(!html.contains("<script"), "public pages need no script");
    // Every size in srcset, WebP first, JPEG as the fallback, dimensions set.
    let first = &items[0];
    for needle in [
        format!("/media/{first}/thumb.webp?v="),
        format!("/media/{first}/large.jpg?v="),
        " 400w".to_owned(),
        " 2400w".to_owned(),
        "type=\"image/webp\"".to_owned(),
        "width=\"2400\" height=\"1600\"".to_owned(),
        "width=\"1600\" height=\"2400\"".to_owned(),
        "fetchpriority=\"high\"".to_owned(),
        "sizes=\"".to_owned(),
        "<figcaption>Les alliances</figcaption>".to_owned(),
        "property=\"og:image\" content=\"http://".to_owned(),
        "property=\"og:title\" content=\"Mariage à Giverny\"".to_owned(),
        "property=\"og:locale\" content=\"fr_FR\"".to_owned(),
        "hreflang=\"en\" href=\"http://".to_owned(),
    ] {
        assert!(html.contains(&needle), "missing {needle} in {html}");
    }
    // Every picture URL on the page works without a session.
    let urls: Vec<&str> = html
        .split(['"', ' ', ','])
        .filter(|s| s.starts_with("/media/"))
        .collect();
    assert!(urls.len() >= 12, "{urls:?}");
    for url in urls {
        let got = public(&app, &url.replace("&amp;", "&"), &[]).await;
        assert_eq!(got.status(), 200, "{url}");
    }

    let (_, _, english) = page(&app, "/en/albums/mariage-a-giverny").await;
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains("<h1>A wedding in Giverny</h1>"));
    assert!(english.contains("<figcaption>The rings</figcaption>"));
    assert!(english.contains("Un jour de juin"), "no English text: the French one");
    assert!(english.contains("property=\"og:locale\" content=\"en_GB\""));

    // Home and the album list show published albums only, with lazy pictures after the first.
    for path in ["/", "/albums", "/en", "/en/albums"] {
        let (status, _, html) = page(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("/albums/mariage-a-giverny\""), "{path}");
        assert!(!html.contains("brouillon"), "{path}: a draft is not public");
    }
    for path in [
        "/albums/brouillon",
        "/albums/nope",
        "/albums/..%2Fetc",
        "/stories/nope",
        "/en/albums/brouillon",
    ] {
        assert_eq!(page(&app, path).await.0, 404, "{path}");
    }
}

/// Migration 0013 rebuilds SQLite's `transfers` table. On a database that already holds
/// transfers, files, variants and downloads, nothing may be lost, and deleting a transfer
/// must still take its files with it (the foreign keys point at the rebuilt table).
#[tokio::test]
async fn upgrading_a_populated_sqlite_database_to_the_portfolio_keeps_every_file() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().expect("dir");
    // The migrations as they were before the portfolio, applied by sqlx's own migrator.
    let older = dir.path().join("older");
    std::fs::create_dir(&older).expect("dir");
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        if name.as_str() < "0013" {
            std::fs::copy(&path, older.join(&name)).expect("copy");
        }
    }
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("relais.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
    sqlx::raw_sql("PRAGMA foreign_keys = ON")
        .execute(&mut conn)
        .await
        .expect("pragma");
    sqlx::migrate::Migrator::new(older.as_path())
        .await
        .expect("older migrations")
        .run(&mut conn)
        .await
        .expect("migrated to 0012");
    sqlx::raw_sql(
        "INSERT INTO users (id, email, name, role, created_at, updated_at) VALUES ('u1', 'a@b.fr', 'A', 'client', 1, 1);
         INSERT INTO transfers (id, client_id, direction, title, created_at, updated_at, published_at, expires_at)
             VALUES ('t1', 'u1', 'delivery', 'Photos', 1, 2, 3, 4), ('t2', 'u1', 'inbound', 'Musique', 1, 1, NULL, NULL);
         INSERT INTO files (id, transfer_id, name, size, media_type, category, sha256, status, created_at, updated_at)
             VALUES ('f1', 't1', 'a.jpg', 3, 'image/jpeg', 'photo', 'aa', 'ready', 1, 1),
                    ('f2', 't2', 'b.mp3', 4, 'audio/mpeg', 'music', 'bb', 'ready', 1, 1);
         INSERT INTO variants (file_id, name, format, width, height, size, object_key, created_at)
             VALUES ('f1', 'thumb', 'jpeg', 4, 3, 10, 'k', 1);
         INSERT INTO downloads (id, file_id, transfer_id, kind, started_at) VALUES ('d1', 'f1', 't1', 'file', 5);",
    )
    .execute(&mut conn)
    .await
    .expect("data");
    conn.close().await.expect("close");

    let cfg = relais::config::DatabaseConfig {
        url: secrecy::SecretString::from(url),
        kind: relais::config::DatabaseKind::Sqlite,
        max_connections: 2,
    };
    let db = relais::db::Db::connect(&cfg).await.expect("connect");
    db.migrate().await.expect("0013 applied");
    let pool = db.pool();
    let count = |sql: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(pool).await.expect(sql);
        n
    };
    assert_eq!(count("SELECT COUNT(*) FROM files").await, 2);
    assert_eq!(count("SELECT COUNT(*) FROM variants").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM downloads").await, 1);
    let (published, expires): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT published_at, expires_at FROM transfers WHERE id = 't1'")
            .fetch_one(db.pool())
            .await
            .expect("t1");
    assert_eq!((published, expires), (Some(3), Some(4)));
    // The constraints of the rebuilt table hold, and cascades still reach the files.
    let orphan = sqlx::query(
        "INSERT INTO transfers (id, client_id, direction, title, created_at, updated_at) \
         VALUES ('t3', NULL, 'delivery', 'x', 1, 1)",
    )
    .execute(db.pool())
    .await;
    assert!(orphan.is_err(), "a delivery needs a client");
    sqlx::query("DELETE FROM transfers WHERE id = 't1'")
        .execute(db.pool())
        .await
        .expect("delete");
    assert_eq!(count("SELECT COUNT(*) FROM files").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM variants").await, 0);
    let (fk_on,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
        .fetch_one(db.pool())
        .await
        .expect("pragma");
    assert_eq!(fk_on, 1);
}
