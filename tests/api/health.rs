use relais_storage::StorageConfig;

use crate::helpers::{Answer, backend, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_answers_while_the_process_runs() {
    let app = spawn_app().await;
    let answer = Answer::of(app.http.get(app.url("/healthz")).send().await.expect("request")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["status"], "ok");
}

#[tokio::test]
async fn readyz_reports_database_and_storage_ready() {
    let app = spawn_app().await;
    let answer = Answer::of(app.http.get(app.url("/readyz")).send().await.expect("request")).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["database"], "ok");
    assert_eq!(answer.body["storage"], "ok");
}

#[tokio::test]
async fn readyz_fails_and_names_the_keys_when_the_s3_secret_is_wrong() {
    let mut wrong = backend::fresh_bucket().await;
    wrong.secret_access_key = "not-the-secret".into();
    let app = spawn_app_with(|cfg| cfg.storage = StorageConfig::S3(wrong)).await;
    let answer = Answer::of(app.http.get(app.url("/readyz")).send().await.expect("request")).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.body["status"], "unavailable");
    let storage = answer.body["storage"].as_str().unwrap_or_default();
    assert!(
        storage.contains("credentials refused") && storage.contains("storage.secret_access_key"),
        "{storage}"
    );
    assert_eq!(answer.body["database"], "ok");
}

#[tokio::test]
async fn unknown_routes_get_a_problem_document_not_a_blank_page() {
    let app = spawn_app().await;
    // The API answers in problem+json; anywhere else people get a page saying so.
    let response = app.http.get(app.url("/api/v1/nowhere")).send().await.expect("request");
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let answer = Answer::of(response).await;
    assert_eq!((answer.status, answer.code()), (404, "not_found"));
    let page = app.http.get(app.url("/nowhere")).send().await.expect("request");
    assert_eq!(page.status(), 404);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    assert!(page.text().await.expect("body").contains("Page introuvable"));
}
