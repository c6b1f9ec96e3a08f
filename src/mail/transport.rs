//! Delivery: `.eml` files in the outbox directory by default, SMTP when configured.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use url::Url;

use super::dialog::{Delivered, SmtpTarget, TlsMode, send_recorded};
use crate::config::{MailConfig, MailTransport, SmtpConfig};
use crate::db::emails::OutgoingEmail;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("cannot build the message: {0}")]
    Build(String),
    /// The server refused for good (unknown recipient, message rejected).
    #[error("the mail server refused the message: {0}")]
    Permanent(String),
    /// The receiving server said this mailbox does not exist or takes nothing (a 5xx to
    /// RCPT TO, or a mailbox status 5.1.x / 5.2.x at the end of the message): the address
    /// itself is refused, not the studio's server or settings.
    #[error("the mail server refused the address: {0}")]
    MailboxRefused(String),
    /// The server is unreachable or answered "try later".
    #[error("the mail server is unavailable: {0}")]
    Transient(String),
}

enum Transport {
    Outbox(PathBuf),
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The same server, for conversations held by `dialog` (bulk mail).
        target: SmtpTarget,
        described: String,
    },
}

pub struct Mailer {
    from: Mailbox,
    /// Message-IDs are made on the sender's domain, as receiving servers expect.
    domain: String,
    transport: Transport,
    /// Signs every message for the sender's domain, when a key is configured.
    dkim: Option<lettre::message::dkim::DkimConfig>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("transport", &self.describe())
            .finish()
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) || host == "[::1]"
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn smtp_target(cfg: &SmtpConfig) -> Result<SmtpTarget, MailError> {
    let url = Url::parse(cfg.url.expose_secret()).map_err(|e| MailError::Build(format!("mail.smtp_url: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| MailError::Build("mail.smtp_url has no host".into()))?
        .to_owned();
    let tls_param = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
    let tls = match (url.scheme(), tls_param.as_deref()) {
        ("smtps", _) => TlsMode::Wrapper,
        (_, Some("none")) => TlsMode::None,
        (_, Some("opportunistic")) => TlsMode::Opportunistic,
        (_, Some("required")) => TlsMode::Required,
        _ if is_loopback(&host) => TlsMode::Opportunistic,
        _ => TlsMode::Required,
    };
    let port = url.port().unwrap_or(if tls == TlsMode::Wrapper { 465 } else { 587 });
    // Credentials: the separate keys win over the ones written in the URL.
    let username = cfg
        .username
        .clone()
        .or_else(|| (!url.username().is_empty()).then(|| decode(url.username())));
    let password = cfg
        .password
        .as_ref()
        .map(|p| p.expose_secret().to_owned())
        .or_else(|| url.password().map(decode));
    let credentials = username.map(|user| Credentials::new(user, password.unwrap_or_default()));
    Ok(SmtpTarget {
        host,
        port,
        tls,
        credentials,
    })
}

fn smtp_transport(target: &SmtpTarget) -> Result<(AsyncSmtpTransport<Tokio1Executor>, String), MailError> {
    let host = &target.host;
    let build_err = |e: lettre::transport::smtp::Error| MailError::Build(format!("SMTP settings for {host}: {e}"));
    let builder = match target.tls {
        TlsMode::Wrapper => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(build_err)?,
        TlsMode::Required => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(build_err)?,
        TlsMode::Opportunistic => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .tls(Tls::Opportunistic(TlsParameters::new(host.clone()).map_err(build_err)?)),
        TlsMode::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
    };
    let mut builder = builder.port(target.port).timeout(Some(Duration::from_secs(30)));
    if let Some(credentials) = &target.credentials {
        builder = builder.credentials(credentials.clone());
    }
    let described = format!("SMTP {host}:{} ({:?} TLS)", target.port, target.tls);
    Ok((builder.build(), described))
}

impl Mailer {
    pub fn new(cfg: &MailConfig) -> Result<Self, MailError> {
        let transport = match &cfg.transport {
            MailTransport::Outbox(dir) => Transport::Outbox(dir.clone()),
            MailTransport::Smtp(smtp) => {
                let target = smtp_target(smtp)?;
                let (transport, described) = smtp_transport(&target)?;
                Transport::Smtp {
                    transport,
                    target,
                    described,
                }
            }
        };
        let domain = cfg.from.email.domain().to_owned();
        let dkim = match &cfg.dkim {
            Some(d) => Some(d.key.signer(&d.selector, &domain).map_err(MailError::Build)?),
            None => None,
        };
        Ok(Self {
            from: cfg.from.clone(),
            domain,
            transport,
            dkim,
        })
    }

    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Outbox(dir) => format!("outbox directory {}", dir.display()),
            Transport::Smtp { described, .. } => described.clone(),
        }
    }

    pub fn new_message_id(&self) -> String {
        format!("<{}@{}>", uuid::Uuid::new_v4().simple(), self.domain)
    }

    /// The message as sent: from `sender` (the studio's name) at `mail.from`'s address.
    fn build(&self, email: &OutgoingEmail, sender: &str) -> Result<Message, MailError> {
        let address = email
            .to_address
            .parse()
            .map_err(|e| MailError::Build(format!("recipient {}: {e}", email.to_address)))?;
        let to = Mailbox::new(email.to_name.clone(), address);
        let mut builder = Message::builder()
            .from(Mailbox::new(Some(sender.to_owned()), self.from.email.clone()))
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(email.message_id.clone()));
        if let Some(url) = &email.list_unsubscribe {
            // RFC 2369 and RFC 8058: the https URL takes a POST with no session (one
            // click in the mailbox's interface); the mailto reaches the studio's mailbox.
            let mailto = format!("mailto:{}?subject=unsubscribe", self.from.email);
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>, <{mailto}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let body = MultiPart::alternative_plain_html(email.text_body.clone(), email.html_body.clone());
        let body = match &email.calendar {
            // The event as a file the reader's calendar opens.
            Some(ics) => MultiPart::mixed().multipart(body).singlepart(
                Attachment::new("rendez-vous.ics".to_owned()).body(
                    ics.clone(),
                    ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                        .map_err(|e| MailError::Build(e.to_string()))?,
                ),
            ),
            None => body,
        };
        let mut message = builder.multipart(body).map_err(|e| MailError::Build(e.to_string()))?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }

    /// Whether messages are DKIM-signed.
    pub fn signs(&self) -> bool {
        self.dkim.is_some()
    }

    pub async fn send(&self, email: &OutgoingEmail, sender: &str) -> Result<(), MailError> {
        let message = self.build(email, sender)?;
        match &self.transport {
            Transport::Outbox(dir) => write_eml(dir, &email.id, &message.formatted()).await,
            Transport::Smtp { transport, .. } => match transport.send(message).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
                Err(e) => Err(MailError::Transient(describe_smtp_error(&e))),
            },
        }
    }

    /// Sends `email` and runs `record` at the one moment after which a crash must not
    /// send it again: for SMTP, once the whole message is with the server but before the
    /// final dot (see `dialog`); for the outbox directory, after the file is written (a
    /// second write replaces the same file).
    pub async fn send_recorded<F>(&self, email: &OutgoingEmail, sender: &str, record: F) -> Result<Delivered, MailError>
    where
        F: std::future::Future<Output = Result<(), String>>,
    {
        let message = self.build(email, sender)?;
        match &self.transport {
            Transport::Outbox(dir) => {
                write_eml(dir, &email.id, &message.formatted()).await?;
                record.await.map_err(MailError::Transient)?;
                Ok(Delivered::Accepted)
            }
            Transport::Smtp { target, .. } => {
                let client = ClientId::Domain(self.domain.clone());
                send_recorded(target, &client, message.envelope(), &message.formatted(), record).await
            }
        }
    }

    /// Connects (and authenticates) without sending anything, for `relais check`.
    pub async fn test_connection(&self) -> Result<String, MailError> {
        match &self.transport {
            Transport::Outbox(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| MailError::Transient(format!("{}: {e}", dir.display())))?;
                Ok(format!(
                    "emails are written to {} (set mail.smtp_url to send them)",
                    dir.display()
                ))
            }
            Transport::Smtp {
                transport, described, ..
            } => match transport.test_connection().await {
                Ok(true) => Ok(format!("{described} accepted the connection")),
                Ok(false) => Err(MailError::Transient(format!(
                    "{described} did not accept the connection"
                ))),
                Err(e) => Err(MailError::Transient(format!(
                    "{described}: {}",
                    describe_smtp_error(&e)
                ))),
            },
        }
    }
}

fn describe_smtp_error(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Writes the message as `<id>.eml`, atomically: a reader never sees half a message, and a
/// retry rewrites the same file rather than adding a second copy.
async fn write_eml(dir: &std::path::Path, id: &str, bytes: &[u8]) -> Result<(), MailError> {
    let fail = |e: std::io::Error| MailError::Transient(format!("outbox {}: {e}", dir.display()));
    tokio::fs::create_dir_all(dir).await.map_err(fail)?;
    let temp = dir.join(format!(".{id}.tmp"));
    tokio::fs::write(&temp, bytes).await.map_err(fail)?;
    tokio::fs::rename(&temp, dir.join(format!("{id}.eml")))
        .await
        .map_err(fail)
}
