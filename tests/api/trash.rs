//! Deletion through the trash: who may delete what, 404 everywhere at once, restoring
//! brings everything back, and the purge removes the objects from storage.

use reqwest::Method;
use serde_json::json;

use crate::helpers::tus::{Tus, pattern, sha256_hex};
use crate::helpers::{TestApp, spawn_app};

async fn client_id(app: &TestApp, email: &str) -> String {
    let email = relais::domain::Email::parse(email).expect("email");
    relais::db::users::find_by_email(app.state.db.pool(), &email)
        .await
        .expect("find")
        .expect("exists")
        .id
        .to_string()
}

/// Every object key in live storage under the places files live.
async fn objects(app: &TestApp) -> Vec<String> {
    let mut all = Vec::new();
    for prefix in ["files", "derived"] {
        if let Ok(listed) = app.state.blobs.list(prefix).await {
            all.extend(listed.into_iter().map(|m| m.key.as_str().to_owned()));
        }
    }
    all.sort();
    all
}

/// A delivery with two photos for Anne, published; Anne's own upload; Bob's own upload.
async fn setup(app: &TestApp) -> (Tus<'_>, Tus<'_>, Tus<'_>, String) {
    let (anne, _) = Tus::client(app, "anne@example.fr").await;
    let (bob, _) = Tus::client(app, "bob@example.fr").await;
    let (studio, _) = Tus::studio(app, "studio@example.fr").await;
    anne.upload("musique.flac", &pattern(50_000, 1), None).await;
    bob.upload("bob.pdf", &pattern(20_000, 2), None).await;
    let made = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(json!({"title": "Photos du mariage", "direction": "delivery", "client": client_id(app, "anne@example.fr").await})),
        )
        .await;
    let delivery = made.body["id"].as_str().expect("id").to_owned();
    studio
        .upload(
            "photo-1.jpg",
            &crate::media::jpeg(800, 600, false, None),
            Some(&delivery),
        )
        .await;
    studio
        .upload(
            "photo-2.jpg",
            &crate::media::jpeg(600, 800, false, None),
            Some(&delivery),
        )
        .await;
    app.run_jobs().await;
    let published = studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{delivery}/publication"),
            Some(json!({})),
        )
        .await;
    assert_eq!(published.status, 200, "{:?}", published.body);
    (anne, bob, studio, delivery)
}

