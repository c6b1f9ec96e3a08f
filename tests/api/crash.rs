//! The real binary killed with SIGKILL in the middle of an upload, then started again:
//! the upload resumes from what was durably stored and ends with the right SHA-256.

use std::process::Command;

use relais::config::Config;

use crate::helpers::backend::{Backend, env_for};
use crate::helpers::binary::{self, start};
use crate::helpers::eventually;
use crate::helpers::tus::{meta, pattern, sha256_hex};

const MIB: usize = 1024 * 1024;

fn relais(env: &[(String, String)], args: &[&str]) -> Command {
    binary::relais(None, env.iter().map(|(k, v)| (k, v)), args)
}

#[tokio::test]
async fn an_upload_survives_a_sigkill_of_the_server_and_resumes_to_the_right_sha256() {
    let dir = tempfile::tempdir().expect("dir");
    let mut cfg = Config::defaults_in(dir.path()).expect("defaults");
    cfg.uploads.part_size = relais::domain::ByteSize::from_bytes(5 * MIB as u64);
    let _resources = Backend::from_env().prepare(&mut cfg, dir.path()).await;
    let env = env_for(&cfg);

    let token = binary::anne_with_token(&env);

    let data = pattern(48 * MIB + 321, 31);
    let server = start(&env).await;
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/api/v1/uploads", server.base))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", data.len())
        .header("upload-metadata", meta(&[("filename", "mariage.mov")]))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201);
    let location = format!(
        "{}{}",
        server.base,
        created.headers()["location"].to_str().expect("location")
    );

    // Stream the first 40 MiB steadily, then kill the server without warning.
    let sent = 40 * MIB;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|x| (x, rx))
    }));
    let patch = http
        .patch(&location)
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", 0)
        .header("content-type", "application/offset+octet-stream")
        .header("content-length", data.len())
        .body(body)
        .send();
    let patch = tokio::spawn(patch);
    for chunk in data[..sent].chunks(256 * 1024) {
        tx.send(Ok(chunk.to_vec())).await.expect("server reads");
    }
    // Killed once part of it is durably committed (the offset HEAD reads is the
    // database's), while the rest is still on its way.
    eventually("a first durable checkpoint", || {
        let (http, location, token) = (http.clone(), location.clone(), token.clone());
        async move {
            let head = http
                .head(&location)
                .bearer_auth(&token)
                .header("tus-resumable", "1.0.0")
                .send()
                .await
                .ok()?;
            let offset: u64 = head.headers().get("upload-offset")?.to_str().ok()?.parse().ok()?;
            (offset > 0).then_some(())
        }
    })
    .await;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill")
            .success()
    );
    drop(tx);
    let _ = patch.await;
    drop(server);

    // Started again: the offset is what was durably committed before the kill.
    let server = start(&env).await;
    let location = location.replace(location.split("/api/").next().expect("base"), &server.base);
    let head = http
        .head(&location)
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    assert_eq!(head.status(), 200);
    let offset: usize = head.headers()["upload-offset"]
        .to_str()
        .expect("offset")
        .parse()
        .expect("number");
    assert!(offset <= sent, "never more than what was sent: {offset}");
    assert!(offset >= 30 * MIB, "checkpoints kept most of it: {offset}");

    let rest = http
        .patch(&location)
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", offset)
        .header("content-type", "application/offset+octet-stream")
        .body(data[offset..].to_vec())
        .send()
        .await
        .expect("patch");
    assert_eq!(rest.status(), 204);
    let file = server.first_file(&http, &token).await;
    // Stored, and perhaps already through the media pipeline the server runs meanwhile.
    let status = file["status"].as_str();
    assert!(matches!(status, Some("stored" | "processing" | "ready")), "{status:?}");
    assert_eq!(file["sha256"], sha256_hex(&data).as_str());
}

/// Waits until `count()` reaches `target`. The suite runs many tests at once on a small
/// machine, so the only failure is a count that stops moving for 30 s (a lost letter, a
/// stuck sender), named with where it stopped; ten minutes at most in all.
async fn until_count(what: &str, target: usize, count: impl Fn() -> usize) {
    let start = std::time::Instant::now();
    let (mut last, mut moved) = (count(), std::time::Instant::now());
    while last < target {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let now = count();
        if now != last {
            (last, moved) = (now, std::time::Instant::now());
        }
        assert!(
            moved.elapsed() < std::time::Duration::from_secs(30)
                && start.elapsed() < std::time::Duration::from_secs(600),
            "waiting for {what}: stuck at {last} of {target}"
        );
    }
}

