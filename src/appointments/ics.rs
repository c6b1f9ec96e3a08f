//! iCalendar (RFC 5545) for appointments: one event as an `.ics` file, or a client's
//! whole calendar as a feed. Times are written in UTC (`…Z`): every calendar reads them,
//! and shows them in the reader's own zone, so no VTIMEZONE rules have to be shipped.

use crate::domain::{HOUR, Timestamp};

/// One event as the calendar shows it.
pub struct Event<'a> {
    /// Stable across changes, so a calendar replaces the event instead of adding one.
    pub uid: &'a str,
    pub sequence: i64,
    pub summary: &'a str,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    pub place: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub cancelled: bool,
    pub updated_at: Timestamp,
}

fn utc(ms: Timestamp) -> String {
    ms.to_jiff()
        .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

/// TEXT values: backslash, semicolon, comma and line breaks escaped (RFC 5545 §3.3.11).
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes one content line, folded at 75 octets without cutting a character in two.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// A calendar of `events`, from `studio` (its name is the calendar's and the organiser's).
pub fn calendar(studio: &str, host: &str, events: &[Event<'_>], now: Timestamp) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, &format!("PRODID:-//{}//Rendez-vous//FR", text(studio)));
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", text(studio)));
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}@{}", e.uid, host));
        line(&mut out, &format!("DTSTAMP:{}", utc(now)));
        line(&mut out, &format!("LAST-MODIFIED:{}", utc(e.updated_at)));
        line(&mut out, &format!("SEQUENCE:{}", e.sequence));
        line(&mut out, &format!("DTSTART:{}", utc(e.starts_at)));
        // An appointment without an end lasts an hour in the calendar.
        line(
            &mut out,
            &format!("DTEND:{}", utc(e.ends_at.unwrap_or(e.starts_at + HOUR))),
        );
        line(&mut out, &format!("SUMMARY:{}", text(e.summary)));
        if let Some(place) = e.place.filter(|p| !p.is_empty()) {
            line(&mut out, &format!("LOCATION:{}", text(place)));
        }
        if let Some(notes) = e.notes.filter(|n| !n.is_empty()) {
            line(&mut out, &format!("DESCRIPTION:{}", text(notes)));
        }
        line(
            &mut out,
            if e.cancelled {
                "STATUS:CANCELLED"
            } else {
                "STATUS:CONFIRMED"
            },
        );
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_lines_fold_between_characters() {
        let notes = "Apporter : robe, voile; chaussures\\bouquet\nRendez-vous à l’église Saint-Étienne-du-Mont, place Sainte-Geneviève";
        let ics = calendar(
            "Studio Lumière",
            "studio.fr",
            &[Event {
                uid: "a1",
                sequence: 2,
                summary: "Préparatifs",
                starts_at: Timestamp::from_millis(1_812_000_000_000),
                ends_at: None,
                place: Some("Paris"),
                notes: Some(notes),
                cancelled: false,
                updated_at: Timestamp::from_millis(1_811_000_000_000),
            }],
            Timestamp::from_millis(1_811_500_000_000),
        );
        assert!(
            ics.contains("robe\\, voile\\; chaussures\\\\bouquet\\nRendez-vous"),
            "{ics}"
        );
        for l in ics.split("\r\n") {
            assert!(l.len() <= 75, "{l:?}");
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("Saint-Étienne-du-Mont"), "{unfolded}");
        assert!(ics.contains("DTSTART:20270603T") && ics.contains("UID:a1@studio.fr"));
    }
}
