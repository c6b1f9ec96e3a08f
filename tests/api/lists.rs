//! Long lists a page at a time: a transfer's files through `?limit&cursor`, in the same
//! order as the whole list (the studio's positions first, then files added since), each
//! reader seeing only their own files, cursors that survive files deleted between pages,
//! and bad cursors or limits refused by name.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::helpers::tus::Tus;

/// Every page of `path` (which has its `?limit=`) from `cursor`, following `next_cursor`
/// to the end.
async fn pages_from(who: &Tus<'_>, path: &str, limit: usize, mut cursor: Option<String>) -> (Vec<String>, u64) {
    let mut names = Vec::new();
    for _ in 0..100 {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let page = who.call(Method::GET, &url, None).await;
        assert_eq!(page.status, 200, "{url}: {}", page.body);
        let files = page.body["files"].as_array().expect("files");
        assert!(files.len() <= limit, "a page holds at most its limit");
        names.extend(files.iter().map(|f| f["name"].as_str().expect("name").to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (names, page.body["total"].as_u64().expect("total")),
        }
    }
    panic!("more than 100 pages");
}

async fn all_pages(who: &Tus<'_>, path: &str, limit: usize) -> (Vec<String>, u64) {
    pages_from(who, path, limit, None).await
}

fn names(files: &[Value]) -> Vec<String> {
    files
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn a_transfers_files_come_a_page_at_a_time_in_the_order_of_its_pages() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (anne, anne_user) = Tus::client(&app, "anne@example.fr").await;
    let (bob, _) = Tus::client(&app, "bob@example.fr").await;
    let made = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(json!({"title": "Mariage", "client": anne_user.id})),
        )
        .await;
    let id = made.body["id"].as_str().expect("id").to_owned();
    for i in 0..5 {
        studio
            .upload(&format!("placed-{i}.txt"), format!("placed {i}").as_bytes(), Some(&id))
            .await;
    }
    // The studio places the first five backwards; four more come after, unplaced.
    let mut order: Vec<String> = studio
        .files(&id)
        .await
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect();
    order.reverse();
    let placed = studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{id}/order"),
            Some(json!({"files": order})),
        )
        .await;
    assert_eq!(placed.status, 204, "{}", placed.body);
    for i in 0..4 {
        studio
            .upload(&format!("later-{i}.txt"), format!("later {i}").as_bytes(), Some(&id))
            .await;
    }
    let whole = names(&studio.files(&id).await);
    assert_eq!(whole.len(), 9);
    assert_eq!(whole[0], "placed-4.txt");
    assert_eq!(whole[5], "later-0.txt");

    for limit in [1, 2, 4, 9, 200] {
        let (paged, total) = all_pages(&studio, &format!("/api/v1/transfers/{id}/files?limit={limit}"), limit).await;
        assert_eq!(paged, whole, "limit {limit}");
        assert_eq!(total, 9);
    }
    // Without a limit, one page of up to 200.
    let first = studio
        .call(Method::GET, &format!("/api/v1/transfers/{id}/files"), None)
        .await;
    assert_eq!(names(first.body["files"].as_array().expect("files")), whole);
    assert!(first.body["next_cursor"].is_null());

    // A file deleted between two pages does not lose the next page's place.
    let page = studio
        .call(Method::GET, &format!("/api/v1/transfers/{id}/files?limit=3"), None)
        .await;
    let cursor = page.body["next_cursor"].as_str().expect("more").to_owned();
    let last_id = page.body["files"][2]["id"].as_str().expect("id").to_owned();
    let deleted = studio
        .call(Method::DELETE, &format!("/api/v1/files/{last_id}"), None)
        .await;
    assert_eq!(deleted.status, 204);
    let (rest, total) = pages_from(
        &studio,
        &format!("/api/v1/transfers/{id}/files?limit=3"),
        3,
        Some(cursor),
    )
    .await;
    assert_eq!(rest, whole[3..].to_vec());
    assert_eq!(total, 8);

    // The client pages through the same list once it is published; another client cannot.
    let published = studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{id}/publication"),
            Some(json!({"notify": false})),
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.body);
    let (theirs, _) = all_pages(&anne, &format!("/api/v1/transfers/{id}/files?limit=2"), 2).await;
    assert_eq!(theirs.len(), 8);
    let stranger = bob
        .call(Method::GET, &format!("/api/v1/transfers/{id}/files?limit=2"), None)
        .await;
    assert_eq!(stranger.status, 404);

    // A guest never meets what the studio hid from guests, nor why the pipeline failed.
    let hidden_id = studio.files(&id).await[0]["id"].as_str().expect("id").to_owned();
    let hidden = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/files/{hidden_id}"),
            Some(json!({"hidden_from_guests": true})),
        )
        .await;
    assert_eq!(hidden.status, 200);
    let link = studio
        .call(
            Method::POST,
            &format!("/api/v1/transfers/{id}/links"),
            Some(json!({"kind": "view", "permissions": ["view"]})),
        )
        .await;
    assert_eq!(link.status, 201, "{}", link.body);
    let guest = Tus {
        app: &app,
        token: link.body["token"].as_str().expect("token").to_owned(),
    };
    let (seen, total) = all_pages(&guest, &format!("/api/v1/transfers/{id}/files?limit=2"), 2).await;
    assert_eq!(total, 7);
    assert_eq!(
        seen,
        whole[1..]
            .iter()
            .filter(|n| **n != whole[2])
            .cloned()
            .collect::<Vec<_>>()
    );

    // Bad input is refused by name, never a 500.
    for query in [
        "limit=0",
        "limit=1001",
        "limit=ten",
        "cursor=p.1.2",
        "cursor=p.1.2.3",
        "cursor=n.4.1.00000000-0000-0000-0000-000000000000",
        "cursor=%27%20OR%201%3D1",
    ] {
        let answer = studio
            .call(Method::GET, &format!("/api/v1/transfers/{id}/files?{query}"), None)
            .await;
        assert_eq!(answer.status, 422, "{query}: {}", answer.body);
        let field = if query.starts_with("limit") { "limit" } else { "cursor" };
        assert_eq!(answer.body["errors"][0]["field"], field, "{query}: {}", answer.body);
    }
}

