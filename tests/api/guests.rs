//! Guests' view links: a link opens its delivery and nothing else, what the studio hides
//! never reaches a guest, downloads are receipts of the link, revoking or expiry ends
//! access at once, a PIN is traded for a short-lived token and guessing it is throttled.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::tus::{Tus, pattern};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// A published delivery for a new client, with files named `names`; its id and the
/// files' ids.
async fn delivery(app: &TestApp, studio: &Tus<'_>, client: &str, title: &str, names: &[&str]) -> (String, Vec<String>) {
    let (_, user) = Tus::client(app, client).await;
    let made = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(json!({"title": title, "client": user.id})),
        )
        .await;
    let id = made.body["id"].as_str().expect("id").to_owned();
    for (i, name) in names.iter().enumerate() {
        studio.upload(name, &pattern(4000 + i, i as u32), Some(&id)).await;
    }
    let published = studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{id}/publication"),
            Some(json!({"notify": false})),
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.body);
    let files = studio
        .files(&id)
        .await
        .into_iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect();
    (id, files)
}

async fn link(studio: &Tus<'_>, transfer: &str, body: Value) -> (String, String) {
    let made = studio
        .call(Method::POST, &format!("/api/v1/transfers/{transfer}/links"), Some(body))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    (
        made.body["id"].as_str().expect("id").to_owned(),
        made.body["token"].as_str().expect("token").to_owned(),
    )
}

/// A guest's request with `token` as its bearer.
async fn guest(app: &TestApp, token: &str, method: Method, path: &str) -> (u16, Value, Vec<u8>) {
    let mut request = reqwest::Client::new()
        .request(method.clone(), app.url(path))
        .bearer_auth(token)
        // What each route needs to get past its own checks to the question of who asks.
        .header("tus-resumable", "1.0.0")
        .header("upload-length", "10");
    if method != Method::GET && method != Method::DELETE {
        request = request.json(&json!({"kind": "view", "hidden_from_guests": true}));
    }
    let answer = request.send().await.expect("asked");
    let status = answer.status().as_u16();
    let bytes = answer.bytes().await.expect("body").to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json, bytes)
}

