//! The newsletter: double opt-in from the public site, an issue to every confirmed
//! subscriber exactly once and at the configured pace, one-click unsubscribe (RFC 8058)
//! with no session, and the studio's subscribers list.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::tus::Tus;
use crate::helpers::{TestApp, link_token, spawn_app, spawn_app_with};

/// A message's header value, unfolded.
fn header(message: &str, name: &str) -> Option<String> {
    let unfolded = message.replace("\r\n ", " ").replace("\n ", " ").replace("\r\n\t", " ");
    unfolded
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim().to_owned())
}

fn to(message: &str, address: &str) -> bool {
    message.lines().any(|l| l.starts_with("To:") && l.contains(address))
}

/// Subscribes through the public form, as a visitor's browser would (no script).
async fn subscribe_on_site(app: &TestApp, email: &str, path: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("email", email)
                .finish(),
        )
        .send()
        .await
        .expect("posted")
}

async fn subscribers(studio: &Tus<'_>) -> Value {
    let answer = studio.call(Method::GET, "/api/v1/newsletter/subscribers", None).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body
}

fn status_of(list: &Value, email: &str) -> Option<String> {
    list["subscribers"]
        .as_array()?
        .iter()
        .find(|s| s["email"] == email)
        .map(|s| s["status"].as_str().unwrap_or_default().to_owned())
}

async fn new_issue(studio: &Tus<'_>, subject: &str) -> String {
    let made = studio
        .call(
            Method::POST,
            "/api/v1/newsletter/issues",
            Some(json!({"subject": subject, "markdown": "# Printemps\n\nDe **nouvelles** dates."})),
        )
        .await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    made.body["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_visitor_confirms_gets_one_issue_and_leaves_in_one_click_without_a_session() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;

    let posted = subscribe_on_site(&app, "Visiteur@Example.fr", "/en/newsletter").await;
    assert_eq!(posted.status(), 303);
    assert_eq!(posted.headers()["location"], "/en/newsletter?sent=1");
    app.run_jobs().await;
    let confirm = app
        .outbox()
        .into_iter()
        .find(|m| to(m, "visiteur@example.fr"))
        .expect("a confirmation");
    assert!(confirm.contains("Confirm your subscription"), "in the form's language");
    let token = link_token(&confirm, "/newsletter/confirm/");

    // Opening the link (as a mail scanner would) confirms nothing; the button does.
    let page = app
        .http
        .get(app.url(&format!("/newsletter/confirm/{token}")))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("visiteur@example.fr"));
    assert_eq!(
        status_of(&subscribers(&studio).await, "visiteur@example.fr").as_deref(),
        Some("pending")
    );
    let issue = new_issue(&studio, "Nouvelles du printemps").await;
    assert_eq!(
        studio
            .call(Method::POST, &format!("/api/v1/newsletter/issues/{issue}/send"), None)
            .await
            .status,
        202
    );
    app.run_jobs().await;
    assert!(
        !app.outbox().iter().any(|m| m.contains("Nouvelles du printemps")),
        "nothing to an address that has not confirmed"
    );

    let clicked = reqwest::Client::new()
        .post(app.url(&format!("/newsletter/confirm/{token}")))
        .send()
        .await
        .expect("confirmed");
    assert_eq!(clicked.status(), 200);
    let list = subscribers(&studio).await;
    let me = list["subscribers"]
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["email"] == "visiteur@example.fr")
        .expect("listed");
    assert_eq!(
        (me["status"].as_str(), me["source"].as_str(), me["locale"].as_str()),
        (Some("confirmed"), Some("site"), Some("en"))
    );
    assert!(me["confirmed_at"].is_i64() && me["confirmed_from"].as_str().is_some_and(|ip| ip.contains("127.0.0.1")));
    // The link was used: it opens nothing any more.
    let again = reqwest::Client::new()
        .post(app.url(&format!("/newsletter/confirm/{token}")))
        .send()
        .await
        .expect("again");
    assert_eq!(again.status(), 404);

    let issue = new_issue(&studio, "Nouvelles de l'été").await;
    let sent = studio
        .call(Method::POST, &format!("/api/v1/newsletter/issues/{issue}/send"), None)
        .await;
    assert_eq!(sent.status, 202);
    let twice = studio
        .call(Method::POST, &format!("/api/v1/newsletter/issues/{issue}/send"), None)
        .await;
    assert_eq!((twice.status, twice.code()), (409, "already_sent"));
    app.run_jobs().await;
    let letters: Vec<String> = app
        .outbox()
        .into_iter()
        .filter(|m| m.contains("Nouvelles de l"))
        .collect();
    assert_eq!(letters.len(), 1, "exactly one message");
    let letter = &letters[0];
    let list_unsubscribe = header(letter, "List-Unsubscribe").expect("List-Unsubscribe");
    assert!(
        list_unsubscribe.contains("/newsletter/unsubscribe/") && list_unsubscribe.contains("<mailto:"),
        "{list_unsubscribe}"
    );
    assert_eq!(
        header(letter, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(
        letter.contains("<h1>Printemps</h1>") || letter.contains("<h1>Printemps</h1>".replace('=', "=3D").as_str())
    );

    // The mailbox provider's one-click POST: no cookie, no CSRF token, just the URL.
    let url = list_unsubscribe
        .split(['<', '>'])
        .find(|p| p.starts_with("http"))
        .expect("https URL")
        .to_owned();
    // The test server listens elsewhere than `public_url`: same path, this server.
    let path = url::Url::parse(&url).expect("URL").path().to_owned();
    let url = app.url(&path);
    let one_click = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("posted");
    assert_eq!(one_click.status(), 200);
    let list = subscribers(&studio).await;
    let me = list["subscribers"]
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["email"] == "visiteur@example.fr")
        .expect("listed")
        .clone();
    assert_eq!(
        (me["status"].as_str(), me["unsubscribed_by"].as_str()),
        (Some("unsubscribed"), Some("one_click"))
    );
    let stats = studio
        .call(Method::GET, &format!("/api/v1/newsletter/issues/{issue}"), None)
        .await;
    assert_eq!(
        stats.body["stats"],
        json!({"recipients": 1, "sent": 1, "failed": 0, "unsubscribed": 1})
    );

    // The next issue goes to nobody.
    let next = new_issue(&studio, "Nouvelles d'automne").await;
    studio
        .call(Method::POST, &format!("/api/v1/newsletter/issues/{next}/send"), None)
        .await;
    app.run_jobs().await;
    assert!(
        !app.outbox()
            .iter()
            .any(|m| m.contains("Nouvelles d'automne") || m.contains("Nouvelles d=27automne"))
    );
}

