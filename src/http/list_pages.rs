//! `?limit&cursor` on the API's long lists (transfers, clients, activity): without them a
//! list answers whole, as it always has; with `limit`, at most that many items and, when
//! more follow, a `Link: <…>; rel="next"` header with the next page's address. The body
//! keeps its shape, so scripts that read whole lists go on working.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::http::error::AppError;

/// The most items one page may hold.
pub const MAX: u32 = 1000;

/// A page's size and start, read from `limit` and `cursor`.
#[derive(Debug, Default)]
pub struct Paged {
    pub limit: Option<u32>,
    /// The last key of the page before: the order's own values, opaque to callers.
    pub after: Option<Vec<String>>,
}

impl Paged {
    /// `parts` is how many values the list's key has (a cursor of another list is refused).
    pub fn parse(limit: Option<&str>, cursor: Option<&str>, parts: usize) -> Result<Self, AppError> {
        let limit = limit
            .filter(|l| !l.is_empty())
            .map(|l| {
                l.parse::<u32>()
                    .ok()
                    .filter(|l| (1..=MAX).contains(l))
                    .ok_or_else(|| AppError::validation("limit", "a number of items from 1 to 1000"))
            })
            .transpose()?;
        let after = read_cursor(cursor, parts)?;
        if after.is_some() && limit.is_none() {
            return Err(AppError::validation("limit", "a cursor goes with a limit"));
        }
        Ok(Self { limit, after })
    }

    /// A list that always answers a page: `limit` is already settled, `cursor` is read
    /// as in [`parse`](Self::parse).
    pub fn with_limit(limit: u32, cursor: Option<&str>, parts: usize) -> Result<Self, AppError> {
        let after = read_cursor(cursor, parts)?;
        Ok(Self {
            limit: Some(limit),
            after,
        })
    }

    /// The `Link` header to the page after `last` (the key of this page's last item), on
    /// `path` with its other parameters (`query`, already encoded).
    pub fn next_link(&self, path: &str, query: &[(&str, String)], last: &[String]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let Some(limit) = self.limit else {
            return headers;
        };
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in query {
            url.append_pair(name, value);
        }
        url.append_pair("limit", &limit.to_string());
        url.append_pair("cursor", &encode(last));
        if let Ok(value) = HeaderValue::from_str(&format!("<{path}?{}>; rel=\"next\"", url.finish())) {
            headers.insert(header::LINK, value);
        }
        headers
    }
}

fn read_cursor(cursor: Option<&str>, parts: usize) -> Result<Option<Vec<String>>, AppError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(|c| decode(c, parts).ok_or_else(|| AppError::validation("cursor", "not a cursor this list gave")))
        .transpose()
}

fn encode(parts: &[String]) -> String {
    URL_SAFE_NO_PAD.encode(parts.join("\u{0}"))
}

fn decode(text: &str, parts: usize) -> Option<Vec<String>> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let values: Vec<String> = text.split('\u{0}').map(str::to_owned).collect();
    (values.len() == parts).then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_strangers_are_refused() {
        let key = vec!["1733500000000".to_owned(), "01a2-b".to_owned()];
        assert_eq!(decode(&encode(&key), 2), Some(key.clone()));
        assert_eq!(decode(&encode(&key), 3), None, "another list's cursor");
        assert_eq!(decode("%%%", 2), None);
        assert!(Paged::parse(Some("0"), None, 2).is_err());
        assert!(Paged::parse(Some("1001"), None, 2).is_err());
        assert!(
            Paged::parse(None, Some(&encode(&key)), 2).is_err(),
            "a cursor without a limit"
        );
        let paged = Paged::parse(Some("2"), Some(&encode(&key)), 2).expect("parsed");
        assert_eq!((paged.limit, paged.after), (Some(2), Some(key)));
    }
}
