//! Upload links (file requests): a guest without an account sends files into a client's
//! inbound transfer through a link; the link bounds what it takes before any byte is
//! stored, never reads anything, and stops uploads in progress when it ends; the files
//! wait for the studio's review, and each finished batch is told once.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::helpers::tus::{Tus, meta, pattern, sha256_hex};
use crate::tus_reliability::broken_patch;

/// A client's inbound transfer made by the studio; its id.
async fn inbound(app: &TestApp, studio: &Tus<'_>, client: &str) -> String {
    inbound_of(app, studio, client).await.1
}

/// A client (with their token) and an inbound transfer of theirs made by the studio.
async fn inbound_of<'a>(app: &'a TestApp, studio: &Tus<'_>, client: &str) -> (Tus<'a>, String) {
    let (tus, user) = Tus::client(app, client).await;
    let made = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(json!({"title": "Pour le film", "client": user.id, "direction": "inbound"})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    (tus, made.body["id"].as_str().expect("id").to_owned())
}

/// An upload link on `transfer`: (id, token, the whole answer).
async fn upload_link(studio: &Tus<'_>, transfer: &str, extra: Value) -> (String, String, Value) {
    let mut body = json!({"kind": "upload", "label": "DJ – playlist"});
    body.as_object_mut()
        .expect("object")
        .extend(extra.as_object().expect("object").clone());
    let made = studio
        .call(Method::POST, &format!("/api/v1/transfers/{transfer}/links"), Some(body))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    (
        made.body["id"].as_str().expect("id").to_owned(),
        made.body["token"].as_str().expect("token").to_owned(),
        made.body,
    )
}

/// What the guest's browser does when they give their name: a session of their own.
async fn open(app: &TestApp, token: &str, name: &str, email: Option<&str>) -> String {
    let answer = app
        .http
        .post(app.url("/api/v1/links/unlock"))
        .json(&json!({"token": token, "name": name, "email": email}))
        .send()
        .await
        .expect("unlock");
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.expect("json");
    body["token"].as_str().expect("token").to_owned()
}

/// Creates an upload through a guest's token; the whole answer.
async fn create(guest: &Tus<'_>, len: u64, pairs: &[(&str, &str)]) -> crate::helpers::Answer {
    crate::helpers::Answer::of(
        guest
            .request(Method::POST, "/api/v1/uploads")
            .header("upload-length", len)
            .header("upload-metadata", meta(pairs))
            .send()
            .await
            .expect("request"),
    )
    .await
}

async fn link_files(app: &TestApp, link: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM files WHERE link_id = $1")
        .bind(link)
        .fetch_one(app.state.db.pool())
        .await
        .expect("count");
    n
}

#[tokio::test]
async fn a_guest_sends_files_that_wait_for_review_and_the_link_reads_nothing() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (anne, transfer) = inbound_of(&app, &studio, "anne@example.fr").await;
    let (link, token, made) = upload_link(&studio, &transfer, json!({"max_files": 5})).await;
    assert!(token.starts_with("lnk_"));
    assert!(made["url"].as_str().expect("url").ends_with(&format!("/l/{token}")));
    assert!(
        made["qr_svg"].as_str().expect("qr").starts_with("<svg"),
        "a QR code to print"
    );
    let (stored,): (String,) = sqlx::query_as("SELECT token_hash FROM links WHERE id = $1")
        .bind(&link)
        .fetch_one(app.state.db.pool())
        .await
        .expect("row");
    assert!(!stored.contains(&token[4..]), "only a hash of the token is kept");

    let guest = Tus {
        app: &app,
        token: token.clone(),
    };
    let data = pattern(6000, 3);
    let created = create(&guest, 6000, &[("filename", "playlist.mp3"), ("uploader", "DJ Max")]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let path = created.header("location").expect("Location").to_owned();
    guest.send_all(&path, &data, 2500).await;

    let files = studio.files(&transfer).await;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["sha256"], sha256_hex(&data).as_str());
    assert_eq!(files[0]["guest_name"], "DJ Max");
    assert_eq!(files[0]["link"], link.as_str());
    assert_eq!(files[0]["pending_review"], true, "à valider");
    let file = files[0]["id"].as_str().expect("id").to_owned();

    // The link reads nothing: not its transfer, not the file it sent, not the client's.
    for path in [
        format!("/api/v1/transfers/{transfer}"),
        format!("/api/v1/files/{file}"),
        format!("/api/v1/files/{file}/content"),
        format!("/api/v1/transfers/{transfer}/archive"),
        "/api/v1/transfers".to_owned(),
        "/api/v1/me".to_owned(),
        format!("/api/v1/transfers/{transfer}/links"),
    ] {
        let answer = guest.call(Method::GET, &path, None).await;
        assert!(matches!(answer.status, 401 | 404), "{path}: {}", answer.status);
    }
    for (method, path) in [
        (Method::DELETE, format!("/api/v1/files/{file}")),
        (Method::POST, format!("/api/v1/files/{file}/accept")),
        (Method::DELETE, format!("/api/v1/links/{link}")),
        (Method::POST, format!("/api/v1/transfers/{transfer}/links")),
    ] {
        let answer = guest.call(method, &path, Some(json!({}))).await;
        assert!(matches!(answer.status, 401 | 404), "{path}: {}", answer.status);
    }
    // The link decides where files go.
    let elsewhere = create(
        &guest,
        10,
        &[("filename", "x.txt"), ("uploader", "DJ"), ("transfer", &transfer)],
    )
    .await;
    assert_eq!(elsewhere.status, 400, "{}", elsewhere.body);
    let nameless = create(&guest, 10, &[("filename", "x.txt")]).await;
    assert_eq!(nameless.status, 400, "a guest says who they are: {}", nameless.body);
    // The link's own token, shared by all who hold it, lists nobody's files.
    let current = guest.call(Method::GET, "/api/v1/links/current", None).await;
    assert_eq!(current.status, 200);
    assert_eq!(
        (
            current.body["kind"].as_str(),
            current.body["files"].as_array().map(Vec::len)
        ),
        (Some("upload"), Some(0))
    );

    // The client owns the transfer but not the guest's upload.
    assert_eq!(anne.head(&path).await.status, 404);
    assert_eq!(anne.patch(&path, 6000, b"").await.status, 404);
    assert_eq!(anne.call(Method::DELETE, &path, None).await.status, 404);

    // Until the studio accepts it, the file is the studio's alone.
    let seen = anne
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}"), None)
        .await;
    assert_eq!(seen.body["files"].as_array().map(Vec::len), Some(0), "{}", seen.body);
    // Nor in its pages, nor in its ZIP, nor on the client's own page.
    let paged = anne
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}/files"), None)
        .await;
    assert_eq!(
        (
            paged.body["files"].as_array().map(Vec::len),
            paged.body["total"].as_u64()
        ),
        (Some(0), Some(0)),
        "{}",
        paged.body
    );
    let studio_paged = studio
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}/files"), None)
        .await;
    assert_eq!(studio_paged.body["total"], 1, "the studio sees it to review");
    let browser = crate::pages::Browser::new(&app);
    browser.login("anne@example.fr", "correct horse battery", None).await;
    let page = browser.get(&format!("/deliveries/{transfer}"), None).await;
    assert_eq!(page.status, 200, "the client's page itself");
    let page = page.body;
    assert!(page.contains("data-media"), "the gallery is there");
    assert!(
        !page.contains(&file) && !page.contains("playlist.mp3"),
        "not on the client's page"
    );
    let early = anne
        .call(Method::GET, &format!("/api/v1/files/{file}/content"), None)
        .await;
    assert_eq!(early.status, 404);
    // The studio accepts it: it leaves "à valider", once.
    let accepted = studio
        .call(Method::POST, &format!("/api/v1/files/{file}/accept"), None)
        .await;
    assert_eq!(
        (accepted.status, &accepted.body["pending_review"]),
        (200, &json!(false))
    );
    let again = studio
        .call(Method::POST, &format!("/api/v1/files/{file}/accept"), None)
        .await;
    assert_eq!(again.status, 409);
    let seen = anne
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}"), None)
        .await;
    assert_eq!(
        seen.body["files"].as_array().map(Vec::len),
        Some(1),
        "accepted, the client sees it"
    );
    // A second file, which the studio deletes instead: to the trash, and out of the
    // link's count.
    let other = create(&guest, 3, &[("filename", "bruit.mp3"), ("uploader", "DJ Max")]).await;
    guest
        .send_all(other.header("location").expect("Location"), b"abc", 3)
        .await;
    let listed = studio.files(&transfer).await;
    let unwanted = listed.iter().find(|f| f["name"] == "bruit.mp3").expect("sent")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let deleted = studio
        .call(Method::DELETE, &format!("/api/v1/files/{unwanted}"), None)
        .await;
    assert!(deleted.status < 300, "{}", deleted.body);
    assert_eq!(studio.files(&transfer).await.len(), 1);
    // The link's record counts what came through it.
    let links = studio
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}/links"), None)
        .await;
    assert_eq!(
        (links.body[0]["files"].as_i64(), links.body[0]["pending"].as_i64()),
        (Some(1), Some(0))
    );
}

