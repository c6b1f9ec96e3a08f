//! People's and things' display names.

/// A person's display name: trimmed, 1 to 200 characters, no control characters.
pub fn display_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        Err("expected 1 to 200 printable characters".into())
    } else {
        Ok(name.to_owned())
    }
}
