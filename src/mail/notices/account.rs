//! About an account: the invitation to it, a password to choose again, an address that
//! changes.

use super::{Recipient, compose};
use crate::mail::Composed;
use crate::texts::mail::for_locale;

/// To a new client: the studio opened a space for them; the link chooses their password.
pub fn invitation(to: &Recipient<'_>, studio: &str, valid_days: u64, link: &str) -> Result<Composed, askama::Error> {
    let words = for_locale(to.locale).invitation(studio, valid_days);
    compose(to, studio, link, "invitation", words)
}

/// To anyone who asked: a link to choose a new password.
pub fn password_reset(
    to: &Recipient<'_>,
    studio: &str,
    valid_hours: u64,
    link: &str,
) -> Result<Composed, askama::Error> {
    let words = for_locale(to.locale).password_reset(valid_hours);
    compose(to, studio, link, "password_reset", words)
}

/// To a new address: confirm it before the account moves to it.
pub fn email_change(to: &Recipient<'_>, studio: &str, link: &str) -> Result<Composed, askama::Error> {
    compose(to, studio, link, "email_change", for_locale(to.locale).email_change())
}

/// To the new address, when the quote site changed it: the space now answers to it.
pub fn email_updated(to: &Recipient<'_>, studio: &str, link: &str) -> Result<Composed, askama::Error> {
    compose(
        to,
        studio,
        link,
        "email_updated",
        for_locale(to.locale).email_updated(studio),
    )
}

/// To the address an account left: it moved, and to where.
pub fn address_moved(
    to: &Recipient<'_>,
    studio: &str,
    new_address: &str,
    link: &str,
) -> Result<Composed, askama::Error> {
    let words = for_locale(to.locale).address_moved(studio, new_address);
    compose(to, studio, link, "address_moved", words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Locale;

    fn sample(locale: Locale) -> Composed {
        let to = Recipient {
            locale,
            address: "anne@example.fr",
            name: "Anne <Dupont>",
        };
        invitation(&to, "Studio Lumière", 7, "https://transfert.example.fr/invitation/abc").expect("renders")
    }

    #[test]
    fn french_and_english_invitations_carry_the_link_and_escape_html() {
        let fr = sample(Locale::Fr);
        assert_eq!(fr.subject, "Studio Lumière vous invite à votre espace client");
        assert!(
            fr.text.contains("https://transfert.example.fr/invitation/abc")
                && fr.text.starts_with("Bonjour Anne <Dupont>,")
                && fr.text.contains("expire dans 7 jours"),
            "{}",
            fr.text
        );
        assert!(
            fr.html.contains("Anne &#60;Dupont&#62;") || fr.html.contains("Anne &lt;Dupont&gt;"),
            "{}",
            fr.html
        );
        assert!(!fr.html.contains("<Dupont>"), "{}", fr.html);
        let en = sample(Locale::En);
        assert!(en.text.starts_with("Hello") && en.html.contains("Choose my password"));
        assert!(
            en.html
                .contains("You are receiving this because Studio Lumière invited you.")
        );
    }
}