#[tokio::test]
async fn who_may_delete_what() {
    let app = spawn_app().await;
    let (anne, bob, studio, delivery) = setup(&app).await;
    let anne_file = anne
        .all_files()
        .await
        .into_iter()
        .find(|f| f["name"] == "musique.flac")
        .expect("file");
    let photo = studio.files(&delivery).await.remove(0);
    let anne_file = anne_file["id"].as_str().expect("id");
    let photo = photo["id"].as_str().expect("id");

    // A stranger's file, the studio's delivery, a transfer, a client: not for clients.
    assert_eq!(
        bob.call(Method::DELETE, &format!("/api/v1/files/{anne_file}"), None)
            .await
            .status,
        404
    );
    assert_eq!(
        anne.call(Method::DELETE, &format!("/api/v1/files/{photo}"), None)
            .await
            .status,
        403
    );
    assert_eq!(
        anne.call(Method::DELETE, &format!("/api/v1/transfers/{delivery}"), None)
            .await
            .status,
        403
    );
    let bob_id = client_id(&app, "bob@example.fr").await;
    assert_eq!(
        anne.call(Method::DELETE, &format!("/api/v1/clients/{bob_id}"), None)
            .await
            .status,
        403
    );
    assert_eq!(anne.call(Method::GET, "/api/v1/trash", None).await.status, 403);
    // Without anyone signed in: nothing.
    let anonymous = app
        .http
        .delete(app.url(&format!("/api/v1/files/{anne_file}")))
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status(), 401);

    // Anne deletes what she sent; the studio anything.
    assert_eq!(
        anne.call(Method::DELETE, &format!("/api/v1/files/{anne_file}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        anne.call(Method::DELETE, &format!("/api/v1/files/{anne_file}"), None)
            .await
            .status,
        404,
        "already gone"
    );
    // A client's own upload space is not deleted as a whole.
    let anne_inbound = anne
        .transfer_ids()
        .await
        .into_iter()
        .find(|t| *t != delivery)
        .expect("inbound");
    let refused = studio
        .call(Method::DELETE, &format!("/api/v1/transfers/{anne_inbound}"), None)
        .await;
    assert_eq!((refused.status, refused.code()), (409, "not_deletable"));
}

#[tokio::test]
async fn a_deleted_delivery_is_gone_everywhere_at_once_and_comes_back_whole() {
    let app = spawn_app().await;
    let (anne, _bob, studio, delivery) = setup(&app).await;
    let files = anne.files(&delivery).await;
    let ids: Vec<String> = files.iter().map(|f| f["id"].as_str().expect("id").to_owned()).collect();
    let before: Vec<(String, String)> = {
        let mut seen = Vec::new();
        for id in &ids {
            let got = anne
                .request(Method::GET, &format!("/api/v1/files/{id}/content"))
                .send()
                .await
                .expect("get");
            seen.push((id.clone(), sha256_hex(&got.bytes().await.expect("bytes"))));
        }
        seen
    };
    let size: u64 = files.iter().map(|f| f["size"].as_u64().expect("size")).sum();

    assert_eq!(
        studio
            .call(Method::DELETE, &format!("/api/v1/transfers/{delivery}"), None)
            .await
            .status,
        204
    );
    // Every way in answers 404, for the client and the studio alike.
    for who in [&anne, &studio] {
        assert_eq!(
            who.call(Method::GET, &format!("/api/v1/transfers/{delivery}"), None)
                .await
                .status,
            404
        );
        let archive = who
            .request(Method::GET, &format!("/api/v1/transfers/{delivery}/archive"))
            .send()
            .await
            .expect("zip");
        assert_eq!(archive.status(), 404);
        for id in &ids {
            for path in [
                format!("/api/v1/files/{id}"),
                format!("/api/v1/files/{id}/content"),
                format!("/api/v1/files/{id}/variants/thumb"),
            ] {
                let got = who.request(Method::GET, &path).send().await.expect("get");
                assert_eq!(got.status(), 404, "{path}");
            }
        }
    }
    assert!(!anne.transfer_ids().await.contains(&delivery));

    // The trash names it, with what went with it.
    let trash = studio.call(Method::GET, "/api/v1/trash", None).await;
    assert_eq!(trash.status, 200);
    let entry = trash.body.as_array().expect("list")[0].clone();
    assert_eq!(entry["kind"], "transfer");
    assert_eq!(entry["label"], "Photos du mariage");
    assert_eq!(entry["files"], 2);
    assert_eq!(entry["bytes"].as_u64(), Some(size));

    // Restored: the same files, the same bytes.
    let id = entry["id"].as_str().expect("id");
    assert_eq!(
        studio
            .call(Method::POST, &format!("/api/v1/trash/{id}/restore"), None)
            .await
            .status,
        204
    );
    for (file, sha) in &before {
        let got = anne
            .request(Method::GET, &format!("/api/v1/files/{file}/content"))
            .send()
            .await
            .expect("get");
        assert_eq!(got.status(), 200);
        assert_eq!(&sha256_hex(&got.bytes().await.expect("bytes")), sha);
    }
    assert_eq!(studio.call(Method::GET, "/api/v1/trash", None).await.body, json!([]));
}

#[tokio::test]
async fn a_deleted_client_cannot_sign_in_and_the_purge_removes_every_object() {
    let app = spawn_app().await;
    let (anne, _bob, studio, _delivery) = setup(&app).await;
    let anne_id = client_id(&app, "anne@example.fr").await;
    let before = objects(&app).await;
    assert_eq!(
        app.login("anne@example.fr", "correct horse battery", None).await.status,
        201
    );
    assert_eq!(
        studio
            .call(Method::DELETE, &format!("/api/v1/clients/{anne_id}"), None)
            .await
            .status,
        204
    );
    // Her token, her password, her place in the studio's list: gone at once.
    assert_eq!(anne.call(Method::GET, "/api/v1/transfers", None).await.status, 401);
    app.forget_csrf();
    assert_eq!(
        app.login("anne@example.fr", "correct horse battery", None).await.status,
        401
    );
    let clients = studio.call(Method::GET, "/api/v1/clients", None).await;
    assert!(
        !clients.body.to_string().contains("anne@example.fr"),
        "{}",
        clients.body
    );

    // Restored: she signs in again.
    let trash = studio.call(Method::GET, "/api/v1/trash", None).await;
    let entry = trash.body[0]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        studio
            .call(Method::POST, &format!("/api/v1/trash/{entry}/restore"), None)
            .await
            .status,
        204
    );
    assert_eq!(anne.call(Method::GET, "/api/v1/transfers", None).await.status, 200);

    // Deleted again and left past the grace period: the purge removes her objects (files
    // and variants) from storage, and Bob's stay.
    assert_eq!(
        studio
            .call(Method::DELETE, &format!("/api/v1/clients/{anne_id}"), None)
            .await
            .status,
        204
    );
    app.clock().advance(std::time::Duration::from_secs(29 * 24 * 3600));
    assert_eq!(
        relais::trash::purge_due(&app.state).await.expect("purge"),
        0,
        "not before its time"
    );
    app.clock().advance(std::time::Duration::from_secs(2 * 24 * 3600));
    assert_eq!(relais::trash::purge_due(&app.state).await.expect("purge"), 1);
    let after = objects(&app).await;
    assert!(after.len() < before.len(), "{after:?}");
    assert_eq!(after.len(), 1, "only Bob's file is left: {after:?}");
    assert_eq!(studio.call(Method::GET, "/api/v1/trash", None).await.body, json!([]));
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE email = 'anne@example.fr'")
        .fetch_one(app.state.db.pool())
        .await
        .expect("count");
    assert_eq!(n, 0, "the account's row is gone too");
}

