//! The readable part of a public address (`/albums/mariage-a-giverny`): lower-case ASCII
//! letters, digits and single hyphens, so it never needs escaping and reads the same in
//! every browser bar and in every shared link.

use std::fmt;

pub const MAX_LEN: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Slug(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SlugError {
    #[error("expected 1 to {MAX_LEN} lower-case letters, digits and single hyphens (e.g. mariage-a-giverny)")]
    Invalid,
}

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, SlugError> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--");
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(SlugError::Invalid)
        }
    }

    /// A slug made from a title: accents folded ("Église" → "eglise"), everything else
    /// that is not a letter or a digit turned into one hyphen. `None` when nothing is
    /// left (a title of only emoji or punctuation).
    pub fn from_title(title: &str) -> Option<Self> {
        let mut out = String::new();
        let mut pending_hyphen = false;
        for c in title.chars().flat_map(fold) {
            if c.is_ascii_alphanumeric() {
                // A long title is cut at a word or letter, never after a hyphen.
                let needed = if pending_hyphen && !out.is_empty() { 2 } else { 1 };
                if out.len() + needed > MAX_LEN {
                    break;
                }
                if needed == 2 {
                    out.push('-');
                }
                pending_hyphen = false;
                out.push(c.to_ascii_lowercase());
            } else {
                pending_hyphen = true;
            }
        }
        Self::parse(&out).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The ASCII a Latin letter is written with once its accent is dropped; other characters
/// come back unchanged (and then count as separators unless they are ASCII).
fn fold(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'œ' | 'Œ' => "oe",
        'ß' => "ss",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "y",
        _ => "",
    };
    let single = folded.is_empty().then_some(c);
    folded.chars().chain(single)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_become_readable_addresses() {
        let slug = |t: &str| Slug::from_title(t).map(|s| s.0);
        assert_eq!(slug("Mariage à Giverny").as_deref(), Some("mariage-a-giverny"));
        assert_eq!(
            slug("  Élodie & Œdipe — été 2026 ! ").as_deref(),
            Some("elodie-oedipe-ete-2026")
        );
        assert_eq!(slug("Straße").as_deref(), Some("strasse"));
        assert_eq!(slug("🎉 !!"), None);
        let long = slug(&"a".repeat(200)).expect("slug");
        assert_eq!(long.len(), MAX_LEN);
        let words = slug(&"Mariage au jardin ".repeat(20)).expect("a long title still gives a slug");
        assert!(words.len() <= MAX_LEN && !words.ends_with('-'), "{words}");
        assert!(Slug::parse(&words).is_ok());
    }

    #[test]
    fn only_clean_slugs_parse() {
        for good in ["a", "mariage-2026", "x1-y2"] {
            assert!(Slug::parse(good).is_ok(), "{good}");
        }
        let too_long = "a".repeat(MAX_LEN + 1);
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "A",
            "é",
            "a b",
            "../x",
            "a/b",
            too_long.as_str(),
        ] {
            assert_eq!(Slug::parse(bad), Err(SlugError::Invalid), "{bad}");
        }
    }
}
