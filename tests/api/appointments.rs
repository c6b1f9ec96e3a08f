//! Appointments: sent by the quote site (signed with the official standardwebhooks
//! library) or made by the studio; seen by their client with an `.ics` each and a private
//! feed, both read by an independent parser (Python's icalendar); reminders at each lead,
//! exactly once, following a move, never for a cancelled one or a lead already past, and
//! right across the October change of the clocks.

use std::time::Duration;

use relais::domain::{HOUR, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::tus::Tus;
use crate::helpers::{TestApp, spawn_app};
use crate::integration::Site;

/// The iCalendar text parsed by Python's icalendar: each event's fields as JSON.
fn parsed_by_icalendar(ics: &str) -> Value {
    let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("cal.ics");
    std::fs::write(&path, ics).expect("written");
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import sys, json, icalendar\n\
             cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
             events = []\n\
             for e in cal.walk('VEVENT'):\n\
             \x20   events.append({k: str(e.get(k)) for k in ('UID', 'SUMMARY', 'LOCATION', 'DESCRIPTION', 'STATUS', 'SEQUENCE')} | {\n\
             \x20       'DTSTART': e.decoded('DTSTART').isoformat(), 'DTEND': e.decoded('DTEND').isoformat()})\n\
             print(json.dumps({'name': str(cal.get('X-WR-CALNAME')), 'events': events}))",
            path.to_str().expect("utf-8"),
        ])
        .output()
        .expect("python runs (scripts/test.sh installs icalendar)");
    assert!(out.status.success(), "{}\n{ics}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

async fn client_token(app: &TestApp, account: &str) -> String {
    let id = relais::domain::UserId::parse(account).expect("id");
    let (_, token) = relais::accounts::issue_token(&app.state, id, "tests")
        .await
        .expect("token");
    token
}

async fn call(app: &TestApp, token: &str, method: Method, path: &str, body: Option<Value>) -> crate::helpers::Answer {
    let request = app.http.request(method, app.url(path)).bearer_auth(token);
    let request = match body {
        Some(b) => request.json(&b),
        None => request,
    };
    crate::helpers::Answer::of(request.send().await.expect("request")).await
}

async fn text(app: &TestApp, token: Option<&str>, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let request = app.http.get(app.url(path));
    let request = match token {
        Some(t) => request.bearer_auth(t),
        None => request,
    };
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, response.text().await.expect("text"), headers)
}

