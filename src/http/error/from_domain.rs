//! How each domain's errors answer over HTTP: the one place where a domain error
//! becomes a status, a stable code and a message. Domains know nothing of HTTP.

use crate::accounts::AccountError;
use crate::appointments::AppointmentError;
use crate::downloads::DownloadError;
use crate::gdpr::GdprError;
use crate::guests::GuestError;
use crate::integration::IntegrationError;
use crate::integration::idempotency::IdempotencyError;
use crate::integration::sync::{Parent, SyncError};
use crate::newsletter::NewsletterError;
use crate::portfolio::PortfolioError;
use crate::selections::SelectionError;
use crate::transfers::TransferError;
use crate::trash::TrashError;
use crate::uploads::UploadError;

use relais_storage::BlobError;

use super::AppError;

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::UnknownParent { parent, ref id } => AppError::Conflict {
                code: match parent {
                    Parent::Client => "unknown_client",
                    Parent::Quote => "unknown_quote",
                    Parent::Invoice => "unknown_invoice",
                },
                detail: format!(
                    "no {} has the id {id} yet: send it first, then retry this request",
                    match parent {
                        Parent::Client => "client",
                        Parent::Quote => "quote",
                        Parent::Invoice => "invoice",
                    }
                ),
            },
            SyncError::Invalid(errors) => AppError::Validation(errors),
            SyncError::EmailTaken => AppError::Conflict {
                code: "email_taken",
                detail: e.to_string(),
            },
            SyncError::ClientDeleted => AppError::Conflict {
                code: "client_deleted",
                detail: e.to_string(),
            },
            SyncError::Raced => AppError::Conflict {
                code: "request_in_progress",
                detail: "a concurrent request is writing this record; retry".into(),
            },
            SyncError::Db(db) => db.into(),
            SyncError::Account(a) => a.into(),
        }
    }
}

impl From<IdempotencyError> for AppError {
    fn from(e: IdempotencyError) -> Self {
        match e {
            IdempotencyError::Reused => AppError::Unprocessable {
                code: "idempotency_key_reused",
                detail: e.to_string(),
            },
            IdempotencyError::InProgress => AppError::Conflict {
                code: "request_in_progress",
                detail: e.to_string(),
            },
            IdempotencyError::Db(db) => db.into(),
        }
    }
}

impl From<PortfolioError> for AppError {
    fn from(e: PortfolioError) -> Self {
        match e {
            PortfolioError::NotFound => AppError::NotFound,
            PortfolioError::Invalid { field, message } => AppError::validation(field, message),
            e @ PortfolioError::SlugTaken(_) => AppError::Conflict {
                code: "slug_taken",
                detail: e.to_string(),
            },
            PortfolioError::Db(e) => e.into(),
        }
    }
}

impl From<UploadError> for AppError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::NotFound => AppError::NotFound,
            UploadError::Expired => AppError::Gone,
            UploadError::Locked => AppError::Locked,
            UploadError::OffsetMismatch { current } => AppError::OffsetMismatch { current },
            UploadError::TooLarge(detail) => AppError::PayloadTooLarge { detail },
            UploadError::NoRoom(_) => AppError::InsufficientStorage,
            UploadError::ChecksumMismatch => AppError::ChecksumMismatch,
            UploadError::NotAccepted(detail) => AppError::Unprocessable {
                code: "category_not_accepted",
                detail,
            },
            UploadError::Invalid { field, message } => AppError::BadRequest {
                code: "invalid_upload",
                detail: format!("{field}: {message}"),
            },
            UploadError::Storage(BlobError::StagingBusy { .. }) => AppError::Locked,
            UploadError::Storage(BlobError::TooManyParts) => AppError::PayloadTooLarge {
                detail: BlobError::TooManyParts.to_string(),
            },
            UploadError::Storage(e) => e.into(),
            UploadError::Db(e) => e.into(),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::EmailTaken => AppError::Conflict {
                code: "email_taken",
                detail: e.to_string(),
            },
            AccountError::EmailInTrash => AppError::Conflict {
                code: "email_in_trash",
                detail: e.to_string(),
            },
            AccountError::Invalid { field, message } => AppError::validation(field, message),
            AccountError::InvalidFields(list) => AppError::Validation(
                list.into_iter()
                    .map(|(field, message)| crate::http::error::FieldError::new(field, message))
                    .collect(),
            ),
            AccountError::UnknownAccount => AppError::NotFound,
            AccountError::InvalidLink => AppError::BadRequest {
                code: "invalid_link",
                detail: e.to_string(),
            },
            AccountError::Db(db) => db.into(),
            AccountError::Auth(a) => a.into(),
            AccountError::Template(t) => AppError::internal(t),
        }
    }
}

