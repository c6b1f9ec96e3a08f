//! Favourites and selections: named lists within the studio's limits, submitted and
//! reopened, exported as Lightroom names, CSV and a ZIP (each read back by a reader Relais
//! did not write), following each file across a rename and a republication; guests mark
//! in lists of their own when their link allows it; web-size downloads.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::helpers::tus::{Tus, pattern};

/// A published delivery for a new client with files named `names`: (client, transfer,
/// file ids).
async fn delivery<'a>(
    app: &'a TestApp,
    studio: &Tus<'_>,
    client: &str,
    names: &[&str],
) -> (Tus<'a>, String, Vec<String>) {
    let (tus, user) = Tus::client(app, client).await;
    let made = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(json!({"title": "Mariage", "client": user.id})),
        )
        .await;
    let id = made.body["id"].as_str().expect("id").to_owned();
    for (i, name) in names.iter().enumerate() {
        let data = if name.ends_with(".jpg") {
            crate::media::jpeg(3000, 2000, false, None)
        } else {
            pattern(1000 + i, i as u32)
        };
        studio.upload(name, &data, Some(&id)).await;
    }
    publish(studio, &id).await;
    let files = studio
        .files(&id)
        .await
        .into_iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect();
    (tus, id, files)
}

async fn publish(studio: &Tus<'_>, id: &str) {
    let published = studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{id}/publication"),
            Some(json!({"notify": false})),
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.body);
}

async fn mark(who: &Tus<'_>, file: &str, list: Option<&str>) -> crate::helpers::Answer {
    let body = list.map_or_else(|| json!({}), |l| json!({ "list": l }));
    who.call(Method::PUT, &format!("/api/v1/files/{file}/favourite"), Some(body))
        .await
}

fn list<'v>(selection: &'v Value, name: &str) -> &'v Value {
    selection["lists"]
        .as_array()
        .expect("lists")
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no list {name} in {selection}"))
}

#[tokio::test]
async fn a_client_marks_favourites_in_named_lists_within_the_studios_limit() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (client, transfer, files) = delivery(&app, &studio, "anne@example.fr", &["a.bin", "b.bin", "c.bin"]).await;
    let set = studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{transfer}/selection/limits"),
            Some(json!({"limits": {"Album": 2}})),
        )
        .await;
    assert_eq!(set.status, 204, "{}", set.body);

    let first = mark(&client, &files[0], None).await;
    assert_eq!(
        (first.status, first.body["list"].as_str(), first.body["count"].as_i64()),
        (200, Some("Favoris"), Some(1))
    );
    assert_eq!(mark(&client, &files[0], Some("Album")).await.status, 200);
    let second = mark(&client, &files[1], Some("Album")).await;
    assert_eq!(
        (second.body["count"].as_i64(), second.body["limit"].as_i64()),
        (Some(2), Some(2))
    );
    // Unmarking in a list that does not exist makes no list.
    let nothing = client
        .call(
            Method::DELETE,
            &format!("/api/v1/files/{}/favourite", files[0]),
            Some(json!({"list": "Jamais"})),
        )
        .await;
    assert_eq!((nothing.status, nothing.body["count"].as_i64()), (200, Some(0)));
    let full = mark(&client, &files[2], Some("Album")).await;
    assert_eq!((full.status, full.body["code"].as_str()), (409, Some("selection_full")));
    // Marking again what is already in is no new mark.
    assert_eq!(mark(&client, &files[1], Some("Album")).await.status, 200);
    let removed = client
        .call(
            Method::DELETE,
            &format!("/api/v1/files/{}/favourite", files[1]),
            Some(json!({"list": "Album"})),
        )
        .await;
    assert_eq!(removed.body["count"].as_i64(), Some(1));
    assert_eq!(mark(&client, &files[2], Some("Album")).await.status, 200);

    // Nobody else marks in this delivery: the studio, another client, a stranger.
    assert_eq!(mark(&studio, &files[0], None).await.status, 403);
    let (other, _) = Tus::client(&app, "bob@example.fr").await;
    assert_eq!(mark(&other, &files[0], None).await.status, 404);
    let stranger = app
        .http
        .put(app.url(&format!("/api/v1/files/{}/favourite", files[0])))
        .send()
        .await
        .expect("put");
    assert_eq!(stranger.status(), 401);
    for bad in [json!({"list": "a\u{0}b"}), json!({"list": "x".repeat(61)})] {
        let answer = client
            .call(Method::PUT, &format!("/api/v1/files/{}/favourite", files[0]), Some(bad))
            .await;
        assert_eq!(answer.status, 422);
    }

    let mine = client
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}/selection"), None)
        .await;
    assert_eq!(mine.status, 200);
    assert_eq!(
        mine.body["lists"].as_array().map(Vec::len),
        Some(2),
        "Favoris and Album only"
    );
    let twice = studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{transfer}/selection/limits"),
            Some(json!({"limits": {"Album": 1, " Album": 2}})),
        )
        .await;
    assert_eq!(twice.status, 422, "{}", twice.body);
    let album: Vec<&str> = list(&mine.body, "Album")["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["name"].as_str().expect("name"))
        .collect();
    assert_eq!(album, ["a.bin", "c.bin"]);
    assert_eq!(list(&mine.body, "Favoris")["count"], 1);
    // Another client's selection of their own delivery is not theirs to read.
    let theirs = other
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}/selection"), None)
        .await;
    assert_eq!(theirs.status, 404);
}

