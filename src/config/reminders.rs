//! The `reminders.*` keys (when appointment reminders go, and the zone of times given
//! without one) and `digest.at` (the studio's daily digest).

use super::RemindersConfig;
use super::reader::Reader;

pub(super) fn read(r: &mut Reader) -> RemindersConfig {
    let before = r
        .parse(
            "reminders.before",
            "durations before an appointment, separated by commas, such as 48h,24h (each from 10m to 60d)",
            |s| {
                let mut leads = Vec::new();
                for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let lead =
                        super::parse::parse_duration(part).ok_or_else(|| format!("{part:?} is not a duration"))?;
                    let minutes = lead.as_secs() / 60;
                    if !(10..=60 * 24 * 60).contains(&minutes) {
                        return Err(format!("{part} is out of range"));
                    }
                    leads.push(minutes as i64);
                }
                leads.sort_unstable_by(|a, b| b.cmp(a));
                leads.dedup();
                Ok(leads)
            },
        )
        .unwrap_or_else(|| vec![48 * 60, 24 * 60]);
    let time_zone = r
        .parse(
            "reminders.time_zone",
            "a time zone of the tz database, such as Europe/Paris",
            |s| crate::appointments::when::Zone::parse(s).map(|z| z.name().to_owned()),
        )
        .unwrap_or_else(|| "Europe/Paris".to_owned());
    RemindersConfig {
        lead_minutes: before,
        time_zone,
    }
}

/// `digest.at`: when the daily digest of client activity goes, HH:MM in UTC; unset: none.
pub(super) fn read_digest(r: &mut Reader) -> Option<(u8, u8)> {
    r.parse("digest.at", "a time of day HH:MM in UTC, such as 07:00", |s| {
        let (h, m) = s.split_once(':').ok_or("not HH:MM")?;
        match (h.parse::<u8>(), m.parse::<u8>()) {
            (Ok(h), Ok(m)) if h < 24 && m < 60 && m.to_string().len() <= 2 => Ok((h, m)),
            _ => Err("not a time of day".to_owned()),
        }
    })
}
