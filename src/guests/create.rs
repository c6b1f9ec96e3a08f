//! Making a link: a view link on a delivery, or an upload link (a file request) on an
//! inbound transfer. Input is parsed here once; the row keeps only hashes of secrets.

use super::{GuestError, LinkRequest, LinkView, MIN_PIN, Permission, TOKEN_PREFIX, url};
use crate::auth::secrets::{random_token, sha256_hex};
use crate::db::guest_links::{self, NewLink};
use crate::db::users::User;
use crate::db::{self, DbError};
use crate::domain::{Category, Direction, TransferId};
use crate::state::AppState;

fn invalid(field: &'static str, message: impl Into<String>) -> GuestError {
    GuestError::Invalid {
        field,
        message: message.into(),
    }
}

/// What kind of link, and what it allows.
enum Kind {
    View { permissions: Vec<Permission> },
    Upload(UploadLimits),
}

struct UploadLimits {
    max_files: Option<i64>,
    max_bytes: Option<i64>,
    categories: Option<Vec<Category>>,
}

fn view_permissions(requested: Option<Vec<String>>) -> Result<Vec<Permission>, GuestError> {
    let mut permissions = vec![Permission::View];
    for raw in requested.unwrap_or_else(|| vec!["view".into(), "download".into()]) {
        let p = Permission::parse(&raw).ok_or_else(|| {
            invalid(
                "permissions",
                format!("unknown permission {raw:?} (expected view, download, download_web, favourite)"),
            )
        })?;
        if !permissions.contains(&p) {
            permissions.push(p);
        }
    }
    Ok(permissions)
}

fn upload_limits(input: &LinkRequest) -> Result<UploadLimits, GuestError> {
    if input.permissions.is_some() {
        return Err(invalid(
            "permissions",
            "an upload link only takes files; it has no permissions",
        ));
    }
    let max_files = match input.max_files {
        Some(0) => return Err(invalid("max_files", "expected at least 1")),
        Some(n) if n > 100_000 => return Err(invalid("max_files", "expected at most 100000")),
        n => n.map(|n| n as i64),
    };
    let max_bytes = match input.max_bytes {
        Some(0) => return Err(invalid("max_bytes", "expected at least 1 byte")),
        Some(n) => Some(i64::try_from(n).map_err(|_| invalid("max_bytes", "too large"))?),
        None => None,
    };
    let categories = match &input.categories {
        None => None,
        Some(list) if list.is_empty() => {
            return Err(invalid(
                "categories",
                "name at least one, or leave it out to take every category",
            ));
        }
        Some(list) => {
            let mut parsed = Vec::new();
            for raw in list {
                let c = Category::parse(raw).ok_or_else(|| {
                    invalid(
                        "categories",
                        format!("unknown category {raw:?} (expected music, document, photo, video, other)"),
                    )
                })?;
                if !parsed.contains(&c) {
                    parsed.push(c);
                }
            }
            Some(parsed)
        }
    };
    Ok(UploadLimits {
        max_files,
        max_bytes,
        categories,
    })
}

