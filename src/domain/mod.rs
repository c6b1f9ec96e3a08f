//! Types that parse once at the edge; everything past the edge can trust them.

mod byte_size;
mod email;
mod field_error;
mod file;
mod ids;
mod locale;
mod name;
mod password;
pub mod quote_site;
mod slug;
mod timestamp;

pub use byte_size::{ByteSize, ByteSizeError};
pub use email::{Email, EmailError};
pub use field_error::FieldError;
pub use file::{Category, Direction, FileName, FileNameError, FileStatus, MediaType};
pub use ids::{AlbumId, FileId, ItemId, StoryId, TokenId, TransferId, UploadId, UserId};
pub use locale::Locale;
pub use name::display_name;
pub use password::{NewPassword, PasswordError};
pub use slug::{Slug, SlugError};
pub use timestamp::{DAY, HOUR, MINUTE, Timestamp};

/// Who an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The studio: administrators, with TOTP required.
    Studio,
    Client,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Studio => "studio",
            Role::Client => "client",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "studio" => Some(Role::Studio),
            "client" => Some(Role::Client),
            _ => None,
        }
    }
}
