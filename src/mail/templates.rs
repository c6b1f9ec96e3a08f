//! Email templates, French and English, text and HTML. The templates live in
//! `web/templates/mail/` and are compiled into the binary.

use askama::Template;

use super::Composed;
use crate::domain::Locale;

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    lang: &'a str,
    name: &'a str,
    studio: &'a str,
    link: &'a str,
    valid_days: u64,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    name: &'a str,
    studio: &'a str,
    link: &'a str,
    valid_days: u64,
}

pub struct Invitation<'a> {
    pub locale: Locale,
    pub to_address: &'a str,
    pub name: &'a str,
    pub studio: &'a str,
    pub link: &'a str,
    pub valid_days: u64,
}

pub fn invitation(i: &Invitation<'_>) -> Result<Composed, askama::Error> {
    let subject = match i.locale {
        Locale::Fr => format!("{} vous invite à votre espace client", i.studio),
        Locale::En => format!("{} invites you to your client space", i.studio),
    };
    let lang = i.locale.as_str();
    let text = InvitationText {
        lang,
        name: i.name,
        studio: i.studio,
        link: i.link,
        valid_days: i.valid_days,
    }
    .render()?;
    let html = InvitationHtml {
        lang,
        subject: &subject,
        name: i.name,
        studio: i.studio,
        link: i.link,
        valid_days: i.valid_days,
    }
    .render()?;
    Ok(Composed {
        kind: "invitation",
        to_address: i.to_address.to_owned(),
        to_name: Some(i.name.to_owned()),
        subject,
        text,
        html,
        list_unsubscribe: None,
        calendar: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(locale: Locale) -> Composed {
        invitation(&Invitation {
            locale,
            to_address: "anne@example.fr",
            name: "Anne <Dupont>",
            studio: "Studio Lumière",
            link: "https://transfert.example.fr/invitation/abc",
            valid_days: 7,
        })
        .expect("renders")
    }

    #[test]
    fn french_and_english_invitations_carry_the_link_and_escape_html() {
        let fr = sample(Locale::Fr);
        assert!(fr.subject.contains("vous invite"));
        assert!(
            fr.text.contains("https://transfert.example.fr/invitation/abc")
                && fr.text.contains("Bonjour Anne <Dupont>")
        );
        assert!(
            fr.html.contains("Anne &#60;Dupont&#62;") || fr.html.contains("Anne &lt;Dupont&gt;"),
            "{}",
            fr.html
        );
        let en = sample(Locale::En);
        assert!(en.text.starts_with("Hello") && en.html.contains("Choose my password"));
    }
}
