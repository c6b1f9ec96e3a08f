//! The words of a guest's pages (`/l/<token>`), French and English.

use crate::domain::Locale;

pub struct GuestTexts {
    pub shared_by: &'static str,
    pub pin_title: &'static str,
    pub pin_lead: &'static str,
    pub pin_label: &'static str,
    pub pin_submit: &'static str,
    pub pin_wrong: &'static str,
    pub pin_throttled: &'static str,
    pub unknown_title: &'static str,
    pub unknown_lead: &'static str,
    pub gone_title: &'static str,
    pub gone_revoked: &'static str,
    pub gone_expired: &'static str,
    pub gone_unavailable: &'static str,
    pub view_only: &'static str,
}

pub const FR: GuestTexts = GuestTexts {
    shared_by: "{studio} partage ces fichiers avec vous.",
    pin_title: "Code d’accès",
    pin_lead: "Cette galerie est protégée. Entrez le code que le studio vous a donné.",
    pin_label: "Code",
    pin_submit: "Ouvrir",
    pin_wrong: "Ce code n’est pas le bon. Vérifiez-le et réessayez.",
    pin_throttled: "Trop d’essais. Réessayez dans {minutes} minutes.",
    unknown_title: "Lien inconnu",
    unknown_lead: "Ce lien n’ouvre rien. Vérifiez qu’il est complet, ou demandez-en un nouveau au studio.",
    gone_title: "Lien indisponible",
    gone_revoked: "Le studio a retiré ce lien. Demandez-lui un nouveau lien si vous en avez encore besoin.",
    gone_expired: "Ce lien a expiré. Demandez au studio un nouveau lien si vous en avez encore besoin.",
    gone_unavailable: "Cette galerie n’est plus disponible. Contactez le studio si vous en avez encore besoin.",
    view_only: "Vous pouvez regarder ces fichiers ; le studio n’a pas ouvert leur téléchargement.",
};

pub const EN: GuestTexts = GuestTexts {
    shared_by: "{studio} shares these files with you.",
    pin_title: "Access code",
    pin_lead: "This gallery is protected. Enter the code the studio gave you.",
    pin_label: "Code",
    pin_submit: "Open",
    pin_wrong: "That code is not the right one. Check it and try again.",
    pin_throttled: "Too many attempts. Try again in {minutes} minutes.",
    unknown_title: "Unknown link",
    unknown_lead: "This link opens nothing. Check that it is complete, or ask the studio for a new one.",
    gone_title: "Link unavailable",
    gone_revoked: "The studio withdrew this link. Ask them for a new one if you still need it.",
    gone_expired: "This link has expired. Ask the studio for a new one if you still need it.",
    gone_unavailable: "This gallery is no longer available. Contact the studio if you still need it.",
    view_only: "You can look at these files; the studio has not opened them for download.",
};

impl GuestTexts {
    pub fn for_locale(locale: Locale) -> &'static Self {
        match locale {
            Locale::Fr => &FR,
            Locale::En => &EN,
        }
    }
}
