//! The studio's identity — name, taglines, contact address, logo — asked at setup and
//! edited on the studio's settings page. It is what clients, guests and visitors see:
//! page headers, the public site's title, every email's sender name and signature, ZIP
//! names. Relais' own name never stands in for it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::accounts::display_name;
use crate::db::{self, Db, DbError};
use crate::domain::{Email, Locale, Timestamp};
use crate::media::image::{Kind, dimensions, sniff};

/// How long a node trusts its copy before reading it again. Another node's change shows
/// here within about this time; this node's own changes show at once.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// Largest logo accepted: a logo is shown at header size.
pub const LOGO_MAX_BYTES: usize = 512 * 1024;
/// Largest logo side, read from the header before anything else is done with the file.
const LOGO_MAX_SIDE: u32 = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub tagline: Option<String>,
    pub tagline_en: Option<String>,
    pub contact_email: Option<String>,
    /// Content hash of the logo, for its cache-busting URL.
    pub logo_hash: Option<String>,
    /// False until the studio names itself (an account made by `relais admin create`):
    /// the studio's pages then invite it to do so.
    pub named: bool,
    /// Whether a quote site was ever connected (a revoked one leaves its documents to
    /// read): clients see "Quotes & invoices" only then.
    pub billing: bool,
}

impl Identity {
    /// The tagline in `locale`, falling back to the French one.
    pub fn tagline(&self, locale: Locale) -> Option<&str> {
        match locale {
            Locale::En => self.tagline_en.as_deref().or(self.tagline.as_deref()),
            Locale::Fr => self.tagline.as_deref(),
        }
    }

    /// The logo's public path, with its hash so that a new logo is never a cached old one.
    pub fn logo_url(&self) -> Option<String> {
        self.logo_hash
            .as_ref()
            .map(|h| format!("/logo?v={}", &h[..h.len().min(16)]))
    }
}

/// A change to the texts, parsed once: every field checked, every problem reported.
pub struct Update {
    pub name: String,
    pub tagline: Option<String>,
    pub tagline_en: Option<String>,
    pub contact_email: Option<String>,
}

/// What the studio may change, as sent (absent fields keep their value).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Changes {
    pub name: Option<String>,
    /// `null` or `""` clears.
    #[serde(default, deserialize_with = "present")]
    pub tagline: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub tagline_en: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub contact_email: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from a field not sent (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(serde::Deserialize::deserialize(d)?))
}

impl Changes {
    /// Applies the changes to `current`; every bad field is listed.
    pub fn apply(self, current: &Identity) -> Result<Update, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let name = match self.name.as_deref().map(studio_name) {
            Some(Ok(n)) => n,
            Some(Err(e)) => {
                errors.push(("name", e));
                String::new()
            }
            None => current.name.clone(),
        };
        let mut text = |field: &'static str, sent: Option<Option<String>>, kept: &Option<String>| match sent {
            None => kept.clone(),
            Some(value) => match optional_text(value.as_deref(), 200) {
                Ok(v) => v,
                Err(e) => {
                    errors.push((field, e));
                    None
                }
            },
        };
        let tagline = text("tagline", self.tagline, &current.tagline);
        let tagline_en = text("tagline_en", self.tagline_en, &current.tagline_en);
        let contact_email = match self.contact_email {
            None => current.contact_email.clone(),
            Some(value) => match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => None,
                Some(raw) => match Email::parse(raw) {
                    Ok(e) => Some(e.as_str().to_owned()),
                    Err(e) => {
                        errors.push(("contact_email", e.to_string()));
                        None
                    }
                },
            },
        };
        if errors.is_empty() {
            Ok(Update {
                name,
                tagline,
                tagline_en,
                contact_email,
            })
        } else {
            Err(errors)
        }
    }
}

/// A studio's name: as a person's name, at most 100 characters (it heads every page).
pub fn studio_name(raw: &str) -> Result<String, String> {
    let name = display_name(raw)?;
    if name.chars().count() > 100 {
        return Err("expected 1 to 100 printable characters".into());
    }
    Ok(name)
}

