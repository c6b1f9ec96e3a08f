//! What the quote site sends, parsed once into domain types. Every bad field is reported
//! (the 422 lists them all), so the quote site's developer fixes a request in one go.

mod fields;

use serde_json::{Map, Value};

use crate::domain::{Email, FieldError, Locale, Timestamp, display_name};
use fields::{Fields, parse_instant};

/// The quote site's id of a record: 1 to 100 characters of `A-Z a-z 0-9 . _ : -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtId(String);

impl ExtId {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= 100
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 4217 code: three upper-case letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 3 && raw.bytes().all(|b| b.is_ascii_uppercase())).then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! statuses {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &[&str] = &[$($text),+];

            pub fn parse(raw: &str) -> Option<Self> {
                match raw { $($text => Some(Self::$variant),)+ _ => None }
            }

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }
    };
}

statuses!(
    /// Where a quote stands on the quote site.
    QuoteStatus {
        Draft => "draft",
        Sent => "sent",
        Accepted => "accepted",
        Declined => "declined",
        Expired => "expired",
    }
);

statuses!(
    /// Where an invoice stands.
    InvoiceStatus {
        Issued => "issued",
        PartiallyPaid => "partially_paid",
        Paid => "paid",
        Cancelled => "cancelled",
    }
);

statuses!(
    /// What a PDF is: a quote's, an invoice's, or another document of the client's
    /// (contract, schedule…).
    DocumentKind {
        Quote => "quote",
        Invoice => "invoice",
        Other => "other",
    }
);

#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub email: Email,
    pub name: String,
    pub locale: Locale,
    pub phone: Option<String>,
    /// The wedding or shoot date, `YYYY-MM-DD`.
    pub event_date: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct QuoteRecord {
    pub client: ExtId,
    pub number: String,
    pub title: Option<String>,
    pub status: QuoteStatus,
    pub total: i64,
    pub currency: Currency,
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct InvoiceRecord {
    pub client: ExtId,
    pub quote: Option<ExtId>,
    pub number: String,
    pub title: Option<String>,
    pub status: InvoiceStatus,
    pub total: i64,
    pub currency: Currency,
    pub due_date: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct PaymentRecord {
    pub invoice: ExtId,
    pub amount: i64,
    pub currency: Currency,
    pub paid_at: Timestamp,
    pub method: Option<String>,
    pub version: i64,
}

/// A document's description, from the query string (the body is the PDF).
#[derive(Debug, Clone)]
pub struct DocumentMeta {
    pub kind: DocumentKind,
    /// The quote, the invoice, or for `other` the client, it belongs to.
    pub owner: ExtId,
    pub filename: String,
    pub version: i64,
}

impl ClientRecord {
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let email = f.req_text("email").and_then(|raw| match Email::parse(raw) {
            Ok(e) => Some(e),
            Err(e) => {
                f.fail("email", e);
                None
            }
        });
        let name = f.req_text("name").and_then(|raw| match display_name(raw) {
            Ok(n) => Some(n),
            Err(e) => {
                f.fail("name", e);
                None
            }
        });
        let locale = match f.opt_text("locale") {
            None => Some(Locale::Fr),
            Some(raw) => {
                let l = Locale::parse(raw);
                if l.is_none() {
                    f.fail("locale", "expected fr or en");
                }
                l
            }
        };
        let phone = f.opt_text("phone");
        let phone = match phone {
            Some(p) => f.label("phone", Some(p), 40),
            None => None,
        };
        let event_date = f.date("event_date");
        let version = f.version();
        let record = (|| {
            Some(Self {
                email: email?,
                name: name?,
                locale: locale?,
                phone,
                event_date,
                version: version?,
            })
        })();
        f.finish(record)
    }
}

impl QuoteRecord {
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let client = f.req_text("client");
        let client = f.ext_id("client", client);
        let number = f.req_text("number");
        let number = f.label("number", number, 60);
        let title = f.opt_text("title");
        let title = f.label("title", title, 200);
        let status = f.status(QuoteStatus::parse, QuoteStatus::ALL);
        let total = f.integer("total");
        let currency = f.currency();
        let version = f.version();
        let record = (|| {
            Some(Self {
                client: client?,
                number: number?,
                title,
                status: status?,
                total: total?,
                currency: currency?,
                version: version?,
            })
        })();
        f.finish(record)
    }
}

impl InvoiceRecord {
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let client = f.req_text("client");
        let client = f.ext_id("client", client);
        let quote = f.opt_text("quote");
        let quote = f.ext_id("quote", quote);
        let number = f.req_text("number");
        let number = f.label("number", number, 60);
        let title = f.opt_text("title");
        let title = f.label("title", title, 200);
        let status = f.status(InvoiceStatus::parse, InvoiceStatus::ALL);
        let total = f.integer("total");
        let currency = f.currency();
        let due_date = f.date("due_date");
        let version = f.version();
        let record = (|| {
            Some(Self {
                client: client?,
                quote,
                number: number?,
                title,
                status: status?,
                total: total?,
                currency: currency?,
                due_date,
                version: version?,
            })
        })();
        f.finish(record)
    }
}

impl PaymentRecord {
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let invoice = f.req_text("invoice");
        let invoice = f.ext_id("invoice", invoice);
        let amount = f.integer("amount");
        if amount == Some(0) {
            f.fail("amount", "expected a non-zero amount (negative for a refund)");
        }
        let currency = f.currency();
        let paid_at = f.req_text("paid_at").and_then(|raw| {
            let at = parse_instant(raw);
            if at.is_none() {
                f.fail("paid_at", "expected an RFC 3339 date-time or a date as YYYY-MM-DD");
            }
            at
        });
        let method = f.opt_text("method");
        let method = f.label("method", method, 60);
        let version = f.version();
        let record = (|| {
            Some(Self {
                invoice: invoice?,
                amount: amount?,
                currency: currency?,
                paid_at: paid_at?,
                method,
                version: version?,
            })
        })();
        f.finish(record)
    }
}

