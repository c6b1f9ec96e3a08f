//! A client's quotes, invoices, payments and PDFs as the quote site sent them, with the
//! totals the client space shows (invoiced, paid, remaining), one line per currency.

use crate::db::ledger::{self, Document, Invoice, Payment, Quote};
use crate::db::{Db, DbError};
use crate::domain::{Locale, Timestamp, UserId};

/// Everything about one client's money, newest first.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Statement {
    pub quotes: Vec<QuoteLine>,
    pub invoices: Vec<InvoiceLine>,
    pub payments: Vec<PaymentLine>,
    /// Documents of kind `other` (contracts, schedules…); quote and invoice PDFs are on
    /// their lines.
    pub documents: Vec<DocumentLine>,
    pub totals: Vec<Totals>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DocumentLine {
    pub id: String,
    pub filename: String,
    pub size: i64,
    pub sha256: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct QuoteLine {
    pub id: String,
    pub number: String,
    pub title: Option<String>,
    pub status: String,
    pub total: i64,
    pub currency: String,
    pub document: Option<DocumentLine>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct InvoiceLine {
    pub id: String,
    pub quote: Option<String>,
    pub number: String,
    pub title: Option<String>,
    pub status: String,
    pub total: i64,
    pub paid: i64,
    pub balance: i64,
    pub currency: String,
    pub due_date: Option<String>,
    pub document: Option<DocumentLine>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PaymentLine {
    pub id: String,
    pub invoice: String,
    pub invoice_number: String,
    pub amount: i64,
    pub currency: String,
    pub paid_at: Timestamp,
    pub method: Option<String>,
}

/// Sums over the invoices that count (not cancelled), in one currency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub currency: String,
    pub invoiced: i64,
    pub paid: i64,
    pub remaining: i64,
}

impl Statement {
    pub fn is_empty(&self) -> bool {
        self.quotes.is_empty() && self.invoices.is_empty() && self.payments.is_empty() && self.documents.is_empty()
    }
}

fn line(d: &Document) -> DocumentLine {
    DocumentLine {
        id: d.ext_id.clone(),
        filename: d.filename.clone(),
        size: d.size,
        sha256: d.sha256.clone(),
    }
}

/// The newest PDF of a kind attached to a record.
fn pdf_of(documents: &[Document], kind: &str, owner: &str) -> Option<DocumentLine> {
    documents
        .iter()
        .filter(|d| d.kind == kind && d.owner_ext_id == owner)
        .max_by_key(|d| d.updated_at)
        .map(line)
}

pub async fn statement(db: &Db, client: UserId) -> Result<Statement, DbError> {
    let pool = db.pool();
    let quotes: Vec<Quote> = ledger::quotes_of(pool, client).await?;
    let invoices: Vec<Invoice> = ledger::invoices_of(pool, client).await?;
    let payments: Vec<Payment> = ledger::payments_of(pool, client).await?;
    let documents: Vec<Document> = ledger::documents_of(pool, client).await?;

    let mut totals: Vec<Totals> = Vec::new();
    for i in invoices.iter().filter(|i| i.status != "cancelled") {
        let index = match totals.iter().position(|t| t.currency == i.currency) {
            Some(index) => index,
            None => {
                totals.push(Totals {
                    currency: i.currency.clone(),
                    invoiced: 0,
                    paid: 0,
                    remaining: 0,
                });
                totals.len() - 1
            }
        };
        let t = &mut totals[index];
        t.invoiced += i.total;
        t.paid += i.paid;
        t.remaining = t.invoiced - t.paid;
    }
    Ok(Statement {
        quotes: quotes
            .into_iter()
            .map(|q| QuoteLine {
                document: pdf_of(&documents, "quote", &q.ext_id),
                id: q.ext_id,
                number: q.number,
                title: q.title,
                status: q.status,
                total: q.total,
                currency: q.currency,
            })
            .collect(),
        invoices: invoices
            .into_iter()
            .map(|i| InvoiceLine {
                document: pdf_of(&documents, "invoice", &i.ext_id),
                balance: i.total - i.paid,
                id: i.ext_id,
                quote: i.quote_ext_id,
                number: i.number,
                title: i.title,
                status: i.status,
                total: i.total,
                paid: i.paid,
                currency: i.currency,
                due_date: i.due_date,
            })
            .collect(),
        payments: payments
            .into_iter()
            .map(|p| PaymentLine {
                id: p.ext_id,
                invoice: p.invoice_ext_id,
                invoice_number: p.invoice_number,
                amount: p.amount,
                currency: p.currency,
                paid_at: p.paid_at,
                method: p.method,
            })
            .collect(),
        documents: documents.iter().filter(|d| d.kind == "other").map(line).collect(),
        totals,
    })
}

/// An amount in minor units as people read it: `1 234,56 €` in French (narrow no-break
/// space between thousands, no-break space before the sign), `€1,234.56` in English.
/// Currencies other than the euro show their code.
pub fn format_money(minor: i64, currency: &str, locale: Locale) -> String {
    let negative = minor < 0;
    let abs = minor.unsigned_abs();
    let (units, cents) = (abs / 100, abs % 100);
    let digits = units.to_string();
    let separator = match locale {
        Locale::Fr => '\u{202f}',
        Locale::En => ',',
    };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(separator);
        }
        grouped.push(c);
    }
    let sign = if negative { "-" } else { "" };
    match (locale, currency) {
        (Locale::Fr, "EUR") => format!("{sign}{grouped},{cents:02}\u{a0}€"),
        (Locale::Fr, code) => format!("{sign}{grouped},{cents:02}\u{a0}{code}"),
        (Locale::En, "EUR") => format!("{sign}€{grouped}.{cents:02}"),
        (Locale::En, code) => format!("{sign}{code}\u{a0}{grouped}.{cents:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_read_the_french_way_and_the_english_way() {
        assert_eq!(format_money(123_456, "EUR", Locale::Fr), "1\u{202f}234,56\u{a0}€");
        assert_eq!(format_money(5, "EUR", Locale::Fr), "0,05\u{a0}€");
        assert_eq!(format_money(-250_000, "EUR", Locale::Fr), "-2\u{202f}500,00\u{a0}€");
        assert_eq!(format_money(123_456_789, "EUR", Locale::En), "€1,234,567.89");
        assert_eq!(format_money(100_000, "CHF", Locale::Fr), "1\u{202f}000,00\u{a0}CHF");
    }
}
