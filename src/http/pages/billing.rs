//! Quotes, invoices and payments from the quote site, in words and euros: the client's
//! page, the same block on the studio's client page, and the studio's integrations page
//! (keys, rotation, revocation, call log).

use axum::extract::State;
use axum::response::Response;

use super::{Chrome, PageError, Viewer, render};
use crate::billing::{self, DocumentLine, Statement, format_money};
use crate::db::integrations::{Call, Integration};
use crate::domain::{Locale, Timestamp};
use crate::state::AppState;
use crate::texts::Texts;
use crate::{db, i18n};

pub struct Link {
    pub href: String,
    pub label: String,
}

pub struct TotalLine {
    pub invoiced: String,
    pub paid: String,
    pub remaining: String,
    pub settled: bool,
}

pub struct QuoteRow {
    pub number: String,
    pub title: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub total: String,
    pub pdf: Option<Link>,
}

pub struct InvoiceRow {
    pub number: String,
    pub title: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub total: String,
    pub paid: String,
    pub balance: String,
    pub due: String,
    pub pdf: Option<Link>,
}

pub struct PaymentRow {
    pub at_iso: String,
    pub at: String,
    pub amount: String,
    pub method: String,
    pub invoice: String,
}

/// One client's statement, ready for `_billing.html`.
pub struct BillingView {
    pub totals: Vec<TotalLine>,
    pub quotes: Vec<QuoteRow>,
    pub invoices: Vec<InvoiceRow>,
    pub payments: Vec<PaymentRow>,
    pub documents: Vec<Link>,
    pub empty: bool,
}

fn pdf_link(t: &Texts, locale: Locale, d: &DocumentLine) -> Link {
    let size = u64::try_from(d.size).unwrap_or_default();
    Link {
        href: format!("/api/v1/documents/{}/content", d.id),
        label: format!("{} ({})", t.pdf_link, i18n::size(locale, size)),
    }
}

/// `YYYY-MM-DD` as a date in words (it is a calendar date: no time zone moves it).
fn calendar_date(locale: Locale, ymd: &str) -> String {
    time::Date::parse(ymd, time::macros::format_description!("[year]-[month]-[day]"))
        .map(|d| i18n::date(locale, d.midnight().assume_utc().into()))
        .unwrap_or_else(|_| ymd.to_owned())
}

impl BillingView {
    pub fn new(t: &Texts, locale: Locale, s: &Statement) -> Self {
        let money = |minor: i64, currency: &str| format_money(minor, currency, locale);
        Self {
            totals: s
                .totals
                .iter()
                .map(|x| TotalLine {
                    invoiced: money(x.invoiced, &x.currency),
                    paid: money(x.paid, &x.currency),
                    remaining: money(x.remaining, &x.currency),
                    settled: x.remaining <= 0,
                })
                .collect(),
            quotes: s
                .quotes
                .iter()
                .map(|q| QuoteRow {
                    number: q.number.clone(),
                    title: q.title.clone().unwrap_or_default(),
                    status: t.quote_status(&q.status),
                    status_class: match q.status.as_str() {
                        "accepted" => "ok",
                        "declined" | "expired" => "bad",
                        _ => "warn",
                    },
                    total: money(q.total, &q.currency),
                    pdf: q.document.as_ref().map(|d| pdf_link(t, locale, d)),
                })
                .collect(),
            invoices: s
                .invoices
                .iter()
                .map(|i| InvoiceRow {
                    number: i.number.clone(),
                    title: i.title.clone().unwrap_or_default(),
                    status: t.invoice_status(&i.status),
                    status_class: match i.status.as_str() {
                        "paid" => "ok",
                        "cancelled" => "bad",
                        _ => "warn",
                    },
                    total: money(i.total, &i.currency),
                    paid: money(i.paid, &i.currency),
                    balance: money(i.balance, &i.currency),
                    due: i
                        .due_date
                        .as_deref()
                        .map(|d| calendar_date(locale, d))
                        .unwrap_or_default(),
                    pdf: i.document.as_ref().map(|d| pdf_link(t, locale, d)),
                })
                .collect(),
            payments: s
                .payments
                .iter()
                .map(|p| PaymentRow {
                    at_iso: i18n::iso(p.paid_at),
                    at: i18n::date(locale, p.paid_at),
                    amount: money(p.amount, &p.currency),
                    method: p.method.clone().unwrap_or_default(),
                    invoice: p.invoice_number.clone(),
                })
                .collect(),
            documents: s
                .documents
                .iter()
                .map(|d| Link {
                    href: format!("/api/v1/documents/{}/content", d.id),
                    label: d.filename.clone(),
                })
                .collect(),
            empty: s.is_empty(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "pages/billing.html")]
struct BillingPage {
    chrome: Chrome,
    billing: BillingView,
}

/// `/billing`: the client's quotes, invoices and payments.
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let user = viewer.client()?;
    // Without a quote site there is nothing to show here: the menu has no such entry.
    if !viewer.studio.billing {
        return Err(PageError::Redirect("/deliveries".into()));
    }
    let t = viewer.texts();
    let statement = billing::statement(&state.db, user.id).await?;
    render(BillingPage {
        chrome: viewer.chrome("billing", t.billing_title),
        billing: BillingView::new(t, viewer.locale, &statement),
    })
}

struct IntegrationRow {
    id: String,
    name: String,
    revoked: bool,
    rotation: Option<(String, String)>,
    last_call: Option<(String, String)>,
}

struct CallRow {
    at_iso: String,
    at: String,
    integration: String,
    request: String,
    status: i64,
    outcome: &'static str,
    outcome_class: &'static str,
    reason: String,
}

#[derive(askama::Template)]
#[template(path = "pages/studio/integrations.html")]
struct IntegrationsPage {
    chrome: Chrome,
    integrations: Vec<IntegrationRow>,
    calls: Vec<CallRow>,
}

fn call_row(t: &Texts, locale: Locale, integrations: &[Integration], c: Call) -> CallRow {
    CallRow {
        at_iso: i18n::iso(c.at),
        at: i18n::date_time(locale, c.at),
        integration: c
            .integration_id
            .as_deref()
            .and_then(|id| integrations.iter().find(|i| i.id == id))
            .map(|i| i.name.clone())
            .unwrap_or_else(|| "—".into()),
        request: format!("{} {}", c.method, c.path),
        status: c.status,
        outcome: t.outcome(&c.outcome),
        outcome_class: match c.outcome.as_str() {
            "created" | "updated" => "ok",
            "unchanged" | "replayed" | "stale" => "warn",
            _ => "bad",
        },
        reason: c.reason.unwrap_or_default(),
    }
}

/// `/studio/integrations`: the quote site's keys and what it sent.
pub async fn integrations(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.studio()?;
    let (t, locale) = (viewer.texts(), viewer.locale);
    let list = db::integrations::list(&state.db, state.clock.now()).await?;
    let calls = db::integrations::recent_calls(&state.db, 100)
        .await?
        .into_iter()
        .map(|c| call_row(t, locale, &list, c))
        .collect();
    let stamp = |at: Timestamp| (i18n::iso(at), i18n::date_time(locale, at));
    let integrations = list
        .iter()
        .map(|i| IntegrationRow {
            id: i.id.clone(),
            name: i.name.clone(),
            revoked: i.revoked_at.is_some(),
            rotation: i.rotation_ends_at.map(stamp),
            last_call: i.last_call_at.map(stamp),
        })
        .collect();
    render(IntegrationsPage {
        chrome: viewer.chrome("integrations", t.integrations_title),
        integrations,
        calls,
    })
}