#[tokio::test]
async fn the_studio_erases_a_trashed_delivery_now_and_nobody_else_can() {
    let app = spawn_app().await;
    let (anne, _bob, studio, delivery) = setup(&app).await;
    let before = objects(&app).await;
    assert_eq!(
        studio
            .call(Method::DELETE, &format!("/api/v1/transfers/{delivery}"), None)
            .await
            .status,
        204
    );
    let trash = studio.call(Method::GET, "/api/v1/trash", None).await;
    let entry = trash.body[0]["id"].as_str().expect("id").to_owned();
    let url = format!("/api/v1/trash/{entry}");
    // A client, even the one the delivery was for, cannot erase anything.
    assert_eq!(anne.call(Method::DELETE, &url, None).await.status, 403);
    assert_eq!(objects(&app).await, before, "nothing erased by a refused call");

    assert_eq!(studio.call(Method::DELETE, &url, None).await.status, 204);
    // Gone from storage at once, photos, web sizes and all; the other clients' files stay.
    let after = objects(&app).await;
    assert_eq!(after.len(), 2, "Anne's and Bob's own uploads only: {after:?}");
    assert_eq!(studio.call(Method::GET, "/api/v1/trash", None).await.body, json!([]));
    let restore = format!("/api/v1/trash/{entry}/restore");
    assert_eq!(studio.call(Method::POST, &restore, None).await.status, 404);
    assert_eq!(studio.call(Method::DELETE, &url, None).await.status, 404);
    assert_eq!(
        studio
            .call(Method::GET, &format!("/api/v1/transfers/{delivery}"), None)
            .await
            .status,
        404
    );
    // The housekeeping later finds nothing left to do.
    app.clock().advance(std::time::Duration::from_secs(31 * 24 * 3600));
    assert_eq!(relais::trash::purge_due(&app.state).await.expect("purge"), 0);
}

#[tokio::test]
async fn the_studio_sets_and_removes_a_quota() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let id = client_id(&app, "anne@example.fr").await;
    let set = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(json!({"quota": 100_000})),
        )
        .await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    let refused = anne
        .request(Method::POST, "/api/v1/uploads")
        .header("upload-length", 200_000)
        .send()
        .await
        .expect("create");
    assert_eq!(refused.status(), 413);
    let cleared = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(json!({"quota": null})),
        )
        .await;
    assert_eq!(cleared.status, 200);
    anne.upload("grand.bin", &pattern(200_000, 4), None).await;
    assert_eq!(
        anne.call(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(json!({"quota": 1}))
        )
        .await
        .status,
        403
    );
}