#[tokio::test]
async fn upload_links_are_made_on_inbound_transfers_and_view_links_upload_nothing() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = inbound(&app, &studio, "anne@example.fr").await;
    let (_, user) = Tus::client(&app, "carl@example.fr").await;
    let delivery = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(json!({"title": "Mariage", "client": user.id})),
        )
        .await;
    let delivery = delivery.body["id"].as_str().expect("id").to_owned();
    let on_delivery = studio
        .call(
            Method::POST,
            &format!("/api/v1/transfers/{delivery}/links"),
            Some(json!({"kind": "upload"})),
        )
        .await;
    assert_eq!(
        (on_delivery.status, on_delivery.body["code"].as_str()),
        (409, Some("not_inbound"))
    );
    for bad in [
        json!({"kind": "upload", "max_files": 0}),
        json!({"kind": "upload", "max_bytes": 0}),
        json!({"kind": "upload", "categories": []}),
        json!({"kind": "upload", "categories": ["photo", "exe"]}),
        json!({"kind": "upload", "permissions": ["download"]}),
        json!({"kind": "upload", "label": "a\u{7}b"}),
        json!({"kind": "upload", "pin": "123"}),
    ] {
        let answer = studio
            .call(
                Method::POST,
                &format!("/api/v1/transfers/{transfer}/links"),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(answer.status, 422, "{bad}: {}", answer.body);
    }
    // A client cannot make links on someone's behalf (not yet theirs to make).
    let (client, _) = Tus::client(&app, "dan@example.fr").await;
    let refused = client
        .call(
            Method::POST,
            &format!("/api/v1/transfers/{transfer}/links"),
            Some(json!({"kind": "upload"})),
        )
        .await;
    assert_eq!(refused.status, 404, "another client's transfer does not exist for them");

    // A view link's token sends nothing.
    studio.upload("a.jpg", &pattern(100, 1), Some(&delivery)).await;
    let published = studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{delivery}/publication"),
            Some(json!({"notify": false})),
        )
        .await;
    assert_eq!(published.status, 200);
    let view = studio
        .call(
            Method::POST,
            &format!("/api/v1/transfers/{delivery}/links"),
            Some(json!({"kind": "view"})),
        )
        .await;
    let viewer = Tus {
        app: &app,
        token: view.body["token"].as_str().expect("token").to_owned(),
    };
    let refused = create(&viewer, 10, &[("filename", "x.txt"), ("uploader", "Eve")]).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
}

