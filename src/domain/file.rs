//! What a transfer holds: files with a display name, a media type and a category.

use std::fmt;

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Client → studio ("Musique pour le film").
    Inbound,
    /// Studio → client ("Photos du mariage").
    Delivery,
    /// The studio's own files for the public portfolio; one such transfer, no client.
    Portfolio,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Delivery => "delivery",
            Direction::Portfolio => "portfolio",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inbound" => Some(Direction::Inbound),
            "delivery" => Some(Direction::Delivery),
            "portfolio" => Some(Direction::Portfolio),
            _ => None,
        }
    }
}

/// The shelf a file goes on in the client space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Music,
    Document,
    Photo,
    Video,
    Other,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Music => "music",
            Category::Document => "document",
            Category::Photo => "photo",
            Category::Video => "video",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "music" => Some(Category::Music),
            "document" => Some(Category::Document),
            "photo" => Some(Category::Photo),
            "video" => Some(Category::Video),
            "other" => Some(Category::Other),
            _ => None,
        }
    }

    /// The category people would expect from a media type, or from the name's extension
    /// when the type says nothing (browsers send `application/octet-stream` for RAW photos).
    pub fn guess(media_type: &MediaType, name: &FileName) -> Self {
        let (top, sub) = media_type.0.split_once('/').unwrap_or(("", ""));
        match top {
            "audio" => return Category::Music,
            "image" => return Category::Photo,
            "video" => return Category::Video,
            "text" => return Category::Document,
            _ => {}
        }
        if sub == "pdf" || sub.contains("document") || sub.contains("msword") || sub.contains("spreadsheet") {
            return Category::Document;
        }
        Self::by_extension(name)
    }

    /// The category the name's extension says, whatever type the sender declared (what a
    /// stranger sends is judged by its name, not by their claims).
    pub fn by_extension(name: &FileName) -> Self {
        match name.extension().as_deref() {
            Some("mp3" | "wav" | "flac" | "aac" | "m4a" | "ogg" | "aif" | "aiff" | "opus") => Category::Music,
            Some(
                "jpg" | "jpeg" | "png" | "heic" | "heif" | "webp" | "tif" | "tiff" | "cr2" | "cr3" | "nef" | "arw"
                | "dng" | "raf" | "orf" | "rw2",
            ) => Category::Photo,
            Some("mp4" | "mov" | "m4v" | "mkv" | "avi" | "mts" | "mxf" | "webm") => Category::Video,
            Some(
                "pdf" | "doc" | "docx" | "odt" | "txt" | "rtf" | "xls" | "xlsx" | "ods" | "ppt" | "pptx" | "pages"
                | "key" | "numbers",
            ) => Category::Document,
            _ => Category::Other,
        }
    }
}

/// Where a file is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Uploading,
    /// Every byte is stored and its SHA-256 known.
    Stored,
    Processing,
    Ready,
    Failed,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Uploading => "uploading",
            FileStatus::Stored => "stored",
            FileStatus::Processing => "processing",
            FileStatus::Ready => "ready",
            FileStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "uploading" => Some(FileStatus::Uploading),
            "stored" => Some(FileStatus::Stored),
            "processing" => Some(FileStatus::Processing),
            "ready" => Some(FileStatus::Ready),
            "failed" => Some(FileStatus::Failed),
            _ => None,
        }
    }
}

/// A file's display name: kept exactly as given (accents, spaces, even `../` or control
/// characters), because it is only ever shown, never used as a path or a storage key.
#[derive(Clone, PartialEq, Eq)]
pub struct FileName(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileNameError {
    #[error("empty file name")]
    Empty,
    #[error("file name longer than {max} characters")]
    TooLong { max: usize },
    #[error("file name contains a NUL character")]
    Nul,
}

impl FileName {
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(input: &str) -> Result<Self, FileNameError> {
        if input.trim().is_empty() {
            Err(FileNameError::Empty)
        } else if input.chars().count() > Self::MAX_CHARS {
            Err(FileNameError::TooLong { max: Self::MAX_CHARS })
        } else if input.contains('\0') {
            Err(FileNameError::Nul)
        } else {
            Ok(Self(input.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-case extension, if the last segment of the name has one.
    pub fn extension(&self) -> Option<String> {
        let last = self.0.rsplit(['/', '\\']).next().unwrap_or(&self.0);
        let (stem, ext) = last.rsplit_once('.')?;
        (!stem.is_empty() && !ext.is_empty() && ext.len() <= 8).then(|| ext.to_ascii_lowercase())
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileName({:?})", self.0)
    }
}

/// A declared media type such as `image/jpeg`; anything unparseable becomes
/// `application/octet-stream`, which is what it tells us anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType(String);

impl MediaType {
    pub fn octet_stream() -> Self {
        Self("application/octet-stream".into())
    }

    pub fn parse_or_default(input: Option<&str>) -> Self {
        let Some(raw) = input else { return Self::octet_stream() };
        let essence = raw.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let token = |s: &str| {
            !s.is_empty()
                && s.len() <= 127
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        match essence.split_once('/') {
            Some((top, sub)) if token(top) && token(sub) => Self(essence),
            _ => Self::octet_stream(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_kept_as_given_but_bounded() {
        for name in [
            "../../etc/passwd",
            "photo.jpg.exe",
            "ligne\u{7}bell",
            "Église d'Été.JPG",
            &"a".repeat(300),
        ] {
            assert_eq!(FileName::parse(name).map(|n| n.0), Ok(name.to_owned()));
        }
        assert_eq!(FileName::parse("  "), Err(FileNameError::Empty));
        assert_eq!(FileName::parse("a\0b"), Err(FileNameError::Nul));
        assert!(FileName::parse(&"é".repeat(1025)).is_err());
    }

    #[test]
    fn categories_follow_the_type_then_the_extension() {
        let name = |n: &str| FileName::parse(n).expect("name");
        let guess = |t: Option<&str>, n: &str| Category::guess(&MediaType::parse_or_default(t), &name(n));
        assert_eq!(guess(Some("audio/mpeg"), "x"), Category::Music);
        assert_eq!(guess(Some("image/jpeg; charset=binary"), "x"), Category::Photo);
        assert_eq!(guess(Some("application/pdf"), "devis"), Category::Document);
        assert_eq!(guess(None, "IMG_0001.CR3"), Category::Photo);
        assert_eq!(guess(Some("application/octet-stream"), "film.MOV"), Category::Video);
        assert_eq!(guess(None, ".bashrc"), Category::Other);
    }

    #[test]
    fn media_types_are_normalised_or_replaced() {
        assert_eq!(
            MediaType::parse_or_default(Some("Image/JPEG; q=1")).as_str(),
            "image/jpeg"
        );
        assert_eq!(
            MediaType::parse_or_default(Some("text/html<script>")).as_str(),
            "application/octet-stream"
        );
        assert_eq!(MediaType::parse_or_default(None).as_str(), "application/octet-stream");
    }
}
