//! Applying what the quote site sends. Each function runs inside the caller's transaction
//! (which also records the idempotent answer), checks the record's parents, and writes
//! only a newer version: an older or equal one is acknowledged and ignored.

use sha2::{Digest, Sha256};

pub use super::appointment_sync::appointment;
use crate::accounts::{self, AccountError};
use crate::activity::{self, Event, Kind};
use crate::db::ledger::{self, NewDocument, Stored, Table};
use crate::db::users::NewUser;
use crate::db::{self, DbError, Tx};
use crate::domain::FieldError;
use crate::domain::quote_site::{
    ClientRecord, DocumentKind, DocumentMeta, ExtId, InvoiceRecord, PaymentRecord, QuoteRecord,
};
use crate::domain::{Role, Timestamp};
use crate::mail::{self, notices};
use crate::state::AppState;

/// What became of a record, said in the answer's `result`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    /// The same version with the same content again.
    Unchanged,
    /// An older version, or the same version with other content: ignored.
    Stale,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Stale => "stale",
        }
    }
}

/// A parent the quote site must send first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    Client,
    Quote,
    Invoice,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("unknown {parent:?} {id}: send it before the records that refer to it")]
    UnknownParent { parent: Parent, id: String },
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("this email address belongs to another account")]
    EmailTaken,
    /// The studio deleted this client (or the account holding the address) in Relais.
    #[error(
        "the studio deleted this client in Relais: it can restore them from the trash; once erased, send the client again under a new id"
    )]
    ClientDeleted,
    /// A concurrent request wrote the same new record first; the caller runs again.
    #[error("a concurrent request wrote this record first")]
    Raced,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot write the email: {0}")]
    Account(#[from] AccountError),
}

impl SyncError {
    fn invalid(field: &str, message: impl ToString) -> Self {
        SyncError::Invalid(vec![FieldError::new(field, message)])
    }

    /// Whether running the same request again may succeed (a lost race).
    pub fn is_race(&self) -> bool {
        match self {
            SyncError::Raced => true,
            SyncError::Db(e) => e.is_unique_violation(),
            _ => false,
        }
    }
}

/// The answer's body for an accepted record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Applied {
    pub id: String,
    pub result: Outcome,
    /// The version Relais holds now (the one sent, unless it was stale).
    pub version: i64,
    /// For a client: the Relais account it is linked to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// SHA-256 over the fields as applied, to tell a resend of a version from a conflicting one.
fn digest(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for p in parts {
        hash.update(p.as_bytes());
        hash.update([0x1f]);
    }
    crate::auth::secrets::hex(&hash.finalize())
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("\u{0}")
}

/// Decides the outcome from what was stored before the upsert, whether it wrote, and
/// what is stored after it (a concurrent sender may have written the same version first).
pub(super) fn outcome(
    before: Option<&Stored>,
    written: bool,
    after: Option<&Stored>,
    version: i64,
    digest: &str,
) -> Outcome {
    match (before, written) {
        (None, true) => Outcome::Created,
        (Some(_), true) => Outcome::Updated,
        (_, false) if after.is_some_and(|s| s.version == version && s.digest == digest) => Outcome::Unchanged,
        (_, false) => Outcome::Stale,
    }
}

/// The answer once the upsert ran.
async fn applied(
    tx: &mut Tx,
    table: Table,
    ext: &ExtId,
    before: Option<Stored>,
    written: bool,
    (version, digest): (i64, &str),
) -> Result<Applied, SyncError> {
    let after = ledger::stored(&mut **tx, table, ext.as_str()).await?;
    Ok(Applied {
        id: ext.as_str().to_owned(),
        result: outcome(before.as_ref(), written, after.as_ref(), version, digest),
        version: after.map(|s| s.version).unwrap_or(version),
        account: None,
    })
}