#[tokio::test]
async fn limits_are_refused_before_any_byte_is_stored() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = inbound(&app, &studio, "anne@example.fr").await;
    let (link, token, _) = upload_link(
        &studio,
        &transfer,
        json!({"max_files": 3, "max_bytes": 10_000, "categories": ["photo", "video"]}),
    )
    .await;
    let guest = Tus { app: &app, token };
    let who = ("uploader", "Tante Marie");

    let first = create(&guest, 4000, &[("filename", "a.jpg"), who]).await;
    assert_eq!(first.status, 201, "{}", first.body);
    // Too many bytes in all: 413 naming the limit, and no file made.
    let big = create(&guest, 7000, &[("filename", "b.jpg"), who]).await;
    assert_eq!(big.status, 413, "{}", big.body);
    assert!(
        big.body["detail"].as_str().expect("detail").contains("at most"),
        "{}",
        big.body
    );
    // A category the link does not take.
    let song = create(
        &guest,
        100,
        &[("filename", "song.mp3"), ("filetype", "audio/mpeg"), who],
    )
    .await;
    assert_eq!(
        (song.status, song.body["code"].as_str()),
        (422, Some("category_not_accepted"))
    );
    // The guest's own claims do not change what the name says.
    let disguised = create(
        &guest,
        100,
        &[
            ("filename", "setup.exe"),
            ("filetype", "image/jpeg"),
            ("category", "photo"),
            who,
        ],
    )
    .await;
    assert_eq!(
        (disguised.status, disguised.body["code"].as_str()),
        (422, Some("category_not_accepted"))
    );
    let two_lines = create(&guest, 100, &[("filename", "a.jpg\r\nBcc: x"), who]).await;
    assert_eq!(two_lines.status, 400, "{}", two_lines.body);
    // A length given later could not be checked first.
    let deferred = crate::helpers::Answer::of(
        guest
            .request(Method::POST, "/api/v1/uploads")
            .header("upload-defer-length", "1")
            .header("upload-metadata", meta(&[("filename", "c.jpg"), who]))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(deferred.status, 400, "{}", deferred.body);
    assert_eq!(link_files(&app, &link).await, 1, "nothing refused left a file behind");

    // Two more files fit in number; sent at once, four attempts let exactly two in.
    let attempts = (0..4).map(|i| {
        let guest = &guest;
        async move {
            let name = format!("p{i}.jpg");
            create(guest, 1000, &[("filename", name.as_str()), who]).await.status
        }
    });
    let mut statuses = futures_util::future::join_all(attempts).await;
    statuses.sort_unstable();
    assert_eq!(statuses, vec![201, 201, 413, 413]);
    assert_eq!(link_files(&app, &link).await, 3);
}