#[tokio::test]
async fn a_view_link_opens_its_delivery_and_nothing_else() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (mine, files) = delivery(&app, &studio, "anne@example.fr", "Mariage", &["a.bin", "b.bin"]).await;
    let (other, other_files) = delivery(&app, &studio, "bob@example.fr", "Autre", &["c.bin"]).await;
    let made = studio
        .call(
            Method::POST,
            &format!("/api/v1/transfers/{mine}/links"),
            Some(json!({"kind": "view", "label": "Tante Marie", "permissions": ["view", "download"]})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let token = made.body["token"].as_str().expect("token").to_owned();
    let link_id = made.body["id"].as_str().expect("id").to_owned();
    assert!(token.starts_with("lnk_"));
    assert!(
        made.body["url"]
            .as_str()
            .expect("url")
            .ends_with(&format!("/l/{token}"))
    );
    // Only a hash of the token is kept.
    let (stored,): (String,) = sqlx::query_as("SELECT token_hash FROM links WHERE id = $1")
        .bind(&link_id)
        .fetch_one(app.state.db.pool())
        .await
        .expect("row");
    assert_ne!(stored, token);
    assert!(!stored.contains(&token[4..]));

    let (status, current, _) = guest(&app, &token, Method::GET, "/api/v1/links/current").await;
    assert_eq!((status, current["label"].as_str()), (200, Some("Tante Marie")));
    let (status, shown, _) = guest(&app, &token, Method::GET, &format!("/api/v1/transfers/{mine}")).await;
    assert_eq!(status, 200);
    assert_eq!(shown["files"].as_array().expect("files").len(), 2);
    let (status, _, bytes) = guest(
        &app,
        &token,
        Method::GET,
        &format!("/api/v1/files/{}/content", files[0]),
    )
    .await;
    assert_eq!((status, bytes.len()), (200, 4000));

    // Another delivery, its files, and everything that is not reading: nothing.
    for path in [
        format!("/api/v1/transfers/{other}"),
        format!("/api/v1/files/{}", other_files[0]),
        format!("/api/v1/files/{}/content", other_files[0]),
        format!("/api/v1/transfers/{other}/archive"),
    ] {
        assert_eq!(guest(&app, &token, Method::GET, &path).await.0, 404, "{path}");
    }
    for (method, path) in [
        (Method::GET, "/api/v1/transfers".to_owned()),
        (Method::GET, "/api/v1/me".to_owned()),
        (Method::GET, "/api/v1/clients".to_owned()),
        (Method::GET, "/api/v1/activity".to_owned()),
        (Method::POST, "/api/v1/uploads".to_owned()),
        (Method::GET, format!("/api/v1/transfers/{mine}/links")),
        (Method::POST, format!("/api/v1/transfers/{mine}/links")),
        (Method::DELETE, format!("/api/v1/files/{}", files[0])),
        (Method::PATCH, format!("/api/v1/files/{}", files[0])),
        (Method::DELETE, format!("/api/v1/links/{link_id}")),
        (Method::GET, format!("/api/v1/files/{}/downloads", files[0])),
    ] {
        let status = guest(&app, &token, method.clone(), &path).await.0;
        assert_eq!(status, 401, "{method} {path}");
    }

    // What the studio hides never reaches a guest, not even in the ZIP.
    let hidden = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/files/{}", files[1]),
            Some(json!({"hidden_from_guests": true})),
        )
        .await;
    assert_eq!(
        (hidden.status, hidden.body["hidden_from_guests"].as_bool()),
        (200, Some(true))
    );
    let (_, shown, _) = guest(&app, &token, Method::GET, &format!("/api/v1/transfers/{mine}")).await;
    let names: Vec<&str> = shown["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(names, ["a.bin"]);
    assert_eq!(
        guest(
            &app,
            &token,
            Method::GET,
            &format!("/api/v1/files/{}/content", files[1])
        )
        .await
        .0,
        404
    );
    let (status, _, zip) = guest(&app, &token, Method::GET, &format!("/api/v1/transfers/{mine}/archive")).await;
    assert_eq!(status, 200);
    let listing = String::from_utf8_lossy(&zip);
    assert!(
        listing.contains("a.bin") && !listing.contains("b.bin"),
        "the ZIP holds only what guests see"
    );
    // The studio (and the client) still see both.
    assert_eq!(studio.files(&mine).await.len(), 2);

    // Downloads are receipts of the link.
    let receipts = studio
        .call(Method::GET, &format!("/api/v1/files/{}/downloads", files[0]), None)
        .await;
    let through: Vec<&Value> = receipts.body["downloads"]
        .as_array()
        .or_else(|| receipts.body.as_array())
        .expect("receipts")
        .iter()
        .filter(|r| r["link_id"] == link_id.as_str())
        .collect();
    assert!(!through.is_empty(), "{}", receipts.body);
    let links = studio
        .call(Method::GET, &format!("/api/v1/transfers/{mine}/links"), None)
        .await;
    assert_eq!(links.body[0]["label"], "Tante Marie");
    assert!(
        links.body[0]["downloads"].as_i64().expect("count") >= 2,
        "{}",
        links.body
    );
    assert!(links.body[0].get("token").is_none() && links.body[0].get("token_hash").is_none());

    // Revoked: 410 at once, with its reason.
    let revoked = studio
        .call(Method::DELETE, &format!("/api/v1/links/{link_id}"), None)
        .await;
    assert_eq!(revoked.status, 204);
    let (status, problem, _) = guest(&app, &token, Method::GET, &format!("/api/v1/transfers/{mine}")).await;
    assert_eq!((status, problem["code"].as_str()), (410, Some("link_revoked")));
}

#[tokio::test]
async fn permissions_expiry_and_the_delivery_itself_bound_a_link() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let (mine, files) = delivery(&app, &studio, "claire@example.fr", "Mariage", &["a.bin"]).await;

    // Another client's delivery does not exist for a client, and a stranger cannot ask.
    let refused = anne
        .call(
            Method::POST,
            &format!("/api/v1/transfers/{mine}/links"),
            Some(json!({"kind": "view"})),
        )
        .await;
    assert_eq!(refused.status, 404);
    let stranger = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/transfers/{mine}/links")))
        .json(&json!({"kind": "view"}))
        .send()
        .await
        .expect("asked");
    assert_eq!(stranger.status(), 401);
    // Bad fields are named.
    for (body, field) in [
        (json!({"kind": "view", "permissions": ["everything"]}), "permissions"),
        (json!({"kind": "view", "permissions": ["upload"]}), "permissions"),
        (json!({"kind": "view", "pin": "48291"}), "pin"),
        (json!({"kind": "view", "pin": "12"}), "pin"),
        (json!({"kind": "view", "email": "not an address"}), "email"),
        (json!({"kind": "view", "expires_at": 1000}), "expires_at"),
    ] {
        let bad = studio
            .call(Method::POST, &format!("/api/v1/transfers/{mine}/links"), Some(body))
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert_eq!(bad.body["errors"][0]["field"], field, "{}", bad.body);
    }

    // View only: previews and players, no download, no ZIP.
    let (_, looking) = link(&studio, &mine, json!({"kind": "view", "permissions": ["view"]})).await;
    assert_eq!(
        guest(&app, &looking, Method::GET, &format!("/api/v1/transfers/{mine}"))
            .await
            .0,
        200
    );
    assert_eq!(
        guest(
            &app,
            &looking,
            Method::GET,
            &format!("/api/v1/files/{}/content", files[0])
        )
        .await
        .0,
        403
    );
    assert_eq!(
        guest(
            &app,
            &looking,
            Method::GET,
            &format!("/api/v1/transfers/{mine}/archive")
        )
        .await
        .0,
        403
    );

    // An expiry: once past, 410.
    let soon = app.clock().now() + relais::domain::HOUR;
    let (_, expiring) = link(&studio, &mine, json!({"kind": "view", "expires_at": soon})).await;
    assert_eq!(
        guest(&app, &expiring, Method::GET, &format!("/api/v1/transfers/{mine}"))
            .await
            .0,
        200
    );
    app.clock().advance(std::time::Duration::from_secs(7200));
    let (status, problem, _) = guest(&app, &expiring, Method::GET, &format!("/api/v1/transfers/{mine}")).await;
    assert_eq!((status, problem["code"].as_str()), (410, Some("link_expired")));

    // The delivery unpublished: every link of it is gone too.
    let (_, lasting) = link(&studio, &mine, json!({"kind": "view"})).await;
    studio
        .call(Method::DELETE, &format!("/api/v1/transfers/{mine}/publication"), None)
        .await;
    let (status, problem, _) = guest(&app, &lasting, Method::GET, &format!("/api/v1/transfers/{mine}")).await;
    assert_eq!((status, problem["code"].as_str()), (410, Some("delivery_unavailable")));

    // An inbound transfer gets no view link; an unknown token is nobody.
    let inbound = anne
        .call(Method::POST, "/api/v1/transfers", Some(json!({"title": "Musique"})))
        .await;
    let inbound = inbound.body["id"].as_str().expect("inbound").to_owned();
    let made = studio
        .call(
            Method::POST,
            &format!("/api/v1/transfers/{inbound}/links"),
            Some(json!({"kind": "view"})),
        )
        .await;
    assert_eq!(
        (made.status, made.body["code"].as_str()),
        (409, Some("not_a_delivery")),
        "{}",
        made.body
    );
    assert_eq!(
        guest(&app, "lnk_unknown", Method::GET, "/api/v1/links/current").await.0,
        401
    );
}