/// Makes a link on `transfer`: a view link on a delivery, an upload link on an inbound
/// transfer. Returns it and its token (shown once: only its hash is kept).
pub async fn create_link(
    state: &AppState,
    creator: &User,
    transfer: TransferId,
    input: LinkRequest,
) -> Result<(LinkView, String), GuestError> {
    let now = state.clock.now();
    let found = db::transfers::find(state.db.pool(), transfer)
        .await?
        .ok_or_else(|| invalid("transfer", "no such transfer"))?;
    // A client makes links on their own transfers only, when the studio lets them: view
    // links on a delivery they can see, upload links on their inbound transfers.
    if creator.role != crate::domain::Role::Studio {
        if found.client != Some(creator.id) || !found.is_visible_to_client(now) {
            return Err(GuestError::NotFound);
        }
        if !db::users::may_share(state.db.pool(), creator.id).await? {
            return Err(GuestError::Forbidden);
        }
    }
    let kind = match (input.kind.as_str(), found.direction) {
        ("view", Direction::Delivery) => Kind::View {
            permissions: view_permissions(input.permissions.clone())?,
        },
        ("view", _) => {
            return Err(GuestError::Conflict(
                "not_a_delivery",
                "view links are made on deliveries".into(),
            ));
        }
        ("upload", Direction::Inbound) if found.client.is_some() => Kind::Upload(upload_limits(&input)?),
        ("upload", _) => {
            return Err(GuestError::Conflict(
                "not_inbound",
                "upload links are made on a client's inbound transfers".into(),
            ));
        }
        _ => return Err(invalid("kind", "expected view or upload")),
    };
    let email = match input.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => Some(
            crate::domain::Email::parse(e)
                .map_err(|m| invalid("email", m.to_string()))?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    let label = match input.label.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        Some(l) if l.chars().count() > 100 => return Err(invalid("label", "expected at most 100 characters")),
        Some(l) if l.chars().any(char::is_control) => return Err(invalid("label", "no control characters")),
        Some(l) => l.to_owned(),
        None => email.clone().unwrap_or_else(|| "—".to_owned()),
    };
    let pin_hash = match input.pin.as_deref() {
        None => None,
        Some(pin) if !(MIN_PIN..=64).contains(&pin.chars().count()) => {
            return Err(invalid("pin", format!("expected {MIN_PIN} to 64 characters")));
        }
        Some(pin) => Some(
            crate::auth::password::hash(pin)
                .await
                .map_err(|e| GuestError::Db(DbError::Corrupt(e.to_string())))?,
        ),
    };
    if input.expires_at.is_some_and(|at| at <= now) {
        return Err(invalid(
            "expires_at",
            "expected a time in the future (milliseconds since 1970)",
        ));
    }
    let (kind_name, permissions, limits) = match &kind {
        Kind::View { permissions } => (
            "view",
            permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(","),
            None,
        ),
        Kind::Upload(limits) => ("upload", "upload".to_owned(), Some(limits)),
    };
    let categories = limits
        .and_then(|l| l.categories.as_ref())
        .map(|c| c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(","));
    let token = random_token(TOKEN_PREFIX);
    let id = uuid::Uuid::now_v7().to_string();
    let transfer_id = transfer.to_string();
    let creator_id = creator.id.to_string();
    let mut tx = state.db.begin().await?;
    guest_links::insert(
        &mut *tx,
        &NewLink {
            id: &id,
            transfer: &transfer_id,
            kind: kind_name,
            label: &label,
            email: email.as_deref(),
            token_hash: &sha256_hex(&token),
            pin_hash: pin_hash.as_deref(),
            permissions: &permissions,
            expires_at: input.expires_at,
            created_by: &creator_id,
            max_files: limits.and_then(|l| l.max_files),
            max_bytes: limits.and_then(|l| l.max_bytes),
            categories: categories.as_deref(),
        },
        now,
    )
    .await?;
    // The recipient gets the link by email, in the same transaction: no link is made
    // whose message is lost, none is sent for a link that was not made.
    if let Some(address) = email.as_deref() {
        let to = crate::mail::notices::Recipient {
            locale: input.locale.unwrap_or_default(),
            address,
            name: &label,
        };
        let studio_name = state.studio.name().await?;
        let message = match kind {
            Kind::View { .. } => crate::mail::notices::guest_link(
                &to,
                &studio_name,
                &found.title,
                pin_hash.is_some(),
                input.expires_at,
                &url(state, &token),
            ),
            Kind::Upload(_) => crate::mail::notices::upload_link(
                &to,
                &studio_name,
                pin_hash.is_some(),
                input.expires_at,
                &url(state, &token),
            ),
        }
        .map_err(|e| GuestError::Db(DbError::Corrupt(format!("the guest's email: {e}"))))?;
        crate::mail::queue(&mut tx, &state.mailer, &message, None, now).await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    if email.is_some() {
        state.jobs_queued();
    }
    let row = guest_links::find(state.db.pool(), &id)
        .await?
        .ok_or(GuestError::Unknown)?;
    Ok((LinkView::new(row, (0, 0)), token))
}
