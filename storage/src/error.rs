use crate::key::BlobKey;

/// What can go wrong in object storage, in words the application can act on.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object {key} does not exist")]
    NotFound { key: String },

    #[error("object {key} already exists")]
    AlreadyExists { key: String },

    /// The service answered, but refused our credentials or signature.
    #[error(
        "the storage refused our credentials ({detail}); check storage.access_key_id and storage.secret_access_key"
    )]
    Unauthorized { detail: String },

    /// The bucket named in the configuration does not exist.
    #[error("bucket {bucket} does not exist; create it with `relais storage setup`")]
    NoSuchBucket { bucket: String },

    /// Nothing answered at the configured address.
    #[error("the storage could not be reached: {detail}")]
    Unreachable { detail: String },

    #[error("requested range is not satisfiable")]
    InvalidRange,

    #[error("invalid storage configuration: {0}")]
    Config(String),

    #[error("{0} is not supported by this storage backend")]
    NotSupported(&'static str),

    #[error("multipart upload {0} does not exist (aborted, completed or expired)")]
    NoSuchUpload(String),

    #[error("the file needs more than 10 000 parts; raise uploads.part_size")]
    TooManyParts,

    #[error("part {part} is {actual} bytes, expected {expected}")]
    PartLength { part: u32, expected: u64, actual: u64 },

    /// The staging file holds fewer bytes than were committed: it was lost or damaged.
    #[error("staged upload {staging} holds {have} bytes, {want} were committed")]
    StagingShort { staging: String, have: u64, want: u64 },

    /// Another writer still has the staging file open.
    #[error("staged upload {staging} is still being written by another request")]
    StagingBusy { staging: String },

    #[error("the body stream failed: {0}")]
    Body(String),

    #[error("storage I/O error: {0}")]
    Io(#[from] std::io::Error),

    #[error("storage error: {0}")]
    Backend(String),
}

impl BlobError {
    pub(crate) fn not_found(key: &BlobKey) -> Self {
        Self::NotFound { key: key.to_string() }
    }

    /// A few words for a public health answer, with the configuration key to look at
    /// where there is one; never the service's own message.
    pub fn summary(&self) -> &'static str {
        match self {
            Self::Unauthorized { .. } => {
                "credentials refused (check storage.access_key_id and storage.secret_access_key)"
            }
            Self::NoSuchBucket { .. } => "bucket missing (check storage.bucket, or run relais storage setup)",
            Self::Unreachable { .. } => "unreachable (check storage.endpoint)",
            Self::Config(_) => "misconfigured",
            _ => "failing",
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// The local disk (or quota) is full: the request is fine, the room is not.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, Self::Io(e) if matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded))
    }

    /// True when retrying the same operation later may succeed (an outage, a timeout),
    /// false when the request itself is wrong.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. } | Self::Io(_) | Self::Backend(_) | Self::Body(_)
        )
    }
}

/// Maps object_store's errors onto ours (see `s3_error`).
impl From<object_store::Error> for BlobError {
    fn from(err: object_store::Error) -> Self {
        crate::s3_error::from_object_store(err)
    }
}
