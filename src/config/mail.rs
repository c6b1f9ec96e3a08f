//! The `mail.*` keys: the sender, the SMTP server (or the outbox directory), DKIM signing
//! and the DNS resolver that checks it.

use std::path::Path;

use lettre::message::Mailbox;
use secrecy::ExposeSecret;
use url::Url;

use super::reader::Reader;
use super::{DkimConfig, MailConfig, MailTransport, SmtpConfig};

pub(super) fn read(r: &mut Reader, data_dir: &Path) -> Option<MailConfig> {
    let from = r
        .parse(
            "mail.from",
            "a sender such as \"Studio Lumière <contact@studio.fr>\"",
            |s| s.parse::<Mailbox>().map_err(|e| format!("not a mailbox: {e}")),
        )
        .or_else(|| "Relais <no-reply@localhost>".parse().ok());
    let username = r.text("mail.smtp_username").filter(|s| !s.is_empty());
    let password = r.secret("mail.smtp_password");
    let transport = match r.secret("mail.smtp_url") {
        None => Some(MailTransport::Outbox(data_dir.join("outbox"))),
        Some(url) => {
            match Url::parse(url.expose_secret()) {
                Ok(u) if matches!(u.scheme(), "smtp" | "smtps") && u.host().is_some() => {
                    Some(MailTransport::Smtp(SmtpConfig {
                        url,
                        username,
                        password,
                    }))
                }
                _ => {
                    r.problem("mail.smtp_url", "not an SMTP URL (expected smtp://user:password@host:587 for STARTTLS or smtps://host:465 for TLS)");
                    None
                }
            }
        }
    };
    let selector = r
        .parse("mail.dkim_selector", "a DNS label such as relais2026", |s| {
            let ok = !s.is_empty()
                && s.len() <= 63
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !s.starts_with('-');
            if ok {
                Ok(s.to_ascii_lowercase())
            } else {
                Err("not a DNS label".into())
            }
        })
        .unwrap_or_else(|| "relais".into());
    let dkim = match r.secret("mail.dkim_key") {
        None => Some(None),
        Some(pem) => match crate::mail::dkim::DkimKey::from_pem(pem.expose_secret()) {
            Ok(key) => Some(Some(DkimConfig { selector, key })),
            Err(e) => {
                r.problem(
                    "mail.dkim_key",
                    format!("{e} (expected an RSA private key in PEM, e.g. from `openssl genrsa -out dkim.pem 2048`, given in mail.dkim_key_file)"),
                );
                None
            }
        },
    };
    let dns_resolver = r.parse(
        "mail.dns_resolver",
        "host:port of a DNS resolver, e.g. 1.1.1.1:53",
        |s| {
            s.parse::<std::net::SocketAddr>()
                .map_err(|_| "not a socket address".into())
        },
    );
    Some(MailConfig {
        from: from?,
        transport: transport?,
        dkim: dkim?,
        dns_resolver,
    })
}