#[tokio::test]
async fn a_guest_resumes_a_cut_upload_and_sees_only_what_they_sent() {
    let app = crate::helpers::spawn_app_with_small_parts().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = inbound(&app, &studio, "anne@example.fr").await;
    let (_, token, _) = upload_link(&studio, &transfer, json!({})).await;
    let marie = Tus {
        app: &app,
        token: open(&app, &token, "Tante Marie", None).await,
    };
    let paul = Tus {
        app: &app,
        token: open(&app, &token, "Oncle Paul", None).await,
    };

    let data = pattern(6 * 1024 * 1024 + 11, 7);
    let created = create(&marie, data.len() as u64, &[("filename", "vidéo.mov")]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let path = created.header("location").expect("Location").to_owned();
    let sent = 5 * 1024 * 1024 + 3;
    broken_patch(&app, &marie.token, &path, 0, data.len(), &data[..sent]).await;
    assert_eq!(marie.offset(&path).await, sent as u64);
    // Another guest of the same link does not reach it, nor does the link's own token.
    assert_eq!(paul.head(&path).await.status, 404);
    assert_eq!(paul.patch(&path, sent as u64, b"x").await.status, 404);
    assert_eq!(
        Tus {
            app: &app,
            token: token.clone()
        }
        .head(&path)
        .await
        .status,
        404
    );
    let resumed = marie.patch(&path, sent as u64, &data[sent..]).await;
    assert_eq!(resumed.status, 204, "{}", resumed.body);

    let paul_file = create(&paul, 10, &[("filename", "toast.txt")]).await;
    assert_eq!(paul_file.status, 201);
    paul.send_all(paul_file.header("location").expect("Location"), b"0123456789", 10)
        .await;

    let seen = marie.call(Method::GET, "/api/v1/links/current", None).await;
    let files = seen.body["files"].as_array().expect("files");
    assert_eq!(files.len(), 1, "{}", seen.body);
    assert_eq!(files[0]["name"], "vidéo.mov");
    assert_eq!(files[0]["sha256"], sha256_hex(&data).as_str());
    assert_eq!(seen.body["name"], "Tante Marie");
    let seen = paul.call(Method::GET, "/api/v1/links/current", None).await;
    assert_eq!(seen.body["files"].as_array().map(Vec::len), Some(1));
    assert_eq!(seen.body["files"][0]["name"], "toast.txt");

    // Files carry the name given when opening the link (the metadata may not borrow
    // another's: it names the file's sender only when the session has no name).
    let mut names: Vec<String> = studio
        .files(&transfer)
        .await
        .iter()
        .map(|f| f["guest_name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["Oncle Paul", "Tante Marie"]);
}

#[tokio::test]
async fn a_revoked_or_expired_link_stops_uploads_at_their_next_request() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = inbound(&app, &studio, "anne@example.fr").await;
    let (link, token, _) = upload_link(&studio, &transfer, json!({})).await;
    let guest = Tus {
        app: &app,
        token: open(&app, &token, "DJ", None).await,
    };
    let created = create(&guest, 3000, &[("filename", "set.wav")]).await;
    let path = created.header("location").expect("Location").to_owned();
    assert_eq!(guest.patch(&path, 0, &pattern(1000, 1)).await.status, 204);
    let revoked = studio
        .call(Method::DELETE, &format!("/api/v1/links/{link}"), None)
        .await;
    assert_eq!(revoked.status, 204);
    let next = guest.patch(&path, 1000, &pattern(1000, 2)).await;
    assert_eq!(
        (next.status, next.body["code"].as_str()),
        (410, Some("link_revoked")),
        "{}",
        next.body
    );
    assert_eq!(guest.head(&path).await.status, 410);
    let bare = Tus {
        app: &app,
        token: token.clone(),
    };
    let again = create(&bare, 10, &[("filename", "x.txt"), ("uploader", "DJ")]).await;
    assert_eq!((again.status, again.body["code"].as_str()), (410, Some("link_revoked")));

    let now = app.clock().now();
    let (_, token, _) = upload_link(&studio, &transfer, json!({"expires_at": now + relais::domain::HOUR})).await;
    let guest = Tus {
        app: &app,
        token: open(&app, &token, "DJ", None).await,
    };
    let created = create(&guest, 3000, &[("filename", "set.wav")]).await;
    let path = created.header("location").expect("Location").to_owned();
    assert_eq!(guest.patch(&path, 0, &pattern(1000, 1)).await.status, 204);
    app.clock().advance(Duration::from_secs(3601));
    // The session ended with the link, and says why.
    let next = guest.patch(&path, 1000, &pattern(1000, 2)).await;
    assert_eq!((next.status, next.body["code"].as_str()), (410, Some("link_expired")));
    let bare = Tus { app: &app, token };
    let again = create(&bare, 10, &[("filename", "x.txt"), ("uploader", "DJ")]).await;
    assert_eq!((again.status, again.body["code"].as_str()), (410, Some("link_expired")));
}

#[tokio::test]
async fn a_pin_protected_upload_link_takes_files_only_after_its_pin() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = inbound(&app, &studio, "anne@example.fr").await;
    let (_, token, _) = upload_link(&studio, &transfer, json!({"pin": "482913"})).await;
    let bare = Tus {
        app: &app,
        token: token.clone(),
    };
    let refused = create(&bare, 10, &[("filename", "x.txt"), ("uploader", "DJ")]).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (401, Some("pin_required"))
    );
    let unlock = |pin: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            app.http
                .post(app.url("/api/v1/links/unlock"))
                .json(&json!({"token": token, "pin": pin, "name": "DJ Max"}))
                .send()
                .await
                .expect("unlock")
        }
    };
    assert_eq!(unlock("000000").await.status(), 401);
    let opened: Value = unlock("482913").await.json().await.expect("json");
    let guest = Tus {
        app: &app,
        token: opened["token"].as_str().expect("token").to_owned(),
    };
    let created = create(&guest, 10, &[("filename", "x.txt")]).await;
    assert_eq!(created.status, 201, "{}", created.body);
}

