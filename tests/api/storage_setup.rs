//! `relais storage setup` and what `relais check` says about the bucket afterwards.

use crate::helpers::backend;
use crate::helpers::binary;
use crate::helpers::moto::MotoServer;

fn relais(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String) {
    let output = binary::relais(Some(dir), env.iter().copied(), args)
        .output()
        .expect("relais runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), all)
}

fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{out}"))
}

#[tokio::test]
async fn setup_creates_the_bucket_with_cors_for_browsers_and_a_lifecycle_rule() {
    let moto = MotoServer::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let env = [
        ("RELAIS_PUBLIC_URL", "https://transfert.example.fr"),
        ("RELAIS_STORAGE__BACKEND", "s3"),
        ("RELAIS_STORAGE__ENDPOINT", moto.endpoint.as_str()),
        ("RELAIS_STORAGE__BUCKET", "studio-files"),
        ("RELAIS_STORAGE__ACCESS_KEY_ID", "moto"),
        ("RELAIS_STORAGE__SECRET_ACCESS_KEY", "moto-secret"),
    ];
    // Nothing runs on this test's runtime meanwhile, so blocking on the child is fine.
    let (code, out) = relais(dir.path(), &env, &["storage", "setup"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(line(&out, "OK    bucket").contains("created"), "{out}");
    assert!(
        line(&out, "OK    cors").contains("https://transfert.example.fr") && out.contains("exposes ETag"),
        "{out}"
    );
    assert!(line(&out, "OK    lifecycle").contains("7 days"), "{out}");

    let (code, again) = relais(dir.path(), &env, &["storage", "setup"]);
    assert_eq!(code, Some(0), "setup can run again: {again}");
    assert!(line(&again, "OK    bucket").contains("already exists"), "{again}");

    let (code, check) = relais(dir.path(), &env, &["check"]);
    assert!(
        line(&check, "OK    storage").contains("write, read and delete work"),
        "{check}"
    );
    assert!(line(&check, "OK    cors").contains("ETag"), "{check}");
    assert!(
        line(&check, "OK    lifecycle").contains("aborts unfinished multipart uploads"),
        "{check}"
    );
    assert_ne!(code, Some(2), "{check}");
}

#[tokio::test]
async fn setup_warns_but_succeeds_on_a_server_without_cors_support() {
    let s3 = backend::s3_settings(&format!("t-{}", uuid::Uuid::new_v4().simple()));
    let endpoint = s3.endpoint.as_ref().map(|u| u.to_string()).expect("endpoint");
    let dir = tempfile::tempdir().expect("dir");
    let env = [
        ("RELAIS_STORAGE__BACKEND", "s3"),
        ("RELAIS_STORAGE__ENDPOINT", endpoint.as_str()),
        ("RELAIS_STORAGE__BUCKET", s3.bucket.as_str()),
        ("RELAIS_STORAGE__ACCESS_KEY_ID", s3.access_key_id.as_str()),
        ("RELAIS_STORAGE__SECRET_ACCESS_KEY", s3.secret_access_key.as_str()),
    ];
    let (code, out) = relais(dir.path(), &env, &["storage", "setup"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(line(&out, "OK    bucket").contains("created"), "{out}");
    assert!(line(&out, "WARN  cors").contains("does not support CORS"), "{out}");

    // Without CORS, direct-to-bucket uploads cannot work: check says so and fails.
    let mut direct = env.to_vec();
    direct.push(("RELAIS_UPLOADS__DIRECT_TO_BUCKET", "true"));
    let (code, check) = relais(dir.path(), &direct, &["check"]);
    assert_eq!(code, Some(1), "{check}");
    assert!(
        line(&check, "FAIL  cors").contains("uploads.direct_to_bucket"),
        "{check}"
    );
}

#[test]
fn setup_on_the_local_backend_has_nothing_to_do() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, out) = relais(dir.path(), &[], &["storage", "setup"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("nothing to set up"), "{out}");
}