/// A client: creates the account and queues the invitation the first time (or links an
/// existing client account with the same address), then keeps name, language, phone,
/// event date and address in step with the quote site.
pub async fn client(
    state: &AppState,
    tx: &mut Tx,
    ext: &ExtId,
    r: &ClientRecord,
    now: Timestamp,
) -> Result<Applied, SyncError> {
    let digest = digest(&[
        r.email.as_str(),
        &r.name,
        r.locale.as_str(),
        opt(&r.phone),
        opt(&r.event_date),
    ]);
    let before = ledger::stored(&mut **tx, Table::Clients, ext.as_str()).await?;
    let account = match ledger::client_account(&mut **tx, ext.as_str()).await? {
        None => {
            if db::users::in_trash_with_email(&mut **tx, &r.email).await? {
                return Err(SyncError::ClientDeleted);
            }
            let user = match db::users::find_by_email(&mut **tx, &r.email).await? {
                Some(u) if u.role == Role::Studio => return Err(SyncError::EmailTaken),
                Some(existing) => match ledger::client_ext_id(&mut **tx, existing.id).await? {
                    // This very record, committed by a concurrent call after our first
                    // look: a race, run again (it then finds the record and its account).
                    Some(linked) if linked == ext.as_str() => return Err(SyncError::Raced),
                    // Already the account of another quote-site client.
                    Some(_) => return Err(SyncError::EmailTaken),
                    None => {
                        db::users::update_profile(&mut **tx, existing.id, Some(&r.name), Some(r.locale), now).await?;
                        existing
                    }
                },
                None => {
                    let new = NewUser {
                        email: &r.email,
                        name: &r.name,
                        role: Role::Client,
                        locale: r.locale,
                        password_hash: None,
                        totp_secret: None,
                    };
                    let user = db::users::insert(&mut **tx, new, now).await?;
                    accounts::queue_invitation(state, tx, &user, now).await?;
                    let event = Event::new(Kind::ClientCreated, None)
                        .client(user.id)
                        .detail(format!("{} (site de devis)", user.name));
                    activity::record(&mut **tx, &event, now).await?;
                    user
                }
            };
            if !ledger::link_client(&mut **tx, ext.as_str(), user.id, r, &digest, now).await? {
                return Err(SyncError::Raced);
            }
            return Ok(Applied {
                id: ext.as_str().to_owned(),
                result: Outcome::Created,
                version: r.version,
                account: Some(user.id.to_string()),
            });
        }
        Some(account) => account,
    };
    // An account in the trash, or erased (kept nameless for its invoices), takes no
    // update: the studio's deletion wins over the quote site's copy.
    let Some(user) = db::users::find(&mut **tx, account).await? else {
        return Err(SyncError::ClientDeleted);
    };
    let written = ledger::update_client(&mut **tx, ext.as_str(), r, &digest, now).await?;
    if written {
        db::users::update_profile(&mut **tx, account, Some(&r.name), Some(r.locale), now).await?;
        if user.email != r.email.as_str() {
            move_address(state, tx, &user, r, now).await?;
        }
    }
    let mut answer = applied(tx, Table::Clients, ext, before, written, (r.version, &digest)).await?;
    answer.account = Some(account.to_string());
    Ok(answer)
}

/// Applies an address change and tells the new address: a fresh invitation when the
/// client has not chosen a password yet (the first one went to the old address), a
/// notice otherwise.
async fn move_address(
    state: &AppState,
    tx: &mut Tx,
    user: &db::users::User,
    r: &ClientRecord,
    now: Timestamp,
) -> Result<(), SyncError> {
    if let Some(other) = db::users::find_by_email(&mut **tx, &r.email).await?
        && other.id != user.id
    {
        return Err(SyncError::EmailTaken);
    }
    if db::users::in_trash_with_email(&mut **tx, &r.email).await? {
        return Err(SyncError::ClientDeleted);
    }
    db::users::set_email(&mut **tx, user.id, &r.email, now).await?;
    // Whatever was mailed to the old address (an invitation to a typo, a reset) ends now.
    accounts::address_changed(tx, user.id, now).await?;
    let moved = db::users::find(&mut **tx, user.id)
        .await?
        .ok_or_else(|| DbError::Corrupt("account vanished".into()))?;
    let studio = state.studio.name().await?;
    accounts::announce_move(state, tx, &moved, &user.email, &studio, now).await?;
    let has_password = db::users::credentials_by_id(&mut **tx, user.id)
        .await?
        .is_some_and(|c| c.password_hash.is_some());
    if has_password {
        let link = state
            .cfg
            .public_url
            .join("login")
            .map_err(|e| DbError::Corrupt(e.to_string()))?;
        let email = notices::email_updated(&notices::Recipient::of(&moved), &studio, link.as_str())
            .map_err(AccountError::from)?;
        mail::queue(tx, &state.mailer, &email, Some(user.id), now).await?;
    } else {
        accounts::queue_invitation(state, tx, &moved, now).await?;
    }
    Ok(())
}

pub async fn quote(tx: &mut Tx, ext: &ExtId, r: &QuoteRecord, now: Timestamp) -> Result<Applied, SyncError> {
    if ledger::client_account(&mut **tx, r.client.as_str()).await?.is_none() {
        return Err(SyncError::UnknownParent {
            parent: Parent::Client,
            id: r.client.as_str().to_owned(),
        });
    }
    let total = r.total.to_string();
    let digest = digest(&[
        r.client.as_str(),
        &r.number,
        opt(&r.title),
        r.status.as_str(),
        &total,
        r.currency.as_str(),
    ]);
    let before = ledger::stored(&mut **tx, Table::Quotes, ext.as_str()).await?;
    let written = ledger::upsert_quote(&mut **tx, ext.as_str(), r, &digest, now).await?;
    applied(tx, Table::Quotes, ext, before, written, (r.version, &digest)).await
}

