use std::fmt;

/// A number of bytes, written by people as `5GiB`, `16 MiB`, `500MB`, `1048576`, or the
/// French way, `5 Go` / `16 Mo` / `5 Gio`. The French units read as the pages show limits
/// (a 5 GiB limit is displayed "5 Go"), so what a studio copies from a page means the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(u64);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "not a size (expected a whole number with an optional unit: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, \
     or in French o, Ko, Mo, Go, To, Kio, Mio, Gio, Tio)"
)]
pub struct ByteSizeError;

impl ByteSize {
    pub const KIB: u64 = 1024;
    pub const MIB: u64 = 1024 * 1024;
    pub const GIB: u64 = 1024 * 1024 * 1024;

    pub const fn from_bytes(bytes: u64) -> Self {
        Self(bytes)
    }

    pub fn parse(input: &str) -> Result<Self, ByteSizeError> {
        let s = input.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (digits, unit) = s.split_at(split);
        let number: u64 = digits.parse().map_err(|_| ByteSizeError)?;
        let multiplier = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" | "o" => 1,
            "k" | "kb" => 1_000,
            "m" | "mb" => 1_000_000,
            "g" | "gb" => 1_000_000_000,
            "t" | "tb" => 1_000_000_000_000,
            "kib" | "ko" | "kio" => Self::KIB,
            "mib" | "mo" | "mio" => Self::MIB,
            "gib" | "go" | "gio" => Self::GIB,
            "tib" | "to" | "tio" => Self::GIB * 1024,
            _ => return Err(ByteSizeError),
        };
        number.checked_mul(multiplier).map(Self).ok_or(ByteSizeError)
    }

    pub fn bytes(self) -> u64 {
        self.0
    }
}

/// Shown the way people wrote it when it is a whole number of binary units.
impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, size) in [
            ("TiB", Self::GIB * 1024),
            ("GiB", Self::GIB),
            ("MiB", Self::MIB),
            ("KiB", Self::KIB),
        ] {
            if self.0 >= size && self.0.is_multiple_of(size) {
                return write!(f, "{} {unit}", self.0 / size);
            }
        }
        write!(f, "{} B", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_write() {
        assert_eq!(ByteSize::parse("5GiB"), Ok(ByteSize(5 * ByteSize::GIB)));
        assert_eq!(ByteSize::parse(" 16 MiB "), Ok(ByteSize(16 * ByteSize::MIB)));
        assert_eq!(ByteSize::parse("500MB"), Ok(ByteSize(500_000_000)));
        assert_eq!(ByteSize::parse("1048576"), Ok(ByteSize(1_048_576)));
        assert_eq!(ByteSize::parse("2gib"), Ok(ByteSize(2 * ByteSize::GIB)));
    }

    #[test]
    fn french_units_mean_what_the_pages_show() {
        assert_eq!(ByteSize::parse("5 Go"), Ok(ByteSize(5 * ByteSize::GIB)));
        // As the pages write it, with a no-break space.
        assert_eq!(ByteSize::parse("5\u{a0}Go"), Ok(ByteSize(5 * ByteSize::GIB)));
        assert_eq!(ByteSize::parse("700 Mo"), Ok(ByteSize(700 * ByteSize::MIB)));
        assert_eq!(ByteSize::parse("16Mio"), Ok(ByteSize(16 * ByteSize::MIB)));
        assert_eq!(ByteSize::parse("1 To"), Ok(ByteSize(1024 * ByteSize::GIB)));
        assert_eq!(ByteSize::parse("512 o"), Ok(ByteSize(512)));
        assert_eq!(
            ByteSize::parse("5 Go").map(|s| crate::i18n::limit(crate::domain::Locale::Fr, s.bytes())),
            Ok("5\u{a0}Go".to_owned())
        );
    }

    #[test]
    fn refuses_nonsense_and_overflow() {
        for bad in [
            "",
            "GiB",
            "5 GiBs",
            "-5MiB",
            "1.5GiB",
            "99999999999999999999",
            "18446744073709551615 TiB",
        ] {
            assert_eq!(ByteSize::parse(bad), Err(ByteSizeError), "{bad:?}");
        }
    }

    #[test]
    fn displays_in_the_largest_whole_unit() {
        assert_eq!(ByteSize::parse("5GiB").map(|s| s.to_string()), Ok("5 GiB".into()));
        assert_eq!(ByteSize(1500).to_string(), "1500 B");
    }
}