#[tokio::test]
async fn a_pin_is_traded_for_a_short_lived_token_and_guessing_is_throttled() {
    let app = spawn_app_with(|cfg| cfg.behind_proxy = true).await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (mine, _) = delivery(&app, &studio, "anne@example.fr", "Mariage", &["a.bin"]).await;
    let (link_id, token) = link(&studio, &mine, json!({"kind": "view", "pin": "482913"})).await;
    let (pin_hash,): (String,) = sqlx::query_as("SELECT pin_hash FROM links WHERE id = $1")
        .bind(&link_id)
        .fetch_one(app.state.db.pool())
        .await
        .expect("row");
    assert!(pin_hash.starts_with("$argon2id$"), "{pin_hash}");

    // The link's own token asks for the PIN first.
    let (status, problem, _) = guest(&app, &token, Method::GET, &format!("/api/v1/transfers/{mine}")).await;
    assert_eq!((status, problem["code"].as_str()), (401, Some("pin_required")));

    let unlock = |from: &'static str, pin: &'static str| {
        let body = json!({"token": token, "pin": pin});
        let url = app.url("/api/v1/links/unlock");
        async move {
            let answer = reqwest::Client::new()
                .post(url)
                .header("x-forwarded-for", from)
                .json(&body)
                .send()
                .await
                .expect("unlock");
            let status = answer.status().as_u16();
            (status, answer.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // Five wrong PINs from one address: that address waits, even with the right PIN.
    for _ in 0..5 {
        let (status, problem) = unlock("203.0.113.7", "000000").await;
        assert_eq!((status, problem["code"].as_str()), (401, Some("invalid_pin")));
    }
    let (status, _) = unlock("203.0.113.7", "482913").await;
    assert_eq!(status, 429, "throttled");
    // The owner's guest, elsewhere, is not locked out by that stranger.
    let (status, unlocked) = unlock("198.51.100.20", "482913").await;
    assert_eq!(status, 200, "{unlocked}");
    let session = unlocked["token"].as_str().expect("token").to_owned();
    assert!(session.starts_with("lnk_") && session != token);
    let (status, shown, _) = guest(&app, &session, Method::GET, &format!("/api/v1/transfers/{mine}")).await;
    assert_eq!((status, shown["files"].as_array().map(Vec::len)), (200, Some(1)));

    // The unlocked token is short-lived.
    app.clock().advance(std::time::Duration::from_secs(13 * 3600));
    assert_eq!(
        guest(&app, &session, Method::GET, &format!("/api/v1/transfers/{mine}"))
            .await
            .0,
        401
    );
    // And revoking the link ends its tokens with it (their holders are told why).
    let (status, unlocked) = unlock("198.51.100.20", "482913").await;
    assert_eq!(status, 200, "{unlocked}");
    let session = unlocked["token"].as_str().expect("token").to_owned();
    studio
        .call(Method::DELETE, &format!("/api/v1/links/{link_id}"), None)
        .await;
    let (status, problem, _) = guest(&app, &session, Method::GET, &format!("/api/v1/transfers/{mine}")).await;
    assert_eq!((status, problem["code"].as_str()), (410, Some("link_revoked")));
    let (status, problem) = unlock("198.51.100.20", "482913").await;
    assert_eq!((status, problem["code"].as_str()), (410, Some("link_revoked")));
}

#[tokio::test]
async fn guesses_sent_at_once_are_counted_before_any_is_checked() {
    let app = spawn_app_with(|cfg| cfg.behind_proxy = true).await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (mine, _) = delivery(&app, &studio, "anne@example.fr", "Mariage", &["a.bin"]).await;
    let (_, token) = link(&studio, &mine, json!({"kind": "view", "pin": "482913"})).await;
    let guesses = (0..16).map(|i| {
        let body = json!({"token": token, "pin": format!("{:06}", i)});
        let url = app.url("/api/v1/links/unlock");
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .header("x-forwarded-for", "203.0.113.9")
                .json(&body)
                .send()
                .await
                .expect("unlock")
                .status()
                .as_u16()
        })
    });
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.expect("joined"));
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        checked <= 5,
        "at most five guesses checked from one address: {statuses:?}"
    );
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
}