#[tokio::test]
async fn submitting_locks_the_list_and_tells_the_studio_who_can_reopen_it() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (client, transfer, files) = delivery(&app, &studio, "anne@example.fr", &["a.bin", "b.bin"]).await;
    let submit = |body: Value| {
        let client = &client;
        let transfer = transfer.clone();
        async move {
            client
                .call(
                    Method::POST,
                    &format!("/api/v1/transfers/{transfer}/selection/submit"),
                    Some(body),
                )
                .await
        }
    };
    assert_eq!(
        submit(json!({"list": "Album"})).await.status,
        422,
        "nothing to submit yet"
    );
    mark(&client, &files[0], Some("Album")).await;
    mark(&client, &files[1], Some("Album")).await;
    app.run_jobs().await;
    let before = app.outbox().len();
    let sent = submit(json!({"list": "Album"})).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body["submitted_at"].as_i64().is_some());
    assert_eq!(sent.body["count"], 2);
    assert_eq!(submit(json!({"list": "Album"})).await.status, 409);
    let locked = mark(&client, &files[0], Some("Album")).await;
    assert_eq!(
        (locked.status, locked.body["code"].as_str()),
        (409, Some("selection_submitted"))
    );
    // Other lists stay open.
    assert_eq!(mark(&client, &files[0], Some("Retouches")).await.status, 200);
    app.run_jobs().await;
    let mails: Vec<String> = app.outbox()[before..]
        .iter()
        .map(|m| crate::guests::quoted_printable_decoded(m))
        .collect();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert!(mails[0].contains("studio@example.fr") && mails[0].contains("Album") && mails[0].contains("Client Test"));

    let lists = studio
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}/selection"), None)
        .await;
    let id = list(&lists.body, "Album")["id"].as_str().expect("id").to_owned();
    assert_eq!(list(&lists.body, "Album")["owner"]["kind"], "client");
    // Only the studio reopens.
    assert_eq!(
        client
            .call(Method::POST, &format!("/api/v1/selections/{id}/reopen"), None)
            .await
            .status,
        403
    );
    assert_eq!(
        studio
            .call(Method::POST, &format!("/api/v1/selections/{id}/reopen"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        studio
            .call(Method::POST, &format!("/api/v1/selections/{id}/reopen"), None)
            .await
            .status,
        409
    );
    assert_eq!(mark(&client, &files[0], Some("Album")).await.status, 200);
}

/// Parses CSV with Python's csv module (a reader Relais did not write).
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("selection.csv");
    std::fs::write(&path, text).expect("write");
    let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import csv, json, sys\nprint(json.dumps(list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))))",
        ])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