#[tokio::test]
async fn the_quote_site_sends_appointments_and_only_their_client_sees_them_with_an_ics_and_a_feed() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let named = studio
        .call(Method::PATCH, "/api/v1/studio", Some(json!({"name": "Studio Lumière"})))
        .await;
    assert_eq!(named.status, 200, "{:?}", named.body);
    let mut site = Site::new(&app).await;
    site.python = true;
    let made = site
        .send(
            "/api/v1/integration/clients/c1",
            &json!({"email": "anne@example.fr", "name": "Anne Dupont", "version": 1}),
        )
        .await;
    let anne = made.body["account"].as_str().expect("account").to_owned();

    let body = json!({"client": "c1", "kind": "Préparatifs", "starts_at": "2027-06-12T09:00:00+02:00",
                      "ends_at": "2027-06-12T11:00", "time_zone": "Europe/Paris", "place": "Château, Vaux-le-Vicomte",
                      "notes": "Robe; voile\nbouquet", "version": 1});
    let put = site.send("/api/v1/integration/appointments/a1", &body).await;
    assert_eq!(put.status, 201, "{:?}", put.body);
    assert_eq!(put.body["result"], "created");
    let again = site.send("/api/v1/integration/appointments/a1", &body).await;
    assert_eq!((again.status, again.body["result"].as_str()), (200, Some("unchanged")));
    // The night the clocks go back: the second half past two, told apart by its offset.
    let night = site
        .send(
            "/api/v1/integration/appointments/a2",
            &json!({"client": "c1", "kind": "Séance de nuit", "starts_at": "2027-10-31T02:30:00+01:00", "version": 1}),
        )
        .await;
    assert_eq!(night.status, 201, "{:?}", night.body);
    let unknown = site
        .send(
            "/api/v1/integration/appointments/a3",
            &json!({"client": "nobody", "kind": "Essai", "starts_at": "2027-06-01T10:00", "version": 1}),
        )
        .await;
    assert_eq!((unknown.status, unknown.code()), (409, "unknown_client"));
    let bad = site
        .send(
            "/api/v1/integration/appointments/a4",
            &json!({"client": "c1", "starts_at": "demain", "time_zone": "Europe/Atlantis", "version": 1}),
        )
        .await;
    assert_eq!(bad.status, 422, "{:?}", bad.body);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(fields.contains(&"kind") && fields.contains(&"time_zone"), "{fields:?}");

    let token = client_token(&app, &anne).await;
    let list = call(&app, &token, Method::GET, "/api/v1/appointments", None).await;
    assert_eq!(list.status, 200);
    let first = &list.body[0];
    assert_eq!(first["when"], "samedi 12 juin 2027 à 09:00 (UTC+2)");
    assert_eq!(first["starts_at"], "2027-06-12T09:00:00+02:00");
    assert_eq!(list.body[1]["when"], "dimanche 31 octobre 2027 à 02:30 (UTC+1)");
    let id = first["id"].as_str().expect("id").to_owned();

    let (status, ics, headers) = text(&app, Some(&token), &format!("/api/v1/appointments/{id}/ics")).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/calendar")
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment")
    );
    let cal = parsed_by_icalendar(&ics);
    assert_eq!(cal["name"], "Studio Lumière");
    let event = &cal["events"][0];
    assert_eq!(event["SUMMARY"], "Préparatifs — Studio Lumière");
    assert_eq!(event["DTSTART"], "2027-06-12T07:00:00+00:00");
    assert_eq!(event["DTEND"], "2027-06-12T09:00:00+00:00");
    assert_eq!(event["LOCATION"], "Château, Vaux-le-Vicomte");
    assert_eq!(event["DESCRIPTION"], "Robe; voile\nbouquet");

    // Another client sees none of it.
    let (bob, _) = Tus::client(&app, "bob@example.fr").await;
    assert_eq!(
        bob.call(Method::GET, "/api/v1/appointments", None).await.body,
        json!([])
    );
    assert_eq!(
        bob.call(Method::GET, &format!("/api/v1/appointments/{id}/ics"), None)
            .await
            .status,
        404
    );

    // The private feed: a secret address, replaced (the old one dies), revoked.
    let feed = call(&app, &token, Method::POST, "/api/v1/me/calendar", None).await;
    assert_eq!(feed.status, 201);
    let url = feed.body["url"].as_str().expect("url").to_owned();
    let path = url::Url::parse(&url).expect("url").path().to_owned();
    let (status, ics, _) = text(&app, None, &path).await;
    assert_eq!(status, 200);
    let cal = parsed_by_icalendar(&ics);
    assert_eq!(cal["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(cal["events"][1]["DTSTART"], "2027-10-31T01:30:00+00:00");
    let renewed = call(&app, &token, Method::POST, "/api/v1/me/calendar", None).await;
    let new_path = url::Url::parse(renewed.body["url"].as_str().expect("url"))
        .expect("url")
        .path()
        .to_owned();
    assert_eq!(text(&app, None, &path).await.0, 404, "the old address is dead");
    assert_eq!(text(&app, None, &new_path).await.0, 200);
    assert_eq!(
        call(&app, &token, Method::DELETE, "/api/v1/me/calendar", None)
            .await
            .status,
        204
    );
    assert_eq!(text(&app, None, &new_path).await.0, 404, "revoked");

    // A newer version moves it; the calendar's SEQUENCE grows so phones replace it.
    let moved = site
        .send(
            "/api/v1/integration/appointments/a1",
            &json!({"client": "c1", "kind": "Préparatifs", "starts_at": "2027-06-12T10:00:00+02:00", "version": 2}),
        )
        .await;
    assert_eq!(moved.body["result"], "updated");
    let (_, ics, _) = text(&app, Some(&token), &format!("/api/v1/appointments/{id}/ics")).await;
    let cal = parsed_by_icalendar(&ics);
    assert_eq!(cal["events"][0]["SEQUENCE"], "1");
    assert_eq!(cal["events"][0]["DTSTART"], "2027-06-12T08:00:00+00:00");
    let stale = site
        .send(
            "/api/v1/integration/appointments/a1",
            &json!({"client": "c1", "kind": "Ancien", "starts_at": "2027-06-12T09:00:00+02:00", "version": 1}),
        )
        .await;
    assert_eq!(stale.body["result"], "stale");
}

/// Reminders queued so far, by subject.
fn reminders(app: &TestApp) -> Vec<String> {
    app.outbox()
        .into_iter()
        .filter(|m| m.contains("Subject: Rappel") || m.contains("Subject: =?utf-8?"))
        .filter(|m| m.contains("rendez-vous.ics"))
        .collect()
}

async fn sweep(app: &TestApp) -> usize {
    let n = relais::appointments::reminders::send_due(&app.state)
        .await
        .expect("reminders");
    app.run_jobs().await;
    n
}

fn rfc3339(at: Timestamp) -> String {
    at.to_jiff().expect("time").to_string()
}

#[tokio::test]
async fn reminders_go_once_per_lead_follow_a_move_and_skip_cancelled_and_past_leads() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let anne = app
        .create_active_client("anne@example.fr", "correct horse battery")
        .await;
    app.run_jobs().await;
    let t0 = app.clock().now();
    let hour = HOUR;
    let make = |kind: &str, at: Timestamp, cancelled: bool| json!({"client": anne.id.to_string(), "kind": kind, "starts_at": rfc3339(at), "cancelled": cancelled});
    let mut ids = Vec::new();
    for (kind, at, cancelled) in [
        ("Essai", t0 + 30 * hour, false),
        ("Annulé", t0 + 49 * hour, true),
        ("Séance", t0 + 60 * hour, false),
    ] {
        let made = studio
            .call(Method::POST, "/api/v1/appointments", Some(make(kind, at, cancelled)))
            .await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        ids.push(made.body["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(
        sweep(&app).await,
        0,
        "nothing due yet; Essai's 48 h had passed when it was made"
    );

    app.clock().advance(Duration::from_secs(6 * 3600 + 60));
    assert_eq!(sweep(&app).await, 1, "Essai, 24 h before");
    app.clock().advance(Duration::from_secs(6 * 3600));
    assert_eq!(sweep(&app).await, 1, "Séance, 48 h before");
    assert_eq!(sweep(&app).await, 0, "exactly once");
    let sent = reminders(&app);
    assert_eq!(sent.len(), 2);
    let unfolded: Vec<String> = sent.iter().map(|m| m.replace("=\r\n", "").replace("=\n", "")).collect();
    assert!(unfolded.iter().any(|m| m.contains("Essai")), "{unfolded:?}");
    assert!(
        unfolded
            .iter()
            .any(|m| m.contains("Séance") || m.contains("S=C3=A9ance")),
        "{unfolded:?}"
    );
    assert!(sent.iter().all(|m| m.contains("text/calendar")), "the .ics attached");

    // Séance moves five days later: its 24 h reminder for the old time never goes, the
    // new times get theirs.
    let moved = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/appointments/{}", ids[2]),
            Some(json!({"kind": "Séance", "starts_at": rfc3339(t0 + 120 * hour)})),
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    app.clock().advance(Duration::from_secs(24 * 3600));
    assert_eq!(sweep(&app).await, 0, "the old time's 24 h reminder is gone with it");
    app.clock().advance(Duration::from_secs(36 * 3600));
    assert_eq!(sweep(&app).await, 1, "48 h before the new time");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointment_reminders WHERE appointment_id = $1")
        .bind(&ids[1])
        .fetch_one(app.state.db.pool())
        .await
        .expect("count");
    assert_eq!(n, 0, "a cancelled appointment is never reminded");
}

#[tokio::test]
async fn across_the_october_change_a_24_hour_reminder_goes_24_hours_before_and_says_the_local_time() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let anne = app
        .create_active_client("anne@example.fr", "correct horse battery")
        .await;
    app.run_jobs().await;
    // Sunday 31 October 2027, 10:00 in Paris: the clocks went back that night (UTC+1).
    let made = studio
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(
                json!({"client": anne.id.to_string(), "kind": "Cérémonie", "starts_at": "2027-10-31T10:00",
                        "time_zone": "Europe/Paris"}),
            ),
        )
        .await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    assert_eq!(made.body["starts_at"], "2027-10-31T10:00:00+01:00");
    let start = jiff::Timestamp::from_second(1_824_973_200).expect("time"); // 2027-10-31T09:00Z
    assert_eq!(start.to_string(), "2027-10-31T09:00:00Z");
    let until = |at: jiff::Timestamp| Timestamp::from(at) - app.clock().now();

    // 48 h before: Friday 29 at 09:00 UTC (11:00 in Paris, still summer time).
    app.clock().advance(until(
        start - jiff::SignedDuration::from_hours(48) - jiff::SignedDuration::from_mins(1),
    ));
    assert_eq!(sweep(&app).await, 0);
    app.clock().advance(Duration::from_secs(120));
    assert_eq!(sweep(&app).await, 1);
    // 24 h before is 09:00 UTC on Saturday 30, not 10:00: the day is 25 hours long.
    app.clock().advance(until(
        start - jiff::SignedDuration::from_hours(24) - jiff::SignedDuration::from_mins(1),
    ));
    assert_eq!(sweep(&app).await, 0);
    app.clock().advance(Duration::from_secs(120));
    assert_eq!(sweep(&app).await, 1);
    let last = reminders(&app).pop().expect("a reminder");
    assert!(
        last.replace("=\r\n", "")
            .replace("=\n", "")
            .contains("dimanche 31 octobre 2027 =C3=A0 10:00 (UTC+1)")
            || last.contains("dimanche 31 octobre 2027 à 10:00 (UTC+1)"),
        "{last}"
    );
}