#[tokio::test]
async fn hostile_names_are_refused_or_made_harmless() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = inbound(&app, &studio, "anne@example.fr").await;
    let (_, token, _) = upload_link(&studio, &transfer, json!({})).await;
    let guest = Tus {
        app: &app,
        token: token.clone(),
    };
    for uploader in ["", "   ", "a\u{0}b", "x\r\nBcc: eve@example.com", &"n".repeat(81)] {
        let answer = create(&guest, 10, &[("filename", "x.txt"), ("uploader", uploader)]).await;
        assert_eq!(answer.status, 400, "{uploader:?}: {}", answer.body);
    }
    let opened = app
        .http
        .post(app.url("/api/v1/links/unlock"))
        .json(&json!({"token": token, "name": "\u{1b}[31m"}))
        .send()
        .await
        .expect("unlock");
    assert_eq!(opened.status(), 422);
    let sneaky = create(
        &guest,
        10,
        &[
            ("filename", "../../etc/passwd"),
            ("uploader", "<script>alert(1)</script>"),
        ],
    )
    .await;
    assert_eq!(sneaky.status, 201, "{}", sneaky.body);
    let path = sneaky.header("location").expect("Location").to_owned();
    guest.send_all(&path, b"0123456789", 10).await;
    // Both are kept as text: every page escapes them, and a download names the file
    // without its path.
    let files = studio.files(&transfer).await;
    assert_eq!(files[0]["guest_name"], "<script>alert(1)</script>");
    let id = files[0]["id"].as_str().expect("id");
    let download = studio
        .request(Method::GET, &format!("/api/v1/files/{id}/content"))
        .send()
        .await
        .expect("download");
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        disposition.starts_with("attachment") && !disposition.contains('/'),
        "{disposition}"
    );
}

