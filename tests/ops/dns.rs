//! `relais check` looks up the SPF, DKIM and DMARC records it asks for, on a real DNS
//! server (dnsmasq on loopback) serving a domain that has them right, one that has none
//! and one that has them wrong.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{Running, free_port, run};

/// The base64 public key of the PEM private key at `key` (what DKIM's `p=` holds).
fn public_key(key: &std::path::Path) -> String {
    let der = Command::new("openssl")
        .args(["rsa", "-pubout", "-outform", "DER", "-in"])
        .arg(key)
        .output()
        .expect("openssl");
    assert!(der.status.success());
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(der.stdout)
}

/// A TXT value as dnsmasq takes it: strings of at most 255 bytes, quoted.
fn txt(value: &str) -> String {
    value
        .as_bytes()
        .chunks(255)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
        .collect::<Vec<_>>()
        .join(",")
}

#[tokio::test]
async fn check_says_per_record_whether_it_is_published_and_matching_missing_or_different() {
    let dir = tempfile::tempdir().expect("dir");
    let key = dir.path().join("dkim.pem");
    run(Command::new("openssl").args(["genrsa", "-out"]).arg(&key).arg("2048"));
    let other = dir.path().join("other.pem");
    run(Command::new("openssl").args(["genrsa", "-out"]).arg(&other).arg("2048"));
    let (ours, theirs) = (public_key(&key), public_key(&other));

    let records = [
        ("good.test", "v=spf1 include:_spf.mailer.test mx ~all".to_owned()),
        ("relais._domainkey.good.test", format!("v=DKIM1; k=rsa; p={ours}")),
        (
            "_dmarc.good.test",
            "v=DMARC1; p=quarantine; rua=mailto:dmarc@good.test".to_owned(),
        ),
        ("wrong.test", "v=spf1 a:elsewhere.test -all".to_owned()),
        ("relais._domainkey.wrong.test", format!("v=DKIM1; k=rsa; p={theirs}")),
        ("_dmarc.wrong.test", "v=DMARC1; p=none".to_owned()),
        // Something else at the name of a missing record: still missing.
        ("missing.test", "google-site-verification=abc".to_owned()),
    ];
    let conf: String = records
        .iter()
        .map(|(name, value)| format!("txt-record={name},{}\n", txt(value)))
        .collect();
    std::fs::write(dir.path().join("dnsmasq.conf"), conf).expect("conf");
    let port = free_port();
    let mut cmd = Command::new("dnsmasq");
    cmd.arg("--keep-in-foreground")
        .arg(format!("--conf-file={}", dir.path().join("dnsmasq.conf").display()))
        .arg(format!("--port={port}"))
        .args([
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--local=/test/",
            "--pid-file=",
            "--log-queries",
        ]);
    let _dns = Running::start(cmd, &dir.path().join("dnsmasq.log"));
    let until = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "dnsmasq did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let check = |domain: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_relais"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RELAIS_DATA_DIR", dir.path().join(domain))
            .env("RELAIS_MAIL__FROM", format!("Studio <bonjour@{domain}>"))
            .env("RELAIS_MAIL__DKIM_KEY_FILE", &key)
            .env("RELAIS_MAIL__DNS_RESOLVER", format!("127.0.0.1:{port}"))
            .arg("check")
            .output()
            .expect("check");
        // DNS findings are warnings: mail still goes out, only worse.
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains(" dns "))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };

    let good = check("good.test");
    assert_eq!(
        good,
        [
            "OK    dns        SPF at good.test: published and matching",
            "OK    dns        DKIM at relais._domainkey.good.test: published and matching",
            "OK    dns        DMARC at _dmarc.good.test: published and matching",
        ],
        "{good:#?}"
    );

    let missing = check("missing.test");
    assert_eq!(missing.len(), 3, "{missing:#?}");
    assert!(missing[0].starts_with("WARN  dns        SPF at missing.test: missing; publish TXT \"v=spf1 mx ~all\""));
    assert!(missing[1].contains(&format!(
        "DKIM at relais._domainkey.missing.test: missing; publish TXT \"v=DKIM1; k=rsa; p={ours}\""
    )));
    assert!(missing[2].contains("DMARC at _dmarc.missing.test: missing; publish TXT \"v=DMARC1; p=quarantine"));

    let wrong = check("wrong.test");
    assert_eq!(wrong.len(), 3, "{wrong:#?}");
    assert!(
        wrong[0].starts_with("WARN  dns        SPF at wrong.test: different (it does not name mx)")
            && wrong[0].contains("published \"v=spf1 a:elsewhere.test -all\", expected \"v=spf1 mx ~all\""),
        "{}",
        wrong[0]
    );
    assert!(
        wrong[1].contains("DKIM at relais._domainkey.wrong.test: different (another public key"),
        "{}",
        wrong[1]
    );
    assert!(
        wrong[1].contains(&theirs) && wrong[1].contains(&ours),
        "both keys are shown"
    );
    assert!(
        wrong[2].contains("DMARC at _dmarc.wrong.test: different") && wrong[2].contains("p=none"),
        "{}",
        wrong[2]
    );
}
