//! One SMTP conversation that records the sending at the last possible moment: after the
//! whole message has been written and before the final `.` that makes the server accept
//! it. Bulk mail uses it so that a crash never sends a message twice: until the dot the
//! server throws the message away when the connection drops, and once the sending is
//! recorded the message is never tried again.
//!
//! lettre's transport sends the dot itself, so the conversation is held here (TCP, TLS or
//! STARTTLS with rustls and the system's certificates, as lettre does), with lettre's
//! commands and response parser.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::commands::{Auth, Data, Ehlo, Mail, Quit, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter, ServerInfo};
use lettre::transport::smtp::response::Response;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};
use tokio::net::TcpStream;

use super::MailError;

/// Where and how to connect, parsed once from `mail.smtp_url`.
#[derive(Clone)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub credentials: Option<Credentials>,
}

/// How `smtp://` URLs secure the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `smtps://`: TLS from the first byte.
    Wrapper,
    /// `smtp://`: STARTTLS, refused if the server does not offer it.
    Required,
    /// `smtp://…?tls=opportunistic`, the default for a server on this machine (a local
    /// relay rarely has a certificate and the traffic never leaves the host).
    Opportunistic,
    /// `smtp://…?tls=none`: plain text, for test sinks.
    None,
}

/// What became of a message once the sending was recorded.
#[derive(Debug)]
pub enum Delivered {
    /// The server accepted it.
    Accepted,
    /// The server refused it after the dot: the record must be undone.
    Refused(MailError),
    /// The connection broke between the dot and the answer: the server may have it. The
    /// record stays (sending it again could make a second copy).
    Unknown(String),
}

const TIMEOUT: Duration = Duration::from_secs(30);
/// RFC 5321 §4.5.3.2.6: a server may take ten minutes to answer the final dot (content
/// scanning); an answer lost before then leaves the message's fate unknown.
const FINAL_REPLY: Duration = Duration::from_secs(600);
/// Longest response we read (a server's EHLO lists its extensions).
const MAX_RESPONSE: usize = 16 * 1024;

/// The connection, in clear or in TLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Wraps a TCP connection in TLS for `host`, checked against the system's certificates.
async fn tls(tcp: TcpStream, host: &str) -> Result<Stream, MailError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| MailError::Build(format!("TLS: {e}")))?
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| MailError::Build(format!("TLS for {host}: {e}")))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = tokio::time::timeout(TIMEOUT, connector.connect(name, tcp))
        .await
        .map_err(|_| MailError::Transient(format!("TLS with {host} timed out")))?
        .map_err(|e| MailError::Transient(format!("TLS with {host}: {e}")))?;
    Ok(Stream::Tls(Box::new(stream)))
}

struct Conversation {
    stream: BufReader<Stream>,
}

fn network(e: impl std::fmt::Display) -> MailError {
    MailError::Transient(format!("connection: {e}"))
}

/// A negative answer. Only what says the mailbox itself is refused (5xx to RCPT TO, or
/// an enhanced status 5.1.x or 5.2.x at the end of the message) refuses the address; any
/// other refusal (authentication, the sender's domain, the relay's policy) is the studio's
/// server or settings, tried again later and never held against subscribers.
fn refused(response: &Response, during: &str) -> MailError {
    let message = response.message().collect::<Vec<_>>().join(" ");
    let text = format!("{during}: {} {message}", response.code());
    let permanent = response.code().to_string().starts_with('5');
    let status = message.trim_start();
    let mailbox_status = status.starts_with("5.1.") || status.starts_with("5.2.");
    match (permanent, during) {
        (true, "RCPT TO") => MailError::MailboxRefused(text),
        (true, "end of DATA") if mailbox_status => MailError::MailboxRefused(text),
        _ => MailError::Transient(text),
    }
}

impl Conversation {
    async fn read(&mut self) -> Result<Response, MailError> {
        self.read_within(TIMEOUT).await
    }

    async fn read_within(&mut self, limit: Duration) -> Result<Response, MailError> {
        let mut text = String::new();
        loop {
            let before = text.len();
            let n = tokio::time::timeout(limit, self.stream.read_line(&mut text))
                .await
                .map_err(|_| MailError::Transient("the mail server stopped answering".into()))?
                .map_err(network)?;
            if n == 0 {
                return Err(MailError::Transient("the mail server closed the connection".into()));
            }
            if text.len() > MAX_RESPONSE {
                return Err(MailError::Transient("the mail server's answer is too long".into()));
            }
            // "250-…" continues, "250 …" (or a bare "250") ends the answer.
            let line = text[before..].trim_end();
            if line.len() <= 3 || line.as_bytes()[3] == b' ' {
                return text
                    .parse::<Response>()
                    .map_err(|e| MailError::Transient(format!("unreadable answer {text:?}: {e}")));
            }
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), MailError> {
        let stream = self.stream.get_mut();
        tokio::time::timeout(TIMEOUT, async {
            stream.write_all(bytes).await?;
            stream.flush().await
        })
        .await
        .map_err(|_| MailError::Transient("the mail server stopped reading".into()))?
        .map_err(network)
    }

    /// Sends a command and wants a positive answer.
    async fn command(&mut self, command: impl std::fmt::Display, during: &str) -> Result<Response, MailError> {
        self.write(command.to_string().as_bytes()).await?;
        let response = self.read().await?;
        if response.is_positive() {
            Ok(response)
        } else {
            Err(refused(&response, during))
        }
    }

    async fn hello(&mut self, client: &ClientId) -> Result<ServerInfo, MailError> {
        let response = self.command(Ehlo::new(client.clone()), "EHLO").await?;
        ServerInfo::from_response(&response).map_err(|e| MailError::Transient(format!("EHLO: {e}")))
    }
}

/// Dot-stuffing (RFC 5321 §4.5.2): a line that starts with "." gets a second one.
fn stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let mut line_start = true;
    for &b in message {
        if line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        line_start = b == b'\n';
    }
    out
}