#[tokio::test]
async fn the_form_never_says_who_is_subscribed_and_does_not_mail_twice_in_a_row() {
    let app = spawn_app().await;
    for _ in 0..3 {
        let posted = subscribe_on_site(&app, "anne@example.fr", "/newsletter").await;
        assert_eq!(posted.status(), 303);
    }
    let bad = subscribe_on_site(&app, "pas une adresse", "/newsletter").await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.expect("html").contains("ne semble pas valide"));
    let api = app
        .http
        .post(app.url("/api/v1/newsletter/subscriptions"))
        .json(&json!({"email": "anne@example.fr", "locale": "fr"}))
        .send()
        .await
        .expect("posted");
    assert_eq!(api.status(), 202);
    app.run_jobs().await;
    let confirmations = app.outbox().iter().filter(|m| to(m, "anne@example.fr")).count();
    assert_eq!(confirmations, 1, "one confirmation however often the form is sent");
    // An hour later a new request sends a new link, and the old one stops working.
    let first = link_token(&app.outbox()[0], "/newsletter/confirm/");
    app.clock().advance(Duration::from_secs(61 * 60));
    subscribe_on_site(&app, "anne@example.fr", "/newsletter").await;
    app.run_jobs().await;
    let mails: Vec<String> = app.outbox().into_iter().filter(|m| to(m, "anne@example.fr")).collect();
    assert_eq!(mails.len(), 2);
    let second = link_token(&mails[1], "/newsletter/confirm/");
    assert_ne!(first, second);
    let old = reqwest::Client::new()
        .post(app.url(&format!("/newsletter/confirm/{first}")))
        .send()
        .await
        .expect("posted");
    assert_eq!(old.status(), 404, "a superseded link is dead");
    // A third an hour later, then no more this month, however often the form is sent.
    for _ in 0..3 {
        app.clock().advance(Duration::from_secs(61 * 60));
        subscribe_on_site(&app, "anne@example.fr", "/newsletter").await;
    }
    app.run_jobs().await;
    let mails: Vec<String> = app.outbox().into_iter().filter(|m| to(m, "anne@example.fr")).collect();
    assert_eq!(mails.len(), 3, "at most three confirmations a month");
    let second = link_token(&mails[2], "/newsletter/confirm/");
    // A link older than seven days is dead too.
    app.clock().advance(Duration::from_secs(8 * 24 * 3600));
    let late = reqwest::Client::new()
        .post(app.url(&format!("/newsletter/confirm/{second}")))
        .send()
        .await
        .expect("posted");
    assert_eq!(late.status(), 404);
}