#[tokio::test]
async fn a_photo_deleted_from_its_delivery_leaves_the_public_portfolio_at_once() {
    let app = spawn_app().await;
    let (_anne, _bob, studio, delivery) = setup(&app).await;
    let photo = studio.files(&delivery).await.remove(0);
    let photo = photo["id"].as_str().expect("id").to_owned();
    let album = studio
        .call(
            Method::POST,
            "/api/v1/portfolio/albums",
            Some(json!({"title": "Mariages"})),
        )
        .await;
    let album = album.body["id"].as_str().expect("id").to_owned();
    let item = studio
        .call(
            Method::POST,
            &format!("/api/v1/portfolio/albums/{album}/items"),
            Some(json!({"file": photo})),
        )
        .await;
    assert_eq!(item.status, 201, "{:?}", item.body);
    let item = item.body["id"].as_str().expect("item").to_owned();
    studio
        .call(
            Method::PATCH,
            &format!("/api/v1/portfolio/albums/{album}"),
            Some(json!({"published": true})),
        )
        .await;
    let public = |path: String| {
        let http = reqwest::Client::new();
        let url = app.url(&path);
        async move { http.get(url).send().await.expect("get") }
    };
    assert_eq!(public(format!("/media/{item}/medium.jpg")).await.status(), 200);
    let page = public("/albums/mariages".into()).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains(&format!("/media/{item}/")));

    assert_eq!(
        studio
            .call(Method::DELETE, &format!("/api/v1/files/{photo}"), None)
            .await
            .status,
        204
    );
    assert_eq!(public(format!("/media/{item}/medium.jpg")).await.status(), 404);
    let page = public("/albums/mariages".into()).await;
    assert_eq!(page.status(), 200, "the album still shows, without the photo");
    assert!(!page.text().await.expect("html").contains(&format!("/media/{item}/")));
}

