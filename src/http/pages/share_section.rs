//! The studio's transfer page, sharing part: the links for guests (made, listed,
//! revoked; a new link's URL and QR code shown once), and on a delivery the selections
//! (lists, exports, reopening, limits) and the sizes it offers.

use super::PageError;
use crate::db::transfers::{DownloadSizes, Transfer};
use crate::domain::{Direction, Locale};
use crate::state::AppState;
use crate::texts::Texts;
use crate::texts::share::ShareTexts;
use crate::{guests, i18n, selections};

pub struct LinkLine {
    pub id: String,
    pub kind: &'static str,
    pub label: String,
    /// "Révoqué", "Expiré", or `None` while it works.
    pub ended: Option<&'static str>,
    /// When it stops working, as the page writes it.
    pub until: Option<String>,
    pub pin: bool,
    pub counts: String,
    pub revoke_confirm: String,
}

pub struct ListLine {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub count: String,
    pub submitted: Option<String>,
    /// `?list=` for this list's exports.
    pub query: String,
}

pub struct ShareSection {
    pub s: &'static ShareTexts,
    /// The client's own links (their words, only the links they made).
    pub for_client: bool,
    pub transfer: String,
    pub is_delivery: bool,
    pub links: Vec<LinkLine>,
    pub lists: Vec<ListLine>,
    pub limits_text: String,
    pub sizes: DownloadSizes,
    /// (key, words) of each category an upload link may take.
    pub categories: Vec<(&'static str, &'static str)>,
}

pub async fn build(
    state: &AppState,
    t: &Texts,
    locale: Locale,
    transfer: &Transfer,
) -> Result<ShareSection, PageError> {
    build_for(state, t, locale, transfer, None).await
}

/// The links part alone, of the links the client made: their own sharing, when the
/// studio lets them.
pub async fn for_client(
    state: &AppState,
    t: &Texts,
    locale: Locale,
    transfer: &Transfer,
    client: crate::domain::UserId,
) -> Result<Option<ShareSection>, PageError> {
    if !crate::db::users::may_share(state.db.pool(), client).await? {
        return Ok(None);
    }
    build_for(state, t, locale, transfer, Some(client)).await.map(Some)
}

async fn build_for(
    state: &AppState,
    t: &Texts,
    locale: Locale,
    transfer: &Transfer,
    maker: Option<crate::domain::UserId>,
) -> Result<ShareSection, PageError> {
    let s = ShareTexts::for_locale(locale);
    let now = state.clock.now();
    let links = match maker {
        None => guests::list(state, transfer.id).await,
        Some(maker) => guests::list_made_by(state, transfer.id, maker).await,
    };
    let links = links
        .map_err(|e| PageError::Internal(e.to_string()))?
        .into_iter()
        .rev()
        .map(|l| {
            let ended = if l.revoked_at.is_some() {
                Some(s.revoked)
            } else if l.expires_at.is_some_and(|e| e <= now) {
                Some(s.expired)
            } else {
                None
            };
            LinkLine {
                kind: if l.kind == "upload" { s.kind_upload } else { s.kind_view },
                until: l.expires_at.map(|e| i18n::date(locale, e)),
                pin: l.pin,
                counts: if l.kind == "upload" {
                    s.received(l.files, l.pending)
                } else {
                    s.downloads(l.downloads, l.complete_downloads)
                },
                revoke_confirm: s.revoke_confirm.replace("{label}", &l.label),
                ended,
                id: l.id,
                label: l.label,
            }
        })
        .collect();
    let is_delivery = transfer.direction == Direction::Delivery;
    let (lists, limits_text) = if is_delivery && maker.is_none() {
        let views = selections::selection(state, transfer.id, None)
            .await
            .map_err(|e| PageError::Internal(e.to_string()))?;
        let lists = views
            .into_iter()
            .map(|v| ListLine {
                count: match v.limit {
                    Some(max) => s
                        .list_count_limit
                        .replace("{n}", &v.count.to_string())
                        .replace("{max}", &max.to_string()),
                    None => t.files_count(v.count),
                },
                submitted: v.submitted_at.map(|at| i18n::date_time(locale, at)),
                query: format!("list={}", urlencode(&v.name)),
                owner: v.owner.name,
                id: v.id,
                name: v.name,
            })
            .collect();
        let limits = crate::db::selections::limits(state.db.pool(), transfer.id).await?;
        let text = limits
            .iter()
            .map(|(name, max)| format!("{name} = {max}"))
            .collect::<Vec<_>>()
            .join("\n");
        (lists, text)
    } else {
        (Vec::new(), String::new())
    };
    Ok(ShareSection {
        s,
        for_client: maker.is_some(),
        transfer: transfer.id.to_string(),
        is_delivery,
        links,
        lists,
        limits_text,
        sizes: transfer.download_sizes,
        categories: vec![
            ("music", t.category_music),
            ("document", t.category_document),
            ("photo", t.category_photo),
            ("video", t.category_video),
            ("other", t.category_other),
        ],
    })
}

/// A query-string value.
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What a delivery's page (the client's, or a guest's) offers beyond looking: favourites
/// in lists, and which sizes download.
pub struct Picks {
    pub s: &'static ShareTexts,
    pub transfer: String,
    /// The person's lists and the studio's limits, as JSON for the page's script; `None`
    /// when they cannot pick favourites.
    pub lists_json: Option<String>,
    /// Web-size copies download.
    pub web: bool,
    /// The web-size ZIP is offered: web copies download and some photo has one.
    pub web_zip: bool,
}

impl Picks {
    pub async fn build(
        state: &AppState,
        locale: Locale,
        transfer: &Transfer,
        owner_key: Option<String>,
        web: bool,
    ) -> Result<Self, PageError> {
        let lists_json = match owner_key {
            None => None,
            Some(key) => {
                let lists = selections::selection(state, transfer.id, Some(&key))
                    .await
                    .map_err(|e| PageError::Internal(e.to_string()))?;
                let limits = crate::db::selections::limits(state.db.pool(), transfer.id).await?;
                let json = serde_json::json!({
                    "default": selections::DEFAULT_LIST,
                    "lists": lists.iter().map(|l| serde_json::json!({
                        "name": l.name,
                        "files": l.files.iter().map(|f| &f.id).collect::<Vec<_>>(),
                        "limit": l.limit,
                        "submitted": l.submitted_at.is_some(),
                    })).collect::<Vec<_>>(),
                    "limits": limits.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
                });
                Some(json.to_string())
            }
        };
        Ok(Self {
            s: ShareTexts::for_locale(locale),
            transfer: transfer.id.to_string(),
            lists_json,
            web: web && transfer.download_sizes.web,
            web_zip: false,
        })
    }
}

impl Picks {
    /// The web-size ZIP is offered when web sizes are and some picture has one.
    pub fn with_web_zip(mut self, any_web_sized: bool) -> Self {
        self.web_zip = self.web && any_web_sized;
        self
    }
}
