//! The web pages through HTTP: who may open which page, the security headers, the
//! language, the embedded assets. (What the pages do in a browser is tested in Chromium:
//! tests/browser.)

use reqwest::Method;
use reqwest::header::HeaderMap;

use crate::helpers::tus::{Tus, pattern};
use crate::helpers::{TestApp, spawn_app};

/// A browser of its own: its own cookies, no redirects followed.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
}

pub(crate) struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self { app, http }
    }

    pub async fn login(&self, email: &str, password: &str, totp: Option<String>) {
        let mut body = serde_json::json!({ "email": email, "password": password });
        if let Some(code) = totp {
            body["totp"] = code.into();
        }
        let answer = self
            .http
            .post(self.app.url("/api/v1/session"))
            .json(&body)
            .send()
            .await
            .expect("login");
        assert_eq!(answer.status(), 201, "login of {email}");
    }

    pub async fn get(&self, path: &str, language: Option<&str>) -> Page {
        let mut request = self.http.request(Method::GET, self.app.url(path));
        if let Some(l) = language {
            request = request.header("accept-language", l);
        }
        let response = request.send().await.expect("page");
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }
}

impl Page {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

#[tokio::test]
async fn pages_speak_french_first_and_english_when_asked() {
    let app = spawn_app().await;
    let visitor = Browser::new(&app);
    let fr = visitor.get("/login", None).await;
    assert_eq!(fr.status, 200);
    assert!(fr.body.contains("<html lang=\"fr\">") && fr.body.contains("Connexion"));
    let en = visitor.get("/login", Some("en-GB,en;q=0.9,fr;q=0.5")).await;
    assert!(en.body.contains("<html lang=\"en\">") && en.body.contains("Log in"));
    let de = visitor.get("/login", Some("de-DE,de;q=0.9")).await;
    assert!(
        de.body.contains("<html lang=\"fr\">"),
        "unknown languages fall back to French"
    );

    // A signed-in person's own language wins over the browser's.
    let anne = app
        .create_active_client("anne@example.fr", "correct horse battery")
        .await;
    let browser = Browser::new(&app);
    browser.login(&anne.email, "correct horse battery", None).await;
    let page = browser.get("/deliveries", Some("en")).await;
    assert!(
        page.body.contains("Mes livraisons"),
        "the account's language (French) wins"
    );
}

#[tokio::test]
async fn pages_carry_a_strict_content_security_policy_and_security_headers() {
    let app = spawn_app().await;
    let page = Browser::new(&app).get("/login", None).await;
    let csp = page.header("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self';",
        "style-src 'self';",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    assert_eq!(page.header("referrer-policy"), "same-origin");
    assert_eq!(page.header("cache-control"), "no-store");
    // Every script and stylesheet the page names is served, with its type, cacheable.
    let assets: Vec<&str> = page
        .body
        .split(['"', '\''])
        .filter(|s| s.starts_with("/assets/"))
        .collect();
    assert!(assets.len() >= 2, "{assets:?}");
    for asset in assets {
        let served = Browser::new(&app).get(asset, None).await;
        assert_eq!(served.status, 200, "{asset}");
        let expected = if asset.contains(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(served.header("content-type").starts_with(expected), "{asset}");
        assert!(served.header("cache-control").contains("immutable"), "{asset}");
    }
    let unknown = Browser::new(&app).get("/nowhere", None).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("Page introuvable") && unknown.body.contains("Page not found"));
}

#[tokio::test]
async fn every_page_checks_who_is_asking() {
    let app = spawn_app().await;
    let (anne_api, _) = Tus::client(&app, "anne@example.fr").await;
    let (_bob_api, bob) = Tus::client(&app, "bob@example.fr").await;
    let (studio_api, _) = Tus::studio(&app, "studio@example.fr").await;
    anne_api.upload("anne.mp3", &pattern(1000, 1), None).await;
    let anne_inbound = anne_api.transfer_ids().await.remove(0);
    let delivery = studio_api
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(serde_json::json!({"title": "Photos d'Anne", "client": user_id(&app, "anne@example.fr").await})),
        )
        .await;
    let delivery = delivery.body["id"].as_str().expect("id").to_owned();
    studio_api.upload("photo.jpg", &pattern(1000, 2), Some(&delivery)).await;
    studio_api
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{delivery}/publication"),
            Some(serde_json::json!({})),
        )
        .await;
    let album = studio_api
        .call(
            Method::POST,
            "/api/v1/portfolio/albums",
            Some(serde_json::json!({"title": "Mariages"})),
        )
        .await;
    let album = album.body["id"].as_str().expect("album").to_owned();
    let story = studio_api
        .call(
            Method::POST,
            "/api/v1/portfolio/stories",
            Some(serde_json::json!({"title": "Coulisses"})),
        )
        .await;
    let story = story.body["id"].as_str().expect("story").to_owned();