#[tokio::test]
async fn an_appointment_in_the_night_the_clocks_go_back_is_reminded_24_real_hours_before_its_own_half_past_two() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let anne = app
        .create_active_client("anne@example.fr", "correct horse battery")
        .await;
    app.run_jobs().await;
    // The second 02:30 of 31 October 2027 in Paris (UTC+1): 01:30 UTC.
    let made = studio
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({"client": anne.id.to_string(), "kind": "Séance de nuit",
                        "starts_at": "2027-10-31T02:30:00+01:00", "time_zone": "Europe/Paris"})),
        )
        .await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    assert_eq!(made.body["when"], "dimanche 31 octobre 2027 à 02:30 (UTC+1)");
    let start = jiff::Timestamp::from_second(1_824_946_200).expect("time");
    assert_eq!(start.to_string(), "2027-10-31T01:30:00Z");
    let until = |at: jiff::Timestamp| Timestamp::from(at) - app.clock().now();
    app.clock().advance(until(
        start - jiff::SignedDuration::from_hours(48) + jiff::SignedDuration::from_mins(1),
    ));
    assert_eq!(sweep(&app).await, 1, "48 h before");
    // 24 hours before is 01:30 UTC on the 30th, 03:30 in Paris (still UTC+2 then).
    app.clock().advance(until(
        start - jiff::SignedDuration::from_hours(24) - jiff::SignedDuration::from_mins(1),
    ));
    assert_eq!(sweep(&app).await, 0);
    app.clock().advance(Duration::from_secs(120));
    assert_eq!(sweep(&app).await, 1);
    assert_eq!(sweep(&app).await, 0, "once");
}