fn optional_text(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(format!("expected at most {max} printable characters"));
    }
    Ok(Some(text.to_owned()))
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogoError {
    #[error("the logo is larger than {} KiB", LOGO_MAX_BYTES / 1024)]
    TooLarge,
    #[error("expected a PNG, JPEG or WebP picture")]
    NotAnImage,
    #[error("the logo is larger than {LOGO_MAX_SIDE}×{LOGO_MAX_SIDE} pixels")]
    TooManyPixels,
}

/// A checked logo: its type from its bytes (never from what the sender declared) and its
/// size from its header, before anything decodes it.
pub struct Logo<'a> {
    pub bytes: &'a [u8],
    pub content_type: &'static str,
    pub hash: String,
}

pub fn check_logo(bytes: &[u8]) -> Result<Logo<'_>, LogoError> {
    if bytes.len() > LOGO_MAX_BYTES {
        return Err(LogoError::TooLarge);
    }
    let content_type = match (sniff(bytes), bytes) {
        (Kind::Jpeg, _) => "image/jpeg",
        (Kind::Other, [0x89, b'P', ..]) => "image/png",
        (Kind::Other, [b'R', b'I', b'F', b'F', ..]) => "image/webp",
        _ => return Err(LogoError::NotAnImage),
    };
    let (w, h) = dimensions(bytes).ok_or(LogoError::NotAnImage)?;
    if w > LOGO_MAX_SIDE || h > LOGO_MAX_SIDE || w == 0 || h == 0 {
        return Err(LogoError::TooManyPixels);
    }
    let hash = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    Ok(Logo {
        bytes,
        content_type,
        hash,
    })
}

/// The copy a node keeps, with when its read started (an older read never replaces a
/// newer one).
type Cached = Arc<RwLock<Option<(Instant, Arc<Identity>)>>>;

/// The identity as this node knows it. Read from the database once at start, then kept:
/// a copy older than a few seconds is still answered at once while a background task
/// reads the new one, so asking for the studio's name never waits for a database
/// connection — it is asked inside transactions that already hold one.
pub struct Directory {
    db: Db,
    /// Until the studio names itself: the display name of `mail.from`, else "Studio".
    fallback_name: String,
    cached: Cached,
    refreshing: Arc<AtomicBool>,
}

impl Directory {
    pub fn new(db: Db, mail_from_name: Option<&str>) -> Self {
        // The default sender's display name is the product's, never the studio's.
        let fallback_name = mail_from_name
            .map(str::trim)
            .filter(|n| !n.is_empty() && *n != "Relais")
            .unwrap_or("Studio")
            .to_owned();
        Self {
            db,
            fallback_name,
            cached: Arc::new(RwLock::new(None)),
            refreshing: Arc::new(AtomicBool::new(false)),
        }
    }

    pub async fn identity(&self) -> Result<Arc<Identity>, DbError> {
        let cached = self.cached.read().ok().and_then(|guard| guard.clone());
        match cached {
            Some((at, identity)) => {
                if at.elapsed() >= FRESH_FOR && !self.refreshing.swap(true, Ordering::AcqRel) {
                    let (db, fallback) = (self.db.clone(), self.fallback_name.clone());
                    let (cached, refreshing) = (self.cached.clone(), self.refreshing.clone());
                    tokio::spawn(async move {
                        let started = Instant::now();
                        match read(&db, &fallback).await {
                            Ok(fresh) => store(&cached, fresh, started),
                            Err(e) => tracing::warn!(error = %e, "cannot read the studio's identity"),
                        }
                        refreshing.store(false, Ordering::Release);
                    });
                }
                Ok(identity)
            }
            None => self.reload().await,
        }
    }

    /// Reads the identity now (at start, and after this node changed it).
    pub async fn reload(&self) -> Result<Arc<Identity>, DbError> {
        let started = Instant::now();
        let fresh = read(&self.db, &self.fallback_name).await?;
        store(&self.cached, fresh.clone(), started);
        Ok(fresh)
    }

