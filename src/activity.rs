//! The studio's activity log: who did what, when, for which client. Entries are written in
//! the transaction of the event they describe, so the log never claims what did not happen.

use sqlx::{Any, Executor};

use crate::db::activity::NewEntry;
use crate::db::{self, DbError};
use crate::domain::{FileId, Timestamp, TransferId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Login,
    Upload,
    Download,
    TransferCompleted,
    DeliveryPublished,
    DeliveryUnpublished,
    ClientCreated,
    ClientDisabled,
    ClientEnabled,
    /// A client opened a delivery's page (at most once a day per delivery).
    DeliveryOpened,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Login,
        Kind::Upload,
        Kind::Download,
        Kind::TransferCompleted,
        Kind::DeliveryPublished,
        Kind::DeliveryUnpublished,
        Kind::ClientCreated,
        Kind::ClientDisabled,
        Kind::ClientEnabled,
        Kind::DeliveryOpened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::Upload => "upload",
            Kind::Download => "download",
            Kind::TransferCompleted => "transfer_completed",
            Kind::DeliveryPublished => "delivery_published",
            Kind::DeliveryUnpublished => "delivery_unpublished",
            Kind::ClientCreated => "client_created",
            Kind::ClientDisabled => "client_disabled",
            Kind::ClientEnabled => "client_enabled",
            Kind::DeliveryOpened => "delivery_opened",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One event, built with the subjects it concerns.
pub struct Event {
    kind: Kind,
    actor: Option<UserId>,
    client: Option<UserId>,
    transfer: Option<TransferId>,
    file: Option<FileId>,
    detail: String,
}

impl Event {
    pub fn new(kind: Kind, actor: Option<UserId>) -> Self {
        Self {
            kind,
            actor,
            client: None,
            transfer: None,
            file: None,
            detail: String::new(),
        }
    }

    /// An event about a transfer: its client, itself, and its title as the detail.
    pub fn about(kind: Kind, actor: Option<UserId>, transfer: &crate::db::transfers::Transfer) -> Self {
        Self::new(kind, actor)
            .client(transfer.client)
            .transfer(transfer.id)
            .detail(transfer.title.clone())
    }

    /// The client the event concerns (none for the portfolio's files).
    pub fn client(mut self, client: impl Into<Option<UserId>>) -> Self {
        self.client = client.into();
        self
    }

    pub fn transfer(mut self, transfer: TransferId) -> Self {
        self.transfer = Some(transfer);
        self
    }

    pub fn file(mut self, file: FileId) -> Self {
        self.file = Some(file);
        self
    }

    /// A short human detail: a file or transfer name, a byte count.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

pub async fn record<'e>(ex: impl Executor<'e, Database = Any>, event: &Event, now: Timestamp) -> Result<(), DbError> {
    let entry = NewEntry {
        kind: event.kind.as_str(),
        actor: event.actor,
        client: event.client,
        transfer: event.transfer,
        file: event.file,
        detail: &event.detail,
    };
    db::activity::insert(ex, entry, now).await
}
