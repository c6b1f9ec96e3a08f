use reqwest::Method;

use crate::helpers::{Answer, spawn_app, spawn_app_with};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_client_logs_in_and_out_with_a_session_cookie() {
    let app = spawn_app().await;
    app.create_active_client("anne@example.fr", PASSWORD).await;

    let login = app.login("Anne@Example.fr", PASSWORD, None).await;
    assert_eq!(login.status, 201, "{:?}", login.body);
    let cookie = login.header("set-cookie").expect("session cookie");
    assert!(cookie.starts_with("relais_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http must not set Secure: {cookie}");
    assert_eq!(login.body["user"]["email"], "anne@example.fr");
    assert_eq!(login.body["user"]["role"], "client");

    let me = Answer::of(app.request(Method::GET, "/api/v1/me").send().await.expect("request")).await;
    assert_eq!((me.status, me.body["email"].as_str()), (200, Some("anne@example.fr")));

    let out = app
        .request(Method::DELETE, "/api/v1/session")
        .send()
        .await
        .expect("request");
    assert_eq!(out.status(), 204);
    let me = Answer::of(app.request(Method::GET, "/api/v1/me").send().await.expect("request")).await;
    assert_eq!((me.status, me.code()), (401, "authentication_required"));
}

#[tokio::test]
async fn unknown_address_wrong_password_and_unfinished_invitation_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_active_client("anne@example.fr", PASSWORD).await;
    app.create_client("invited@example.fr", "Not Yet").await;

    let unknown = app.login("nobody@example.fr", PASSWORD, None).await;
    let wrong = app.login("anne@example.fr", "wrong password!", None).await;
    let invited = app.login("invited@example.fr", PASSWORD, None).await;
    let malformed = app.login("not-an-address", PASSWORD, None).await;
    for answer in [&unknown, &wrong, &invited, &malformed] {
        assert_eq!((answer.status, answer.code()), (401, "invalid_credentials"));
        assert!(answer.header("set-cookie").is_none());
    }
    assert_eq!(unknown.body, wrong.body);
    assert_eq!(unknown.body, invited.body);
}

#[tokio::test]
async fn logging_in_again_gives_a_new_session_id_and_ends_the_old_one() {
    let app = spawn_app().await;
    app.create_active_client("anne@example.fr", PASSWORD).await;
    let first = app.login("anne@example.fr", PASSWORD, None).await;
    let first_cookie = first
        .header("set-cookie")
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let second = app.login("anne@example.fr", PASSWORD, None).await;
    let second_cookie = second
        .header("set-cookie")
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    assert_ne!(first_cookie, second_cookie);

    let stale = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", &first_cookie)
        .send()
        .await
        .expect("request");
    assert_eq!(
        stale.status(),
        401,
        "the session from before the second login must be gone"
    );
    let fresh = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", &second_cookie)
        .send()
        .await
        .expect("request");
    assert_eq!(fresh.status(), 200);
}

#[tokio::test]
async fn a_state_changing_request_with_a_cookie_needs_the_csrf_token() {
    let app = spawn_app().await;
    app.create_active_client("anne@example.fr", PASSWORD).await;
    assert_eq!(app.login("anne@example.fr", PASSWORD, None).await.status, 201);
    app.forget_csrf();
    let answer = Answer::of(
        app.request(Method::DELETE, "/api/v1/session")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!((answer.status, answer.code()), (403, "csrf_failed"));
    let wrong = app
        .request(Method::DELETE, "/api/v1/session")
        .header("x-csrf-token", "guess")
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), 403);
    // Reads do not need it, and the session is still alive.
    assert_eq!(
        app.request(Method::GET, "/api/v1/me")
            .send()
            .await
            .expect("request")
            .status(),
        200
    );
}

