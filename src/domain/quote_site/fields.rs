//! Reading one JSON object's fields for the records, collecting every problem on the way
//! (the 422 lists them all).

use serde_json::{Map, Value};

use super::{Currency, ExtId};
use crate::domain::FieldError;
use crate::domain::Timestamp;

/// Reads the fields of one JSON object, collecting every problem on the way.
pub(super) struct Fields<'a> {
    map: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    pub(super) fn of(body: &'a Value) -> Result<Self, Vec<FieldError>> {
        match body {
            Value::Object(map) => Ok(Self {
                map,
                errors: Vec::new(),
            }),
            _ => Err(vec![FieldError::new("body", "expected a JSON object")]),
        }
    }

    pub(super) fn fail(&mut self, field: &str, message: impl ToString) {
        self.errors.push(FieldError::new(field, message));
    }

    /// A present, non-null value, or an error saying it is required.
    pub(super) fn required(&mut self, field: &str) -> Option<&'a Value> {
        match self.map.get(field) {
            None | Some(Value::Null) => {
                self.fail(field, "required");
                None
            }
            Some(v) => Some(v),
        }
    }

    pub(super) fn optional(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    pub(super) fn text(&mut self, field: &str, value: Option<&'a Value>) -> Option<&'a str> {
        match value? {
            Value::String(s) => Some(s.as_str()),
            _ => {
                self.fail(field, "expected a string");
                None
            }
        }
    }

    pub(super) fn req_text(&mut self, field: &str) -> Option<&'a str> {
        let v = self.required(field);
        self.text(field, v)
    }

    pub(super) fn opt_text(&mut self, field: &str) -> Option<&'a str> {
        let v = self.optional(field);
        self.text(field, v).map(str::trim).filter(|s| !s.is_empty())
    }

    /// A short printable label (number, title, method): 1 to `max` characters.
    pub(super) fn label(&mut self, field: &str, raw: Option<&str>, max: usize) -> Option<String> {
        let s = raw?.trim();
        if s.is_empty() || s.chars().count() > max || s.chars().any(char::is_control) {
            self.fail(field, format!("expected 1 to {max} printable characters"));
            return None;
        }
        Some(s.to_owned())
    }

    pub(super) fn integer(&mut self, field: &str) -> Option<i64> {
        let v = self.required(field)?;
        match v.as_i64() {
            Some(n) => Some(n),
            None => {
                self.fail(field, "expected an integer (amounts are in minor units: cents)");
                None
            }
        }
    }

    pub(super) fn version(&mut self) -> Option<i64> {
        let n = self.integer("version")?;
        if n < 0 {
            self.fail("version", "expected an integer of 0 or more");
            return None;
        }
        Some(n)
    }

    pub(super) fn ext_id(&mut self, field: &str, raw: Option<&str>) -> Option<ExtId> {
        let raw = raw?;
        let id = ExtId::parse(raw);
        if id.is_none() {
            self.fail(field, "expected an id of 1 to 100 characters among A-Z a-z 0-9 . _ : -");
        }
        id
    }

    pub(super) fn currency(&mut self) -> Option<Currency> {
        let raw = self.req_text("currency")?;
        let c = Currency::parse(raw);
        if c.is_none() {
            self.fail("currency", "expected an ISO 4217 code such as EUR");
        }
        c
    }

    pub(super) fn date(&mut self, field: &str) -> Option<String> {
        let raw = self.opt_text(field)?;
        if parse_date(raw).is_none() {
            self.fail(field, "expected a date as YYYY-MM-DD");
            return None;
        }
        Some(raw.to_owned())
    }

    pub(super) fn status<T>(&mut self, parse: fn(&str) -> Option<T>, all: &[&str]) -> Option<T> {
        let raw = self.req_text("status")?;
        let status = parse(raw);
        if status.is_none() {
            self.fail("status", format!("expected one of {}", all.join(", ")));
        }
        status
    }

    pub(super) fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ if self.errors.is_empty() => Err(vec![FieldError::new("body", "invalid")]),
            _ => Err(self.errors),
        }
    }
}

pub(super) fn parse_date(raw: &str) -> Option<time::Date> {
    time::Date::parse(raw, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// `paid_at`: an RFC 3339 date-time, or a date (taken as midnight UTC).
pub(super) fn parse_instant(raw: &str) -> Option<Timestamp> {
    let at = match time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339) {
        Ok(at) => at,
        Err(_) => parse_date(raw)?.midnight().assume_utc(),
    };
    Some(at.into())
}