/// Every item of a list, following its `Link: <…>; rel="next"` headers from `first`.
async fn follow_links(who: &Tus<'_>, first: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next = Some(first.to_owned());
    for _ in 0..100 {
        let Some(url) = next.take() else {
            return items;
        };
        let page = who.call(Method::GET, &url, None).await;
        assert_eq!(page.status, 200, "{url}: {}", page.body);
        items.extend(page.body.as_array().expect("an array").iter().cloned());
        next = page.header("link").map(|link| {
            assert!(link.ends_with("; rel=\"next\""), "{link}");
            link[link.find('<').expect("<") + 1..link.find('>').expect(">")].to_owned()
        });
    }
    panic!("more than 100 pages");
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|i| i["id"].as_str().expect("id").to_owned()).collect()
}

#[tokio::test]
async fn clients_and_transfers_lists_come_a_page_at_a_time_with_a_link_to_the_next() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    // Names whose order depends on case and accents, and two alike.
    for (i, name) in ["Éric Martin", "anne Petit", "Zoé Lambert", "Bob", "Émile", "Bob"]
        .iter()
        .enumerate()
    {
        let made = studio
            .call(
                Method::POST,
                "/api/v1/clients",
                Some(json!({"email": format!("client{i}@example.fr"), "name": name})),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
    }
    let whole = studio.call(Method::GET, "/api/v1/clients", None).await;
    assert!(whole.header("link").is_none(), "a whole list has no next page");
    let whole = whole.body.as_array().expect("clients").clone();
    assert_eq!(whole.len(), 6);
    for limit in [1, 2, 4, 6] {
        let paged = follow_links(&studio, &format!("/api/v1/clients?limit={limit}")).await;
        assert_eq!(ids(&paged), ids(&whole), "limit {limit}");
    }
    let searched = follow_links(&studio, "/api/v1/clients?q=bob&limit=1").await;
    assert_eq!(searched.len(), 2, "the search goes on through the pages");

    // Transfers, newest first; a client's pages hold only what they may read.
    let (anne, anne_user) = Tus::client(&app, "anne@example.fr").await;
    for i in 0..5 {
        let made = studio
            .call(
                Method::POST,
                "/api/v1/transfers",
                Some(json!({"title": format!("Livraison {i}"), "client": anne_user.id})),
            )
            .await;
        let id = made.body["id"].as_str().expect("id").to_owned();
        studio.upload(&format!("f{i}.txt"), b"bytes", Some(&id)).await;
        if i % 2 == 0 {
            let published = studio
                .call(
                    Method::PUT,
                    &format!("/api/v1/transfers/{id}/publication"),
                    Some(json!({"notify": false})),
                )
                .await;
            assert_eq!(published.status, 200, "{}", published.body);
        }
    }
    for who in [&studio, &anne] {
        let whole = who.call(Method::GET, "/api/v1/transfers", None).await.body;
        let whole = whole.as_array().expect("transfers").clone();
        for limit in [1, 2, 3] {
            let paged = follow_links(who, &format!("/api/v1/transfers?limit={limit}")).await;
            assert_eq!(ids(&paged), ids(&whole), "limit {limit}");
        }
    }
    let theirs = anne.call(Method::GET, "/api/v1/transfers", None).await.body;
    assert!(
        theirs
            .as_array()
            .expect("transfers")
            .iter()
            .all(|t| t["title"] != "Livraison 1"),
        "an unpublished delivery is not the client's to see"
    );

    // The activity log is always a page, newest first; its links walk it back to the start,
    // through entries of the same millisecond (the test clock stands still) and with the
    // filters kept.
    let log = studio.call(Method::GET, "/api/v1/activity?limit=500", None).await;
    assert!(log.header("link").is_none(), "{}", log.body);
    let log = log.body.as_array().expect("entries").clone();
    assert!(log.len() >= 15, "{}", log.len());
    for limit in [1, 5] {
        let paged = follow_links(&studio, &format!("/api/v1/activity?limit={limit}")).await;
        assert_eq!(paged, log, "limit {limit}");
    }
    let created = follow_links(&studio, "/api/v1/activity?kind=client_created&limit=4").await;
    assert_eq!(created.len(), 7, "six clients and anne");
    assert!(created.iter().all(|e| e["kind"] == "client_created"));
    let first = studio.call(Method::GET, "/api/v1/activity?limit=3", None).await;
    assert!(first.header("link").is_some_and(|l| l.contains("limit=3")));

    for query in [
        "/api/v1/clients?limit=0",
        "/api/v1/clients?cursor=abc",
        "/api/v1/transfers?limit=2&cursor=%%",
        "/api/v1/activity?cursor=abc",
    ] {
        let refused = studio.call(Method::GET, query, None).await;
        assert_eq!(refused.status, 422, "{query}: {}", refused.body);
    }
}
