//! Pure helpers for serving user files: byte ranges and safe response headers.

use relais_storage::ByteRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    Full,
    Partial(ByteRange),
    /// Nothing of the file lies in the requested range (416).
    Unsatisfiable,
}

/// Reads a `Range` header against a file of `size` bytes. One range is served; anything
/// else (several ranges, another unit, bad syntax) is served whole, as RFC 9110 allows.
pub fn parse_range(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') || size == 0 {
        return RangeRequest::Full;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>(), end.parse::<u64>()) {
        // bytes=-N: the last N bytes.
        (Err(_), Ok(n)) if start.is_empty() => {
            if n == 0 {
                return RangeRequest::Unsatisfiable;
            }
            ByteRange {
                start: size.saturating_sub(n),
                end: size,
            }
        }
        (Ok(s), Err(_)) if end.is_empty() => ByteRange { start: s, end: size },
        (Ok(s), Ok(e)) if s <= e => ByteRange {
            start: s,
            end: e.saturating_add(1).min(size),
        },
        _ => return RangeRequest::Full,
    };
    if range.start >= size {
        RangeRequest::Unsatisfiable
    } else {
        RangeRequest::Partial(range)
    }
}

/// A display name made safe as a single file name on every system the files land on: no
/// path separators, no control characters, none of the characters Windows refuses
/// (`:*?"<>|`), no trailing dot or space, not a device name Windows reserves (`CON`,
/// `nul.txt`, `COM1`…), never `.` or `..`; used for downloads and for ZIP entries.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    // Trailing dots and spaces vanish on Windows; any trailing whitespace goes too, so
    // that trimming once leaves nothing to trim (a no-break space before a dot).
    let trimmed = cleaned
        .trim_start()
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return "_".to_owned();
    }
    let stem = trimmed
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit()
            && stem.as_bytes()[3] != b'0');
    if reserved {
        format!("_{trimmed}")
    } else {
        trimmed.to_owned()
    }
}

/// `Content-Disposition: attachment` with an ASCII fallback and the exact UTF-8 name in
/// `filename*` (RFC 6266, RFC 8187).
pub fn attachment(name: &str) -> String {
    let name = safe_file_name(name);
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// The type a user file is served with. Types a browser could run (HTML, SVG, scripts)
/// are served as bytes; media keep their type so `<img>`, `<audio>` and `<video>` play.
pub fn served_type(declared: &str) -> &str {
    let (top, sub) = declared.split_once('/').unwrap_or(("", ""));
    let media = matches!(top, "audio" | "video")
        || (top == "image" && matches!(sub, "jpeg" | "png" | "gif" | "webp" | "avif" | "heic"));
    if media || declared == "application/pdf" {
        declared
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: u64, end: u64) -> RangeRequest {
        RangeRequest::Partial(ByteRange { start, end })
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range(Some("bytes=0-499"), 1000), r(0, 500));
        assert_eq!(parse_range(Some("bytes=500-"), 1000), r(500, 1000));
        assert_eq!(parse_range(Some("bytes=-200"), 1000), r(800, 1000));
        assert_eq!(parse_range(Some("bytes=-5000"), 1000), r(0, 1000));
        assert_eq!(parse_range(Some("bytes=900-5000"), 1000), r(900, 1000));
        assert_eq!(parse_range(Some("bytes=1000-"), 1000), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 1000), RangeRequest::Unsatisfiable);
        for ignored in [
            None,
            Some("bytes=0-1,5-6"),
            Some("items=0-1"),
            Some("bytes=5-1"),
            Some("bytes=x-"),
        ] {
            assert_eq!(parse_range(ignored, 1000), RangeRequest::Full, "{ignored:?}");
        }
    }

    #[test]
    fn attachment_names_keep_utf8_and_cannot_escape() {
        assert_eq!(
            attachment("Été 2026.jpg"),
            "attachment; filename=\"_t_ 2026.jpg\"; filename*=UTF-8''%C3%89t%C3%A9%202026.jpg"
        );
        let hostile = attachment("../../etc/passwd\u{7}\"x\"");
        assert!(
            hostile.starts_with("attachment; filename=\".._.._etc_passwd__x_\""),
            "{hostile}"
        );
        assert!(!hostile.contains('/') && !hostile.contains('\u{7}'));
        assert_eq!(safe_file_name(".."), "_");
    }

    #[test]
    fn names_are_safe_on_windows_too() {
        assert_eq!(safe_file_name("mariage: le film?.mp4"), "mariage_ le film_.mp4");
        assert_eq!(safe_file_name("a<b>c|d*e\"f"), "a_b_c_d_e_f");
        assert_eq!(safe_file_name("notes. . "), "notes");
        assert_eq!(
            safe_file_name("!\u{a0}."),
            "!",
            "a no-break space before the last dot goes too"
        );
        assert_eq!(safe_file_name("CON"), "_CON");
        assert_eq!(safe_file_name("nul.txt"), "_nul.txt");
        assert_eq!(safe_file_name("com1.jpg"), "_com1.jpg");
        assert_eq!(safe_file_name("COM0.jpg"), "COM0.jpg");
        assert_eq!(safe_file_name("console.log"), "console.log");
        assert_eq!(safe_file_name("Été 2026.jpg"), "Été 2026.jpg");
    }

    #[test]
    fn only_media_keep_their_type() {
        assert_eq!(served_type("image/jpeg"), "image/jpeg");
        assert_eq!(served_type("video/mp4"), "video/mp4");
        assert_eq!(served_type("image/svg+xml"), "application/octet-stream");
        assert_eq!(served_type("text/html"), "application/octet-stream");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_range_header_is_answered_within_the_file(header in ".{0,40}", size in 0u64..1_000_000) {
            match parse_range(Some(&header), size) {
                RangeRequest::Partial(r) => prop_assert!(r.start < r.end && r.end <= size),
                RangeRequest::Full | RangeRequest::Unsatisfiable => {}
            }
        }

        #[test]
        fn numeric_ranges_are_answered_within_the_file(a in 0u64..2_000, b in 0u64..2_000, size in 0u64..1_500) {
            if let RangeRequest::Partial(r) = parse_range(Some(&format!("bytes={a}-{b}")), size) {
                prop_assert!(r.start < r.end && r.end <= size);
            }
        }

        #[test]
        fn any_name_becomes_one_safe_file_name(name in "\\PC{0,60}") {
            let safe = safe_file_name(&name);
            prop_assert!(!safe.is_empty());
            prop_assert!(!safe.chars().any(|c| matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control()));
            prop_assert!(!safe.ends_with('.') && !safe.ends_with(' '));
            prop_assert_eq!(safe_file_name(&safe), safe.clone(), "stable when applied again");
        }
    }
}