#[tokio::test]
async fn the_cookie_is_secure_when_relais_is_served_over_https() {
    let app = spawn_app_with(|cfg| cfg.public_url = "https://transfert.example.fr".parse().expect("url")).await;
    app.create_active_client("anne@example.fr", PASSWORD).await;
    let login = app.login("anne@example.fr", PASSWORD, None).await;
    assert!(login.header("set-cookie").expect("cookie").contains("; Secure"));
    let hsts = app.http.get(app.url("/healthz")).send().await.expect("request");
    assert!(hsts.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn a_studio_account_without_its_totp_code_gets_no_session() {
    let app = spawn_app().await;
    let (_, secret) = app.create_studio("studio@example.fr", PASSWORD).await;

    let without = app.login("studio@example.fr", PASSWORD, None).await;
    assert_eq!((without.status, without.code()), (401, "totp_required"));
    assert!(without.header("set-cookie").is_none());

    let wrong_code = if app.totp_code(&secret, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let wrong = app.login("studio@example.fr", PASSWORD, Some(wrong_code)).await;
    assert_eq!((wrong.status, wrong.code()), (401, "totp_invalid"));
    assert!(wrong.header("set-cookie").is_none());

    // A right code with a wrong password reveals nothing either.
    let code = app.totp_code(&secret, 0);
    let bad_password = app.login("studio@example.fr", "wrong password!", Some(&code)).await;
    assert_eq!(bad_password.code(), "invalid_credentials");
}

#[tokio::test]
async fn a_studio_account_logs_in_with_its_code_and_the_code_cannot_be_replayed() {
    let app = spawn_app().await;
    let (_, secret) = app.create_studio("studio@example.fr", PASSWORD).await;
    let code = app.totp_code(&secret, 0);

    let first = app.login("studio@example.fr", PASSWORD, Some(&code)).await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    assert_eq!(first.body["user"]["role"], "studio");
    assert_eq!(
        first.body["user"]["totp_enabled"], true,
        "the first code confirms the enrolment"
    );

    let replay = app.login("studio@example.fr", PASSWORD, Some(&code)).await;
    assert_eq!((replay.status, replay.code()), (401, "totp_invalid"));

    // An older code, from before the one used, is refused too.
    let older = app.totp_code(&secret, -1);
    assert_eq!(
        app.login("studio@example.fr", PASSWORD, Some(&older)).await.code(),
        "totp_invalid"
    );

    // The next step's code works.
    app.clock().advance(std::time::Duration::from_secs(30));
    let next = app.totp_code(&secret, 0);
    assert_eq!(app.login("studio@example.fr", PASSWORD, Some(&next)).await.status, 201);
}

#[tokio::test]
async fn a_recovery_code_replaces_the_phone_once() {
    let app = spawn_app().await;
    let (account, _) = app.create_studio("studio@example.fr", PASSWORD).await;
    let code = account.recovery_codes[3].to_uppercase();
    assert_eq!(app.login("studio@example.fr", PASSWORD, Some(&code)).await.status, 201);
    assert_eq!(
        app.login("studio@example.fr", PASSWORD, Some(&code)).await.code(),
        "totp_invalid"
    );
}

#[tokio::test]
async fn login_attempts_on_one_account_are_rate_limited_with_retry_after() {
    let app = spawn_app().await;
    app.create_active_client("anne@example.fr", PASSWORD).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.login("anne@example.fr", "wrong password!", None).await);
    }
    assert!(statuses[..5].iter().all(|a| a.status == 401));
    let limited = &statuses[5];
    assert_eq!((limited.status, limited.code()), (429, "rate_limited"));
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    // Even the right password waits: a guesser cannot tell it found it.
    assert_eq!(app.login("anne@example.fr", PASSWORD, None).await.status, 429);
}

#[tokio::test]
async fn a_strangers_wrong_passwords_never_lock_the_owner_out() {
    // Two addresses, as a reverse proxy reports them.
    let app = spawn_app_with(|cfg| cfg.behind_proxy = true).await;
    app.create_active_client("anne@example.fr", PASSWORD).await;
    let (studio, secret) = app.create_studio("studio@example.fr", PASSWORD).await;
    let login_from = |address: &'static str, email: &'static str, password: &'static str, totp: Option<String>| {
        let app = &app;
        async move {
            let mut body = serde_json::json!({"email": email, "password": password});
            if let Some(code) = totp {
                body["totp"] = code.into();
            }
            Answer::of(
                app.http
                    .post(app.url("/api/v1/session"))
                    .header("x-forwarded-for", address)
                    .json(&body)
                    .send()
                    .await
                    .expect("request"),
            )
            .await
        }
    };
    for account in ["anne@example.fr", "studio@example.fr"] {
        let mut statuses = Vec::new();
        for _ in 0..8 {
            statuses.push(login_from("203.0.113.5", account, "a wrong guess!!", None).await.status);
        }
        assert_eq!(statuses[..5], [401; 5], "{account}: {statuses:?}");
        assert!(statuses[5..].iter().all(|s| *s == 429), "{account}: {statuses:?}");
    }
    // The owners, from their own addresses, get in at once.
    assert_eq!(
        login_from("198.51.100.7", "anne@example.fr", PASSWORD, None)
            .await
            .status,
        201
    );
    let code = app.totp_code(&secret, 0);
    let studio_in = login_from("198.51.100.8", "studio@example.fr", PASSWORD, Some(code)).await;
    assert_eq!(studio_in.status, 201, "{:?} {}", studio_in.body, studio.user.email);
    // The guessing address still waits, even with the right password: it cannot tell.
    assert_eq!(
        login_from("203.0.113.5", "anne@example.fr", PASSWORD, None)
            .await
            .status,
        429
    );
}

#[tokio::test]
async fn login_attempts_from_one_address_are_rate_limited() {
    let app = spawn_app().await;
    let mut last = None;
    for i in 0..25 {
        let answer = app
            .login(&format!("guess{i}@example.fr"), "whatever password", None)
            .await;
        if answer.status == 429 {
            last = Some(answer);
            break;
        }
        assert_eq!(answer.status, 401);
    }
    let limited = last.expect("the address is limited before 25 attempts");
    assert!(limited.header("retry-after").is_some());
    assert_eq!(limited.header("content-type"), Some("application/problem+json"));
}

#[tokio::test]
async fn a_malformed_login_body_gets_a_clear_4xx() {
    let app = spawn_app().await;
    let bad_json = app
        .http
        .post(app.url("/api/v1/session"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("request");
    assert_eq!(Answer::of(bad_json).await.code(), "invalid_json");
    let missing = app
        .http
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"email": "a@b.fr"}))
        .send()
        .await
        .expect("request");
    let missing = Answer::of(missing).await;
    assert_eq!((missing.status, missing.code()), (400, "invalid_body"));
    let form = app
        .http
        .post(app.url("/api/v1/session"))
        .body("email=a")
        .send()
        .await
        .expect("request");
    assert_eq!(Answer::of(form).await.code(), "unsupported_media_type");
    let huge = app
        .http
        .post(app.url("/api/v1/session"))
        .header("content-type", "application/json")
        .body(vec![b' '; 200_000])
        .send()
        .await;
    if let Ok(huge) = huge {
        assert_eq!(huge.status(), 413);
    }
}
