//! Instants: [`Timestamp`], and the named spans ([`MINUTE`], [`HOUR`], [`DAY`]) they move by.

use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

pub const MINUTE: Duration = Duration::from_mins(1);
pub const HOUR: Duration = Duration::from_hours(1);
pub const DAY: Duration = Duration::from_hours(24);

/// An instant, to the millisecond: milliseconds since the Unix epoch (UTC). It is what the
/// database stores (a BIGINT, the same on SQLite and PostgreSQL) and what the JSON API
/// sends (a number). Arithmetic with a [`Duration`] saturates, it never panics.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, sqlx::Type,
)]
#[serde(transparent)]
#[sqlx(transparent, no_pg_array)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const EPOCH: Self = Self(0);
    /// Earlier than any instant (a lower bound for "since").
    pub const MIN: Self = Self(i64::MIN);
    /// Later than any instant (an upper bound for "until", the end of a listing).
    pub const MAX: Self = Self(i64::MAX);

    /// For the wire and the formats that count in milliseconds.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// For the wire and the formats that count in milliseconds.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    pub const fn from_unix_secs(secs: i64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// Whole seconds since the epoch, rounded down (towards the past).
    pub const fn unix_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// A reading of the system clock (before the epoch reads as negative).
    pub fn from_system_time(at: SystemTime) -> Self {
        match at.duration_since(UNIX_EPOCH) {
            Ok(after) => Self::EPOCH + after,
            Err(before) => Self::EPOCH - before.duration(),
        }
    }

    /// In UTC; `None` past the years the `time` crate represents (±9999).
    pub fn to_offset_date_time(self) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000).ok()
    }

    /// `None` past the years jiff represents (±9999).
    pub fn to_jiff(self) -> Option<jiff::Timestamp> {
        jiff::Timestamp::from_millisecond(self.0).ok()
    }
}

/// Drops what is finer than a millisecond.
impl From<OffsetDateTime> for Timestamp {
    fn from(at: OffsetDateTime) -> Self {
        let ms = at.unix_timestamp_nanos() / 1_000_000;
        Self(i64::try_from(ms).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX }))
    }
}

/// Drops what is finer than a millisecond.
impl From<jiff::Timestamp> for Timestamp {
    fn from(at: jiff::Timestamp) -> Self {
        Self(at.as_millisecond())
    }
}

/// Moves by `ms`, stopping at the ends of the range.
fn shifted(t: Timestamp, ms: i128) -> Timestamp {
    let at = i128::from(t.0).saturating_add(ms);
    Timestamp(i64::try_from(at).unwrap_or(if at < 0 { i64::MIN } else { i64::MAX }))
}

/// Whole milliseconds of a span (at most `u64::MAX` seconds: it fits).
fn millis(d: Duration) -> i128 {
    i128::try_from(d.as_millis()).unwrap_or(i128::MAX)
}

impl Add<Duration> for Timestamp {
    type Output = Self;

    fn add(self, d: Duration) -> Self {
        shifted(self, millis(d))
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Self;

    fn sub(self, d: Duration) -> Self {
        shifted(self, -millis(d))
    }
}

impl AddAssign<Duration> for Timestamp {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl SubAssign<Duration> for Timestamp {
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}

/// The span from `earlier` to `self`; zero when `earlier` is not earlier.
impl Sub for Timestamp {
    type Output = Duration;

