use super::*;

fn load(env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::load(&Sources {
        env,
        ..Sources::default()
    })
}

fn problems(env: &[(&str, &str)]) -> Vec<Problem> {
    match load(env) {
        Err(ConfigError::Invalid(p)) => p,
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn empty_configuration_gives_the_embedded_defaults() {
    let cfg = load(&[]).expect("defaults are valid");
    assert_eq!(cfg.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(cfg.public_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(cfg.data_dir, PathBuf::from("./data"));
    assert_eq!(cfg.database.kind, DatabaseKind::Sqlite);
    assert_eq!(cfg.database.url.expose_secret(), "sqlite://./data/relais.db?mode=rwc");
    assert!(matches!(&cfg.storage, StorageConfig::Local { root } if root == Path::new("./data/objects")));
    assert_eq!(cfg.uploads.max_file_size.bytes(), 5 * ByteSize::GIB);
    assert!(matches!(&cfg.mail.transport, MailTransport::Outbox(dir) if dir == Path::new("./data/outbox")));
    assert_eq!(cfg.mail.from.to_string(), "Relais <no-reply@localhost>");
}

#[test]
fn every_problem_is_reported_at_once_with_key_value_and_expectation() {
    let found = problems(&[
        ("RELAIS_LISTEN", "not-an-address"),
        ("RELAIS_STORAGE__BACKEND", "ftp"),
        ("RELAIS_UPLOADS__MAX_FILE_SIZE", "huge"),
        ("RELAIS_LOG_FORMAT", "xml"),
    ]);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        ["listen", "storage.backend", "uploads.max_file_size", "log_format"]
    );
    let listen = found[0].to_string();
    assert!(
        listen.starts_with("listen (RELAIS_LISTEN): not a socket address"),
        "{listen}"
    );
    assert!(
        listen.contains("\"not-an-address\"") && listen.contains("expected host:port"),
        "{listen}"
    );
    assert!(found[1].message.contains("\"ftp\"") && found[1].message.contains("local or s3"));
}

#[test]
fn s3_without_bucket_or_keys_names_each_missing_key() {
    let found = problems(&[("RELAIS_STORAGE__BACKEND", "s3")]);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        ["storage.bucket", "storage.access_key_id", "storage.secret_access_key"]
    );
    assert!(found[0].message.contains("required when storage.backend is s3"));
}

#[test]
fn s3_configuration_is_complete_with_defaults_for_region_and_path_style() {
    let cfg = load(&[
        ("RELAIS_STORAGE__BACKEND", "s3"),
        ("RELAIS_STORAGE__BUCKET", "studio-files"),
        ("RELAIS_STORAGE__ENDPOINT", "http://127.0.0.1:9000"),
        ("RELAIS_STORAGE__ACCESS_KEY_ID", "key"),
        ("RELAIS_STORAGE__SECRET_ACCESS_KEY", "hunter2-secret"),
    ])
    .expect("valid");
    let StorageConfig::S3(s3) = &cfg.storage else {
        panic!("expected s3")
    };
    assert_eq!((s3.region.as_str(), s3.path_style), ("us-east-1", true));
    assert!(
        !format!("{cfg:?}").contains("hunter2-secret"),
        "secrets must not appear in Debug output"
    );
}

#[test]
fn secrets_can_come_from_a_file_but_not_from_both_places() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("secret");
    std::fs::write(&file, "from-file\n").expect("write");
    let file = file.display().to_string();
    let base = [
        ("RELAIS_STORAGE__BACKEND", "s3"),
        ("RELAIS_STORAGE__BUCKET", "studio-files"),
        ("RELAIS_STORAGE__ACCESS_KEY_ID", "key"),
    ];
    let mut env = base.to_vec();
    env.push(("RELAIS_STORAGE__SECRET_ACCESS_KEY_FILE", &file));
    let cfg = load(&env).expect("valid");
    let StorageConfig::S3(s3) = &cfg.storage else {
        panic!("expected s3")
    };
    assert_eq!(s3.secret_access_key, "from-file");

    env.push(("RELAIS_STORAGE__SECRET_ACCESS_KEY", "inline"));
    let found = problems(&env);
    assert!(
        found
            .iter()
            .any(|p| p.key == "storage.secret_access_key" && p.message.contains("both"))
    );

    let found = problems(&[("RELAIS_MAIL__SMTP_PASSWORD_FILE", "/nonexistent/pw")]);
    assert_eq!(found[0].key, "mail.smtp_password_file");
    assert!(found[0].message.contains("cannot read"));
}

#[test]
fn an_unknown_key_is_an_error_with_a_suggestion() {
    let found = problems(&[("RELAIS_STORAGE__BUKET", "x")]);
    assert_eq!(found[0].key, "storage.buket");
    assert!(
        found[0].message.contains("did you mean storage.bucket"),
        "{}",
        found[0].message
    );
}

#[test]
fn database_errors_never_show_the_password() {
    let found = problems(&[("RELAIS_DATABASE_URL", "mysql://root:sekrit@db/relais")]);
    assert_eq!(found[0].key, "database_url");
    assert!(!found[0].to_string().contains("sekrit"));
    assert!(found[0].message.contains("\"mysql\""));

    let cfg = load(&[(
        "RELAIS_DATABASE_URL",
        "postgres://relais:sekrit@db.internal:5432/relais",
    )])
    .expect("valid");
    assert_eq!(cfg.database.kind, DatabaseKind::Postgres);
    assert_eq!(
        cfg.database.redacted_url(),
        "postgres://relais:***@db.internal:5432/relais"
    );
}

#[test]
fn smtp_url_and_sender_are_validated() {
    let found = problems(&[
        ("RELAIS_MAIL__SMTP_URL", "http://mail.example.fr"),
        ("RELAIS_MAIL__FROM", "nobody"),
    ]);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["mail.from", "mail.smtp_url"]);
}

