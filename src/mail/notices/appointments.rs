//! About appointments: the reminder before one, with its `.ics` attached by the caller.

use super::{Notice, Recipient, compose};
use crate::domain::Locale;
use crate::mail::Composed;

/// What a reminder says of the appointment, already in the reader's words and zone.
pub struct Reminder<'a> {
    pub kind: &'a str,
    /// "samedi 12 juin 2027 à 14:30 (UTC+2)".
    pub when: &'a str,
    pub place: Option<&'a str>,
    pub notes: Option<&'a str>,
}

/// To a client: an appointment comes soon.
pub fn appointment_reminder(
    to: &Recipient<'_>,
    studio: &str,
    r: &Reminder<'_>,
    link: &str,
) -> Result<Composed, askama::Error> {
    let mut items = Vec::new();
    let notice = match to.locale {
        Locale::Fr => {
            if let Some(place) = r.place {
                items.push(format!("Lieu : {place}"));
            }
            if let Some(notes) = r.notes {
                items.push(format!("À noter : {notes}"));
            }
            Notice {
                kind: "appointment_reminder",
                subject: format!("Rappel : {} — {}", r.kind, r.when),
                paragraphs: vec![format!(
                    "Petit rappel de votre rendez-vous avec {studio} : {}, {}.",
                    r.kind, r.when
                )],
                items,
                action: "Voir mes rendez-vous",
                footer: "Le fichier joint ajoute ce rendez-vous à votre agenda.",
            }
        }
        Locale::En => {
            if let Some(place) = r.place {
                items.push(format!("Place: {place}"));
            }
            if let Some(notes) = r.notes {
                items.push(format!("Note: {notes}"));
            }
            Notice {
                kind: "appointment_reminder",
                subject: format!("Reminder: {} — {}", r.kind, r.when),
                paragraphs: vec![format!(
                    "A reminder of your appointment with {studio}: {}, {}.",
                    r.kind, r.when
                )],
                items,
                action: "See my appointments",
                footer: "The attached file adds this appointment to your calendar.",
            }
        }
    };
    compose(to, studio, link, notice)
}
