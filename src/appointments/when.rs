//! An appointment's time: an instant, and the time zone the people involved read it in.
//!
//! Input is either an RFC 3339 time with its offset (`2027-10-31T02:30:00+02:00`), which
//! names one instant even on the night the clocks go back, or a local time
//! (`2027-06-12T14:30`) read in the given zone: a time that happens twice (the October
//! change) is the first one, a time that never happens (the March change) is moved past
//! the gap, as a wall clock would show it.

use jiff::Zoned;
use jiff::civil::DateTime;
use jiff::tz::{Disambiguation, TimeZone};

use crate::domain::{Locale, Timestamp};
use crate::i18n;

/// A time zone known to the bundled time-zone database.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    pub fn parse(name: &str) -> Result<Self, String> {
        let name = name.trim();
        let tz = TimeZone::get(name).map_err(|_| format!("{name:?} is not a time zone (e.g. Europe/Paris)"))?;
        Ok(Self {
            name: name.to_owned(),
            tz,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Reads `raw` as an instant: with its own offset, or as a local time in `zone`.
pub fn parse_instant(raw: &str, zone: &Zone) -> Result<Timestamp, String> {
    let raw = raw.trim();
    if let Ok(ts) = raw.parse::<jiff::Timestamp>() {
        return Ok(ts.into());
    }
    let local: DateTime = raw
        .parse()
        .map_err(|_| format!("{raw:?} is not a time (2027-06-12T14:30:00+02:00, or 2027-06-12T14:30 in time_zone)"))?;
    let zoned = zone
        .tz
        .to_ambiguous_zoned(local)
        .disambiguate(Disambiguation::Compatible)
        .map_err(|e| format!("{raw:?} in {}: {e}", zone.name))?;
    Ok(zoned.timestamp().into())
}

fn zoned(ms: Timestamp, zone: &Zone) -> Option<Zoned> {
    Some(ms.to_jiff()?.to_zoned(zone.tz.clone()))
}

const FR_DAYS: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
const EN_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// "dimanche 31 octobre 2027 à 02:30" / "Sunday 31 October 2027, 02:30", in the
/// appointment's zone, with the offset when the zone is not the reader's usual one.
pub fn spoken(ms: Timestamp, zone: &Zone, locale: Locale) -> String {
    let Some(z) = zoned(ms, zone) else {
        return String::new();
    };
    let day = usize::try_from(z.weekday().to_monday_zero_offset()).unwrap_or(0);
    let month = usize::try_from(z.month() - 1).unwrap_or(0);
    let offset = z.offset().seconds() / 60;
    let sign = if offset < 0 { '-' } else { '+' };
    let utc = if offset % 60 == 0 {
        format!("UTC{sign}{}", (offset / 60).abs())
    } else {
        format!("UTC{sign}{}:{:02}", (offset / 60).abs(), (offset % 60).abs())
    };
    match locale {
        Locale::Fr => format!(
            "{} {} {} {} à {:02}:{:02} ({utc})",
            FR_DAYS[day],
            z.day(),
            i18n::MONTHS_FR[month],
            z.year(),
            z.hour(),
            z.minute()
        ),
        Locale::En => format!(
            "{} {} {} {}, {:02}:{:02} ({utc})",
            EN_DAYS[day],
            z.day(),
            i18n::MONTHS_EN[month],
            z.year(),
            z.hour(),
            z.minute()
        ),
    }
}

/// "14:30", in the appointment's zone.
pub fn clock(ms: Timestamp, zone: &Zone) -> String {
    zoned(ms, zone)
        .map(|z| format!("{:02}:{:02}", z.hour(), z.minute()))
        .unwrap_or_default()
}

/// The local date and time for a form's `datetime-local` field.
pub fn local_input(ms: Timestamp, zone: &Zone) -> String {
    zoned(ms, zone)
        .map(|z| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}",
                z.year(),
                z.month(),
                z.day(),
                z.hour(),
                z.minute()
            )
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> Zone {
        Zone::parse("Europe/Paris").expect("zone")
    }

    #[test]
    fn an_offset_names_one_instant_and_a_local_time_is_read_in_its_zone() {
        let with_offset = parse_instant("2027-06-12T14:30:00+02:00", &paris()).expect("parsed");
        let local = parse_instant("2027-06-12T14:30", &paris()).expect("parsed");
        assert_eq!(with_offset, local);
        assert_eq!(
            spoken(local, &paris(), Locale::Fr),
            "samedi 12 juin 2027 à 14:30 (UTC+2)"
        );
        assert_eq!(
            spoken(local, &paris(), Locale::En),
            "Saturday 12 June 2027, 14:30 (UTC+2)"
        );
    }

    #[test]
    fn the_night_the_clocks_go_back_has_two_half_past_two_and_offsets_tell_them_apart() {
        let first = parse_instant("2027-10-31T02:30:00+02:00", &paris()).expect("parsed");
        let second = parse_instant("2027-10-31T02:30:00+01:00", &paris()).expect("parsed");
        assert_eq!(second - first, crate::domain::HOUR);
        // Without an offset, the first one.
        assert_eq!(parse_instant("2027-10-31T02:30", &paris()).expect("parsed"), first);
        assert_eq!(clock(first, &paris()), "02:30");
        assert_eq!(clock(second, &paris()), "02:30");
        assert!(spoken(second, &paris(), Locale::Fr).ends_with("(UTC+1)"));
    }

    #[test]
    fn a_time_that_never_happens_is_moved_past_the_gap() {
        // 28 March 2027: 02:00 becomes 03:00 in Paris.
        let moved = parse_instant("2027-03-28T02:30", &paris()).expect("parsed");
        assert_eq!(clock(moved, &paris()), "03:30");
    }

    #[test]
    fn unknown_zones_and_bad_times_are_refused_by_name() {
        assert!(Zone::parse("Europe/Atlantis").is_err());
        assert!(parse_instant("demain", &paris()).is_err());
    }
}