    // Nobody signed in: every private page sends to the login page, coming back after.
    let visitor = Browser::new(&app);
    for path in [
        "/deliveries",
        "/send",
        "/studio",
        "/studio/clients",
        "/studio/integrations",
        "/studio/settings",
        "/studio/trash",
        "/studio/system",
        "/billing",
        "/studio/portfolio",
        &format!("/studio/portfolio/albums/{album}"),
        &format!("/deliveries/{delivery}"),
    ] {
        let page = visitor.get(path, None).await;
        assert_eq!(page.status, 303, "{path}");
        assert!(page.header("location").starts_with("/login?next=%2F"), "{path}");
    }

    // Bob cannot see Anne's delivery or inbound transfer: they do not exist for him.
    let bob_browser = Browser::new(&app);
    bob_browser.login(&bob.email, "correct horse battery", None).await;
    for path in [format!("/deliveries/{delivery}"), format!("/deliveries/{anne_inbound}")] {
        let page = bob_browser.get(&path, None).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(!page.body.contains("photo.jpg") && !page.body.contains("anne.mp3"));
    }
    let own = bob_browser.get("/deliveries", None).await;
    assert!(!own.body.contains("Photos d&#39;Anne") && !own.body.contains("Photos d'Anne"));
    // And every studio page is closed to him.
    let anne_id = user_id(&app, "anne@example.fr").await;
    for path in [
        "/studio".to_owned(),
        "/studio/clients".to_owned(),
        format!("/studio/clients/{anne_id}"),
        format!("/studio/transfers/{delivery}"),
        "/studio/activity".to_owned(),
        "/studio/integrations".to_owned(),
        "/studio/settings".to_owned(),
        "/studio/trash".to_owned(),
        "/studio/system".to_owned(),
        "/studio/portfolio".to_owned(),
        format!("/studio/portfolio/albums/{album}"),
        format!("/studio/portfolio/stories/{story}"),
    ] {
        assert_eq!(bob_browser.get(&path, None).await.status, 403, "{path}");
    }

    // The studio's portfolio pages, with the delivery's photo offered for picking; the
    // portfolio's own transfer is managed from there.
    let studio_browser = Browser::new(&app);
    let (_, secret) = app.create_studio("owner@example.fr", "correct horse battery").await;
    studio_browser
        .login(
            "owner@example.fr",
            "correct horse battery",
            Some(app.totp_code(&secret, 0)),
        )
        .await;
    let list = studio_browser.get("/studio/portfolio", None).await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Mariages") && list.body.contains("Coulisses"));
    let page = studio_browser
        .get(&format!("/studio/portfolio/albums/{album}?from={delivery}"), None)
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("photo.jpg"), "the delivery's photo is offered");
    assert!(
        page.body
            .contains(&format!("POST /api/v1/portfolio/albums/{album}/items"))
    );
    assert!(
        page.body.contains(&format!("data-target=\"{album}\"")),
        "the uploader sends into the album"
    );
    let story_page = studio_browser
        .get(&format!("/studio/portfolio/stories/{story}"), None)
        .await;
    assert_eq!(story_page.status, 200);

    // Anne sees her delivery with her file.
    let anne_browser = Browser::new(&app);
    anne_browser
        .login("anne@example.fr", "correct horse battery", None)
        .await;
    let page = anne_browser.get(&format!("/deliveries/{delivery}"), None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("photo.jpg") && page.body.contains(&format!("/api/v1/transfers/{delivery}/archive")));
}

async fn user_id(app: &TestApp, email: &str) -> String {
    let email = relais::domain::Email::parse(email).expect("email");
    relais::db::users::find_by_email(app.state.db.pool(), &email)
        .await
        .expect("db")
        .expect("account")
        .id
        .to_string()
}

#[tokio::test]
async fn a_spent_or_unknown_link_shows_a_clear_page_not_a_form() {
    let app = spawn_app().await;
    let page = Browser::new(&app).get("/invitation/not-a-real-token", None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Lien expiré") && !page.body.contains("name=\"password\""));
    let reset = Browser::new(&app).get("/password/reset/nope", Some("en")).await;
    assert!(reset.body.contains("Link expired"));
}

