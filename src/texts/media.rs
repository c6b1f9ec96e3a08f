//! The words of the media pipeline's states on the pages (videos' web copies), French and
//! English; a page family of its own.

use crate::db::files::{FileRecord, WebState};
use crate::domain::Locale;

pub struct MediaTexts {
    lang: Locale,
    pub web_queued: &'static str,
    pub web_ready: &'static str,
    pub web_retry: &'static str,
    pub client_making: &'static str,
}

pub const FR: MediaTexts = MediaTexts {
    lang: Locale::Fr,
    web_queued: "Copie web en attente",
    web_ready: "Copie web prête",
    web_retry: "Refaire la copie web",
    client_making: "Cette vidéo sera lisible ici dans quelques minutes, le temps d’en préparer une version pour tous les navigateurs.",
};

pub const EN: MediaTexts = MediaTexts {
    lang: Locale::En,
    web_queued: "Web copy waiting",
    web_ready: "Web copy ready",
    web_retry: "Make the web copy again",
    client_making: "This video will play here in a few minutes, once a version for every browser is ready.",
};

impl MediaTexts {
    pub fn for_locale(locale: Locale) -> &'static Self {
        match locale {
            Locale::Fr => &FR,
            Locale::En => &EN,
        }
    }

    /// Where a video's web copy stands, for the studio: `None` for other files.
    pub fn web_state(&self, f: &FileRecord) -> Option<String> {
        let state = f.web_state?;
        Some(match (state, self.lang) {
            (WebState::Queued, _) => self.web_queued.to_owned(),
            (WebState::Making, Locale::Fr) => {
                format!("Copie web en préparation : {} %", f.web_progress.unwrap_or(0) / 10)
            }
            (WebState::Making, Locale::En) => {
                format!("Web copy being made: {}%", f.web_progress.unwrap_or(0) / 10)
            }
            (WebState::Ready, _) => self.web_ready.to_owned(),
            (WebState::Failed, Locale::Fr) => format!(
                "Copie web impossible : {}",
                f.web_error.as_deref().unwrap_or("raison inconnue")
            ),
            (WebState::Failed, Locale::En) => {
                format!("No web copy: {}", f.web_error.as_deref().unwrap_or("unknown reason"))
            }
        })
    }
}