/// Sends `message` to `envelope`'s recipients on a connection of its own. `record` runs
/// once the whole message is written and before the dot; if it fails, the connection is
/// dropped without the dot and nothing is delivered.
pub async fn send_recorded<F>(
    target: &SmtpTarget,
    client: &ClientId,
    envelope: &Envelope,
    message: &[u8],
    record: F,
) -> Result<Delivered, MailError>
where
    F: Future<Output = Result<(), String>>,
{
    let tcp = tokio::time::timeout(TIMEOUT, TcpStream::connect((target.host.as_str(), target.port)))
        .await
        .map_err(|_| MailError::Transient(format!("connecting to {} timed out", target.host)))?
        .map_err(network)?;
    let stream = match target.tls {
        TlsMode::Wrapper => tls(tcp, &target.host).await?,
        _ => Stream::Plain(tcp),
    };
    let mut talk = Conversation {
        stream: BufReader::new(stream),
    };
    let greeting = talk.read().await?;
    if !greeting.is_positive() {
        return Err(refused(&greeting, "greeting"));
    }
    let mut info = talk.hello(client).await?;
    let starttls = match target.tls {
        TlsMode::Required => true,
        TlsMode::Opportunistic => info.supports_feature(Extension::StartTls),
        TlsMode::Wrapper | TlsMode::None => false,
    };
    if starttls {
        if !info.supports_feature(Extension::StartTls) {
            return Err(MailError::Permanent(format!(
                "{} does not offer STARTTLS, which mail.smtp_url requires",
                target.host
            )));
        }
        talk.command("STARTTLS\r\n", "STARTTLS").await?;
        // Whatever the server sent after its answer, before TLS, is dropped with the
        // buffer: nothing said in clear may count as said in TLS.
        let Stream::Plain(tcp) = talk.stream.into_inner() else {
            return Err(MailError::Transient("STARTTLS on a connection already in TLS".into()));
        };
        talk = Conversation {
            stream: BufReader::new(tls(tcp, &target.host).await?),
        };
        info = talk.hello(client).await?;
    }
    if let Some(credentials) = &target.credentials {
        // A password never crosses the network in clear; on this machine it stays here.
        let loopback =
            target.host == "localhost" || target.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if !matches!(talk.stream.get_ref(), Stream::Tls(_)) && !loopback {
            return Err(MailError::Transient(format!(
                "{} offered no TLS: the SMTP password is not sent in clear",
                target.host
            )));
        }
        let mechanism = info
            .get_auth_mechanism(&[Mechanism::Plain, Mechanism::Login])
            .ok_or_else(|| MailError::Permanent("the mail server offers no AUTH PLAIN or LOGIN".into()))?;
        let mut auth = Auth::new(mechanism, credentials.clone(), None).map_err(|e| MailError::Build(e.to_string()))?;
        let mut response = talk.command(&auth, "AUTH").await?;
        // LOGIN asks for the name, then the password.
        let mut rounds = 0;
        while response.code().to_string() == "334" && rounds < 3 {
            auth = Auth::new_from_response(mechanism, credentials.clone(), &response)
                .map_err(|e| MailError::Permanent(format!("AUTH: {e}")))?;
            response = talk.command(&auth, "AUTH").await?;
            rounds += 1;
        }
    }
    let mut parameters = Vec::new();
    if !message.is_ascii() && info.supports_feature(Extension::EightBitMime) {
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let non_ascii = |a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii();
    if envelope.from().is_some_and(non_ascii) || envelope.to().iter().any(non_ascii) {
        if !info.supports_feature(Extension::SmtpUtfEight) {
            return Err(MailError::Build(format!(
                "{} does not take addresses with accents (no SMTPUTF8)",
                target.host
            )));
        }
        parameters.push(MailParameter::SmtpUtfEight);
    }
    talk.command(Mail::new(envelope.from().cloned(), parameters), "MAIL FROM")
        .await?;
    for to in envelope.to() {
        talk.command(Rcpt::new(to.clone(), Vec::new()), "RCPT TO").await?;
    }
    talk.command(Data, "DATA").await?;
    let mut body = stuffed(message);
    if !body.ends_with(b"\r\n") {
        body.extend_from_slice(b"\r\n");
    }
    talk.write(&body).await?;
    // Everything but the dot is with the server, which keeps nothing until the dot.
    record.await.map_err(MailError::Transient)?;
    if let Err(e) = talk.write(b".\r\n").await {
        return Ok(Delivered::Unknown(e.to_string()));
    }
    let answer = match talk.read_within(FINAL_REPLY).await {
        Ok(answer) => answer,
        Err(e) => return Ok(Delivered::Unknown(e.to_string())),
    };
    let _ = talk.command(Quit, "QUIT").await;
    Ok(if answer.is_positive() {
        Delivered::Accepted
    } else {
        Delivered::Refused(refused(&answer, "end of DATA"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_starting_with_a_dot_get_a_second_one() {
        assert_eq!(stuffed(b".a\r\nb\r\n.\r\nc.d"), b"..a\r\nb\r\n..\r\nc.d".to_vec());
    }
}