#[tokio::test]
async fn the_first_run_link_creates_one_studio_account_and_works_once() {
    let app = spawn_app().await;
    let link = relais::setup::link_if_needed(&app.state)
        .await
        .expect("link")
        .expect("no studio yet");
    let token = link.path().rsplit('/').next().expect("token").to_owned();
    let page = Browser::new(&app).get(link.path(), None).await;
    assert!(
        page.body.contains("name=\"password\""),
        "the form is shown while the link is open"
    );

    let setup = |body: serde_json::Value| {
        let app = &app;
        async move {
            let response = app
                .http
                .post(app.url("/api/v1/setup"))
                .json(&body)
                .send()
                .await
                .expect("request");
            crate::helpers::Answer::of(response).await
        }
    };
    // A mistake does not spend the link, and every mistake is named at once.
    let short =
        setup(serde_json::json!({"token": token, "name": "Camille", "email": "studio@", "password": "short"})).await;
    assert_eq!(short.status, 422);
    let fields: Vec<_> = short.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["studio_name", "email", "password"], "{:?}", short.body);
    let forged = setup(serde_json::json!({"token": "forged", "studio_name": "Studio", "name": "Studio", "email": "studio@example.fr", "password": "a long studio password"})).await;
    assert_eq!((forged.status, forged.code()), (400, "invalid_link"));

    let made = setup(serde_json::json!({"token": token, "studio_name": "Atelier Lumière", "name": "Camille", "email": "studio@example.fr", "password": "a long studio password"})).await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    assert!(
        made.body["totp_uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("otpauth://totp/"))
    );
    assert!(made.body["qr_svg"].as_str().is_some_and(|s| s.starts_with("<svg")));
    assert_eq!(made.body["recovery_codes"].as_array().map(Vec::len), Some(10));

    // The first code logs in and confirms the enrolment.
    let secret = made.body["totp_secret"].as_str().expect("secret");
    let login = app
        .login(
            "studio@example.fr",
            "a long studio password",
            Some(&app.totp_code(secret, 0)),
        )
        .await;
    assert_eq!(login.status, 201);
    // The studio's name heads its public site from now on.
    let home = Browser::new(&app).get("/", None).await;
    assert!(home.body.contains("<title>Atelier Lumière</title>"), "{}", home.body);

    // Spent, and no new link while a studio account exists.
    let again = setup(serde_json::json!({"token": token, "studio_name": "Other", "name": "Other", "email": "other@example.fr", "password": "a long studio password"})).await;
    assert_eq!((again.status, again.code()), (400, "invalid_link"));
    assert!(
        relais::setup::link_if_needed(&app.state)
            .await
            .expect("query")
            .is_none()
    );
    let closed = Browser::new(&app).get(link.path(), None).await;
    assert!(!closed.body.contains("name=\"password\""));
    // The account exists: the page says so and promises no new link on restart.
    assert!(
        closed.body.contains("existe déjà") && !closed.body.contains("Redémarrez"),
        "{}",
        closed.body
    );
}

#[tokio::test]
async fn a_delivery_no_longer_available_says_so_and_trailing_slashes_lead_to_the_page() {
    let app = spawn_app().await;
    let (studio, _) = crate::helpers::tus::Tus::studio(&app, "studio@example.fr").await;
    let anne = app
        .create_active_client("anne@example.fr", "correct horse battery")
        .await;
    app.create_active_client("bob@example.fr", "correct horse battery")
        .await;
    let made = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(serde_json::json!({"title": "Mariage", "direction": "delivery", "client": anne.id.to_string()})),
        )
        .await;
    let delivery = made.body["id"].as_str().expect("id").to_owned();
    studio.upload("a.jpg", b"bytes", Some(&delivery)).await;
    let publication = format!("/api/v1/transfers/{delivery}/publication");
    assert_eq!(
        studio
            .call(Method::PUT, &publication, Some(serde_json::json!({})))
            .await
            .status,
        200
    );

    let client = Browser::new(&app);
    client.login("anne@example.fr", "correct horse battery", None).await;
    let path = format!("/deliveries/{delivery}");
    assert_eq!(client.get(&path, None).await.status, 200);
    assert_eq!(studio.call(Method::DELETE, &publication, None).await.status, 200);
    let gone = client.get(&path, None).await;
    assert_eq!(gone.status, 410);
    assert!(gone.body.contains("n’est plus disponible") && gone.body.contains("href=\"/deliveries\""));
    assert!(gone.body.contains("class=\"topbar\""), "in the site's own frame");
    // Someone else's delivery is not announced as "gone": it does not exist for them.
    let bob = Browser::new(&app);
    bob.login("bob@example.fr", "correct horse battery", None).await;
    assert_eq!(bob.get(&path, None).await.status, 404);

    // A trailing slash leads to the page; never to another site.
    let slash = client.get("/deliveries/", None).await;
    assert_eq!((slash.status, slash.header("location")), (308, "/deliveries"));
    let with_query = client.get("/login/?next=%2Fsend", None).await;
    assert_eq!(with_query.header("location"), "/login?next=%2Fsend");
    for hostile in ["//evil.example/", "/%2F/", "/\\evil.example/"] {
        let page = client.get(hostile, None).await;
        assert!(
            !page.header("location").contains("evil") && !page.header("location").starts_with("//"),
            "{hostile}: {}",
            page.header("location")
        );
    }
}