#[tokio::test]
async fn the_link_page_shows_the_gallery_asks_for_the_pin_and_says_when_the_link_is_gone() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (mine, files) = delivery(
        &app,
        &studio,
        "anne@example.fr",
        "Mariage de Claire",
        &["valse.flac", "plan.pdf"],
    )
    .await;
    let (_, other_files) = delivery(&app, &studio, "bob@example.fr", "Autre", &["c.bin"]).await;
    let browser = || {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("browser")
    };

    // A link without a PIN: the gallery at once, in French; the browser's cookie then
    // opens this delivery's files, and nothing else.
    let (link_id, token) = link(&studio, &mine, json!({"kind": "view", "label": "Tante Marie"})).await;
    let guest_browser = browser();
    let page = guest_browser
        .get(app.url(&format!("/l/{token}")))
        .header("accept-language", "fr")
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let cookie = page.headers()["set-cookie"].to_str().expect("cookie").to_owned();
    assert!(
        cookie.starts_with("relais_guest=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let html = page.text().await.expect("html");
    assert!(html.contains("Mariage de Claire") && html.contains("valse.flac") && html.contains("plan.pdf"));
    assert!(html.contains("partage ces fichiers avec vous"), "{html}");
    assert!(
        !html.contains("Relais"),
        "the studio's name faces guests, never the product's"
    );
    let got = guest_browser
        .get(app.url(&format!("/api/v1/files/{}/content", files[0])))
        .send()
        .await
        .expect("content");
    assert_eq!(got.status(), 200);
    let elsewhere = guest_browser
        .get(app.url(&format!("/api/v1/files/{}/content", other_files[0])))
        .send()
        .await
        .expect("other");
    assert_eq!(elsewhere.status(), 404);
    let clients = guest_browser
        .get(app.url("/api/v1/clients"))
        .send()
        .await
        .expect("clients");
    assert_eq!(clients.status(), 401);

    // Revoked: the page says so (410), in English for an English browser.
    studio
        .call(Method::DELETE, &format!("/api/v1/links/{link_id}"), None)
        .await;
    let gone = browser()
        .get(app.url(&format!("/l/{token}")))
        .header("accept-language", "en")
        .send()
        .await
        .expect("page");
    assert_eq!(gone.status(), 410);
    let html = gone.text().await.expect("html");
    assert!(
        html.contains("data-gone=\"revoked\"") && html.contains("withdrew this link"),
        "{html}"
    );
    assert_eq!(
        browser()
            .get(app.url("/l/lnk_nothing"))
            .send()
            .await
            .expect("page")
            .status(),
        404
    );

    // A link with a PIN: the form, a wrong code said in words, the right one opens it.
    let (_, locked) = link(&studio, &mine, json!({"kind": "view", "pin": "482913"})).await;
    let pin_browser = browser();
    let form = pin_browser
        .get(app.url(&format!("/l/{locked}")))
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), 200);
    let html = form.text().await.expect("html");
    assert!(html.contains("name=\"pin\"") && !html.contains("valse.flac"), "{html}");
    let wrong = pin_browser
        .post(app.url(&format!("/l/{locked}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("pin=000000")
        .send()
        .await
        .expect("wrong");
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.expect("html").contains("n’est pas le bon"));
    let right = pin_browser
        .post(app.url(&format!("/l/{locked}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("pin=482913")
        .send()
        .await
        .expect("right");
    assert_eq!(right.status(), 303);
    let opened = pin_browser
        .get(app.url(&format!("/l/{locked}")))
        .send()
        .await
        .expect("gallery");
    assert_eq!(opened.status(), 200);
    assert!(opened.text().await.expect("html").contains("valse.flac"));
    // The PIN page of another browser is still a form: the code opened only this one.
    let html = browser()
        .get(app.url(&format!("/l/{locked}")))
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("html");
    assert!(html.contains("name=\"pin\""));
    // A form posted from another site unlocks nothing.
    let foreign = browser()
        .post(app.url(&format!("/l/{locked}")))
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("pin=482913")
        .send()
        .await
        .expect("foreign");
    assert_eq!(foreign.status(), 403);
    let null = browser()
        .post(app.url(&format!("/l/{locked}")))
        .header("origin", "null")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("pin=482913")
        .send()
        .await
        .expect("null origin");
    assert_eq!(null.status(), 403);
    assert!(null.headers().get("set-cookie").is_none());
    // Nor from a site whose name merely ends like ours.
    let host = app.base.trim_start_matches("http://").to_owned();
    let lookalike = browser()
        .post(app.url(&format!("/l/{locked}")))
        .header("origin", format!("http://x{host}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("pin=482913")
        .send()
        .await
        .expect("lookalike");
    assert_eq!(lookalike.status(), 403);
}

#[tokio::test]
async fn the_page_hides_what_the_link_does_not_open_and_keeps_each_link_to_its_own_cookie() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (mine, files) = delivery(
        &app,
        &studio,
        "anne@example.fr",
        "Mariage",
        &["montre.bin", "cache.bin"],
    )
    .await;
    studio
        .call(
            Method::PATCH,
            &format!("/api/v1/files/{}", files[1]),
            Some(json!({"hidden_from_guests": true})),
        )
        .await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("browser");

    // View only: no ZIP button, no download link, a sentence saying so; the hidden file
    // is not on the page at all.
    let (_, looking) = link(&studio, &mine, json!({"kind": "view", "permissions": ["view"]})).await;
    let html = browser
        .get(app.url(&format!("/l/{looking}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("montre.bin") && !html.contains("cache.bin"), "{html}");
    assert!(html.contains("data-view-only") && !html.contains("/archive"), "{html}");
    assert!(
        !html.contains(&format!("/api/v1/files/{}/content\" download", files[0])),
        "{html}"
    );

    // This browser's cookie for that link does not open a locked one: its PIN is asked.
    let (_, locked) = link(&studio, &mine, json!({"kind": "view", "pin": "482913"})).await;
    let html = browser
        .get(app.url(&format!("/l/{locked}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("name=\"pin\""), "{html}");
    // The right PIN puts a token of its own in the cookie, not the link's.
    let right = browser
        .post(app.url(&format!("/l/{locked}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("pin=482913")
        .send()
        .await
        .expect("right");
    assert_eq!(right.status(), 303);
    assert_eq!(right.headers()["location"], format!("/l/{locked}").as_str());
    let cookie = right.headers()["set-cookie"].to_str().expect("cookie").to_owned();
    assert!(
        cookie.contains("SameSite=Lax") && cookie.contains("Path=/") && !cookie.contains(&locked),
        "{cookie}"
    );

    // Too many wrong codes from one address: the page says to wait, in minutes.
    let (_, other) = link(&studio, &mine, json!({"kind": "view", "pin": "482913"})).await;
    let mut last = (0, String::new());
    for _ in 0..6 {
        let answer = browser
            .post(app.url(&format!("/l/{other}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("pin=000000")
            .send()
            .await
            .expect("wrong");
        last = (answer.status().as_u16(), answer.text().await.expect("html"));
    }
    assert_eq!(last.0, 429);
    assert!(last.1.contains("Réessayez dans 15 minutes"), "{}", last.1);

    // Expired, and a delivery no longer published: pages that say which.
    let soon = app.clock().now() + relais::domain::MINUTE;
    let (_, expiring) = link(&studio, &mine, json!({"kind": "view", "expires_at": soon})).await;
    app.clock().advance(std::time::Duration::from_secs(120));
    let page = browser
        .get(app.url(&format!("/l/{expiring}")))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 410);
    assert!(page.text().await.expect("html").contains("data-gone=\"expired\""));
    studio
        .call(Method::DELETE, &format!("/api/v1/transfers/{mine}/publication"), None)
        .await;
    let page = browser
        .get(app.url(&format!("/l/{looking}")))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 410);
    assert!(page.text().await.expect("html").contains("data-gone=\"unavailable\""));
}

#[tokio::test]
async fn the_recipient_gets_the_link_by_email_without_its_pin_and_the_outbox_keeps_no_usable_copy() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (mine, _) = delivery(&app, &studio, "anne@example.fr", "Mariage de Claire", &["a.bin"]).await;
    app.run_jobs().await;
    let before = app.outbox().len();
    let (_, token) = link(
        &studio,
        &mine,
        json!({"kind": "view", "label": "Tante Marie", "email": "marie@example.fr", "pin": "482913"}),
    )
    .await;
    app.run_jobs().await;
    let mails = app.outbox();
    assert_eq!(mails.len(), before + 1, "one email to the recipient");
    let mail = mails.last().expect("mail");
    assert!(mail.contains("marie@example.fr"), "{mail}");
    assert!(
        mail.contains("Mariage de Claire") && mail.contains("Bonjour Tante Marie"),
        "{mail}"
    );
    assert!(mail.contains(&format!("/l/{token}")), "the link itself: {mail}");
    let text = quoted_printable_decoded(mail);
    assert!(
        text.contains("code d’accès, que le studio vous donne séparément") && !text.contains("482913"),
        "the PIN travels separately: {text}"
    );
    // Once sent, the copy kept in the outbox table opens nothing.
    let (text,): (String,) = sqlx::query_as("SELECT text_body FROM emails WHERE to_address = 'marie@example.fr'")
        .fetch_one(app.state.db.pool())
        .await
        .expect("kept");
    assert!(!text.contains(&token[4..]) && text.contains("/l/…"), "{text}");

    // In English when asked; a language Relais does not speak is named.
    link(
        &studio,
        &mine,
        json!({"kind": "view", "label": "Uncle Tom", "email": "tom@example.com", "locale": "en"}),
    )
    .await;
    app.run_jobs().await;
    let mail = quoted_printable_decoded(app.outbox().last().expect("mail"));
    assert!(
        mail.contains("Hello Uncle Tom") && mail.contains("Open the gallery"),
        "{mail}"
    );
    let bad = studio
        .call(
            Method::POST,
            &format!("/api/v1/transfers/{mine}/links"),
            Some(json!({"kind": "view", "email": "x@example.com", "locale": "de"})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.body["errors"][0]["field"].as_str()),
        (422, Some("locale"))
    );
}

/// A message as its reader sees it: quoted-printable soft breaks joined, `=XX` decoded.
pub(crate) fn quoted_printable_decoded(mail: &str) -> String {
    let joined = mail.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_stale_account_cookie_does_not_hide_the_guests_cookie() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (mine, files) = delivery(&app, &studio, "anne@example.fr", "Mariage", &["a.bin"]).await;
    let (_, token) = link(&studio, &mine, json!({"kind": "view"})).await;
    let content = app.url(&format!("/api/v1/files/{}/content", files[0]));
    let with = |cookies: String| {
        let content = content.clone();
        async move {
            reqwest::Client::new()
                .get(content)
                .header("cookie", cookies)
                .send()
                .await
                .expect("content")
                .status()
        }
    };
    // A session that ended long ago, still in the browser beside the link's cookie.
    let session = relais::auth::sessions::COOKIE_NAME;
    assert_eq!(
        with(format!("{session}=ended-long-ago; relais_guest={token}")).await,
        200
    );
    // Alone, neither opens anything.
    assert_eq!(with(format!("{session}=ended-long-ago")).await, 401);
    assert_eq!(with("relais_guest=lnk_forged".to_owned()).await, 401);
}
