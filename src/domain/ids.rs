use std::fmt;

use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id; version 7, so ids sort by creation time and index well.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn parse(s: &str) -> Option<Self> {
                Uuid::parse_str(s).ok().map(Self)
            }

            pub fn uuid(self) -> Uuid {
                self.0
            }

            /// The form stored in the database.
            pub fn to_db(self) -> String {
                self.0.to_string()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

id_type!(
    /// A studio or client account.
    UserId
);
id_type!(
    /// A personal API token (not the secret itself).
    TokenId
);
id_type!(
    /// A batch of files between the studio and one client.
    TransferId
);
id_type!(
    /// A file of a transfer.
    FileId
);
id_type!(
    /// A resumable upload in progress (the tus resource).
    UploadId
);
id_type!(
    /// A portfolio album.
    AlbumId
);
id_type!(
    /// A portfolio story (a short highlighted set).
    StoryId
);
id_type!(
    /// A photo or video placed in an album or a story.
    ItemId
);