pub async fn invoice(tx: &mut Tx, ext: &ExtId, r: &InvoiceRecord, now: Timestamp) -> Result<Applied, SyncError> {
    if ledger::client_account(&mut **tx, r.client.as_str()).await?.is_none() {
        return Err(SyncError::UnknownParent {
            parent: Parent::Client,
            id: r.client.as_str().to_owned(),
        });
    }
    if let Some(quote) = &r.quote {
        match ledger::quote_client(&mut **tx, quote.as_str()).await? {
            None => {
                return Err(SyncError::UnknownParent {
                    parent: Parent::Quote,
                    id: quote.as_str().to_owned(),
                });
            }
            Some(owner) if owner != r.client.as_str() => {
                return Err(SyncError::invalid("quote", "this quote belongs to another client"));
            }
            Some(_) => {}
        }
    }
    let total = r.total.to_string();
    let digest = digest(&[
        r.client.as_str(),
        r.quote.as_ref().map_or("\u{0}", |q| q.as_str()),
        &r.number,
        opt(&r.title),
        r.status.as_str(),
        &total,
        r.currency.as_str(),
        opt(&r.due_date),
    ]);
    let before = ledger::stored(&mut **tx, Table::Invoices, ext.as_str()).await?;
    let written = ledger::upsert_invoice(&mut **tx, ext.as_str(), r, &digest, now).await?;
    applied(tx, Table::Invoices, ext, before, written, (r.version, &digest)).await
}

pub async fn payment(tx: &mut Tx, ext: &ExtId, r: &PaymentRecord, now: Timestamp) -> Result<Applied, SyncError> {
    let Some((_, currency)) = ledger::invoice_owner(&mut **tx, r.invoice.as_str()).await? else {
        return Err(SyncError::UnknownParent {
            parent: Parent::Invoice,
            id: r.invoice.as_str().to_owned(),
        });
    };
    if currency != r.currency.as_str() {
        return Err(SyncError::invalid(
            "currency",
            format!("the invoice is in {currency}; a payment must be in the same currency"),
        ));
    }
    let amount = r.amount.to_string();
    let paid_at = r.paid_at.as_millis().to_string();
    let digest = digest(&[
        r.invoice.as_str(),
        &amount,
        r.currency.as_str(),
        &paid_at,
        opt(&r.method),
    ]);
    let before = ledger::stored(&mut **tx, Table::Payments, ext.as_str()).await?;
    let written = ledger::upsert_payment(&mut **tx, ext.as_str(), r, &digest, now).await?;
    applied(tx, Table::Payments, ext, before, written, (r.version, &digest)).await
}

/// A PDF already in storage at `blob_key`.
pub struct ReceivedPdf {
    pub blob_key: String,
    pub size: u64,
    pub sha256: String,
}

/// The client a document's owner belongs to, or the missing parent.
pub async fn document_client(tx: &mut Tx, meta: &DocumentMeta) -> Result<String, SyncError> {
    let owner = meta.owner.as_str();
    let (found, parent) = match meta.kind {
        DocumentKind::Quote => (ledger::quote_client(&mut **tx, owner).await?, Parent::Quote),
        DocumentKind::Invoice => (
            ledger::invoice_owner(&mut **tx, owner).await?.map(|(c, _)| c),
            Parent::Invoice,
        ),
        DocumentKind::Other => (
            ledger::client_account(&mut **tx, owner)
                .await?
                .map(|_| owner.to_owned()),
            Parent::Client,
        ),
    };
    found.ok_or_else(|| SyncError::UnknownParent {
        parent,
        id: owner.to_owned(),
    })
}

/// A document: returns the answer and the blob the record pointed to before, now
/// replaced (to be deleted once the transaction commits).
pub async fn document(
    tx: &mut Tx,
    ext: &ExtId,
    meta: &DocumentMeta,
    pdf: &ReceivedPdf,
    now: Timestamp,
) -> Result<(Applied, Option<String>), SyncError> {
    let client = document_client(tx, meta).await?;
    let digest = digest(&[meta.kind.as_str(), meta.owner.as_str(), &meta.filename, &pdf.sha256]);
    let before = ledger::stored(&mut **tx, Table::Documents, ext.as_str()).await?;
    let previous = ledger::document_blob(&mut **tx, ext.as_str()).await?;
    let row = NewDocument {
        client_ext_id: &client,
        kind: meta.kind.as_str(),
        owner_ext_id: meta.owner.as_str(),
        filename: &meta.filename,
        blob_key: &pdf.blob_key,
        size: pdf.size,
        sha256: &pdf.sha256,
        version: meta.version,
        digest: &digest,
    };
    let written = ledger::upsert_document(&mut **tx, ext.as_str(), &row, now).await?;
    let answer = applied(tx, Table::Documents, ext, before, written, (meta.version, &digest)).await?;
    Ok((answer, if written { previous } else { None }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_follows_the_version_and_the_content() {
        let stored = Stored {
            version: 3,
            digest: "abc".into(),
        };
        let s = Some(&stored);
        assert_eq!(outcome(None, true, s, 3, "abc"), Outcome::Created);
        assert_eq!(outcome(s, true, s, 3, "abc"), Outcome::Updated);
        assert_eq!(outcome(s, false, s, 3, "abc"), Outcome::Unchanged);
        assert_eq!(outcome(s, false, s, 3, "def"), Outcome::Stale);
        assert_eq!(outcome(s, false, s, 2, "abc"), Outcome::Stale);
        // A concurrent sender created the same record first: the same thing, not stale.
        assert_eq!(outcome(None, false, s, 3, "abc"), Outcome::Unchanged);
    }
}