/// Confirmed subscribers written straight into the database, as many confirmations
/// would leave them.
async fn confirmed(app: &TestApp, n: usize) {
    for i in 0..n {
        sqlx::query(
            "INSERT INTO newsletter_subscribers (id, email, locale, source, status, created_at, confirmed_at, \
             confirmed_from) VALUES ($1, $2, 'fr', 'site', 'confirmed', 0, 0, '127.0.0.1')",
        )
        .bind(format!("sub-{i:04}"))
        .bind(format!("abonne{i}@example.fr"))
        .execute(app.state.db.pool())
        .await
        .expect("subscriber");
    }
}

fn letters(app: &TestApp, subject: &str) -> Vec<String> {
    app.outbox().into_iter().filter(|m| m.contains(subject)).collect()
}

#[tokio::test]
async fn an_issue_leaves_at_its_pace_once_per_subscriber_whoever_runs_the_fanout_again() {
    let app = spawn_app_with(|cfg| cfg.newsletter.rate_per_minute = 60).await;
    // Slots are a second apart: on a busy machine the real time a run takes must not count.
    app.clock().freeze();
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    confirmed(&app, 30).await;
    let issue = new_issue(&studio, "Lettre de juin").await;
    studio
        .call(Method::POST, &format!("/api/v1/newsletter/issues/{issue}/send"), None)
        .await;
    app.run_jobs().await;
    // One a second: the first now, the others wait for their slots.
    assert_eq!(letters(&app, "Lettre de juin").len(), 1);
    for _ in 0..10 {
        app.clock().advance(Duration::from_millis(1_000));
        app.run_jobs().await;
    }
    assert_eq!(letters(&app, "Lettre de juin").len(), 11);

    // The fan-out run again (a node that took over an expired lease): nothing new.
    let handler = relais::newsletter::fanout::Fanout {
        state: app.state.clone(),
    };
    relais::jobs::JobHandler::run(&handler, &json!({"issue_id": issue}).to_string())
        .await
        .expect("second fan-out");
    let (deliveries,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM newsletter_deliveries WHERE issue_id = $1")
        .bind(&issue)
        .fetch_one(app.state.db.pool())
        .await
        .expect("count");
    assert_eq!(deliveries, 30);

    // Nobody ran for a minute: the late messages do not leave in a burst, they take
    // new slots at the same pace.
    app.clock().advance(Duration::from_secs(60));
    app.run_jobs().await;
    assert_eq!(letters(&app, "Lettre de juin").len(), 12);
    for _ in 0..18 {
        app.clock().advance(Duration::from_millis(1_000));
        app.run_jobs().await;
    }
    let all = letters(&app, "Lettre de juin");
    assert_eq!(all.len(), 30);
    let mut recipients: Vec<String> = all
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("To:")).map(str::to_owned))
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 30, "one message per subscriber");
    let stats = studio
        .call(Method::GET, &format!("/api/v1/newsletter/issues/{issue}"), None)
        .await;
    assert_eq!(stats.body["status"], "sent");
    assert_eq!(stats.body["stats"]["sent"], 30);
}

