use std::fmt;

/// A password someone is choosing. Login attempts take any string; only new passwords
/// go through this check.
pub struct NewPassword(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("too short (at least {min} characters)")]
    TooShort { min: usize },
    #[error("too long (at most {max} characters)")]
    TooLong { max: usize },
}

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    /// Argon2 hashes anything, but an unbounded input is a cheap way to burn CPU.
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(input: &str) -> Result<Self, PasswordError> {
        let n = input.chars().count();
        if n < Self::MIN_CHARS {
            Err(PasswordError::TooShort { min: Self::MIN_CHARS })
        } else if n > Self::MAX_CHARS {
            Err(PasswordError::TooLong { max: Self::MAX_CHARS })
        } else {
            Ok(Self(input.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_bounds_are_enforced_and_debug_hides_the_value() {
        assert!(matches!(
            NewPassword::parse("short"),
            Err(PasswordError::TooShort { .. })
        ));
        let ok = NewPassword::parse("correct horse battery").expect("long enough");
        assert!(!format!("{ok:?}").contains("horse"));
        assert!(NewPassword::parse(&"x".repeat(2000)).is_err());
    }
}
