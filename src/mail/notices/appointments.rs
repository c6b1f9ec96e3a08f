//! About appointments: the reminder before one, with its `.ics` attached by the caller.

use super::{Recipient, compose};
use crate::mail::Composed;
use crate::texts::mail::for_locale;

/// What a reminder says of the appointment, already in the reader's words and zone.
pub use crate::texts::mail::Appointment as Reminder;

/// To a client: an appointment comes soon.
pub fn appointment_reminder(
    to: &Recipient<'_>,
    studio: &str,
    r: &Reminder<'_>,
    link: &str,
) -> Result<Composed, askama::Error> {
    let words = for_locale(to.locale).appointment_reminder(studio, *r);
    compose(to, studio, link, "appointment_reminder", words)
}