#[tokio::test]
async fn exports_parse_and_follow_each_file_across_a_rename_and_a_republication() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let names = [
        "IMG_0001.CR3",
        "IMG_0002.jpeg",
        "=HYPERLINK(1).bin",
        "note, \"quoted\".txt",
    ];
    let (client, transfer, files) = delivery(&app, &studio, "anne@example.fr", &names).await;
    for file in &files {
        assert_eq!(mark(&client, file, Some("Album")).await.status, 200);
    }
    // The studio renames a file and republishes: the list follows the file.
    let renamed = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/files/{}", files[0]),
            Some(json!({"name": "Premier.CR3"})),
        )
        .await;
    assert_eq!(
        (renamed.status, renamed.body["name"].as_str()),
        (200, Some("Premier.CR3"))
    );
    let unpublished = studio
        .call(
            Method::DELETE,
            &format!("/api/v1/transfers/{transfer}/publication"),
            None,
        )
        .await;
    assert!(unpublished.status < 300, "{}", unpublished.body);
    publish(&studio, &transfer).await;

    let export = |format: &'static str| {
        let studio = &studio;
        let transfer = transfer.clone();
        async move {
            studio
                .request(
                    Method::GET,
                    &format!("/api/v1/transfers/{transfer}/selection?format={format}"),
                )
                .send()
                .await
                .expect("export")
        }
    };
    let lightroom = export("lightroom").await;
    assert!(
        lightroom.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/plain")
    );
    let text = lightroom.text().await.expect("text");
    let stems: Vec<&str> = text.split(", ").collect();
    assert_eq!(
        stems,
        ["Premier", "IMG_0002", "=HYPERLINK(1)", "note"],
        "a comma in a name would split it"
    );
    let lines = export("lines").await.text().await.expect("text");
    assert_eq!(
        lines.lines().collect::<Vec<_>>(),
        ["Premier", "IMG_0002", "=HYPERLINK(1)", "note, \"quoted\""]
    );

    let csv = read_csv(&export("csv").await.text().await.expect("csv"));
    assert_eq!(csv[0], ["name", "sha256", "list", "who"]);
    let by_id = studio.files(&transfer).await;
    let sha = |i: usize| {
        by_id.iter().find(|f| f["id"] == files[i].as_str()).expect("file")["sha256"]
            .as_str()
            .expect("sha")
            .to_owned()
    };
    assert_eq!(
        csv[1],
        ["Premier.CR3".to_owned(), sha(0), "Album".into(), "Client Test".into()]
    );
    assert_eq!(csv[3][0], "'=HYPERLINK(1).bin", "a formula is not run by a spreadsheet");
    assert_eq!(csv[4][0], "note, \"quoted\".txt");
    assert_eq!(csv.len(), 5);

    let zip = export("zip").await;
    assert_eq!(zip.headers()["content-type"], "application/zip");
    // Named in the studio's language, like the pages it came from.
    let disposition = zip.headers()["content-disposition"].to_str().expect("ascii").to_owned();
    assert!(disposition.contains("s%C3%A9lection.zip"), "{disposition}");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("selection.zip");
    std::fs::write(&path, zip.bytes().await.expect("bytes")).expect("write");
    let members = crate::downloads::read_zip(&path);
    assert_eq!(members.len(), 4);
    assert_eq!(members["Premier.CR3"], sha(0));

    // The client reads their own selection in the same formats.
    let own = client
        .request(
            Method::GET,
            &format!("/api/v1/transfers/{transfer}/selection?format=lightroom"),
        )
        .send()
        .await
        .expect("own");
    assert_eq!(own.text().await.expect("text"), text);
    let bad = studio
        .call(
            Method::GET,
            &format!("/api/v1/transfers/{transfer}/selection?format=xls"),
            None,
        )
        .await;
    assert_eq!(bad.status, 422);
}