#[tokio::test]
async fn a_newsletter_killed_mid_send_never_sends_twice_names_what_the_kill_cut_and_keeps_its_pace() {
    const SUBSCRIBERS: usize = 2000;
    const PER_MINUTE: usize = 12_000;
    let dir = tempfile::tempdir().expect("dir");
    let mut cfg = Config::defaults_in(dir.path()).expect("defaults");
    let _resources = Backend::from_env().prepare(&mut cfg, dir.path()).await;
    let sink_dir = dir.path().join("sink");
    std::fs::create_dir_all(&sink_dir).expect("sink dir");
    let sink = crate::helpers::smtp::SmtpSink::start(&sink_dir);
    let mut env = env_for(&cfg);
    env.push(("RELAIS_MAIL__SMTP_URL".into(), format!("{}?tls=none", sink.url())));
    env.push(("RELAIS_NEWSLETTER__RATE_PER_MINUTE".into(), PER_MINUTE.to_string()));
    let migrated = relais(&env, &["migrate"]).output().expect("migrate");
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );

    // Subscribers and an issue on its way out, written as the API leaves them.
    let db = relais::db::Db::connect(&cfg.database).await.expect("connect");
    let mut tx = db.begin().await.expect("tx");
    for i in 0..SUBSCRIBERS {
        sqlx::query(
            "INSERT INTO newsletter_subscribers (id, email, locale, source, status, created_at, confirmed_at, \
             confirmed_from) VALUES ($1, $2, 'fr', 'site', 'confirmed', 0, 0, '127.0.0.1')",
        )
        .bind(format!("sub-{i:05}"))
        .bind(format!("abonne{i}@example.fr"))
        .execute(&mut *tx)
        .await
        .expect("subscriber");
    }
    tx.commit().await.expect("commit");
    let now = relais::clock::Clock::system().now();
    relais::db::newsletter::insert_issue(db.pool(), "issue-1", "Lettre d'hiver", "Bonjour.", None, now)
        .await
        .expect("issue");
    let mut tx = db.begin().await.expect("tx");
    assert!(
        relais::db::newsletter::start_sending(&mut *tx, "issue-1", now)
            .await
            .expect("start")
    );
    relais::jobs::enqueue(
        &mut *tx,
        relais::newsletter::fanout::KIND,
        &serde_json::json!({"issue_id": "issue-1"}),
        10,
        now,
    )
    .await
    .expect("job");
    tx.commit().await.expect("commit");

    let received = || {
        std::fs::read_dir(&sink_dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0)
    };
    let server = start(&env).await;
    until_count("a third of the letters", SUBSCRIBERS / 3, received).await;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill")
            .success()
    );
    drop(server);
    let at_kill = received();
    assert!(at_kill < SUBSCRIBERS, "killed mid-send ({at_kill} received)");

    let server = start(&env).await;
    // Every subscriber is accounted for: received, or named by the one record a kill can
    // leave (recorded as sent, killed before the dot, so delivered nowhere rather than twice).
    let recipient = |m: &String| {
        let to = m.lines().find(|l| l.starts_with("To:"))?[3..].trim();
        let address = to.rsplit_once('<').map_or(to, |(_, a)| a.trim_end_matches('>'));
        Some(address.to_owned())
    };
    let unconfirmed = || async {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT to_address FROM emails WHERE kind = 'newsletter' AND last_error = $1")
                .bind(relais::db::emails::UNCONFIRMED)
                .fetch_all(db.pool())
                .await
                .expect("unconfirmed");
        rows.into_iter()
            .map(|(a,)| a)
            .collect::<std::collections::BTreeSet<String>>()
    };
    let (mut last, mut moved) = (0, std::time::Instant::now());
    loop {
        let mut accounted: std::collections::BTreeSet<String> = sink.messages().iter().filter_map(recipient).collect();
        accounted.extend(unconfirmed().await);
        if accounted.len() == SUBSCRIBERS {
            break;
        }
        if accounted.len() != last {
            (last, moved) = (accounted.len(), std::time::Instant::now());
        }
        assert!(
            moved.elapsed() < std::time::Duration::from_secs(30),
            "waiting for every letter: stuck at {last} of {SUBSCRIBERS}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Stopped, nothing can arrive later: what the sink holds now is final.
    drop(server);
    let (pending,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM emails WHERE kind = 'newsletter' AND sent_at IS NULL")
            .fetch_one(db.pool())
            .await
            .expect("count");
    assert_eq!(pending, 0, "every message is recorded as sent, none is left to go");

    let messages = sink.messages();
    let mut recipients: Vec<String> = messages.iter().filter_map(recipient).collect();
    recipients.sort();
    let received = recipients.len();
    recipients.dedup();
    assert_eq!(recipients.len(), received, "none twice");
    let lost: Vec<String> = unconfirmed()
        .await
        .into_iter()
        .filter(|a| recipients.binary_search(a).is_err())
        .collect();
    // At most the messages in flight when the server was killed (four workers).
    assert!(lost.len() <= 4, "lost at the kill: {lost:?}");
    assert_eq!(received + lost.len(), SUBSCRIBERS);

    // The pace held: never more than a second's worth of letters in any second.
    let mut times: Vec<std::time::SystemTime> = std::fs::read_dir(&sink_dir)
        .expect("sink")
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok()?.modified().ok())
        .collect();
    times.sort();
    let per_second = PER_MINUTE / 60;
    let busiest = (0..times.len())
        .map(|i| {
            let end = times[i] + std::time::Duration::from_secs(1);
            times[i..].iter().take_while(|t| **t < end).count()
        })
        .max()
        .unwrap_or(0);
    assert!(
        busiest <= per_second + per_second / 10,
        "{busiest} letters in one second at {per_second} a second"
    );
}
