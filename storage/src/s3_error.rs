//! What an S3 service answered when it refused a request: the HTTP status and the `<Code>`
//! and `<Message>` of its XML body, read with an XML parser, then one `BlobError` chosen
//! from the code (the status where the body says nothing).

use serde::Deserialize;

use crate::error::BlobError;

/// The body S3 services send with an error status.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(rename = "Code", default)]
    code: Option<String>,
    #[serde(rename = "Message", default)]
    message: Option<String>,
}

/// A refusal as the service gave it.
#[derive(Debug)]
pub(crate) struct Refusal {
    status: Option<u16>,
    code: Option<String>,
    message: Option<String>,
    /// The body itself, when it is not an S3 error document (a proxy's page).
    other: Option<String>,
}

impl Refusal {
    pub(crate) fn parse(status: Option<u16>, body: &str) -> Self {
        let trimmed = body.trim();
        match quick_xml::de::from_str::<ErrorBody>(trimmed) {
            Ok(b) if b.code.is_some() => Self {
                status,
                code: b.code,
                message: b.message,
                other: None,
            },
            _ => Self {
                status,
                code: None,
                message: None,
                other: (!trimmed.is_empty()).then(|| trimmed.chars().take(300).collect()),
            },
        }
    }

    /// What a person needs to read: "Code: Message", else the status and the body's start.
    pub(crate) fn summary(&self) -> String {
        match (&self.code, &self.message, &self.other) {
            (Some(code), Some(message), _) => format!("{code}: {message}"),
            (Some(code), None, _) => code.clone(),
            (None, _, Some(other)) => match self.status {
                Some(status) => format!("HTTP {status}: {other}"),
                None => other.clone(),
            },
            (None, _, None) => self
                .status
                .map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}")),
        }
    }

    pub(crate) fn into_error(self) -> BlobError {
        let summary = self.summary();
        match (self.code.as_deref(), self.status) {
            (Some("NoSuchBucket"), _) => BlobError::NoSuchBucket { bucket: String::new() },
            (Some("NoSuchUpload"), _) => BlobError::NoSuchUpload(summary),
            (
                Some(
                    "SignatureDoesNotMatch"
                    | "InvalidAccessKeyId"
                    | "AccessDenied"
                    | "InvalidToken"
                    | "ExpiredToken"
                    | "RequestTimeTooSkewed",
                ),
                _,
            )
            | (None, Some(401 | 403)) => BlobError::Unauthorized { detail: summary },
            _ => BlobError::Backend(summary),
        }
    }
}

/// Reads object_store's error by its types: the variants it derives from the status
/// (missing, exists, refused), then, for the generic one, the kind of transport failure in
/// its sources. object_store keeps the service's other answers (a 400, a 5xx) behind a
/// private type: they are backend errors, worded from the S3 document inside them.
pub(crate) fn from_object_store(err: object_store::Error) -> BlobError {
    use object_store::Error as E;
    match err {
        E::NotFound { path, .. } => BlobError::NotFound { key: path },
        E::AlreadyExists { path, .. } => BlobError::AlreadyExists { key: path },
        E::NotSupported { .. } | E::NotImplemented { .. } => BlobError::NotSupported("this operation"),
        E::PermissionDenied { source, .. } | E::Unauthenticated { source, .. } => BlobError::Unauthorized {
            detail: readable(&source.to_string()),
        },
        E::Generic { source, .. } => {
            transport_failure(source.as_ref()).unwrap_or_else(|| BlobError::Backend(readable(&source.to_string())))
        }
        other => BlobError::Backend(readable(&other.to_string())),
    }
}

/// A connection that failed, timed out or was cut, found among the error's sources.
fn transport_failure(first: &(dyn std::error::Error + Send + Sync + 'static)) -> Option<BlobError> {
    use object_store::client::{HttpError, HttpErrorKind};
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(first);
    while let Some(e) = source {
        if let Some(http) = e.downcast_ref::<HttpError>() {
            return match http.kind() {
                HttpErrorKind::Connect
                | HttpErrorKind::Request
                | HttpErrorKind::Timeout
                | HttpErrorKind::Interrupted => Some(BlobError::Unreachable {
                    detail: with_sources(http),
                }),
                _ => None,
            };
        }
        source = e.source();
    }
    None
}

/// An error and what caused it, "error sending request: … Connection refused".
fn with_sources(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// An error's text for a person: the S3 document's code and message when it carries one.
fn readable(text: &str) -> String {
    text.find("<Error>")
        .map(|start| Refusal::parse(None, &text[start..]))
        .filter(|r| r.code.is_some())
        .map_or_else(|| text.chars().take(300).collect(), |r| r.summary())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_of_an_s3_answer_chooses_the_error_and_its_words_are_kept() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message><RequestId>x</RequestId></Error>";
        let refusal = Refusal::parse(Some(403), xml);
        assert_eq!(
            refusal.summary(),
            "SignatureDoesNotMatch: The request signature we calculated does not match"
        );
        assert!(matches!(refusal.into_error(), BlobError::Unauthorized { .. }));
        let gone = "<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>";
        assert!(matches!(
            Refusal::parse(Some(404), gone).into_error(),
            BlobError::NoSuchUpload(_)
        ));
        let bucket = "<Error><Code>NoSuchBucket</Code></Error>";
        assert!(matches!(
            Refusal::parse(Some(404), bucket).into_error(),
            BlobError::NoSuchBucket { .. }
        ));
    }

    #[test]
    fn an_answer_that_is_not_an_s3_error_is_judged_by_its_status() {
        let proxy = Refusal::parse(Some(403), "<html><body>Forbidden</body></html>");
        assert_eq!(proxy.summary(), "HTTP 403: <html><body>Forbidden</body></html>");
        assert!(matches!(proxy.into_error(), BlobError::Unauthorized { .. }));
        assert!(matches!(Refusal::parse(Some(500), "").into_error(), BlobError::Backend(s) if s == "HTTP 500"));
        // A code mentioned in a message is not the code.
        let quoted = "<Error><Code>InternalError</Code><Message>not NoSuchBucket</Message></Error>";
        assert!(matches!(
            Refusal::parse(Some(500), quoted).into_error(),
            BlobError::Backend(_)
        ));
    }

    #[test]
    fn an_error_text_is_worded_from_the_s3_document_inside_it() {
        let text = "Error performing PUT http://s3/b/k: Server returned non-2xx status code: 400 Bad Request: <Error><Code>EntityTooSmall</Code><Message>Your proposed upload is smaller than the minimum allowed object size.</Message></Error>";
        assert_eq!(
            readable(text),
            "EntityTooSmall: Your proposed upload is smaller than the minimum allowed object size."
        );
        assert_eq!(readable("connection reset"), "connection reset");
    }
}
