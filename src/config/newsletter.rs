//! The `newsletter.*` keys.

use super::NewsletterConfig;
use super::reader::Reader;

pub(super) fn read(r: &mut Reader) -> NewsletterConfig {
    let rate_per_minute = r
        .parse(
            "newsletter.rate_per_minute",
            "a whole number of messages per minute from 1 to 60000",
            |s| match s.parse::<u32>() {
                Ok(n) if (1..=60_000).contains(&n) => Ok(n),
                _ => Err("out of range".into()),
            },
        )
        .unwrap_or(60);
    NewsletterConfig { rate_per_minute }
}