#[tokio::test]
async fn each_finished_batch_is_told_once_to_the_studio_with_a_receipt_for_the_guest() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = inbound(&app, &studio, "anne@example.fr").await;
    let (link, token, _) = upload_link(&studio, &transfer, json!({})).await;
    let guest = Tus {
        app: &app,
        token: open(&app, &token, "DJ Max", Some("dj@example.com")).await,
    };
    for (i, name) in ["intro.mp3", "slow.mp3"].iter().enumerate() {
        let created = create(&guest, 100, &[("filename", name)]).await;
        guest
            .send_all(
                created.header("location").expect("Location"),
                &pattern(100, i as u32),
                100,
            )
            .await;
    }
    app.run_jobs().await;
    let before = app.outbox().len();
    let done = guest.call(Method::POST, "/api/v1/links/current/complete", None).await;
    assert_eq!((done.status, done.body["announced"].as_u64()), (200, Some(2)));
    let again = guest.call(Method::POST, "/api/v1/links/current/complete", None).await;
    assert_eq!(again.body["announced"].as_u64(), Some(0), "each file is told once");
    app.run_jobs().await;
    let mails: Vec<String> = app.outbox()[before..]
        .iter()
        .map(|m| crate::guests::quoted_printable_decoded(m))
        .collect();
    assert_eq!(mails.len(), 2, "one to the studio, one receipt: {mails:#?}");
    let to_studio = mails
        .iter()
        .find(|m| m.contains("studio@example.fr"))
        .expect("studio's");
    assert!(to_studio.contains("DJ Max") && to_studio.contains("intro.mp3") && to_studio.contains("slow.mp3"));
    assert!(to_studio.contains(&format!("/studio/transfers/{transfer}")));
    let receipt = mails.iter().find(|m| m.contains("dj@example.com")).expect("receipt");
    assert!(receipt.contains("intro.mp3") && !receipt.contains(&token), "{receipt}");

    // Saying "done" again soon after emails nobody: the file waits for the quiet sweep.
    let created = create(&guest, 10, &[("filename", "encore.mp3")]).await;
    guest
        .send_all(created.header("location").expect("Location"), b"0123456789", 10)
        .await;
    let soon = guest.call(Method::POST, "/api/v1/links/current/complete", None).await;
    assert_eq!(
        soon.body["announced"].as_u64(),
        Some(0),
        "one email per link every ten minutes"
    );

    // A script that never says it is done: its batch is told after a quiet while.
    let bare = Tus { app: &app, token };
    let created = create(&bare, 10, &[("filename", "late.txt"), ("uploader", "Script")]).await;
    bare.send_all(created.header("location").expect("Location"), b"0123456789", 10)
        .await;
    assert_eq!(
        relais::guests::announce_quiet_batches(&app.state).await.expect("quiet"),
        0
    );
    app.clock().advance(Duration::from_secs(11 * 60));
    assert_eq!(
        relais::guests::announce_quiet_batches(&app.state).await.expect("quiet"),
        2
    );
    assert_eq!(
        relais::guests::announce_quiet_batches(&app.state).await.expect("quiet"),
        0
    );
    let (told,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM files WHERE link_id = $1 AND batch_notified_at IS NOT NULL")
            .bind(&link)
            .fetch_one(app.state.db.pool())
            .await
            .expect("count");
    assert_eq!(told, 4);
}

