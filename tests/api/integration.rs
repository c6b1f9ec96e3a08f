//! The quote site's signed API. The end-to-end case signs with the official
//! `standardwebhooks` Python library (the quote site's real signer, installed by
//! scripts/test.sh); the rule-by-rule cases sign with Relais' own signer, which the
//! first test and the specification's test vector show to agree with it.

use relais::integration::signature::{Secret, Signed, verify};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, invitation_token, spawn_app};

/// Signs `body` as the quote site would; returns the `webhook-signature` value.
fn python_sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("body");
    std::fs::write(&path, body).expect("body written");
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import sys, datetime\nfrom standardwebhooks import Webhook\n\
             ts = datetime.datetime.fromtimestamp(int(sys.argv[3]), tz=datetime.timezone.utc)\n\
             body = open(sys.argv[4], 'rb').read().decode('utf-8')\n\
             print(Webhook(sys.argv[1]).sign(sys.argv[2], ts, body))",
            secret,
            id,
            &timestamp.to_string(),
            path.to_str().expect("utf-8 path"),
        ])
        .output()
        .expect("python runs (scripts/test.sh installs standardwebhooks)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").trim().to_owned()
}

/// The quote site: an integration and a way to send signed requests.
pub(crate) struct Site<'a> {
    app: &'a TestApp,
    id: String,
    secret: Secret,
    /// Sign with the Python library instead of Relais' signer.
    pub(crate) python: bool,
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn fresh_id() -> String {
    format!("msg_{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

impl<'a> Site<'a> {
    pub(crate) async fn new(app: &'a TestApp) -> Self {
        let (id, secret) = relais::integration::create(&app.state, "Site de devis")
            .await
            .expect("integration created");
        Self {
            app,
            id,
            secret,
            python: false,
        }
    }

    fn now(&self) -> i64 {
        self.app.clock().now_secs() as i64
    }

    /// A signed request with every header chosen by the caller.
    fn raw(&self, path: &str, id: &str, timestamp: &str, signature: &str, body: Vec<u8>) -> reqwest::RequestBuilder {
        self.app
            .http
            .request(Method::PUT, self.app.url(path))
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp)
            .header("webhook-signature", signature)
            .header("content-type", "application/json")
            .body(body)
    }

    fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        if self.python {
            python_sign(&self.secret.expose(), id, timestamp, body)
        } else {
            self.secret.sign(id, timestamp, body)
        }
    }

    async fn send_bytes(&self, path: &str, id: &str, body: Vec<u8>) -> Answer {
        let now = self.now();
        let signature = self.sign(id, now, &body);
        Answer::of(
            self.raw(path, id, &now.to_string(), &signature, body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub(crate) async fn send_as(&self, path: &str, id: &str, body: &Value) -> Answer {
        self.send_bytes(path, id, serde_json::to_vec(body).expect("json")).await
    }

    pub(crate) async fn send(&self, path: &str, body: &Value) -> Answer {
        self.send_as(path, &fresh_id(), body).await
    }
}

fn client(version: i64) -> Value {
    json!({"email": "anne@example.fr", "name": "Anne Dupont", "version": version, "event_date": "2027-06-12"})
}

fn quote(version: i64, status: &str) -> Value {
    json!({"client": "c1", "number": "D-2026-014", "title": "Mariage Anne & Paul", "status": status,
           "total": 345_000, "currency": "EUR", "version": version})
}

fn invoice(version: i64, status: &str) -> Value {
    json!({"client": "c1", "quote": "q1", "number": "F-2026-031", "status": status, "total": 345_000,
           "currency": "EUR", "due_date": "2027-05-01", "version": version})
}

fn payment(amount: i64) -> Value {
    json!({"invoice": "i1", "amount": amount, "currency": "EUR", "paid_at": "2026-11-20T10:00:00Z",
           "method": "virement", "version": 1})
}

/// A small but real PDF.
fn pdf(text: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

async fn client_login(app: &TestApp, email: &str) {
    let token = invitation_token(
        app.outbox()
            .iter()
            .rev()
            .find(|m| m.contains(email) && m.contains("/invitation/"))
            .expect("an invitation to this address"),
    );
    let accepted = Answer::of(
        app.request(Method::POST, "/api/v1/invitations/accept")
            .json(&json!({"token": token, "password": "un mot de passe solide"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert!(accepted.status < 300, "{accepted:?}");
    // The link works once.
    let again = Answer::of(
        app.request(Method::POST, "/api/v1/invitations/accept")
            .json(&json!({"token": token, "password": "un autre mot de passe"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(again.status, 400, "{again:?}");
    assert_eq!(app.login(email, "un mot de passe solide", None).await.status, 201);
}

#[tokio::test]
async fn the_quote_site_registers_a_client_who_then_sees_their_quote_invoice_and_payments() {
    let app = spawn_app().await;
    let mut site = Site::new(&app).await;
    site.python = true;

    let created = site.send("/api/v1/integration/clients/c1", &client(1)).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.body["result"], "created");
    assert_eq!(created.body["id"], "c1");
    assert!(created.body["account"].is_string());
    assert_eq!(
        site.send("/api/v1/integration/quotes/q1", &quote(1, "accepted"))
            .await
            .status,
        201
    );
    assert_eq!(
        site.send("/api/v1/integration/invoices/i1", &invoice(1, "issued"))
            .await
            .status,
        201
    );
    assert_eq!(
        site.send("/api/v1/integration/payments/p1", &payment(100_000))
            .await
            .status,
        201
    );
    let doc = site
        .send_bytes(
            "/api/v1/integration/documents/d1?kind=quote&owner=q1&version=1&filename=Devis%20D-2026-014.pdf",
            &fresh_id(),
            pdf("devis"),
        )
        .await;
    assert_eq!(doc.status, 201, "{doc:?}");

    // The invitation is queued with the account; sent by the outbox job.
    app.run_jobs().await;
    let invitation = app
        .outbox()
        .into_iter()
        .find(|m| m.contains("anne@example.fr"))
        .expect("invitation sent");
    assert!(invitation.contains("/invitation/"));
    client_login(&app, "anne@example.fr").await;

    let statement = Answer::of(
        app.request(Method::GET, "/api/v1/billing")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(statement.status, 200, "{statement:?}");
    let s = &statement.body;
    assert_eq!(s["quotes"][0]["number"], "D-2026-014");
    assert_eq!(s["quotes"][0]["status"], "accepted");
    assert_eq!(s["quotes"][0]["document"]["id"], "d1");
    assert_eq!(s["invoices"][0]["paid"], 100_000);
    assert_eq!(s["invoices"][0]["balance"], 245_000);
    assert_eq!(s["payments"][0]["method"], "virement");
    assert_eq!(
        s["totals"],
        json!([{"currency": "EUR", "invoiced": 345_000, "paid": 100_000, "remaining": 245_000}])
    );

    let pdf_answer = app
        .request(Method::GET, "/api/v1/documents/d1/content")
        .send()
        .await
        .expect("request");
    assert_eq!(pdf_answer.status(), 200);
    assert_eq!(pdf_answer.headers()["content-type"], "application/pdf");
    assert_eq!(pdf_answer.headers()["x-content-type-options"], "nosniff");
    assert!(
        pdf_answer.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment;")
    );
    assert_eq!(
        pdf_answer.bytes().await.expect("body").as_ref(),
        pdf("devis").as_slice()
    );

    // The pages show it too, in French.
    let page = app
        .request(Method::GET, "/billing")
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(page.contains("D-2026-014"), "{page}");
    assert!(
        page.contains("2\u{202f}450,00\u{a0}€"),
        "remaining shown the French way"
    );
}

#[tokio::test]
async fn another_client_sees_none_of_it() {
    let app = spawn_app().await;
    let site = Site::new(&app).await;
    assert_eq!(
        site.send("/api/v1/integration/clients/c1", &client(1)).await.status,
        201
    );
    assert_eq!(
        site.send("/api/v1/integration/quotes/q1", &quote(1, "sent"))
            .await
            .status,
        201
    );
    let doc = site
        .send_bytes(
            "/api/v1/integration/documents/d1?kind=quote&owner=q1&version=1",
            &fresh_id(),
            pdf("devis"),
        )
        .await;
    assert_eq!(doc.status, 201, "{doc:?}");
    let anne = relais::db::ledger::client_account(app.state.db.pool(), "c1")
        .await
        .expect("db")
        .expect("linked");

    app.create_active_client("bea@example.fr", "un mot de passe solide")
        .await;
    assert_eq!(
        app.login("bea@example.fr", "un mot de passe solide", None).await.status,
        201
    );
    let own = Answer::of(
        app.request(Method::GET, "/api/v1/billing")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(own.body["quotes"], json!([]));
    let theirs = Answer::of(
        app.request(Method::GET, &format!("/api/v1/billing?client={anne}"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(theirs.status, 404);
    let document = app
        .request(Method::GET, "/api/v1/documents/d1/content")
        .send()
        .await
        .expect("request");
    assert_eq!(document.status(), 404);
    // Nor may a client call the studio's integration management.
    let list = app
        .request(Method::GET, "/api/v1/integrations")
        .send()
        .await
        .expect("request");
    assert_eq!(list.status(), 403);
}

#[tokio::test]
async fn every_bad_signature_gets_the_same_401_and_changes_nothing() {
    let app = spawn_app().await;
    let site = Site::new(&app).await;
    let path = "/api/v1/integration/clients/c1";
    let body = serde_json::to_vec(&client(1)).expect("json");
    let now = site.now();
    let good = site.secret.sign("msg_x", now, &body);
    let mut flipped = body.clone();
    flipped[5] ^= 1;
    let old = now - 301;
    let future = now + 301;
    let stranger = Secret::generate().sign("msg_x", now, &body);
    let cases: Vec<(&str, String, String, Vec<u8>)> = vec![
        ("flipped byte", now.to_string(), good.clone(), flipped),
        (
            "stale timestamp",
            old.to_string(),
            site.secret.sign("msg_x", old, &body),
            body.clone(),
        ),
        (
            "future timestamp",
            future.to_string(),
            site.secret.sign("msg_x", future, &body),
            body.clone(),
        ),
        ("empty signature", now.to_string(), String::new(), body.clone()),
        ("malformed signature", now.to_string(), "v1,???".into(), body.clone()),
        ("unknown secret", now.to_string(), stranger, body.clone()),
        ("bad timestamp", "demain".into(), good.clone(), body.clone()),
    ];
    let mut bodies = Vec::new();
    for (name, timestamp, signature, body) in cases {
        let response = site
            .raw(path, "msg_x", &timestamp, &signature, body)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 401, "{name}");
        bodies.push((name, response.text().await.expect("body")));
    }
    // No headers at all.
    let bare = app
        .http
        .put(app.url(path))
        .json(&client(1))
        .send()
        .await
        .expect("request");
    assert_eq!(bare.status(), 401);
    bodies.push(("no headers", bare.text().await.expect("body")));
    for (name, body) in &bodies {
        assert_eq!(body, &bodies[0].1, "{name} answers like the others");
    }
    assert!(bodies[0].1.contains("invalid_signature"));
    assert!(
        relais::db::ledger::client_account(app.state.db.pool(), "c1")
            .await
            .expect("db")
            .is_none()
    );
    // A PDF with a wrong signature streams into storage as it is checked: none is left.
    let pdf_body = pdf("contrat");
    let forged = site
        .raw(
            "/api/v1/integration/documents/d1?kind=other&owner=c1&version=1",
            "msg_pdf",
            &now.to_string(),
            &Secret::generate().sign("msg_pdf", now, &pdf_body),
            pdf_body,
        )
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status(), 401);
    bodies.push(("forged PDF", forged.text().await.expect("body")));
    assert_eq!(bodies.last().expect("one").1, bodies[0].1);
    let stored = app.state.blobs.list("documents").await.expect("list");
    assert!(stored.is_empty(), "{stored:?}");

    // The good signature, finally, works: the failures did not burn the webhook-id.
    let ok = Answer::of(
        site.raw(path, "msg_x", &now.to_string(), &good, body)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(ok.status, 201, "{ok:?}");
    // The studio's call log shows the rejections with their reason.
    let calls = relais::db::integrations::recent_calls(&app.state.db, 50)
        .await
        .expect("db");
    assert_eq!(calls.iter().filter(|c| c.status == 401).count(), 9);
    assert!(
        calls
            .iter()
            .any(|c| c.outcome == "created" && c.integration_id.as_deref() == Some(site.id.as_str()))
    );
}

#[tokio::test]
async fn a_webhook_id_replays_its_answer_refuses_another_body_and_waits_for_the_first() {
    let app = spawn_app().await;
    let site = Site::new(&app).await;
    let path = "/api/v1/integration/clients/c1";
    let first = site.send_as(path, "msg_same", &client(1)).await;
    assert_eq!(first.status, 201);
    let again = site.send_as(path, "msg_same", &client(1)).await;
    assert_eq!(again.status, 201, "the stored answer, status included");
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    app.run_jobs().await;
    assert_eq!(
        app.outbox().iter().filter(|m| m.contains("anne@example.fr")).count(),
        1,
        "one invitation"
    );

    let other = site.send_as(path, "msg_same", &client(2)).await;
    assert_eq!(other.status, 422);
    assert_eq!(other.code(), "idempotency_key_reused");

    // A request with this id is being processed elsewhere (its claim is in the ledger).
    let body = serde_json::to_vec(&client(3)).expect("json");
    let hash = relais::integration::idempotency::request_hash(
        "PUT",
        path,
        &relais::auth::secrets::hex(&<sha2::Sha256 as sha2::Digest>::digest(&body)),
    );
    let now = app.clock().now();
    assert!(
        relais::db::integrations::claim(&app.state.db, "msg_busy", &site.id, &hash, now)
            .await
            .expect("db")
    );
    let busy = site.send_bytes(path, "msg_busy", body.clone()).await;
    assert_eq!(busy.status, 409);
    assert_eq!(busy.code(), "request_in_progress");
    // Its node died: after a minute, a retry takes over.
    app.clock().advance(std::time::Duration::from_secs(61));
    let taken = site.send_bytes(path, "msg_busy", body).await;
    assert_eq!(taken.status, 200, "{taken:?}");
    assert_eq!(taken.body["result"], "updated");
}

#[tokio::test]
async fn older_versions_are_acknowledged_and_ignored() {
    let app = spawn_app().await;
    let site = Site::new(&app).await;
    assert_eq!(
        site.send("/api/v1/integration/clients/c1", &client(1)).await.status,
        201
    );
    let path = "/api/v1/integration/quotes/q1";
    assert_eq!(site.send(path, &quote(3, "accepted")).await.status, 201);

    let older = site.send(path, &quote(2, "sent")).await;
    assert_eq!((older.status, older.body["result"].as_str()), (200, Some("stale")));
    assert_eq!(older.body["version"], 3);
    let same = site.send(path, &quote(3, "accepted")).await;
    assert_eq!(same.body["result"], "unchanged");
    let conflicting = site.send(path, &quote(3, "declined")).await;
    assert_eq!(conflicting.body["result"], "stale");
    let newer = site.send(path, &quote(4, "expired")).await;
    assert_eq!((newer.status, newer.body["result"].as_str()), (200, Some("updated")));

    let anne = relais::db::ledger::client_account(app.state.db.pool(), "c1")
        .await
        .expect("db")
        .expect("linked");
    let quotes = relais::db::ledger::quotes_of(app.state.db.pool(), anne)
        .await
        .expect("db");
    assert_eq!(quotes.len(), 1);
    assert_eq!(quotes[0].status, "expired");
}

#[tokio::test]
async fn a_payment_before_its_invoice_gets_409_then_succeeds_on_retry() {
    let app = spawn_app().await;
    let site = Site::new(&app).await;
    let early = site
        .send_as("/api/v1/integration/payments/p1", "msg_pay", &payment(50_000))
        .await;
    assert_eq!(early.status, 409);
    assert_eq!(early.code(), "unknown_invoice");
    let orphan_quote = site.send("/api/v1/integration/quotes/q1", &quote(1, "sent")).await;
    assert_eq!(orphan_quote.code(), "unknown_client");
    let orphan_doc = site
        .send_bytes(
            "/api/v1/integration/documents/d9?kind=invoice&owner=i1&version=1",
            &fresh_id(),
            pdf("facture"),
        )
        .await;
    assert_eq!(orphan_doc.code(), "unknown_invoice");

    assert_eq!(
        site.send("/api/v1/integration/clients/c1", &client(1)).await.status,
        201
    );
    assert_eq!(
        site.send("/api/v1/integration/quotes/q1", &quote(1, "accepted"))
            .await
            .status,
        201
    );
    assert_eq!(
        site.send("/api/v1/integration/invoices/i1", &invoice(1, "issued"))
            .await
            .status,
        201
    );
    // The sender's retry reuses its webhook-id; the refusal was not remembered.
    let retried = site
        .send_as("/api/v1/integration/payments/p1", "msg_pay", &payment(50_000))
        .await;
    assert_eq!(retried.status, 201, "{retried:?}");
    let wrong_currency = site
        .send(
            "/api/v1/integration/payments/p2",
            &json!({"invoice": "i1", "amount": 10, "currency": "USD", "paid_at": "2026-11-20", "version": 1}),
        )
        .await;
    assert_eq!(wrong_currency.status, 422);
    assert_eq!(wrong_currency.body["errors"][0]["field"], "currency");
    // No PDF was left behind by the refused document.
    let stored = app.state.blobs.list("documents").await.expect("list");
    assert!(stored.is_empty(), "{stored:?}");
}

#[tokio::test]
async fn fifty_parallel_upserts_of_the_same_records_make_one_of_each() {
    let app = spawn_app().await;
    let site = Site::new(&app).await;
    let body = client(1);
    let sends = (0..50).map(|_| site.send("/api/v1/integration/clients/c1", &body));
    let answers = futures_util::future::join_all(sends).await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    let unchanged = answers
        .iter()
        .filter(|a| a.status == 200 && a.body["result"] == "unchanged")
        .count();
    assert_eq!((created, unchanged), (1, 49), "{answers:?}");

    let bodies: Vec<Value> = (0..50).map(|i| quote(1 + i % 5, "sent")).collect();
    let sends = bodies.iter().map(|b| site.send("/api/v1/integration/quotes/q1", b));
    let answers = futures_util::future::join_all(sends).await;
    assert!(
        answers.iter().all(|a| a.status == 200 || a.status == 201),
        "{answers:?}"
    );

    let pool = app.state.db.pool();
    let count = |sql: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(pool).await.expect("count");
        n
    };
    assert_eq!(count("SELECT COUNT(*) FROM users WHERE role = 'client'").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM integration_clients").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM quotes").await, 1);
    assert_eq!(
        count("SELECT MAX(version) FROM quotes").await,
        5,
        "the newest version won"
    );
    app.run_jobs().await;
    assert_eq!(app.outbox().len(), 1, "one invitation");
}

#[tokio::test]
async fn invalid_records_list_every_bad_field() {
    let app = spawn_app().await;
    let site = Site::new(&app).await;
    let bad = site
        .send(
            "/api/v1/integration/clients/c1",
            &json!({"email": "pas-une-adresse", "locale": "de", "version": "1"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.header("content-type"), Some("application/problem+json"));
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["email", "name", "locale", "version"]);
    let not_json = site
        .send_bytes("/api/v1/integration/clients/c1", &fresh_id(), b"{oops".to_vec())
        .await;
    assert_eq!(not_json.status, 422);
    let bad_id = site.send("/api/v1/integration/clients/a%20b", &client(1)).await;
    assert_eq!(bad_id.status, 422);
    assert_eq!(bad_id.body["errors"][0]["field"], "id");

    assert_eq!(
        site.send("/api/v1/integration/clients/c1", &client(1)).await.status,
        201
    );
    let not_pdf = site
        .send_bytes(
            "/api/v1/integration/documents/d1?kind=other&owner=c1&version=1",
            &fresh_id(),
            b"<html>nope</html>".to_vec(),
        )
        .await;
    assert_eq!(not_pdf.status, 422);
    assert_eq!(not_pdf.body["errors"][0]["field"], "body");
    let big = vec![b'%'; 21 * 1024 * 1024];
    let too_large = site
        .send_bytes(
            "/api/v1/integration/documents/d1?kind=other&owner=c1&version=1",
            &fresh_id(),
            big,
        )
        .await;
    assert_eq!(too_large.status, 413);
    let stored = app.state.blobs.list("documents").await.expect("list");
    assert!(stored.is_empty(), "{stored:?}");
}

#[tokio::test]
async fn a_newer_document_replaces_the_old_pdf_and_an_older_one_is_dropped() {
    let app = spawn_app().await;
    let site = Site::new(&app).await;
    assert_eq!(
        site.send("/api/v1/integration/clients/c1", &client(1)).await.status,
        201
    );
    let path =
        |v: u32| format!("/api/v1/integration/documents/d1?kind=other&owner=c1&version={v}&filename=Contrat.pdf");
    assert_eq!(site.send_bytes(&path(2), &fresh_id(), pdf("v2")).await.status, 201);
    let newer = site.send_bytes(&path(3), &fresh_id(), pdf("v3")).await;
    assert_eq!(newer.body["result"], "updated");
    let older = site.send_bytes(&path(1), &fresh_id(), pdf("v1")).await;
    assert_eq!(older.body["result"], "stale");
    let stored = app.state.blobs.list("documents").await.expect("list");
    assert_eq!(stored.len(), 1, "only the current PDF is kept: {stored:?}");
    let (doc, _) = relais::db::ledger::document(app.state.db.pool(), "d1")
        .await
        .expect("db")
        .expect("stored");
    assert_eq!(
        doc.sha256,
        relais::auth::secrets::hex(&<sha2::Sha256 as sha2::Digest>::digest(pdf("v3")))
    );
}

#[tokio::test]
async fn an_address_change_moves_the_account_and_tells_the_new_address() {
    let app = spawn_app().await;
    let site = Site::new(&app).await;
    assert_eq!(
        site.send("/api/v1/integration/clients/c1", &client(1)).await.status,
        201
    );
    app.run_jobs().await;
    client_login(&app, "anne@example.fr").await;

    let moved = site
        .send(
            "/api/v1/integration/clients/c1",
            &json!({"email": "anne.dupont@example.com", "name": "Anne Dupont", "locale": "en", "version": 2}),
        )
        .await;
    assert_eq!(moved.body["result"], "updated", "{moved:?}");
    app.run_jobs().await;
    let to = |m: &String, address: &str| m.lines().any(|l| l.starts_with("To:") && l.contains(address));
    let notice = app
        .outbox()
        .into_iter()
        .find(|m| to(m, "anne.dupont@example.com"))
        .expect("told at the new address");
    assert!(
        notice.contains("Your space now uses this address"),
        "in the client's new language"
    );
    // The address it left is told too, and where the account went.
    let left = app
        .outbox()
        .into_iter()
        .find(|m| to(m, "anne@example.fr") && m.contains("address has changed"))
        .expect("told at the old address");
    assert!(left.contains("anne.dupont@example.com"), "{left}");
    app.forget_csrf();
    assert_eq!(
        app.login("anne.dupont@example.com", "un mot de passe solide", None)
            .await
            .status,
        201
    );

    // An address that belongs to someone else is refused.
    app.create_client("bea@example.fr", "Béa").await;
    let taken = site
        .send(
            "/api/v1/integration/clients/c1",
            &json!({"email": "bea@example.fr", "name": "Anne Dupont", "version": 3}),
        )
        .await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.code(), "email_taken");
    // So is a second quote-site client with the address of the first.
    let twin = site
        .send(
            "/api/v1/integration/clients/c2",
            &json!({"email": "anne.dupont@example.com", "name": "Anne D.", "version": 1}),
        )
        .await;
    assert_eq!((twin.status, twin.code()), (409, "email_taken"));
}

#[tokio::test]
async fn a_rotated_secret_works_alongside_the_old_one_until_the_grace_ends_and_revocation_stops_both() {
    let app = spawn_app().await;
    let mut site = Site::new(&app).await;
    let old = site.secret.clone();
    let (new, until) = relais::integration::rotate(&app.state, &site.id)
        .await
        .expect("rotated");
    assert!(until > app.clock().now());
    assert_eq!(
        site.send("/api/v1/integration/clients/c1", &client(1)).await.status,
        201
    );
    site.secret = new.clone();
    assert_eq!(
        site.send("/api/v1/integration/clients/c1", &client(2)).await.status,
        200
    );

    app.clock()
        .advance(relais::integration::ROTATION_GRACE + std::time::Duration::from_secs(1));
    site.secret = old;
    assert_eq!(
        site.send("/api/v1/integration/clients/c1", &client(3)).await.status,
        401
    );
    site.secret = new;
    assert_eq!(
        site.send("/api/v1/integration/clients/c1", &client(3)).await.status,
        200
    );

    relais::integration::revoke(&app.state, &site.id)
        .await
        .expect("revoked");
    assert_eq!(
        site.send("/api/v1/integration/clients/c1", &client(4)).await.status,
        401
    );
}

#[tokio::test]
async fn the_signed_api_is_rate_limited_per_address() {
    let app = spawn_app().await;
    let mut limited = 0;
    for _ in 0..200 {
        let response = app
            .http
            .put(app.url("/api/v1/integration/clients/c1"))
            .body("{}")
            .send()
            .await
            .expect("request");
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
            limited += 1;
        }
    }
    assert!(limited > 0, "200 calls at once from one address are limited");
}

#[tokio::test]
async fn relais_agrees_with_the_official_library_on_what_is_signed() {
    let app = spawn_app().await;
    let (_, secret) = relais::integration::create(&app.state, "Site de devis")
        .await
        .expect("created");
    let now = app.clock().now_secs() as i64;
    let body = br#"{"email":"anne@example.fr","name":"Anne Dupont","version":3}"#;
    let signature = python_sign(&secret.expose(), "msg_2ZxQ", now, body);
    assert_eq!(signature, secret.sign("msg_2ZxQ", now, body));
    let signed = Signed {
        id: "msg_2ZxQ",
        timestamp: &now.to_string(),
        signature: &signature,
    };
    let secrets = [secret];
    assert_eq!(verify(&secrets, &signed, body, now), Ok(0));
    assert!(verify(&secrets, &signed, b"{}", now).is_err());
}

#[tokio::test]
async fn the_studio_manages_keys_over_the_api_and_sees_each_clients_statement_and_the_call_log() {
    let app = spawn_app().await;
    let (_, totp) = app.create_studio("studio@example.fr", "un mot de passe solide").await;
    let code = app.totp_code(&totp, 0);
    assert_eq!(
        app.login("studio@example.fr", "un mot de passe solide", Some(&code))
            .await
            .status,
        201
    );
    let created = Answer::of(
        app.request(Method::POST, "/api/v1/integrations")
            .json(&json!({"name": "Devis en ligne"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    let secret = Secret::parse(created.body["secret"].as_str().expect("secret")).expect("whsec_");
    let id = created.body["id"].as_str().expect("id").to_owned();
    let site = Site {
        app: &app,
        id: id.clone(),
        secret,
        python: false,
    };
    let anne = site.send("/api/v1/integration/clients/c1", &client(1)).await;
    assert_eq!(
        site.send("/api/v1/integration/quotes/q1", &quote(1, "accepted"))
            .await
            .status,
        201
    );
    assert_eq!(
        site.send("/api/v1/integration/payments/p1", &payment(100)).await.status,
        409
    );

    let account = anne.body["account"].as_str().expect("account");
    let page = app
        .request(Method::GET, &format!("/studio/clients/{account}"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("D-2026-014") && page.contains("3\u{202f}450,00\u{a0}€"),
        "{page}"
    );
    let log = app
        .request(Method::GET, "/studio/integrations")
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(log.contains("Devis en ligne"));
    assert!(log.contains("PUT /api/v1/integration/quotes/q1"));
    assert!(log.contains("unknown_invoice"), "the refusal and its reason");

    let rotated = Answer::of(
        app.request(Method::POST, &format!("/api/v1/integrations/{id}/rotation"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(rotated.status, 200);
    assert!(rotated.body["previous_valid_until"].is_i64());
    let revoked = app
        .request(Method::DELETE, &format!("/api/v1/integrations/{id}"))
        .send()
        .await
        .expect("request");
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        site.send("/api/v1/integration/clients/c1", &client(2)).await.status,
        401
    );
    let list = Answer::of(
        app.request(Method::GET, "/api/v1/integrations")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert!(list.body[0]["revoked_at"].is_i64());
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_covers_every_signed_route() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.expect("body");
    let doc: Value = serde_json::from_str(&text).expect("json");
    let mut paths: Vec<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/integration/appointments/{id}",
            "/integration/clients/{id}",
            "/integration/documents/{id}",
            "/integration/invoices/{id}",
            "/integration/payments/{id}",
            "/integration/quotes/{id}"
        ]
    );
    // Checked by an independent validator (openapi-spec-validator, from PyPI).
    let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = std::process::Command::new(python)
        .args([
            "-c",
            "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(sys.stdin))",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs (scripts/test.sh installs openapi-spec-validator)");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("written");
    let out = child.wait_with_output().expect("validator ran");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn webhook_ids_are_remembered_for_at_least_seven_days() {
    let app = spawn_app().await;
    let site = Site::new(&app).await;
    let path = "/api/v1/integration/clients/c1";
    assert_eq!(site.send_as(path, "msg_week", &client(1)).await.status, 201);
    let day = std::time::Duration::from_secs(24 * 3600);
    app.clock().advance(7 * day);
    relais::jobs::housekeeping::sweep(&app.state).await.expect("sweep");
    let replay = site.send_as(path, "msg_week", &client(1)).await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        site.send_as(path, "msg_week", &client(2)).await.code(),
        "idempotency_key_reused"
    );

    app.clock().advance(2 * day);
    let swept = relais::jobs::housekeeping::sweep(&app.state).await.expect("sweep");
    assert!(swept.integration >= 1);
    let fresh = site.send_as(path, "msg_week", &client(2)).await;
    assert_eq!((fresh.status, fresh.body["result"].as_str()), (200, Some("updated")));
}

#[tokio::test]
async fn the_readme_python_example_runs_against_relais() {
    let app = spawn_app().await;
    let (_, secret) = relais::integration::create(&app.state, "Site de devis")
        .await
        .expect("created");
    let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/quote_site.py");
    let out = tokio::process::Command::new(python)
        .args([script, "demo", &app.base, &secret.expose()])
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("payment before its invoice: no invoice has the id inv_33"),
        "{stdout}"
    );
    for line in [
        "/clients/cli_81 created",
        "/quotes/quo_17 created",
        "/invoices/inv_33 created",
        "/payments/pay_5 created",
        "/appointments/rdv_2 created",
        "/documents/doc_9 created",
    ] {
        assert!(stdout.contains(line), "{line} in {stdout}");
    }
    let camille = relais::db::ledger::client_account(app.state.db.pool(), "cli_81")
        .await
        .expect("db")
        .expect("linked");
    let statement = relais::billing::statement(&app.state.db, camille)
        .await
        .expect("statement");
    assert_eq!(statement.invoices[0].paid, 90_000);
    let appointments =
        relais::db::appointments::of_client(app.state.db.pool(), camille, relais::domain::Timestamp::EPOCH)
            .await
            .expect("appointments");
    assert_eq!(appointments.len(), 1);
    assert_eq!(appointments[0].time_zone, "Europe/Paris");
    assert_eq!(
        appointments[0].starts_at.as_millis(),
        1_824_973_200_000,
        "10:00 in Paris after the clocks went back"
    );
    assert_eq!(
        statement.invoices[0].document.as_ref().map(|d| d.filename.as_str()),
        Some("F-2026-044.pdf"),
        "the binary PDF was signed and stored"
    );
}

#[tokio::test]
async fn a_forged_pdf_never_reaches_object_storage_even_while_it_streams() {
    let app = spawn_app().await;
    let site = Site::new(&app).await;
    let now = site.now();
    let pdf_body = [pdf("contrat").as_slice(), &vec![b' '; 4 << 20]].concat();
    let signature = Secret::generate().sign("msg_forged", now, &pdf_body);
    // The body arrives in two halves; between them, storage and the spool are looked at.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    let request = site
        .raw(
            "/api/v1/integration/documents/d1?kind=other&owner=c1&version=1",
            "msg_forged",
            &now.to_string(),
            &signature,
            Vec::new(),
        )
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let sending = tokio::spawn(request);
    let half = pdf_body.len() / 2;
    tx.send(Ok(pdf_body[..half].to_vec())).await.expect("first half");
    let spool = app.state.cfg.data_dir.join("tmp");
    crate::helpers::eventually("the first half spooled", || {
        let spool = spool.clone();
        async move {
            let spooled: u64 = std::fs::read_dir(&spool)
                .ok()?
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("spool-"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum();
            (spooled >= half as u64 / 2).then_some(())
        }
    })
    .await;
    assert!(
        app.state.blobs.list("documents").await.expect("list").is_empty(),
        "stored while unproven"
    );
    tx.send(Ok(pdf_body[half..].to_vec())).await.expect("second half");
    drop(tx);
    let answer = sending.await.expect("task").expect("request");
    assert_eq!(answer.status(), 401);
    assert!(app.state.blobs.list("documents").await.expect("list").is_empty());
    let left = std::fs::read_dir(&spool)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("spool-"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(left, 0, "the spool is emptied at once");
}

#[tokio::test]
async fn a_client_the_studio_deleted_is_refused_by_name_until_restored_and_never_revived() {
    let app = spawn_app().await;
    let site = Site::new(&app).await;
    let created = site.send("/api/v1/integration/clients/c1", &client(1)).await;
    assert_eq!(created.status, 201, "{created:?}");
    let account = created.body["account"].as_str().expect("account").to_owned();
    let (studio, _) = crate::helpers::tus::Tus::studio(&app, "studio@example.fr").await;
    let deleted = studio
        .call(Method::DELETE, &format!("/api/v1/clients/{account}"), None)
        .await;
    assert_eq!(deleted.status, 204);

    // The quote site's next update, a second record with the same address, and the
    // studio creating the address again: each a 409 that says why, never a 500.
    let update = site.send("/api/v1/integration/clients/c1", &client(2)).await;
    assert_eq!((update.status, update.code()), (409, "client_deleted"), "{update:?}");
    let twin = site
        .send(
            "/api/v1/integration/clients/c2",
            &json!({"email": "anne@example.fr", "name": "Anne", "version": 1}),
        )
        .await;
    assert_eq!((twin.status, twin.code()), (409, "client_deleted"), "{twin:?}");
    let by_hand = studio
        .call(
            Method::POST,
            "/api/v1/clients",
            Some(json!({"email": "anne@example.fr", "name": "Anne"})),
        )
        .await;
    assert_eq!((by_hand.status, by_hand.code()), (409, "email_in_trash"), "{by_hand:?}");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE email = 'anne@example.fr'")
        .fetch_one(app.state.db.pool())
        .await
        .expect("count");
    assert_eq!(n, 1, "no second account for the address");

    // Restored, the same update goes through.
    let trash = studio.call(Method::GET, "/api/v1/trash", None).await;
    let entry = trash.body[0]["id"].as_str().expect("id").to_owned();
    let restore = format!("/api/v1/trash/{entry}/restore");
    assert_eq!(studio.call(Method::POST, &restore, None).await.status, 204);
    let update = site.send("/api/v1/integration/clients/c1", &client(2)).await;
    assert_eq!(update.status, 200, "{update:?}");

    // Erased for good: the address is free for a new client, while the erased record
    // stays refused (its invoices are kept on a nameless row).
    assert_eq!(
        studio
            .call(Method::DELETE, &format!("/api/v1/clients/{account}"), None)
            .await
            .status,
        204
    );
    let trash = studio.call(Method::GET, "/api/v1/trash", None).await;
    let entry = trash.body[0]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        studio
            .call(Method::DELETE, &format!("/api/v1/trash/{entry}"), None)
            .await
            .status,
        204
    );
    let again = site.send("/api/v1/integration/clients/c1", &client(3)).await;
    assert_eq!((again.status, again.code()), (409, "client_deleted"), "{again:?}");
    let fresh = site
        .send(
            "/api/v1/integration/clients/c3",
            &json!({"email": "anne@example.fr", "name": "Anne Dupont", "version": 1}),
        )
        .await;
    assert_eq!(fresh.status, 201, "{fresh:?}");
    assert_ne!(fresh.body["account"], json!(account), "a new account");
}