    fn sub(self, earlier: Self) -> Duration {
        let ms = i128::from(self.0) - i128::from(earlier.0);
        u64::try_from(ms).map_or(Duration::ZERO, Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp::from_millis(1_767_225_600_000); // 2026-01-01T00:00:00Z

    #[test]
    fn adding_and_subtracting_a_span_moves_by_whole_milliseconds() {
        assert_eq!((T + DAY).as_millis(), 1_767_225_600_000 + 86_400_000);
        assert_eq!((T - HOUR).as_millis(), 1_767_225_600_000 - 3_600_000);
        assert_eq!((T + Duration::from_micros(1_999)).as_millis(), 1_767_225_600_001);
        let mut t = T;
        t += MINUTE;
        t -= 2 * MINUTE;
        assert_eq!(t.as_millis(), 1_767_225_600_000 - 60_000);
    }

    #[test]
    fn the_span_between_two_instants_is_never_negative() {
        assert_eq!((T + DAY) - T, DAY);
        assert_eq!(T - (T + DAY), Duration::ZERO);
        assert_eq!(Timestamp::MAX - Timestamp::MIN, Duration::from_millis(u64::MAX));
    }

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        assert_eq!(Timestamp::MAX + DAY, Timestamp::MAX);
        assert_eq!(Timestamp::MIN - DAY, Timestamp::MIN);
        assert_eq!(T + Duration::MAX, Timestamp::MAX);
        assert_eq!(T - Duration::MAX, Timestamp::MIN);
        assert_eq!(Timestamp::from_unix_secs(i64::MAX), Timestamp::MAX);
    }

    #[test]
    fn unix_seconds_round_down() {
        assert_eq!(Timestamp::from_millis(1_999).unix_secs(), 1);
        assert_eq!(Timestamp::from_millis(-1).unix_secs(), -1);
        assert_eq!(Timestamp::from_unix_secs(1_767_225_600), T);
    }

    #[test]
    fn reads_the_system_clock() {
        assert_eq!(Timestamp::from_system_time(UNIX_EPOCH + DAY), Timestamp::EPOCH + DAY);
        assert_eq!(Timestamp::from_system_time(UNIX_EPOCH - DAY), Timestamp::EPOCH - DAY);
    }

    #[test]
    fn converts_to_and_from_offset_date_time() {
        let at = (T + Duration::from_millis(1_234))
            .to_offset_date_time()
            .expect("in range");
        assert_eq!(at, time::macros::datetime!(2026-01-01 00:00:01.234 UTC));
        assert_eq!(Timestamp::from(at), T + Duration::from_millis(1_234));
        assert_eq!(Timestamp::MAX.to_offset_date_time(), None);
    }

    #[test]
    fn converts_to_and_from_jiff() {
        let at = T.to_jiff().expect("in range");
        assert_eq!(at.to_string(), "2026-01-01T00:00:00Z");
        assert_eq!(Timestamp::from(at), T);
        assert_eq!(Timestamp::MIN.to_jiff(), None);
    }

    #[test]
    fn serializes_as_a_plain_number_of_milliseconds() {
        assert_eq!(serde_json::to_string(&T).expect("json"), "1767225600000");
        let back: Timestamp = serde_json::from_str("1767225600000").expect("json");
        assert_eq!(back, T);
        let none: Option<Timestamp> = serde_json::from_str("null").expect("json");
        assert_eq!(none, None);
    }

    #[tokio::test]
    async fn binds_and_reads_back_as_a_bigint_through_the_any_driver() {
        sqlx::any::install_default_drivers();
        use sqlx::Connection;
        let mut db = sqlx::AnyConnection::connect("sqlite::memory:").await.expect("sqlite");
        sqlx::query("CREATE TABLE t (at BIGINT NOT NULL, until BIGINT)")
            .execute(&mut db)
            .await
            .expect("create");
        sqlx::query("INSERT INTO t (at, until) VALUES ($1, $2)")
            .bind(T)
            .bind(None::<Timestamp>)
            .execute(&mut db)
            .await
            .expect("insert");
        let row: (Timestamp, Option<Timestamp>, i64) = sqlx::query_as("SELECT at, until, at FROM t WHERE at > $1")
            .bind(T - MINUTE)
            .fetch_one(&mut db)
            .await
            .expect("select");
        assert_eq!(row, (T, None, 1_767_225_600_000));
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        /// The years both `time` and jiff represent.
        const RANGE: std::ops::RangeInclusive<i64> = -62_135_596_800_000..=253_402_300_799_999;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn a_span_added_then_measured_comes_back(ms in RANGE, span in 0u64..=10_000_000_000_000) {
                let t = Timestamp::from_millis(ms);
                let d = Duration::from_millis(span);
                prop_assert_eq!((t + d) - t, d);
                prop_assert_eq!((t + d) - d, t);
            }

            #[test]
            fn arithmetic_never_panics(ms: i64, other: i64, secs: u64, nanos in 0u32..1_000_000_000) {
                let (t, u, d) = (Timestamp::from_millis(ms), Timestamp::from_millis(other), Duration::new(secs, nanos));
                prop_assert!(t + d >= t);
                prop_assert!(t - d <= t);
                prop_assert_eq!(t - u == Duration::ZERO, t <= u);
            }

            #[test]
            fn survives_a_trip_through_offset_date_time_and_jiff(ms in RANGE) {
                let t = Timestamp::from_millis(ms);
                let at = t.to_offset_date_time().expect("in range");
                prop_assert_eq!(Timestamp::from(at), t);
                prop_assert_eq!(at.unix_timestamp(), t.unix_secs());
                prop_assert_eq!(Timestamp::from(t.to_jiff().expect("in range")), t);
            }
        }
    }
}