impl DocumentMeta {
    /// From the query string: `kind`, `owner`, `version` and an optional `filename`.
    pub fn parse(query: &std::collections::HashMap<String, String>) -> Result<Self, Vec<FieldError>> {
        let map: Map<String, Value> = query
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let body = Value::Object(map);
        let mut f = Fields::of(&body)?;
        let kind = f.req_text("kind").and_then(|raw| {
            let kind = DocumentKind::parse(raw);
            if kind.is_none() {
                f.fail("kind", format!("expected one of {}", DocumentKind::ALL.join(", ")));
            }
            kind
        });
        let owner = f.req_text("owner");
        let owner = f.ext_id("owner", owner);
        let version = f.req_text("version").and_then(|raw| match raw.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                f.fail("version", "expected an integer of 0 or more");
                None
            }
        });
        // Served as an attachment with an RFC 6266 name, so any printable name is safe.
        let filename = match f.opt_text("filename") {
            None => Some("document.pdf".to_owned()),
            Some(raw) => f.label("filename", Some(raw), 200),
        };
        let record = (|| {
            Some(Self {
                kind: kind?,
                owner: owner?,
                filename: filename?,
                version: version?,
            })
        })();
        f.finish(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_complete_client_parses_and_the_locale_defaults_to_french() {
        let c = ClientRecord::parse(&json!({
            "email": " Anne@Example.FR ", "name": "Anne Dupont", "version": 3,
            "phone": "+33 6 12 34 56 78", "event_date": "2027-06-12", "unknown": true
        }))
        .expect("valid");
        assert_eq!(c.email.as_str(), "anne@example.fr");
        assert_eq!(c.locale, Locale::Fr);
        assert_eq!(c.event_date.as_deref(), Some("2027-06-12"));
        assert_eq!(c.version, 3);
    }

    #[test]
    fn every_bad_field_is_listed_at_once() {
        let errors = InvoiceRecord::parse(&json!({
            "client": "../etc", "number": "", "status": "partially paid",
            "total": 12.5, "currency": "eur", "due_date": "12/06/2027"
        }))
        .expect_err("invalid");
        assert_eq!(
            fields(&errors),
            ["client", "number", "status", "total", "currency", "due_date", "version"]
        );
        let errors = ClientRecord::parse(&json!([1, 2])).expect_err("not an object");
        assert_eq!(fields(&errors), ["body"]);
    }

    #[test]
    fn payments_take_a_date_time_or_a_date_and_refuse_zero() {
        let p = PaymentRecord::parse(&json!({
            "invoice": "inv_1", "amount": 45000, "currency": "EUR",
            "paid_at": "2026-11-20T14:30:00+01:00", "version": 1
        }))
        .expect("valid");
        assert_eq!(p.paid_at.as_millis(), 1_795_181_400_000, "13:30 UTC");
        let p = PaymentRecord::parse(&json!({
            "invoice": "inv_1", "amount": -100, "currency": "EUR", "paid_at": "2026-11-20", "version": 1
        }))
        .expect("a refund");
        assert_eq!(p.paid_at.as_millis(), 1_795_132_800_000, "midnight UTC");
        let errors = PaymentRecord::parse(&json!({
            "invoice": "inv_1", "amount": 0, "currency": "EUR", "paid_at": "hier", "version": -1
        }))
        .expect_err("invalid");
        assert_eq!(fields(&errors), ["amount", "paid_at", "version"]);
    }

    #[test]
    fn ids_keep_to_a_safe_alphabet() {
        assert!(ExtId::parse("cli_01HZ:2026-a.b").is_some());
        for bad in ["", "a/b", "a b", "é", &"x".repeat(101)] {
            assert!(ExtId::parse(bad).is_none(), "{bad:?}");
        }
    }
}

/// An appointment from the quote site: its client, and the fields an appointment has.
#[derive(Debug, Clone)]
pub struct AppointmentRecord {
    pub client: ExtId,
    pub draft: crate::appointments::Draft,
    pub version: i64,
}

impl AppointmentRecord {
    /// `default_zone` reads times given without an offset or a `time_zone`.
    pub fn parse(
        body: &Value,
        default_zone: &crate::appointments::when::Zone,
        now: crate::domain::Timestamp,
    ) -> Result<Self, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let client = f.req_text("client");
        let client = f.ext_id("client", client);
        let version = f.version();
        let text = |f: &mut Fields<'_>, name: &str| f.opt_text(name).map(str::to_owned);
        let cancelled = match f.optional("cancelled") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                f.fail("cancelled", "expected true or false");
                false
            }
        };
        let raw = crate::appointments::Raw {
            kind: text(&mut f, "kind"),
            starts_at: text(&mut f, "starts_at"),
            ends_at: text(&mut f, "ends_at"),
            time_zone: text(&mut f, "time_zone"),
            place: text(&mut f, "place"),
            notes: text(&mut f, "notes"),
            cancelled,
        };
        let draft = match crate::appointments::Draft::parse(&raw, default_zone, now) {
            Ok(d) => Some(d),
            Err(errors) => {
                for e in errors {
                    f.fail(&e.field, e.message);
                }
                None
            }
        };
        let record = (|| {
            Some(Self {
                client: client?,
                draft: draft?,
                version: version?,
            })
        })();
        f.finish(record)
    }
}