async fn view_link(studio: &Tus<'_>, transfer: &str, permissions: Value) -> String {
    let made = studio
        .call(
            Method::POST,
            &format!("/api/v1/transfers/{transfer}/links"),
            Some(json!({"kind": "view", "label": "Tante Marie", "permissions": permissions})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    made.body["token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn guests_mark_in_lists_of_their_own_when_their_link_allows_it() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (client, transfer, files) = delivery(&app, &studio, "anne@example.fr", &["a.bin", "b.bin", "c.bin"]).await;
    let hidden = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/files/{}", files[2]),
            Some(json!({"hidden_from_guests": true})),
        )
        .await;
    assert_eq!(hidden.status, 200);
    let marie = Tus {
        app: &app,
        token: view_link(&studio, &transfer, json!(["view", "favourite"])).await,
    };
    let looker = Tus {
        app: &app,
        token: view_link(&studio, &transfer, json!(["view"])).await,
    };
    assert_eq!(mark(&marie, &files[0], None).await.status, 200);
    assert_eq!(mark(&marie, &files[2], None).await.status, 404, "hidden from guests");
    assert_eq!(mark(&looker, &files[0], None).await.status, 403);
    assert_eq!(mark(&client, &files[1], None).await.status, 200);

    // Each reads their own list; the studio reads both, saying whose.
    let hers = marie
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}/selection"), None)
        .await;
    assert_eq!(hers.body["lists"].as_array().map(Vec::len), Some(1));
    assert_eq!(list(&hers.body, "Favoris")["files"][0]["id"], files[0].as_str());
    let all = studio
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}/selection"), None)
        .await;
    let mut owners: Vec<(String, String)> = all.body["lists"]
        .as_array()
        .expect("lists")
        .iter()
        .map(|l| {
            (
                l["owner"]["kind"].as_str().expect("kind").to_owned(),
                l["owner"]["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect();
    owners.sort();
    assert_eq!(
        owners,
        [
            ("client".to_owned(), "Client Test".to_owned()),
            ("guest".to_owned(), "Tante Marie".to_owned())
        ]
    );
    let submitted = marie
        .call(
            Method::POST,
            &format!("/api/v1/transfers/{transfer}/selection/submit"),
            Some(json!({})),
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    // Hidden since it was marked: gone from the guest's list.
    studio
        .call(
            Method::PATCH,
            &format!("/api/v1/files/{}", files[0]),
            Some(json!({"hidden_from_guests": true})),
        )
        .await;
    let hers = marie
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}/selection"), None)
        .await;
    assert_eq!(list(&hers.body, "Favoris")["files"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn web_size_copies_download_alone_or_zipped_and_links_decide_which_sizes() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (client, transfer, files) = delivery(
        &app,
        &studio,
        "anne@example.fr",
        &["IMG_1.jpg", "IMG_2.jpg", "plan.pdf"],
    )
    .await;
    app.run_jobs().await;

    let web_only = Tus {
        app: &app,
        token: view_link(&studio, &transfer, json!(["view", "download_web"])).await,
    };
    let get = |who: &Tus<'_>, path: String| who.request(Method::GET, &path).send();
    let original = get(&web_only, format!("/api/v1/files/{}/content", files[0]))
        .await
        .expect("get");
    assert_eq!(original.status(), 403, "originals are not this link's to take");
    let web = get(&web_only, format!("/api/v1/files/{}/content?size=web", files[0]))
        .await
        .expect("get");
    assert_eq!(web.status(), 200);
    assert_eq!(web.headers()["content-type"], "image/jpeg");
    assert!(
        web.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("IMG_1.jpg")
    );
    let picture = image::load_from_memory(&web.bytes().await.expect("bytes")).expect("a JPEG");
    assert_eq!((picture.width(), picture.height()), (2400, 1600));
    // A receipt of the link, complete.
    let receipts = crate::helpers::eventually("the web copy's receipt", || async {
        let answer = studio
            .call(Method::GET, &format!("/api/v1/files/{}/downloads", files[0]), None)
            .await;
        let list = answer.body.as_array()?.clone();
        list.iter()
            .any(|r| r["link_id"].is_string() && r["complete"] == 1)
            .then_some(list)
    })
    .await;
    assert_eq!(receipts.len(), 1);
    let none = get(&web_only, format!("/api/v1/files/{}/content?size=web", files[2]))
        .await
        .expect("get");
    assert_eq!(none.status(), 409, "a PDF has no web size");
    // The web size is the `large` variant: not for a link that may only look, which
    // previews at the medium size.
    let looker = Tus {
        app: &app,
        token: view_link(&studio, &transfer, json!(["view"])).await,
    };
    let large = get(&looker, format!("/api/v1/files/{}/variants/large", files[0]))
        .await
        .expect("get");
    assert_eq!(large.status(), 403);
    let medium = get(&looker, format!("/api/v1/files/{}/variants/medium", files[0]))
        .await
        .expect("get");
    assert_eq!(medium.status(), 200);
    let large = get(&web_only, format!("/api/v1/files/{}/variants/large", files[0]))
        .await
        .expect("get");
    assert_eq!(large.status(), 200);

    let zipped = get(&web_only, format!("/api/v1/transfers/{transfer}/archive?size=web"))
        .await
        .expect("zip");
    assert_eq!(zipped.status(), 200);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("web.zip");
    std::fs::write(&path, zipped.bytes().await.expect("bytes")).expect("write");
    let members = crate::downloads::read_zip(&path);
    assert_eq!(members.keys().collect::<Vec<_>>(), ["IMG_1.jpg", "IMG_2.jpg"]);
    let originals = get(&web_only, format!("/api/v1/transfers/{transfer}/archive"))
        .await
        .expect("zip");
    assert_eq!(originals.status(), 403);

    // The client has both sizes; a size that does not exist is a clear 422.
    let theirs = get(&client, format!("/api/v1/transfers/{transfer}/archive?size=web"))
        .await
        .expect("zip");
    assert_eq!(theirs.status(), 200);
    let bad = get(&client, format!("/api/v1/transfers/{transfer}/archive?size=huge"))
        .await
        .expect("zip");
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn the_studio_decides_which_sizes_a_delivery_offers() {
    let app = crate::helpers::spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (client, transfer, files) = delivery(&app, &studio, "anne@example.fr", &["IMG_1.jpg"]).await;
    app.run_jobs().await;
    let guest = Tus {
        app: &app,
        token: view_link(&studio, &transfer, json!(["view", "download", "download_web"])).await,
    };
    let set = |sizes: Value| {
        let studio = &studio;
        let transfer = transfer.clone();
        async move {
            studio
                .call(
                    Method::PATCH,
                    &format!("/api/v1/transfers/{transfer}"),
                    Some(json!({ "download_sizes": sizes })),
                )
                .await
                .status
        }
    };
    assert_eq!(set(json!(["web"])).await, 204);
    let shown = client
        .call(Method::GET, &format!("/api/v1/transfers/{transfer}"), None)
        .await;
    assert_eq!(shown.body["download_sizes"], json!(["web"]));
    let status = |who: &Tus<'_>, path: String| {
        let request = who.request(Method::GET, &path);
        async move { request.send().await.expect("get").status().as_u16() }
    };
    for who in [&client, &guest] {
        assert_eq!(status(who, format!("/api/v1/files/{}/content", files[0])).await, 403);
        assert_eq!(status(who, format!("/api/v1/transfers/{transfer}/archive")).await, 403);
        assert_eq!(
            status(who, format!("/api/v1/files/{}/content?size=web", files[0])).await,
            200
        );
    }
    // The studio takes every size of everything.
    assert_eq!(
        status(&studio, format!("/api/v1/transfers/{transfer}/archive")).await,
        200
    );
    assert_eq!(set(json!(["original"])).await, 204);
    assert_eq!(
        status(&client, format!("/api/v1/files/{}/variants/large", files[0])).await,
        403
    );
    assert_eq!(
        status(&client, format!("/api/v1/files/{}/variants/medium", files[0])).await,
        200
    );
    assert_eq!(
        status(&studio, format!("/api/v1/files/{}/variants/large", files[0])).await,
        200
    );
    assert_eq!(
        status(&client, format!("/api/v1/transfers/{transfer}/archive?size=web")).await,
        403
    );
    assert_eq!(
        status(&client, format!("/api/v1/transfers/{transfer}/archive")).await,
        200
    );
    assert_eq!(set(json!([])).await, 422);
    assert_eq!(set(json!(["huge"])).await, 422);
}