    /// The name alone, for the many places that need only it.
    pub async fn name(&self) -> Result<String, DbError> {
        Ok(self.identity().await?.name.clone())
    }

    pub async fn save(&self, update: &Update, now: Timestamp) -> Result<(), DbError> {
        let texts = db::studio::Texts {
            name: &update.name,
            tagline: update.tagline.as_deref(),
            tagline_en: update.tagline_en.as_deref(),
            contact_email: update.contact_email.as_deref(),
        };
        db::studio::save_texts(self.db.pool(), texts, now).await?;
        self.reload().await?;
        Ok(())
    }

    /// False when the studio has not named itself yet: the name comes first.
    pub async fn save_logo(&self, logo: Option<&Logo<'_>>, now: Timestamp) -> Result<bool, DbError> {
        let stored = logo.map(|l| (l.bytes, l.content_type, l.hash.as_str()));
        let saved = db::studio::save_logo(self.db.pool(), stored, now).await?;
        self.reload().await?;
        Ok(saved)
    }
}

fn store(cached: &Cached, identity: Arc<Identity>, started: Instant) {
    if let Ok(mut guard) = cached.write()
        && guard.as_ref().is_none_or(|(at, _)| *at <= started)
    {
        *guard = Some((started, identity));
    }
}

async fn read(db: &Db, fallback_name: &str) -> Result<Arc<Identity>, DbError> {
    let billing = db::studio::has_integrations(db.pool()).await?;
    Ok(Arc::new(match db::studio::get(db.pool()).await? {
        Some(row) => Identity {
            name: row.name,
            tagline: row.tagline,
            tagline_en: row.tagline_en,
            contact_email: row.contact_email,
            logo_hash: row.logo_hash.filter(|_| row.logo_type.is_some()),
            named: true,
            billing,
        },
        None => Identity {
            name: fallback_name.to_owned(),
            tagline: None,
            tagline_en: None,
            contact_email: None,
            logo_hash: None,
            named: false,
            billing,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> Identity {
        Identity {
            name: "Studio Lumière".into(),
            tagline: Some("Photo et film".into()),
            tagline_en: None,
            contact_email: None,
            logo_hash: None,
            named: true,
            billing: false,
        }
    }

    #[test]
    fn absent_fields_keep_their_value_and_null_clears() {
        let changes: Changes =
            serde_json::from_str(r#"{"tagline": null, "contact_email": "Contact@Studio.fr"}"#).expect("json");
        let update = changes.apply(&current()).expect("valid");
        assert_eq!(update.name, "Studio Lumière");
        assert_eq!(update.tagline, None);
        assert_eq!(update.contact_email.as_deref(), Some("contact@studio.fr"));
    }

    #[test]
    fn every_bad_field_is_listed() {
        let changes: Changes =
            serde_json::from_str(r#"{"name": " ", "tagline": "x\u0007", "contact_email": "nope"}"#).expect("json");
        let errors = changes.apply(&current()).err().expect("invalid");
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["name", "tagline", "contact_email"]);
    }

    #[test]
    fn a_logo_is_judged_by_its_bytes_and_its_header() {
        assert_eq!(check_logo(b"<svg onload=alert(1)>").err(), Some(LogoError::NotAnImage));
        assert_eq!(
            check_logo(&vec![0u8; LOGO_MAX_BYTES + 1]).err(),
            Some(LogoError::TooLarge)
        );
        let mut png = Vec::new();
        image::RgbImage::new(5000, 1)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("png");
        assert_eq!(check_logo(&png).err(), Some(LogoError::TooManyPixels));
        let mut small = Vec::new();
        image::RgbImage::new(40, 20)
            .write_to(&mut std::io::Cursor::new(&mut small), image::ImageFormat::Png)
            .expect("png");
        let logo = check_logo(&small).expect("a small PNG");
        assert_eq!(logo.content_type, "image/png");
        assert_eq!(logo.hash.len(), 64);
    }
}