#[tokio::test]
async fn the_pages_ask_before_deleting_naming_what_goes_and_the_trash_page_restores() {
    let app = spawn_app().await;
    let (_anne, _bob, studio, delivery) = setup(&app).await;
    let (_, secret) = app.create_studio("owner@example.fr", "correct horse battery").await;
    let browser = crate::pages::Browser::new(&app);
    browser
        .login(
            "owner@example.fr",
            "correct horse battery",
            Some(app.totp_code(&secret, 0)),
        )
        .await;
    let page = browser.get(&format!("/studio/transfers/{delivery}"), Some("fr")).await;
    assert_eq!(page.status, 200);
    // The transfer's button names it, its two files and their size; each file's its own.
    assert!(
        page.body
            .contains(&format!("data-action=\"DELETE /api/v1/transfers/{delivery}\"")),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Mettre « Photos du mariage » à la corbeille, avec 2 fichiers"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Mettre « photo-1.jpg »"));
    let anne_id = client_id(&app, "anne@example.fr").await;
    let client_page = browser.get(&format!("/studio/clients/{anne_id}"), Some("fr")).await;
    assert!(
        client_page
            .body
            .contains(&format!("data-action=\"DELETE /api/v1/clients/{anne_id}\""))
    );

    assert_eq!(
        studio
            .call(Method::DELETE, &format!("/api/v1/transfers/{delivery}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        browser
            .get(&format!("/studio/transfers/{delivery}"), Some("fr"))
            .await
            .status,
        404
    );
    let trash = browser.get("/studio/trash", Some("fr")).await;
    assert_eq!(trash.status, 200);
    assert!(
        trash.body.contains("Photos du mariage") && trash.body.contains("2 fichiers"),
        "{}",
        trash.body
    );
    assert!(trash.body.contains("/restore\""), "a restore button");
    assert!(
        trash
            .body
            .contains("Effacer définitivement « Photos du mariage » et 2 fichiers"),
        "an erase button that asks first, naming what goes: {}",
        trash.body
    );
    // In the owner's other language, every word is there too.
    sqlx::query("UPDATE users SET locale = 'en' WHERE email = 'owner@example.fr'")
        .execute(app.state.db.pool())
        .await
        .expect("locale");
    let en = browser.get("/studio/trash", None).await;
    assert!(
        en.body.contains("Trash") && en.body.contains("Restore") && en.body.contains(">Erase<"),
        "{}",
        en.body
    );
}

#[tokio::test]
async fn a_purged_client_with_invoices_keeps_the_invoices_and_loses_everything_personal() {
    let app = spawn_app().await;
    let (anne, _bob, studio, _delivery) = setup(&app).await;
    let anne_id = client_id(&app, "anne@example.fr").await;
    // As the quote site leaves it: the client's record and an invoice.
    for (sql, binds) in [
        (
            "INSERT INTO integration_clients (ext_id, user_id, version, digest, created_at, updated_at) \
             VALUES ('c-42', $1, 1, 'd', 0, 0)",
            vec![anne_id.clone()],
        ),
        (
            "INSERT INTO invoices (ext_id, client_ext_id, number, status, total, currency, version, digest, \
             created_at, updated_at) VALUES ('f-1', 'c-42', 'F2026-001', 'issued', 180000, 'EUR', 1, 'd', 0, 0)",
            vec![],
        ),
    ] {
        let mut query = sqlx::query(sql);
        for b in binds {
            query = query.bind(b);
        }
        query.execute(app.state.db.pool()).await.expect("insert");
    }
    assert_eq!(
        studio
            .call(Method::DELETE, &format!("/api/v1/clients/{anne_id}"), None)
            .await
            .status,
        204
    );
    app.clock().advance(std::time::Duration::from_secs(31 * 24 * 3600));
    assert_eq!(relais::trash::purge_due(&app.state).await.expect("purge"), 1);

    let (email, name, password): (String, String, Option<String>) =
        sqlx::query_as("SELECT email, name, password_hash FROM users WHERE id = $1")
            .bind(&anne_id)
            .fetch_one(app.state.db.pool())
            .await
            .expect("the row stays for the invoices");
    assert!(email.starts_with("erased-") && !email.contains("anne"), "{email}");
    assert_eq!((name.as_str(), password), ("Client effacé", None));
    let (invoices,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM invoices WHERE client_ext_id = 'c-42'")
        .fetch_one(app.state.db.pool())
        .await
        .expect("count");
    assert_eq!(invoices, 1, "the invoice is kept");
    assert_eq!(anne.call(Method::GET, "/api/v1/transfers", None).await.status, 401);
    let left = objects(&app).await;
    assert_eq!(left.len(), 1, "only Bob's file: {left:?}");
}

#[tokio::test]
async fn the_studio_exports_everything_about_one_client_and_nothing_about_another() {
    let app = spawn_app().await;
    let (anne, bob, studio, delivery) = setup(&app).await;
    let anne_id = client_id(&app, "anne@example.fr").await;
    // Her appointment and her newsletter subscription travel too.
    let appointment = studio
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({"client": anne_id, "kind": "Essai", "starts_at": "2027-06-12T10:00", "place": "Salon Rivoli"})),
        )
        .await;
    assert_eq!(appointment.status, 201, "{:?}", appointment.body);
    assert_eq!(
        anne.call(Method::PUT, "/api/v1/me/newsletter", Some(json!({"subscribed": true})))
            .await
            .status,
        200
    );
    assert_eq!(
        anne.call(Method::GET, &format!("/api/v1/clients/{anne_id}/export"), None)
            .await
            .status,
        403
    );
    let answer = studio
        .request(Method::GET, &format!("/api/v1/clients/{anne_id}/export"))
        .send()
        .await
        .expect("export");
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("attachment")
    );
    let announced: u64 = answer.headers()["content-length"]
        .to_str()
        .expect("len")
        .parse()
        .expect("number");
    let bytes = answer.bytes().await.expect("zip");
    assert_eq!(bytes.len() as u64, announced);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("export.zip");
    std::fs::write(&path, &bytes).expect("write");
    let members = crate::downloads::read_zip(&path);

    // Every file of hers, byte-exact, and none of Bob's.
    let mut expected = Vec::new();
    for transfer in anne.transfer_ids().await {
        for f in anne.files(&transfer).await {
            expected.push((
                f["name"].as_str().expect("name").to_owned(),
                f["sha256"].as_str().expect("sha").to_owned(),
            ));
        }
    }
    assert_eq!(expected.len(), 3, "{expected:?}");
    for (name, sha) in &expected {
        assert!(
            members
                .iter()
                .any(|(member, digest)| member.ends_with(name.as_str()) && digest == sha),
            "{name} in {members:?}"
        );
    }
    assert!(!members.keys().any(|m| m.contains("bob")), "{members:?}");
    assert_eq!(members.len(), 4, "the data file and her three files: {members:?}");

    // The data file says who she is and what she has, and nothing of Bob.
    let script = "import sys, zipfile\nprint(zipfile.ZipFile(sys.argv[1]).read('donnees-data.json').decode())";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python");
    let data: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(data["account"]["email"], "anne@example.fr");
    assert!(
        data["transfers"]
            .as_array()
            .expect("transfers")
            .iter()
            .any(|t| t["id"] == delivery.as_str())
    );
    assert_eq!(data["appointments"][0]["place"], "Salon Rivoli");
    assert_eq!(data["newsletter"]["status"], "confirmed");
    assert_eq!(data["newsletter"]["source"], "client");
    assert!(!data.to_string().contains("bob@example.fr"));
    let _ = bob;
}