#[test]
fn file_values_of_any_type_are_read_as_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("relais.toml");
    std::fs::write(
        &file,
        "behind_proxy = true\n[jobs]\nconcurrency = 2\n[uploads]\nmax_file_size = \"10GiB\"\n",
    )
    .expect("write");
    let cfg = Config::load(&Sources {
        file: Some(file),
        ..Sources::default()
    })
    .expect("valid");
    assert!(cfg.behind_proxy);
    assert_eq!(cfg.jobs.concurrency, 2);
    assert_eq!(cfg.uploads.max_file_size.to_string(), "10 GiB");
}

#[test]
fn sqlite_paths_with_url_characters_are_encoded() {
    assert_eq!(
        sqlite_url(Path::new("/srv/my data/r?1.db")),
        "sqlite:///srv/my%20data/r%3F1.db?mode=rwc"
    );
}

#[test]
fn upload_part_size_and_expiry_are_bounded() {
    let cfg = load(&[
        ("RELAIS_UPLOADS__PART_SIZE", "32MiB"),
        ("RELAIS_UPLOADS__EXPIRE_AFTER", "2d"),
    ])
    .expect("valid");
    assert_eq!(cfg.uploads.part_size.bytes(), 32 * ByteSize::MIB);
    assert_eq!(cfg.uploads.expire_after.as_secs(), 2 * 86_400);
    let found = problems(&[
        ("RELAIS_UPLOADS__PART_SIZE", "1MiB"),
        ("RELAIS_UPLOADS__EXPIRE_AFTER", "soon"),
    ]);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["uploads.part_size", "uploads.expire_after"]);
    assert!(found[0].message.contains("5MiB"), "{}", found[0].message);
}

#[test]
fn cors_origins_are_a_list_of_bare_origins() {
    let cfg = load(&[(
        "RELAIS_CORS_ORIGINS",
        "https://studio.example.fr, http://localhost:5173",
    )])
    .expect("valid");
    assert_eq!(cfg.cors_origins, ["https://studio.example.fr", "http://localhost:5173"]);
    let found = problems(&[("RELAIS_CORS_ORIGINS", "https://studio.example.fr/upload")]);
    assert_eq!(found[0].key, "cors_origins");
    assert!(found[0].message.contains("not an origin"));
}

#[test]
fn the_largest_picture_decoded_is_set_in_megapixels_and_bounded() {
    assert_eq!(load(&[]).expect("defaults").media.max_pixels, 100_000_000);
    let cfg = load(&[("RELAIS_MEDIA__MAX_MEGAPIXELS", "250")]).expect("valid");
    assert_eq!(cfg.media.max_pixels, 250_000_000);
    let found = problems(&[("RELAIS_MEDIA__MAX_MEGAPIXELS", "0")]);
    assert_eq!(found[0].key, "media.max_megapixels");
}

#[test]
fn a_short_metrics_token_or_a_metrics_listener_on_the_main_address_is_named() {
    let found = problems(&[
        ("RELAIS_METRICS__TOKEN", "short-secret-value"),
        ("RELAIS_METRICS__LISTEN", "127.0.0.1:8080"),
    ]);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["metrics.token", "metrics.listen"]);
    assert!(found[0].message.contains("at least 24 characters"), "{}", found[0]);
    assert!(
        !found[0].to_string().contains("short-secret-value"),
        "never the secret itself"
    );
    assert!(found[1].message.contains("same address as listen"), "{}", found[1]);
}

#[test]
fn a_metrics_listener_open_to_the_world_needs_a_token() {
    let found = problems(&[("RELAIS_METRICS__LISTEN", "0.0.0.0:9464")]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "metrics.listen");
    assert!(found[0].message.contains("metrics.token"), "{}", found[0]);
    for nearby in ["127.0.0.1:9464", "10.0.0.5:9464", "[::1]:9464", "[fd00::5]:9464"] {
        assert!(load(&[("RELAIS_METRICS__LISTEN", nearby)]).is_ok(), "{nearby}");
    }
    assert!(
        load(&[
            ("RELAIS_METRICS__LISTEN", "0.0.0.0:9464"),
            ("RELAIS_METRICS__TOKEN", "a-long-enough-metrics-token-0123")
        ])
        .is_ok()
    );
}

#[test]
fn passwords_in_a_database_url_are_hidden_wherever_they_are() {
    let shown = redact_url("postgres://relais:hunter2@db:5432/relais?sslmode=require&password=s3cret&sslpassword=k3y");
    assert!(
        !shown.contains("hunter2") && !shown.contains("s3cret") && !shown.contains("k3y"),
        "{shown}"
    );
    assert!(
        shown.contains("sslmode=require") && shown.contains("relais:***@db"),
        "{shown}"
    );
}