#[tokio::test]
async fn review_cases_a_change_of_client_an_erased_client_a_lifted_cancellation_and_the_forms_local_times() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let site = Site::new(&app).await;
    let account = |body: &Value| relais::domain::UserId::parse(body["account"].as_str().expect("account")).expect("id");
    let anne = account(
        &site
            .send(
                "/api/v1/integration/clients/c1",
                &json!({"email": "anne@example.fr", "name": "Anne", "version": 1}),
            )
            .await
            .body,
    );
    let bob = account(
        &site
            .send(
                "/api/v1/integration/clients/c2",
                &json!({"email": "bob@example.fr", "name": "Bob", "version": 1}),
            )
            .await
            .body,
    );
    let appointment = |client: &str, version: i64| json!({"client": client, "kind": "Essai", "starts_at": "2027-06-12T10:00", "notes": format!("pour {client}"), "version": version});
    site.send("/api/v1/integration/appointments/a1", &appointment("c1", 1))
        .await;
    // Moved to another client by the quote site: it follows, Anne no longer sees it.
    let moved = site
        .send("/api/v1/integration/appointments/a1", &appointment("c2", 2))
        .await;
    assert_eq!(moved.body["result"], "updated");
    let pool = app.state.db.pool();
    let anne_has = relais::db::appointments::of_client(pool, anne, Timestamp::EPOCH)
        .await
        .expect("db")
        .len();
    let bob_has = relais::db::appointments::of_client(pool, bob, Timestamp::EPOCH)
        .await
        .expect("db")
        .len();
    assert_eq!((anne_has, bob_has), (0, 1));

    // Bob erased: his appointments and feed go with him; the quote site gets 409.
    let token = relais::accounts::issue_token(&app.state, bob, "t")
        .await
        .expect("token")
        .1;
    call(&app, &token, Method::POST, "/api/v1/me/calendar", None).await;
    studio
        .call(Method::DELETE, &format!("/api/v1/clients/{bob}"), None)
        .await;
    let refused = site
        .send("/api/v1/integration/appointments/a9", &appointment("c2", 1))
        .await;
    assert_eq!((refused.status, refused.code()), (409, "client_deleted"));
    app.clock().advance(Duration::from_secs(31 * 24 * 3600));
    relais::trash::purge_due(&app.state).await.expect("purge");
    for table in ["appointments", "calendar_feeds"] {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(app.state.db.pool())
            .await
            .expect("count");
        assert_eq!(n, 0, "{table}");
    }

    // A cancellation lifted 12 hours before: one reminder (the 24 h one), not both.
    let carla = app
        .create_active_client("carla@example.fr", "correct horse battery")
        .await;
    let start = app.clock().now() + 60 * HOUR;
    let made = studio
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({"client": carla.id.to_string(), "kind": "Séance", "starts_at": rfc3339(start), "cancelled": true})),
        )
        .await;
    let id = made.body["id"].as_str().expect("id").to_owned();
    app.clock().advance(Duration::from_secs(48 * 3600));
    assert_eq!(sweep(&app).await, 0, "cancelled");
    let lifted = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/appointments/{id}"),
            Some(json!({"kind": "Séance", "starts_at": rfc3339(start), "cancelled": false})),
        )
        .await;
    assert_eq!(lifted.status, 200, "{:?}", lifted.body);
    assert_eq!(sweep(&app).await, 0, "both leads had passed when it was lifted");

    // The second 02:30 of the October night, saved back from the form unchanged, stays.
    let night = studio
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({"client": carla.id.to_string(), "kind": "Nuit", "starts_at": "2027-10-31T02:30:00+01:00"})),
        )
        .await;
    let night_id = night.body["id"].as_str().expect("id").to_owned();
    let saved = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/appointments/{night_id}"),
            Some(json!({"kind": "Nuit", "starts_at": "2027-10-31T02:30", "time_zone": "Europe/Paris", "place": "Pont Neuf"})),
        )
        .await;
    assert_eq!(saved.body["starts_at"], "2027-10-31T02:30:00+01:00", "{:?}", saved.body);
    // A date years off is refused, not stored.
    let typo = studio
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({"client": carla.id.to_string(), "kind": "Essai", "starts_at": "2207-06-12T10:00"})),
        )
        .await;
    assert_eq!(typo.status, 422);

    // No node ran while both leads came: one reminder, the nearest, then none.
    let later = app.clock().now() + 60 * HOUR;
    studio
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({"client": carla.id.to_string(), "kind": "Cérémonie", "starts_at": rfc3339(later)})),
        )
        .await;
    app.clock().advance(Duration::from_secs(59 * 3600));
    assert_eq!(sweep(&app).await, 1);
    assert_eq!(sweep(&app).await, 0);
}
