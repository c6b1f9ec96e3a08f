//! Language-dependent formatting shared by pages and emails. Dates are shown in UTC by the
//! server; pages refine them to the reader's own time zone in the browser.

use time::OffsetDateTime;

use crate::domain::{Locale, Timestamp};

pub(crate) const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
pub(crate) const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn datetime(ms: Timestamp) -> OffsetDateTime {
    ms.to_offset_date_time().unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// "21 novembre 2026" / "21 November 2026".
pub fn date(locale: Locale, ms: Timestamp) -> String {
    let d = datetime(ms);
    let month = usize::from(u8::from(d.month())) - 1;
    match locale {
        Locale::Fr => format!("{} {} {}", d.day(), MONTHS_FR[month], d.year()),
        Locale::En => format!("{} {} {}", d.day(), MONTHS_EN[month], d.year()),
    }
}

/// "21 novembre 2026 à 14:05" / "21 November 2026, 14:05" (UTC).
pub fn date_time(locale: Locale, ms: Timestamp) -> String {
    let d = datetime(ms);
    match locale {
        Locale::Fr => format!("{} à {:02}:{:02}", date(locale, ms), d.hour(), d.minute()),
        Locale::En => format!("{}, {:02}:{:02}", date(locale, ms), d.hour(), d.minute()),
    }
}

/// ISO 8601 for `<time datetime>` and the browser's own formatting.
pub fn iso(ms: Timestamp) -> String {
    datetime(ms)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Sizes as people read them: "1,5 Go" / "1.5 GB" (decimal units, as file managers show).
pub fn size(locale: Locale, bytes: u64) -> String {
    let (units, decimal) = match locale {
        Locale::Fr => (["o", "Ko", "Mo", "Go", "To"], ','),
        Locale::En => (["B", "KB", "MB", "GB", "TB"], '.'),
    };
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < units.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    let text = if unit == 0 || value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}").trim_end_matches(".0").to_owned()
    };
    let sep = if locale == Locale::Fr { "\u{a0}" } else { " " };
    format!("{}{sep}{}", text.replace('.', &decimal.to_string()), units[unit])
}

/// A configured limit: whole binary units read as people expect ("5 Go" for 5 GiB), else
/// as [`size`].
pub fn limit(locale: Locale, bytes: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    let (g, m, sep) = match locale {
        Locale::Fr => ("Go", "Mo", "\u{a0}"),
        Locale::En => ("GB", "MB", " "),
    };
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{}{sep}{g}", bytes / GIB)
    } else if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{}{sep}{m}", bytes / MIB)
    } else {
        size(locale, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_sizes_read_naturally_in_both_languages() {
        let ms = Timestamp::from_millis(1_795_219_200_000); // 2026-11-21T00:00:00Z
        assert_eq!(date(Locale::Fr, ms), "21 novembre 2026");
        assert_eq!(date(Locale::En, ms), "21 November 2026");
        assert_eq!(iso(ms), "2026-11-21T00:00:00Z");
        assert_eq!(size(Locale::Fr, 1_500_000_000), "1,5\u{a0}Go");
        assert_eq!(size(Locale::En, 1_500_000_000), "1.5 GB");
        assert_eq!(size(Locale::En, 999), "999 B");
        assert_eq!(size(Locale::Fr, 5_000_000), "5\u{a0}Mo");
        assert_eq!(size(Locale::En, 250_400_000), "250 MB");
        assert_eq!(limit(Locale::Fr, 5 << 30), "5\u{a0}Go");
        assert_eq!(limit(Locale::En, 700 << 20), "700 MB");
    }
}
