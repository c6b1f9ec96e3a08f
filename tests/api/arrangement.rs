//! The studio arranges a delivery: the order its client sees the files in, and its cover.
//! Only the studio may; only this delivery's own files; every file once.

use reqwest::Method;

use crate::helpers::spawn_app;
use crate::helpers::tus::{Tus, pattern};
use crate::media::jpeg;

#[tokio::test]
async fn the_studio_orders_a_delivery_and_picks_its_cover_and_nobody_else_can() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (client, anne) = Tus::client(&app, "anne@example.fr").await;
    let made = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(serde_json::json!({"title": "Mariage", "direction": "delivery", "client": anne.id.to_string()})),
        )
        .await;
    let delivery = made.body["id"].as_str().expect("id").to_owned();
    for (i, name) in ["a.jpg", "b.jpg", "c.jpg"].iter().enumerate() {
        studio
            .upload(name, &jpeg(64 + i as u16, 48, false, None), Some(&delivery))
            .await;
    }
    // The web sizes a cover needs.
    app.run_jobs().await;
    let names = |files: Vec<serde_json::Value>| -> Vec<String> {
        files
            .iter()
            .map(|f| f["name"].as_str().expect("name").to_owned())
            .collect()
    };
    let files = studio.files(&delivery).await;
    assert_eq!(names(files.clone()), ["a.jpg", "b.jpg", "c.jpg"], "as they arrived");
    let ids: Vec<String> = files.iter().map(|f| f["id"].as_str().expect("id").to_owned()).collect();

    let order = format!("/api/v1/transfers/{delivery}/order");
    let reversed: Vec<&String> = ids.iter().rev().collect();
    let done = studio
        .call(Method::PUT, &order, Some(serde_json::json!({"files": reversed})))
        .await;
    assert_eq!(done.status, 204, "{:?}", done.body);
    assert_eq!(names(studio.files(&delivery).await), ["c.jpg", "b.jpg", "a.jpg"]);

    // A file added later comes after the ordered ones.
    studio.upload("d.pdf", &pattern(10, 9), Some(&delivery)).await;
    assert_eq!(
        names(studio.files(&delivery).await),
        ["c.jpg", "b.jpg", "a.jpg", "d.pdf"]
    );

    // Every file exactly once, and only this delivery's.
    let (other, _) = Tus::client(&app, "bob@example.fr").await;
    other.upload("bob.jpg", &pattern(10, 8), None).await;
    let bobs = other.transfer_ids().await.remove(0);
    let bob_file = other.files(&bobs).await[0]["id"].as_str().expect("id").to_owned();
    for bad in [
        serde_json::json!({"files": [&ids[0], &ids[1]]}),
        serde_json::json!({"files": [&ids[0], &ids[0], &ids[1], &ids[2]]}),
        serde_json::json!({"files": [&ids[0], &ids[1], &ids[2], &bob_file]}),
        serde_json::json!({"files": ["not-an-id"]}),
    ] {
        let refused = studio.call(Method::PUT, &order, Some(bad.clone())).await;
        assert_eq!((refused.status, refused.code()), (422, "validation_failed"), "{bad}");
    }
    assert_eq!(
        names(studio.files(&delivery).await),
        ["c.jpg", "b.jpg", "a.jpg", "d.pdf"]
    );

    // A page shown a page at a time sends the files it has loaded: they come first, in
    // that order, and the others keep theirs after them.
    let partial = studio
        .call(
            Method::PUT,
            &order,
            Some(serde_json::json!({"files": [&ids[1], &ids[2]], "partial": true})),
        )
        .await;
    assert_eq!(partial.status, 200, "{:?}", partial.body);
    // Where the page's next page now starts: right after the files it sent.
    let cursor = partial.body["next_cursor"].as_str().expect("a cursor");
    let next = studio
        .call(
            Method::GET,
            &format!("/api/v1/transfers/{delivery}/files?cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(
        names(next.body["files"].as_array().cloned().unwrap_or_default()),
        ["a.jpg", "d.pdf"]
    );
    assert_eq!(
        names(studio.files(&delivery).await),
        ["b.jpg", "c.jpg", "a.jpg", "d.pdf"]
    );
    for bad in [
        serde_json::json!({"files": [&ids[0], &ids[0]], "partial": true}),
        serde_json::json!({"files": [], "partial": true}),
        serde_json::json!({"files": [&ids[0], &bob_file], "partial": true}),
    ] {
        let refused = studio.call(Method::PUT, &order, Some(bad.clone())).await;
        assert_eq!((refused.status, refused.code()), (422, "validation_failed"), "{bad}");
    }
    assert_eq!(
        names(studio.files(&delivery).await),
        ["b.jpg", "c.jpg", "a.jpg", "d.pdf"]
    );

    // The cover: one of its own photos, or none.
    let arrange = format!("/api/v1/transfers/{delivery}");
    let stranger = studio
        .call(Method::PATCH, &arrange, Some(serde_json::json!({"cover": bob_file})))
        .await;
    assert_eq!(stranger.status, 422);
    let files = studio.files(&delivery).await;
    let pdf = files.iter().find(|f| f["name"] == "d.pdf").expect("pdf")["id"].clone();
    let not_a_picture = studio
        .call(Method::PATCH, &arrange, Some(serde_json::json!({"cover": pdf})))
        .await;
    assert_eq!(not_a_picture.status, 422, "a PDF is no cover");
    let typo = studio
        .call(Method::PATCH, &arrange, Some(serde_json::json!({"covr": ids[1]})))
        .await;
    assert_eq!(
        typo.status, 400,
        "an unknown field is refused, not read as \"no cover\""
    );
    let inbound = client.call(Method::GET, "/api/v1/transfers", None).await;
    assert!(inbound.status == 200);
    let chosen = studio
        .call(Method::PATCH, &arrange, Some(serde_json::json!({"cover": ids[1]})))
        .await;
    assert_eq!(chosen.status, 204);
    let shown = studio.call(Method::GET, &arrange, None).await;
    assert_eq!(shown.body["cover"], ids[1].as_str());
    // A body without `cover` changes nothing.
    let nothing = studio.call(Method::PATCH, &arrange, Some(serde_json::json!({}))).await;
    assert_eq!(nothing.status, 204);
    assert_eq!(
        studio.call(Method::GET, &arrange, None).await.body["cover"],
        ids[1].as_str()
    );
    let cleared = studio
        .call(Method::PATCH, &arrange, Some(serde_json::json!({"cover": null})))
        .await;
    assert_eq!(cleared.status, 204);
    assert!(studio.call(Method::GET, &arrange, None).await.body["cover"].is_null());

    // Clients arrange nothing, not even their own transfers.
    client.upload("mine.mp3", &pattern(10, 7), None).await;
    let own = client.transfer_ids().await;
    for path in [order.clone(), format!("/api/v1/transfers/{}/order", own[0])] {
        let answer = client
            .call(Method::PUT, &path, Some(serde_json::json!({"files": []})))
            .await;
        assert_eq!(answer.status, 403, "{path}");
    }
    let answer = client
        .call(Method::PATCH, &arrange, Some(serde_json::json!({"cover": ids[0]})))
        .await;
    assert_eq!(answer.status, 403);
}