impl From<SelectionError> for AppError {
    fn from(e: SelectionError) -> Self {
        match e {
            SelectionError::Invalid { field, message } => AppError::validation(field, message),
            SelectionError::Submitted(_) => AppError::Conflict {
                code: "selection_submitted",
                detail: e.to_string(),
            },
            SelectionError::Full { .. } => AppError::Conflict {
                code: "selection_full",
                detail: e.to_string(),
            },
            SelectionError::NotFound => AppError::NotFound,
            SelectionError::Forbidden => AppError::Forbidden,
            SelectionError::Db(e) => e.into(),
        }
    }
}

impl From<AppointmentError> for AppError {
    fn from(e: AppointmentError) -> Self {
        match e {
            AppointmentError::Invalid(list) => AppError::Validation(list),
            AppointmentError::NotFound => AppError::NotFound,
            AppointmentError::FromQuoteSite => AppError::Conflict {
                code: "managed_by_quote_site",
                detail: e.to_string(),
            },
            AppointmentError::Db(db) => db.into(),
        }
    }
}

impl From<TransferError> for AppError {
    fn from(e: TransferError) -> Self {
        match e {
            TransferError::NotFound => AppError::NotFound,
            TransferError::Invalid { field, message } => AppError::validation(field, message),
            TransferError::AlreadyAnnounced => AppError::Conflict {
                code: "already_announced",
                detail: e.to_string(),
            },
            TransferError::Db(e) => e.into(),
        }
    }
}

impl From<NewsletterError> for AppError {
    fn from(e: NewsletterError) -> Self {
        match e {
            NewsletterError::Invalid(message) => AppError::validation("email", message),
            NewsletterError::InvalidLink => AppError::BadRequest {
                code: "invalid_link",
                detail: e.to_string(),
            },
            NewsletterError::AlreadySent => AppError::Conflict {
                code: "already_sent",
                detail: e.to_string(),
            },
            NewsletterError::NoSuchIssue => AppError::NotFound,
            NewsletterError::Db(db) => db.into(),
            NewsletterError::Template(t) => AppError::internal(t),
        }
    }
}

impl From<GuestError> for AppError {
    fn from(e: GuestError) -> Self {
        match e {
            // Unknown, missing PIN and wrong PIN: 401, each with its own code.
            GuestError::Unknown => AppError::Unauthenticated,
            GuestError::PinRequired => AppError::LinkLocked {
                code: "pin_required",
                detail: e.to_string(),
            },
            GuestError::WrongPin => AppError::LinkLocked {
                code: "invalid_pin",
                detail: e.to_string(),
            },
            GuestError::Throttled { retry_after_secs } => AppError::RateLimited { retry_after_secs },
            GuestError::Revoked => AppError::LinkGone {
                code: "link_revoked",
                detail: e.to_string(),
            },
            GuestError::Expired => AppError::LinkGone {
                code: "link_expired",
                detail: e.to_string(),
            },
            GuestError::Unavailable => AppError::LinkGone {
                code: "delivery_unavailable",
                detail: e.to_string(),
            },
            GuestError::Invalid { field, message } => AppError::validation(field, message),
            GuestError::Conflict(code, detail) => AppError::Conflict { code, detail },
            GuestError::Forbidden => AppError::Forbidden,
            GuestError::NotFound => AppError::NotFound,
            GuestError::Db(e) => e.into(),
        }
    }
}

impl From<IntegrationError> for AppError {
    fn from(e: IntegrationError) -> Self {
        match e {
            IntegrationError::InvalidName(m) => AppError::validation("name", m),
            IntegrationError::NotFound => AppError::NotFound,
            IntegrationError::Db(db) => db.into(),
        }
    }
}

impl From<TrashError> for AppError {
    fn from(e: TrashError) -> Self {
        match e {
            TrashError::NotFound => AppError::NotFound,
            TrashError::Forbidden => AppError::Forbidden,
            TrashError::NotDeletable => AppError::Conflict {
                code: "not_deletable",
                detail: e.to_string(),
            },
            TrashError::Transfer(t) => t.into(),
            TrashError::Upload(u) => AppError::internal(u),
            TrashError::Blob(b) => b.into(),
            TrashError::Db(db) => db.into(),
        }
    }
}

impl From<DownloadError> for AppError {
    fn from(e: DownloadError) -> Self {
        match e {
            DownloadError::NotFound => AppError::NotFound,
            DownloadError::NotReady => AppError::Conflict {
                code: "file_not_ready",
                detail: e.to_string(),
            },
            DownloadError::Transfer(t) => t.into(),
            DownloadError::Blob(b) => b.into(),
            DownloadError::Db(db) => db.into(),
            DownloadError::Corrupt(_) => AppError::internal(e),
        }
    }
}

impl From<GdprError> for AppError {
    fn from(e: GdprError) -> Self {
        match e {
            GdprError::NotFound => AppError::NotFound,
            GdprError::Db(db) => db.into(),
            GdprError::Encode(_) => AppError::internal(e),
        }
    }
}
