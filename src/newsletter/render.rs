//! An issue as each subscriber receives it: the Markdown rendered to sanitised HTML (and
//! kept as the text part, which Markdown already reads well as), the optional portfolio
//! picture, and a footer that says why the message came and how to leave.

use askama::Template;

use crate::domain::Locale;
use crate::mail::Composed;
use crate::texts::mail as mail_texts;

#[derive(Template)]
#[template(path = "mail/newsletter.html")]
struct NewsletterHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    studio: &'a str,
    picture: Option<&'a str>,
    body: &'a str,
    why: &'a str,
    unsubscribe: &'a str,
    unsubscribe_label: &'a str,
}

#[derive(Template)]
#[template(path = "mail/newsletter.txt")]
struct NewsletterText<'a> {
    studio: &'a str,
    body: &'a str,
    why: &'a str,
    unsubscribe: &'a str,
    unsubscribe_label: &'a str,
}

/// Markdown to HTML that is safe to put in a message: raw HTML in the source is dropped
/// and whatever the renderer produced is cleaned by ammonia (links only to http, https
/// and mailto, no scripts, no styles, no event handlers).
pub fn markdown_html(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser};
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        // Shown as the text it is rather than interpreted.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events);
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer"))
        .clean(&html)
        .to_string()
}

/// One message of an issue.
pub struct Message<'a> {
    pub locale: Locale,
    pub to_address: &'a str,
    pub studio: &'a str,
    pub subject: &'a str,
    pub markdown: &'a str,
    /// An absolute URL of the portfolio picture, when the issue has one.
    pub picture: Option<&'a str>,
    /// This message's own unsubscribe URL.
    pub unsubscribe: &'a str,
}

pub fn compose(m: &Message<'_>) -> Result<Composed, askama::Error> {
    let t = mail_texts::for_locale(m.locale);
    let (why, label) = (t.newsletter_why(m.studio), t.unsubscribe());
    let body = markdown_html(m.markdown);
    let html = NewsletterHtml {
        lang: m.locale.as_str(),
        subject: m.subject,
        studio: m.studio,
        picture: m.picture,
        body: &body,
        why: &why,
        unsubscribe: m.unsubscribe,
        unsubscribe_label: label,
    }
    .render()?;
    let text = NewsletterText {
        studio: m.studio,
        body: m.markdown.trim(),
        why: &why,
        unsubscribe: m.unsubscribe,
        unsubscribe_label: label,
    }
    .render()?;
    Ok(Composed {
        kind: "newsletter",
        to_address: m.to_address.to_owned(),
        to_name: None,
        subject: m.subject.to_owned(),
        text,
        html,
        list_unsubscribe: Some(m.unsubscribe.to_owned()),
        calendar: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_keeps_its_formatting_and_loses_anything_that_could_run() {
        let html = markdown_html(
            "# Printemps\n\n**Nouvelles** dates et [le site](https://studio.fr).\n\n\
             <script>alert(1)</script>\n\n[piège](javascript:alert(1)) <img src=x onerror=alert(1)>",
        );
        assert!(
            html.contains("<h1>Printemps</h1>") && html.contains("<strong>Nouvelles</strong>"),
            "{html}"
        );
        assert!(html.contains("href=\"https://studio.fr\""), "{html}");
        // No element that runs anything: what was HTML is now visible, inert text.
        assert!(
            !html.contains("<script") && !html.contains("<img") && !html.contains("javascript:"),
            "{html}"
        );
        // The raw HTML is shown as text, escaped, rather than dropped without a trace.
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}
