//! Favourites and selections: the client of a delivery (and guests whose link allows it)
//! mark its files in named lists ("Album", "Retouches"), within the studio's limit per
//! list; submitting a list locks it and tells the studio, who can reopen it and export
//! it (file names for Lightroom, CSV, a ZIP). Lists hold files by id, so a rename or a
//! republication changes nothing.

use std::collections::HashMap;

use crate::db::selections::{self, ListRow, Owner};
use crate::db::transfers::Transfer;
use crate::db::users::User;
use crate::db::{self, DbError};
use crate::domain::{Direction, FileId, Role, Timestamp, TransferId};
use crate::guests::{Guest, Permission};
use crate::mail::{self, notices};
use crate::state::AppState;

/// The list a favourite goes to when none is named.
pub const DEFAULT_LIST: &str = "Favoris";
const MAX_LIST_NAME: usize = 60;
const MAX_LISTS_PER_PERSON: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("the list “{0}” was submitted; ask the studio to reopen it")]
    Submitted(String),
    #[error("the list “{name}” takes at most {max} files")]
    Full { name: String, max: i64 },
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<crate::transfers::TransferError> for SelectionError {
    fn from(e: crate::transfers::TransferError) -> Self {
        match e {
            crate::transfers::TransferError::Db(e) => SelectionError::Db(e),
            _ => SelectionError::NotFound,
        }
    }
}

/// Who marks favourites: the delivery's client, or a guest through a view link.
#[derive(Debug, Clone)]
pub enum Picker {
    Client(User),
    Guest(Guest),
}

impl Picker {
    fn owner(&self) -> Owner {
        match self {
            Picker::Client(user) => Owner::User(user.id.to_string()),
            Picker::Guest(guest) => Owner::Link(guest.link_id.clone()),
        }
    }

    /// The delivery `id` as this person may mark it.
    async fn delivery(&self, state: &AppState, id: TransferId) -> Result<Transfer, SelectionError> {
        let transfer = match self {
            Picker::Client(user) => {
                if user.role != Role::Client {
                    return Err(SelectionError::Forbidden);
                }
                crate::transfers::readable(state, user, id).await?
            }
            Picker::Guest(guest) => {
                if !guest.may(Permission::Favourite) {
                    return Err(SelectionError::Forbidden);
                }
                guest.transfer(id).map_err(|_| SelectionError::NotFound)?
            }
        };
        if transfer.direction != Direction::Delivery {
            return Err(SelectionError::NotFound);
        }
        Ok(transfer)
    }

    /// The file `id`, in a delivery this person may mark.
    async fn file(&self, state: &AppState, id: FileId) -> Result<(db::files::FileRecord, Transfer), SelectionError> {
        let file = match self {
            Picker::Guest(guest) => guest.file(state, id).await.map_err(|e| match e {
                // A database that fails is not a file that is missing.
                crate::guests::GuestError::Db(db) => SelectionError::Db(db),
                _ => SelectionError::NotFound,
            })?,
            Picker::Client(_) => db::files::find(state.db.pool(), id)
                .await?
                .filter(db::files::FileRecord::has_bytes)
                .ok_or(SelectionError::NotFound)?,
        };
        let transfer = self.delivery(state, file.transfer).await?;
        Ok((file, transfer))
    }
}

/// A list name as typed: trimmed, 1 to 60 characters, no control characters.
pub fn list_name(raw: Option<&str>) -> Result<String, SelectionError> {
    let name = raw.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(DEFAULT_LIST);
    if name.chars().count() > MAX_LIST_NAME || name.chars().any(char::is_control) {
        return Err(SelectionError::Invalid {
            field: "list",
            message: format!("a list's name is 1 to {MAX_LIST_NAME} characters, without control characters"),
        });
    }
    Ok(name.to_owned())
}

/// Where a list stands after a mark.
#[derive(Debug, serde::Serialize)]
pub struct Marked {
    pub file: String,
    pub list: String,
    pub count: i64,
    pub limit: Option<i64>,
    pub submitted: bool,
}