#[tokio::test]
async fn only_the_studio_reads_subscribers_or_sends_and_a_client_switches_their_own() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    for (method, path) in [
        (Method::GET, "/api/v1/newsletter/subscribers"),
        (Method::GET, "/api/v1/newsletter/subscribers.csv"),
        (Method::GET, "/api/v1/newsletter/issues"),
    ] {
        assert_eq!(anne.call(method, path, None).await.status, 403, "{path}");
    }
    let made = anne
        .call(
            Method::POST,
            "/api/v1/newsletter/issues",
            Some(json!({"subject": "x", "markdown": "y"})),
        )
        .await;
    assert_eq!(made.status, 403);
    let stranger = reqwest::Client::new()
        .get(app.url("/api/v1/newsletter/subscribers"))
        .send()
        .await
        .expect("asked");
    assert_eq!(stranger.status(), 401);

    // Anne's own switch: on at once (her session stands for the confirming click), off.
    assert_eq!(
        anne.call(Method::GET, "/api/v1/me/newsletter", None).await.body,
        json!({"subscribed": false})
    );
    let on = anne
        .call(Method::PUT, "/api/v1/me/newsletter", Some(json!({"subscribed": true})))
        .await;
    assert_eq!(on.status, 200);
    let list = subscribers(&studio).await;
    assert_eq!(status_of(&list, "anne@example.fr").as_deref(), Some("confirmed"));
    let csv = studio
        .request(Method::GET, "/api/v1/newsletter/subscribers.csv")
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment")
    );
    let text = csv.text().await.expect("text");
    assert!(text.starts_with("email,status,locale,source"), "{text}");
    assert!(text.contains("anne@example.fr,confirmed,fr,client"), "{text}");
    anne.call(Method::PUT, "/api/v1/me/newsletter", Some(json!({"subscribed": false})))
        .await;
    assert_eq!(
        status_of(&subscribers(&studio).await, "anne@example.fr").as_deref(),
        Some("unsubscribed")
    );

    // The studio imports addresses: each is asked to confirm, and nothing more.
    let imported = studio
        .call(
            Method::POST,
            "/api/v1/newsletter/subscribers/import",
            Some(json!({"addresses": ["paul@example.fr", "anne@example.fr", "not an address"]})),
        )
        .await;
    assert_eq!(
        imported.body,
        json!({"asked": 1}),
        "Anne left: an import does not ask her again"
    );
    app.run_jobs().await;
    assert!(
        app.outbox()
            .iter()
            .any(|m| to(m, "paul@example.fr") && m.contains("vous propose"))
    );
    assert_eq!(
        status_of(&subscribers(&studio).await, "paul@example.fr").as_deref(),
        Some("pending")
    );
}