#[tokio::test]
async fn retention_rules_move_old_deliveries_and_fetched_files_to_the_trash_and_say_so() {
    let app = crate::helpers::spawn_app_with(|cfg| {
        cfg.retention.delivery_days = Some(10);
        cfg.retention.inbound_days = Some(20);
    })
    .await;
    let (anne, _bob, studio, delivery) = setup(&app).await;
    // The delivery expires in a day; Anne's song is fetched whole by the studio.
    let tomorrow = app.clock().now() + relais::domain::DAY;
    let published = studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{delivery}/publication"),
            Some(json!({"expires_at": tomorrow})),
        )
        .await;
    assert_eq!(published.status, 200, "{:?}", published.body);
    let song = anne
        .all_files()
        .await
        .into_iter()
        .find(|f| f["name"] == "musique.flac")
        .expect("song");
    let song = song["id"].as_str().expect("id").to_owned();
    let fetched = studio
        .request(Method::GET, &format!("/api/v1/files/{song}/content"))
        .send()
        .await
        .expect("get");
    fetched.bytes().await.expect("whole");
    // Bob's file is never fetched: it stays whatever its age.
    crate::helpers::eventually("the studio's complete download receipt", || {
        let pool = app.state.db.pool().clone();
        let song = song.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM downloads WHERE file_id = $1 AND complete = 1")
                .bind(song)
                .fetch_one(&pool)
                .await
                .ok()?;
            (n > 0).then_some(())
        }
    })
    .await;

    assert_eq!(
        relais::trash::apply_retention(&app.state).await.expect("rules"),
        0,
        "nothing is old yet"
    );
    app.clock().advance(std::time::Duration::from_secs(12 * 24 * 3600));
    assert_eq!(
        relais::trash::apply_retention(&app.state).await.expect("rules"),
        1,
        "the delivery, 11 days after"
    );
    assert_eq!(
        anne.call(Method::GET, &format!("/api/v1/transfers/{delivery}"), None)
            .await
            .status,
        404
    );
    app.clock().advance(std::time::Duration::from_secs(10 * 24 * 3600));
    assert_eq!(
        relais::trash::apply_retention(&app.state).await.expect("rules"),
        1,
        "the song, 22 days after"
    );
    let trash = studio.call(Method::GET, "/api/v1/trash", None).await;
    let kinds: Vec<(&str, &str)> = trash
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|e| (e["kind"].as_str().unwrap_or(""), e["label"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(kinds, vec![("file", "musique.flac"), ("transfer", "Photos du mariage")]);
    assert!(
        trash.body[0]["deleted_by"].is_null(),
        "moved by the rules, not by a person"
    );
    assert_eq!(bob_files(&app).await, 1, "Bob's file, never fetched, stays");

    // The settings page says what the rules remove.
    let (_, secret) = app.create_studio("owner@example.fr", "correct horse battery").await;
    let browser = crate::pages::Browser::new(&app);
    browser
        .login(
            "owner@example.fr",
            "correct horse battery",
            Some(app.totp_code(&secret, 0)),
        )
        .await;
    let page = browser.get("/studio/settings", Some("fr")).await;
    assert!(page.body.contains("10 jours après leur expiration"), "{}", page.body);
    assert!(page.body.contains("20 jours après que vous les avez téléchargés"));
    assert!(page.body.contains("30 jours dans la corbeille"));
}

async fn bob_files(app: &TestApp) -> usize {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM files WHERE name = 'bob.pdf' AND deleted_at IS NULL")
        .fetch_one(app.state.db.pool())
        .await
        .expect("count");
    n as usize
}

#[tokio::test]
async fn a_client_takes_back_only_what_they_sent_from_their_pages() {
    let app = spawn_app().await;
    let (anne, _bob, _studio, delivery) = setup(&app).await;
    let inbound = anne
        .transfer_ids()
        .await
        .into_iter()
        .find(|t| *t != delivery)
        .expect("inbound");
    let browser = crate::pages::Browser::new(&app);
    browser.login("anne@example.fr", "correct horse battery", None).await;
    let own = browser.get(&format!("/deliveries/{inbound}"), Some("fr")).await;
    assert_eq!(own.status, 200);
    assert!(own.body.contains("Retirer « musique.flac »"), "{}", own.body);
    assert!(own.body.contains("data-action=\"DELETE /api/v1/files/"));
    let given = browser.get(&format!("/deliveries/{delivery}"), Some("fr")).await;
    assert_eq!(given.status, 200);
    assert!(
        !given.body.contains("DELETE /api/v1/files/"),
        "nothing the studio gave can be removed"
    );
}