/// Marks (`on`) or unmarks a file in the picker's list `list`.
pub async fn mark(
    state: &AppState,
    picker: &Picker,
    file: FileId,
    list: Option<&str>,
    on: bool,
) -> Result<Marked, SelectionError> {
    let name = list_name(list)?;
    let (_, transfer) = picker.file(state, file).await?;
    let owner = picker.owner();
    let now = state.clock.now();
    if on
        && selections::find_list(state.db.pool(), transfer.id, &owner.key(), &name)
            .await?
            .is_none()
        && selections::lists(state.db.pool(), transfer.id, Some(&owner.key()))
            .await?
            .len()
            >= MAX_LISTS_PER_PERSON
    {
        return Err(SelectionError::Invalid {
            field: "list",
            message: format!("at most {MAX_LISTS_PER_PERSON} lists per person"),
        });
    }
    let limit = selections::limit(state.db.pool(), transfer.id, &name).await?;
    if !on
        && selections::find_list(state.db.pool(), transfer.id, &owner.key(), &name)
            .await?
            .is_none()
    {
        // Nothing to take out of a list that does not exist (and no list is made for it).
        return Ok(Marked {
            file: file.to_string(),
            list: name,
            count: 0,
            limit,
            submitted: false,
        });
    }
    let mut tx = state.db.begin().await?;
    let row = selections::list_for_update(&mut tx, state.db.backend(), transfer.id, &owner, &name, now).await?;
    if row.submitted_at.is_some() {
        return Err(SelectionError::Submitted(name));
    }
    if on {
        if let Some(max) = limit
            && selections::count(&mut *tx, &row.id).await? >= max
            && !selections::contains(&mut *tx, &row.id, file).await?
        {
            return Err(SelectionError::Full { name, max });
        }
        selections::add(&mut *tx, &row.id, file, now).await?;
    } else {
        selections::remove(&mut *tx, &row.id, file).await?;
    }
    let count = selections::count(&mut *tx, &row.id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(Marked {
        file: file.to_string(),
        list: name,
        count,
        limit,
        submitted: false,
    })
}

/// The picker sends their list to the studio: it is locked, and every studio account
/// gets one email. Returns the list as it now stands.
pub async fn submit(
    state: &AppState,
    picker: &Picker,
    transfer: TransferId,
    list: Option<&str>,
) -> Result<ListView, SelectionError> {
    let name = list_name(list)?;
    let delivery = picker.delivery(state, transfer).await?;
    let owner = picker.owner();
    let row = selections::find_list(state.db.pool(), transfer, &owner.key(), &name)
        .await?
        .ok_or_else(|| SelectionError::Invalid {
            field: "list",
            message: format!("no list “{name}” to submit: mark some files first"),
        })?;
    let count = selections::count(state.db.pool(), &row.id).await?;
    if count == 0 {
        return Err(SelectionError::Invalid {
            field: "list",
            message: format!("the list “{name}” is empty"),
        });
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !selections::set_submitted(&mut *tx, &row.id, Some(now)).await? {
        return Err(SelectionError::Submitted(name));
    }
    let who = owner_name(state, &row).await?;
    let studio_name = state.studio.name().await?;
    let url = format!(
        "{}/studio/transfers/{transfer}",
        state.cfg.public_url.as_str().trim_end_matches('/')
    );
    for member in db::users::active_with_role(&mut *tx, Role::Studio).await? {
        let to = notices::Recipient::of(&member);
        let email = notices::selection_submitted(&to, &studio_name, &who, &name, count, &delivery.title, &url)
            .map_err(|e| DbError::Corrupt(format!("email template: {e}")))?;
        mail::queue(&mut tx, &state.mailer, &email, Some(member.id), now).await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    let views = selection(state, transfer, Some(&owner.key())).await?;
    views
        .into_iter()
        .find(|v| v.id == row.id)
        .ok_or(SelectionError::NotFound)
}

/// The studio reopens a submitted list; false when it was not submitted.
pub async fn reopen(state: &AppState, list: &str) -> Result<bool, SelectionError> {
    selections::find_by_id(state.db.pool(), list)
        .await?
        .ok_or(SelectionError::NotFound)?;
    Ok(selections::set_submitted(state.db.pool(), list, None).await?)
}

/// The studio's limits per list name on a delivery.
pub async fn set_limits(
    state: &AppState,
    transfer: TransferId,
    limits: HashMap<String, i64>,
) -> Result<(), SelectionError> {
    let found = db::transfers::find(state.db.pool(), transfer)
        .await?
        .ok_or(SelectionError::NotFound)?;
    if found.direction != Direction::Delivery {
        return Err(SelectionError::NotFound);
    }
    let mut parsed: Vec<(String, i64)> = Vec::new();
    for (name, max) in limits {
        let name = list_name(Some(&name))?;
        if !(1..=100_000).contains(&max) {
            return Err(SelectionError::Invalid {
                field: "limits",
                message: format!("{name}: expected 1 to 100000 files"),
            });
        }
        if parsed.iter().any(|(n, _)| *n == name) {
            return Err(SelectionError::Invalid {
                field: "limits",
                message: format!("{name}: named twice"),
            });
        }
        parsed.push((name, max));
    }
    let mut tx = state.db.begin().await?;
    selections::set_limits(&mut tx, transfer, &parsed).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Who a list belongs to, as the studio reads it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OwnerView {
    /// `client` or `guest`.
    pub kind: &'static str,
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Item {
    pub id: String,
    pub name: String,
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ListView {
    pub id: String,
    pub name: String,
    pub owner: OwnerView,
    pub count: usize,
    pub limit: Option<i64>,
    pub submitted_at: Option<Timestamp>,
    pub files: Vec<Item>,
}

async fn owner_name(state: &AppState, row: &ListRow) -> Result<String, DbError> {
    if let Some(user) = row.user_id.as_deref().and_then(crate::domain::UserId::parse) {
        return Ok(db::users::find(state.db.pool(), user)
            .await?
            .map_or_else(|| "—".to_owned(), |u| u.name));
    }
    if let Some(link) = row.link_id.as_deref() {
        return Ok(db::guest_links::find(state.db.pool(), link)
            .await?
            .map_or_else(|| "—".to_owned(), |l| l.label));
    }
    Ok("—".to_owned())
}

/// A delivery's lists (one person's when `owner_key` is given), with their files as
/// they are now (current names; deleted files left out).
pub async fn selection(
    state: &AppState,
    transfer: TransferId,
    owner_key: Option<&str>,
) -> Result<Vec<ListView>, SelectionError> {
    let lists = selections::lists(state.db.pool(), transfer, owner_key).await?;
    let items = selections::items(state.db.pool(), transfer).await?;
    // Only the files in the lists: a delivery of 10 000 photos with 60 favourites reads 60.
    let mut wanted: Vec<String> = items.iter().map(|(_, file)| file.clone()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let files: HashMap<String, db::files::FileRecord> = db::file_pages::by_ids(state.db.pool(), transfer, &wanted)
        .await?
        .into_iter()
        .map(|f| (f.id.to_string(), f))
        .collect();
    let limits: HashMap<String, i64> = selections::limits(state.db.pool(), transfer)
        .await?
        .into_iter()
        .collect();
    let mut views = Vec::new();
    for row in lists {
        let owner = OwnerView {
            kind: if row.user_id.is_some() { "client" } else { "guest" },
            id: row.user_id.clone().or_else(|| row.link_id.clone()).unwrap_or_default(),
            name: owner_name(state, &row).await?,
        };
        // A guest's list never shows what the studio hid from guests since.
        let for_guest = row.link_id.is_some();
        let list_files: Vec<Item> = items
            .iter()
            .filter(|(list, _)| *list == row.id)
            .filter_map(|(_, file)| files.get(file))
            .filter(|f| !(for_guest && f.hidden_from_guests))
            .map(|f| Item {
                id: f.id.to_string(),
                name: f.name.clone(),
                sha256: f.sha256.clone(),
            })
            .collect();
        views.push(ListView {
            limit: limits.get(&row.name).copied(),
            count: list_files.len(),
            files: list_files,
            id: row.id,
            name: row.name,
            owner,
            submitted_at: row.submitted_at,
        });
    }
    Ok(views)
}

/// Lightroom's Library filter ("Filename contains", names separated by commas): each
/// name without its extension, and a name holding a comma only up to it (what comes
/// first still finds the file; the comma would split it in two).
pub fn lightroom_filter(lists: &[ListView]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for name in lightroom_names(lists) {
        let part = name.split(',').next().unwrap_or_default().trim().to_owned();
        if !part.is_empty() && !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts.join(", ")
}

/// File names as Lightroom's catalogue knows them: each without its extension (the
/// catalogue holds the RAW, the delivery its JPEG), once each.
pub fn lightroom_names(lists: &[ListView]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for item in lists.iter().flat_map(|l| &l.files) {
        let base = item.name.rsplit(['/', '\\']).next().unwrap_or(&item.name);
        let stem = match base.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() => stem,
            _ => base,
        };
        if !names.iter().any(|n| n == stem) {
            names.push(stem.to_owned());
        }
    }
    names
}

/// CSV (RFC 4180) of the lists: name, SHA-256, list, who. A cell a spreadsheet would
/// take for a formula is prefixed with `'`.
pub fn csv(lists: &[ListView]) -> String {
    fn cell(value: &str) -> String {
        let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{value}")
        } else {
            value.to_owned()
        };
        if value.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value
        }
    }
    let mut out = String::from("name,sha256,list,who\r\n");
    for list in lists {
        for item in &list.files {
            out.push_str(&format!(
                "{},{},{},{}\r\n",
                cell(&item.name),
                cell(item.sha256.as_deref().unwrap_or_default()),
                cell(&list.name),
                cell(&list.owner.name)
            ));
        }
    }
    out
}

/// The key of the picker's own lists.
pub fn owner_key_of(picker: &Picker) -> String {
    picker.owner().key()
}