#[tokio::test]
async fn the_unsubscribe_headers_are_inside_the_dkim_signature_as_received_by_a_real_smtp_server() {
    use relais::config::{MailTransport, SmtpConfig};
    let dir = tempfile::tempdir().expect("dir");
    let sink = crate::helpers::smtp::SmtpSink::start(dir.path());
    let key = relais::mail::dkim::DkimKey::from_pem(&crate::mail::dkim_key_pem()).expect("an RSA key");
    let record = key.txt_record();
    let url = sink.url();
    let app = spawn_app_with(move |cfg| {
        cfg.mail.transport = MailTransport::Smtp(SmtpConfig {
            url: secrecy::SecretString::from(url),
            username: None,
            password: None,
        });
        cfg.mail.from = "Studio Lumière <contact@studio-lumiere.fr>".parse().expect("mailbox");
        cfg.mail.dkim = Some(relais::config::DkimConfig {
            selector: "relais2026".into(),
            key,
        });
    })
    .await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    confirmed(&app, 1).await;
    let issue = new_issue(&studio, "Lettre signée").await;
    studio
        .call(Method::POST, &format!("/api/v1/newsletter/issues/{issue}/send"), None)
        .await;
    app.run_jobs().await;
    let received: Vec<String> = sink
        .messages()
        .into_iter()
        .filter(|m| m.contains("abonne0@example.fr"))
        .collect();
    assert_eq!(received.len(), 1);
    let signature = header(&received[0], "DKIM-Signature").expect("signed");
    assert!(
        signature.contains("list-unsubscribe:list-unsubscribe-post"),
        "both headers are named in h=: {signature}"
    );
    // dkimpy checks the signature as received; a changed List-Unsubscribe breaks it.
    let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let verify = |text: &str| {
        let path = dir.path().join("checked.eml");
        std::fs::write(&path, text).expect("written");
        std::process::Command::new(&python)
            .args([
                "-c",
                "import sys, dkim\n\
                 record = sys.argv[2].encode()\n\
                 def dns(name, timeout=5):\n\
                 \x20   return record if name == b'relais2026._domainkey.studio-lumiere.fr.' else None\n\
                 sys.exit(0 if dkim.verify(open(sys.argv[1], 'rb').read(), dnsfunc=dns) else 1)",
                path.to_str().expect("utf-8"),
                &record,
            ])
            .output()
            .expect("python runs")
            .status
            .success()
    };
    assert!(verify(&received[0]));
    let redirected = received[0].replacen("/newsletter/unsubscribe/", "/newsletter/unsubscribe/x", 1);
    assert!(!verify(&redirected), "a rewritten unsubscribe link fails the signature");
}

#[tokio::test]
async fn a_published_album_offers_a_prefilled_letter_that_announces_it() {
    let app = spawn_app().await;
    let (_, secret) = app.create_studio("owner@example.fr", "correct horse battery").await;
    let browser = crate::pages::Browser::new(&app);
    browser
        .login(
            "owner@example.fr",
            "correct horse battery",
            Some(app.totp_code(&secret, 0)),
        )
        .await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let created = studio
        .call(
            Method::POST,
            "/api/v1/portfolio/albums",
            Some(json!({"title": "Mariage à Giverny"})),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    let page = browser.get(&format!("/studio/portfolio/albums/{id}"), Some("fr")).await;
    assert!(!page.body.contains("openIssue"), "not before it is published");
    let published = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/portfolio/albums/{id}"),
            Some(json!({"published": true})),
        )
        .await;
    assert_eq!(published.status, 200, "{:?}", published.body);
    let page = browser.get(&format!("/studio/portfolio/albums/{id}"), Some("fr")).await;
    let start = page.body.find("data-body=\"").expect("an announce button") + "data-body=\"".len();
    let end = start + page.body[start..].find('"').expect("end");
    let body: Value = serde_json::from_str(&page.body[start..end].replace("&#34;", "\"").replace("&quot;", "\""))
        .expect("a JSON body");
    assert_eq!(body["subject"], "Nouvel album : Mariage à Giverny");
    assert!(
        body["markdown"]
            .as_str()
            .is_some_and(|m| m.contains("/albums/mariage-a-giverny")),
        "{body}"
    );
    let draft = studio.call(Method::POST, "/api/v1/newsletter/issues", Some(body)).await;
    assert_eq!(draft.status, 201, "{:?}", draft.body);
    assert_eq!(draft.body["status"], "draft");
}