#[tokio::test]
async fn the_link_page_asks_for_a_name_then_offers_the_uploader_and_lists_only_this_browsers_files() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let transfer = inbound(&app, &studio, "anne@example.fr").await;
    let (link, token, _) = upload_link(
        &studio,
        &transfer,
        json!({"pin": "482913", "max_files": 10, "categories": ["music"]}),
    )
    .await;
    let browser = || {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("browser")
    };
    let page = |b: &reqwest::Client| {
        b.get(app.url(&format!("/l/{token}")))
            .header("accept-language", "fr")
            .send()
    };
    let post = |b: &reqwest::Client, form: &[(&str, &str)]| {
        b.post(app.url(&format!("/l/{token}")))
            .header("accept-language", "fr")
            .header("origin", app.base.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                form.iter()
                    .map(|(k, v)| format!("{k}={}", urlencoding(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
            )
            .send()
    };

    let dj = browser();
    let first = page(&dj).await.expect("page");
    assert_eq!(first.status(), 200);
    let html = first.text().await.expect("html");
    assert!(
        html.contains(r#"name="name""#) && html.contains(r#"name="pin""#),
        "{html}"
    );
    assert!(html.contains("vous invite à envoyer vos fichiers") && !html.contains("Relais"));
    assert!(!html.contains("data-bearer"), "no uploader before the name and PIN");

    let wrong = post(&dj, &[("name", "DJ Max"), ("pin", "000000")]).await.expect("post");
    assert_eq!(wrong.status(), 401);
    let nameless = post(&dj, &[("name", " "), ("pin", "482913")]).await.expect("post");
    assert_eq!(nameless.status(), 422);
    assert!(nameless.text().await.expect("html").contains("Indiquez votre nom"));
    let opened = post(&dj, &[("name", "DJ <Max>"), ("email", ""), ("pin", "482913")])
        .await
        .expect("post");
    assert_eq!(opened.status(), 303);
    let shown = page(&dj).await.expect("page");
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let html = shown.text().await.expect("html");
    assert!(html.contains("Envoi au nom de DJ &#60;Max&#62;."), "escaped: {html}");
    assert!(
        html.contains("Jusqu’à 10 fichiers · fichiers acceptés : Musique"),
        "{html}"
    );
    let bearer = html
        .split(r#"data-bearer=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the uploader's bearer")
        .to_owned();
    assert!(html.contains("Rien pour l’instant"));

    // What this browser sends shows on its page; another browser's guest sees nothing of it.
    let guest = Tus {
        app: &app,
        token: bearer,
    };
    let created = create(&guest, 5, &[("filename", "ouverture.mp3"), ("filetype", "audio/mpeg")]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    guest
        .send_all(created.header("location").expect("Location"), b"abcde", 5)
        .await;
    let html = page(&dj).await.expect("page").text().await.expect("html");
    assert!(
        html.contains("ouverture.mp3") && html.contains("Reçu et vérifié"),
        "{html}"
    );
    let other = browser();
    let opened = post(&other, &[("name", "Planner"), ("pin", "482913")])
        .await
        .expect("post");
    assert_eq!(opened.status(), 303);
    let html = page(&other).await.expect("page").text().await.expect("html");
    assert!(!html.contains("ouverture.mp3") && html.contains("Rien pour l’instant"));

    // The guest's cookie opens none of the accounts' pages.
    for path in ["/deliveries", "/send", "/studio", "/profile"] {
        let answer = other.get(app.url(path)).send().await.expect("page");
        assert_eq!(answer.status(), 303, "{path}");
        let to = answer.headers()["location"].to_str().expect("ascii");
        assert!(to.starts_with("/login"), "{path} → {to}");
    }

    // Revoked: the page says so, as an upload link.
    studio
        .call(Method::DELETE, &format!("/api/v1/links/{link}"), None)
        .await;
    let gone = page(&dj).await.expect("page");
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.expect("html").contains("Le studio a retiré ce lien"));
}

/// `application/x-www-form-urlencoded` for one value.
fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn clients_make_links_for_their_own_guests_when_the_studio_allows_it() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (anne, anne_user) = Tus::client(&app, "anne@example.fr").await;
    let (bob, _) = Tus::client(&app, "bob@example.fr").await;
    let made = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(json!({"title": "Pour le film", "client": anne_user.id, "direction": "inbound"})),
        )
        .await;
    let transfer = made.body["id"].as_str().expect("id").to_owned();
    let ask = |who: &'static str| {
        let (anne, bob) = (&anne, &bob);
        let transfer = transfer.clone();
        async move {
            let caller = if who == "anne" { anne } else { bob };
            caller
                .call(
                    Method::POST,
                    &format!("/api/v1/transfers/{transfer}/links"),
                    Some(json!({"kind": "upload", "label": "Les témoins"})),
                )
                .await
        }
    };
    assert_eq!(ask("anne").await.status, 403, "not until the studio allows it");
    let allowed = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/clients/{}", anne_user.id),
            Some(json!({"may_share": true})),
        )
        .await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    let link = ask("anne").await;
    assert_eq!(link.status, 201, "{}", link.body);
    assert_eq!(ask("bob").await.status, 404);
    let id = link.body["id"].as_str().expect("id").to_owned();
    let theirs = anne
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}/links"), None)
        .await;
    assert_eq!(theirs.body.as_array().map(Vec::len), Some(1));
    let studios = studio
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}/links"), None)
        .await;
    assert_eq!(studios.body.as_array().map(Vec::len), Some(1));
    assert_eq!(
        bob.call(Method::GET, &format!("/api/v1/transfers/{transfer}/links"), None)
            .await
            .status,
        404
    );
    assert_eq!(
        bob.call(Method::DELETE, &format!("/api/v1/links/{id}"), None)
            .await
            .status,
        404
    );

    // A guest of Anne's link sends a file: Anne hears of the batch as well as the studio.
    let guest = Tus {
        app: &app,
        token: open(&app, link.body["token"].as_str().expect("token"), "Témoin", None).await,
    };
    let created = create(&guest, 10, &[("filename", "discours.pdf")]).await;
    guest
        .send_all(created.header("location").expect("Location"), b"0123456789", 10)
        .await;
    app.run_jobs().await;
    let before = app.outbox().len();
    let done = guest.call(Method::POST, "/api/v1/links/current/complete", None).await;
    assert_eq!(done.body["announced"], 1);
    app.run_jobs().await;
    let mails = app.outbox()[before..].to_vec();
    assert_eq!(mails.len(), 2, "the studio and Anne");
    assert!(mails.iter().any(|m| m.contains("anne@example.fr")));

    // Anne revokes her own link; the studio could too.
    assert_eq!(
        anne.call(Method::DELETE, &format!("/api/v1/links/{id}"), None)
            .await
            .status,
        204
    );
    // Taken back, the permission stops new links.
    studio
        .call(
            Method::PATCH,
            &format!("/api/v1/clients/{}", anne_user.id),
            Some(json!({"may_share": false})),
        )
        .await;
    assert_eq!(ask("anne").await.status, 403);
}