#[tokio::test]
async fn a_mailbox_refused_after_the_message_is_marked_and_skipped_from_then_on() {
    use relais::config::{MailTransport, SmtpConfig};
    let dir = tempfile::tempdir().expect("dir");
    let sink = crate::helpers::smtp::SmtpSink::start(dir.path());
    let url = format!("{}?tls=none", sink.url());
    let app = spawn_app_with(move |cfg| {
        cfg.mail.transport = MailTransport::Smtp(SmtpConfig {
            url: secrecy::SecretString::from(url),
            username: None,
            password: None,
        });
    })
    .await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    confirmed(&app, 2).await;
    sqlx::query(
        "INSERT INTO newsletter_subscribers (id, email, locale, source, status, created_at, confirmed_at) \
         VALUES ('gone', 'refuse-me@example.fr', 'fr', 'site', 'confirmed', 0, 0)",
    )
    .execute(app.state.db.pool())
    .await
    .expect("subscriber");
    let issue = new_issue(&studio, "Lettre de mars").await;
    studio
        .call(Method::POST, &format!("/api/v1/newsletter/issues/{issue}/send"), None)
        .await;
    for _ in 0..3 {
        app.run_jobs().await;
        app.clock().advance(Duration::from_secs(1));
    }
    assert_eq!(sink.messages().len(), 2, "the two real mailboxes");
    let list = subscribers(&studio).await;
    let gone = list["subscribers"]
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["email"] == "refuse-me@example.fr")
        .expect("listed")
        .clone();
    assert_eq!(gone["status"], "refused");
    assert!(
        gone["refused_reason"].as_str().is_some_and(|r| r.contains("550")),
        "{gone}"
    );
    let stats = studio
        .call(Method::GET, &format!("/api/v1/newsletter/issues/{issue}"), None)
        .await;
    assert_eq!(stats.body["stats"]["sent"], 2);
    assert_eq!(stats.body["stats"]["failed"], 1);
    // The next letter is not even tried on that address.
    let next = new_issue(&studio, "Lettre d'avril").await;
    studio
        .call(Method::POST, &format!("/api/v1/newsletter/issues/{next}/send"), None)
        .await;
    for _ in 0..3 {
        app.run_jobs().await;
        app.clock().advance(Duration::from_secs(1));
    }
    let (tried,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM newsletter_deliveries d JOIN newsletter_issues i ON i.id = d.issue_id \
         WHERE d.subscriber_id = 'gone' AND i.subject = 'Lettre d''avril'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .expect("count");
    assert_eq!(tried, 0);
    assert_eq!(sink.messages().len(), 4);
}

#[tokio::test]
async fn a_subscription_follows_its_client_to_a_new_address_and_is_erased_with_them() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let site = crate::integration::Site::new(&app).await;
    let made = site
        .send(
            "/api/v1/integration/clients/c1",
            &json!({"email": "anne@example.fr", "name": "Anne", "version": 1}),
        )
        .await;
    let anne = relais::domain::UserId::parse(made.body["account"].as_str().expect("account")).expect("id");
    let (_, token) = relais::accounts::issue_token(&app.state, anne, "tests")
        .await
        .expect("token");
    let on = app
        .http
        .put(app.url("/api/v1/me/newsletter"))
        .bearer_auth(&token)
        .json(&json!({"subscribed": true}))
        .send()
        .await
        .expect("on");
    assert_eq!(on.status(), 200);
    // The quote site corrects her address: the subscription moves with the account.
    site.send(
        "/api/v1/integration/clients/c1",
        &json!({"email": "anne.dupont@example.fr", "name": "Anne", "version": 2}),
    )
    .await;
    let list = subscribers(&studio).await;
    assert_eq!(status_of(&list, "anne.dupont@example.fr").as_deref(), Some("confirmed"));
    assert_eq!(
        status_of(&list, "anne@example.fr"),
        None,
        "nothing left at the old address"
    );

    // A visitor's own subscription, erased by the studio on request.
    subscribe_on_site(&app, "paul@example.fr", "/newsletter").await;
    let list = subscribers(&studio).await;
    let paul = list["subscribers"]
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["email"] == "paul@example.fr")
        .expect("listed")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let erased = studio
        .call(Method::DELETE, &format!("/api/v1/newsletter/subscribers/{paul}"), None)
        .await;
    assert_eq!(erased.status, 204);
    assert_eq!(status_of(&subscribers(&studio).await, "paul@example.fr"), None);

    // Anne deleted and purged: her subscription goes with her.
    studio
        .call(Method::DELETE, &format!("/api/v1/clients/{anne}"), None)
        .await;
    app.clock().advance(Duration::from_secs(31 * 24 * 3600));
    relais::trash::purge_due(&app.state).await.expect("purge");
    assert_eq!(subscribers(&studio).await["subscribers"], json!([]));
}
