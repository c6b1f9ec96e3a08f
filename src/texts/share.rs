//! The words of sharing on the studio's transfer page and the client's pages: links for
//! guests (view and upload), the review of guests' files, favourites and selections, and
//! download sizes. French and English; a page family of its own.

use crate::domain::Locale;

pub struct ShareTexts {
    lang: Locale,
    pub links_title: &'static str,
    pub links_lead_view: &'static str,
    pub links_lead_upload: &'static str,
    pub links_empty: &'static str,
    pub kind_view: &'static str,
    pub kind_upload: &'static str,
    pub new_link: &'static str,
    pub label: &'static str,
    pub label_hint_view: &'static str,
    pub label_hint_upload: &'static str,
    pub email: &'static str,
    pub email_hint: &'static str,
    pub email_locale: &'static str,
    pub pin: &'static str,
    pub pin_hint: &'static str,
    pub expires: &'static str,
    pub expires_hint: &'static str,
    pub permissions: &'static str,
    pub perm_download: &'static str,
    pub perm_download_web: &'static str,
    pub perm_favourite: &'static str,
    pub max_files: &'static str,
    pub max_gb: &'static str,
    pub categories: &'static str,
    pub create: &'static str,
    pub made_title: &'static str,
    pub made_note: &'static str,
    pub made_done: &'static str,
    /// Ends the name of a selection's ZIP: "… – Photos du mariage – sélection.zip".
    pub selection_archive: &'static str,
    pub revoke: &'static str,
    pub revoke_confirm: &'static str,
    pub revoked: &'static str,
    pub expired: &'static str,
    pub until: &'static str,
    pub with_pin: &'static str,
    pub pending_badge: &'static str,
    pub accept: &'static str,
    pub sent_by: &'static str,
    pub selection_title: &'static str,
    pub selection_lead: &'static str,
    pub selection_empty: &'static str,
    pub submitted_on: &'static str,
    pub in_progress: &'static str,
    pub reopen: &'static str,
    pub export_lightroom: &'static str,
    pub export_lines: &'static str,
    pub export_csv: &'static str,
    pub export_zip: &'static str,
    pub limits_title: &'static str,
    pub limits_hint: &'static str,
    pub limits_save: &'static str,
    pub sizes_title: &'static str,
    pub size_original: &'static str,
    pub size_web: &'static str,
    pub sizes_save: &'static str,
    pub favourite_add: &'static str,
    pub favourite_remove: &'static str,
    pub list_label: &'static str,
    pub list_new: &'static str,
    pub list_new_prompt: &'static str,
    pub list_count_limit: &'static str,
    pub submit: &'static str,
    pub submit_confirm: &'static str,
    pub submitted: &'static str,
    pub download_web: &'static str,
    pub download_all_web: &'static str,
    pub may_share: &'static str,
    pub may_share_hint: &'static str,
    pub my_links_title: &'static str,
    pub my_links_lead_view: &'static str,
    pub my_links_lead_upload: &'static str,
}

pub const FR: ShareTexts = ShareTexts {
    lang: Locale::Fr,
    links_title: "Liens pour les invités",
    links_lead_view: "Partagez cette livraison avec des personnes sans compte : un lien par personne, avec un code d’accès si vous le souhaitez. Chaque téléchargement est noté au nom du lien.",
    links_lead_upload: "Demandez des fichiers à des personnes sans compte (le DJ, l’organisatrice, les invités) : ils arrivent ici, à valider, au nom de qui les envoie.",
    links_empty: "Aucun lien pour l’instant.",
    kind_view: "Galerie",
    kind_upload: "Envoi",
    new_link: "Nouveau lien",
    label: "Pour qui",
    label_hint_view: "Un nom ou un libellé : « Tante Marie », « Famille du marié ».",
    label_hint_upload: "Ce que vous demandez : « DJ – playlist », « Vidéos des invités ».",
    email: "Envoyer le lien à (facultatif)",
    email_hint: "Le lien part aussitôt par e-mail ; le code d’accès n’y figure jamais.",
    email_locale: "Langue de l’e-mail",
    pin: "Code d’accès (facultatif)",
    pin_hint: "6 caractères au moins ; donnez-le séparément.",
    expires: "Fonctionne jusqu’au (facultatif)",
    expires_hint: "Sans date, jusqu’à ce que vous le révoquiez.",
    permissions: "Ce que le lien permet",
    perm_download: "Télécharger les originaux",
    perm_download_web: "Télécharger en taille web",
    perm_favourite: "Choisir des favoris",
    max_files: "Nombre de fichiers au plus (facultatif)",
    max_gb: "Taille totale au plus, en Go (facultatif)",
    categories: "Fichiers acceptés (tous si rien n’est coché)",
    create: "Créer le lien",
    made_title: "Lien créé",
    made_note: "Copiez-le maintenant : il ne sera plus affiché. Le QR code l’ouvre aussi, à imprimer ou projeter.",
    made_done: "Terminé",
    selection_archive: "sélection",
    revoke: "Révoquer",
    revoke_confirm: "Révoquer le lien « {label} » ? Il cessera de fonctionner aussitôt.",
    revoked: "Révoqué",
    expired: "Expiré",
    until: "jusqu’au",
    with_pin: "avec code",
    pending_badge: "À valider",
    accept: "Accepter",
    sent_by: "Envoyé par {name}",
    selection_title: "Sélections",
    selection_lead: "Les favoris du client et des invités autorisés, liste par liste.",
    selection_empty: "Personne n’a encore choisi de favoris.",
    submitted_on: "Envoyée le",
    in_progress: "En cours",
    reopen: "Rouvrir",
    export_lightroom: "Noms pour Lightroom",
    export_lines: "Un nom par ligne",
    export_csv: "CSV",
    export_zip: "ZIP",
    limits_title: "Limites par liste",
    limits_hint: "Une liste par ligne : « Album = 60 ». Vide : sans limite.",
    limits_save: "Enregistrer les limites",
    sizes_title: "Tailles proposées au téléchargement",
    size_original: "Originaux",
    size_web: "Taille web (2400 px)",
    sizes_save: "Enregistrer",
    favourite_add: "Ajouter aux favoris",
    favourite_remove: "Retirer des favoris",
    list_label: "Liste",
    list_new: "Nouvelle liste…",
    list_new_prompt: "Nom de la nouvelle liste (par exemple « Album ») :",
    list_count_limit: "{n} sur {max}",
    submit: "Envoyer ma sélection",
    submit_confirm: "Envoyer la liste « {list} » au studio ? Elle sera verrouillée ; le studio pourra la rouvrir.",
    submitted: "Sélection envoyée au studio.",
    download_web: "Taille web",
    download_all_web: "Tout en taille web (ZIP)",
    may_share: "Peut créer des liens pour ses invités",
    may_share_hint: "Liens de galerie sur ses livraisons, liens d’envoi sur ses espaces d’envoi ; vous êtes prévenu de chaque envoi.",
    my_links_title: "Partager avec vos invités",
    my_links_lead_view: "Un lien par personne pour voir cette galerie, sans compte à créer, avec un code d’accès si vous le souhaitez.",
    my_links_lead_upload: "Un lien pour que vos proches (le DJ, l’organisatrice, les témoins) déposent leurs fichiers ici, sans compte à créer.",
};

pub const EN: ShareTexts = ShareTexts {
    lang: Locale::En,
    links_title: "Links for guests",
    links_lead_view: "Share this delivery with people who have no account: one link per person, with an access code if you wish. Every download is recorded under the link's name.",
    links_lead_upload: "Ask people without an account for files (the DJ, the planner, the guests): they arrive here, to review, under the name of whoever sends them.",
    links_empty: "No link yet.",
    kind_view: "Gallery",
    kind_upload: "Upload",
    new_link: "New link",
    label: "For whom",
    label_hint_view: "A name or a label: “Aunt Mary”, “The groom's family”.",
    label_hint_upload: "What you ask for: “DJ – playlist”, “Guests' videos”.",
    email: "Send the link to (optional)",
    email_hint: "The link leaves by email at once; the access code is never in it.",
    email_locale: "Language of the email",
    pin: "Access code (optional)",
    pin_hint: "6 characters at least; give it separately.",
    expires: "Works until (optional)",
    expires_hint: "Without a date, until you revoke it.",
    permissions: "What the link allows",
    perm_download: "Download the originals",
    perm_download_web: "Download the web size",
    perm_favourite: "Pick favourites",
    max_files: "At most this many files (optional)",
    max_gb: "At most this size in all, in GB (optional)",
    categories: "Files taken (all when none is ticked)",
    create: "Create the link",
    made_title: "Link created",
    made_note: "Copy it now: it will not be shown again. The QR code opens it too, to print or project.",
    made_done: "Done",
    selection_archive: "selection",
    revoke: "Revoke",
    revoke_confirm: "Revoke the link “{label}”? It stops working at once.",
    revoked: "Revoked",
    expired: "Expired",
    until: "until",
    with_pin: "with a code",
    pending_badge: "To review",
    accept: "Accept",
    sent_by: "Sent by {name}",
    selection_title: "Selections",
    selection_lead: "The favourites of the client and of guests allowed to pick, list by list.",
    selection_empty: "Nobody has picked favourites yet.",
    submitted_on: "Submitted on",
    in_progress: "In progress",
    reopen: "Reopen",
    export_lightroom: "Names for Lightroom",
    export_lines: "One name per line",
    export_csv: "CSV",
    export_zip: "ZIP",
    limits_title: "Limits per list",
    limits_hint: "One list per line: “Album = 60”. Empty: no limit.",
    limits_save: "Save the limits",
    sizes_title: "Sizes offered for download",
    size_original: "Originals",
    size_web: "Web size (2400 px)",
    sizes_save: "Save",
    favourite_add: "Add to favourites",
    favourite_remove: "Remove from favourites",
    list_label: "List",
    list_new: "New list…",
    list_new_prompt: "Name of the new list (for example “Album”):",
    list_count_limit: "{n} of {max}",
    submit: "Submit my selection",
    submit_confirm: "Send the list “{list}” to the studio? It will be locked; the studio can reopen it.",
    submitted: "Selection sent to the studio.",
    download_web: "Web size",
    download_all_web: "All in web size (ZIP)",
    may_share: "May make links for their guests",
    may_share_hint: "Gallery links on their deliveries, upload links on their upload spaces; you are told of every batch.",
    my_links_title: "Share with your guests",
    my_links_lead_view: "One link per person to see this gallery, no account needed, with an access code if you wish.",
    my_links_lead_upload: "A link for your people (the DJ, the planner, the witnesses) to drop their files here, no account needed.",
};

impl ShareTexts {
    pub fn for_locale(locale: Locale) -> &'static Self {
        match locale {
            Locale::Fr => &FR,
            Locale::En => &EN,
        }
    }

    /// "3 téléchargements, 2 complets" / "3 downloads, 2 complete".
    pub fn downloads(&self, n: i64, complete: i64) -> String {
        let s = |n: i64| if n > 1 { "s" } else { "" };
        match self.lang {
            Locale::Fr => format!("{n} téléchargement{}, {complete} complet{}", s(n), s(complete)),
            Locale::En => format!("{n} download{}, {complete} complete", if n == 1 { "" } else { "s" }),
        }
    }

    /// "4 fichiers reçus, 1 à valider" / "4 files received, 1 to review".
    pub fn received(&self, n: i64, pending: i64) -> String {
        match self.lang {
            Locale::Fr => {
                let s = if n > 1 { "s" } else { "" };
                format!("{n} fichier{s} reçu{s}, {pending} à valider")
            }
            Locale::En => format!(
                "{n} file{} received, {pending} to review",
                if n == 1 { "" } else { "s" }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(FR.downloads(1, 1), "1 téléchargement, 1 complet");
        assert_eq!(FR.downloads(3, 0), "3 téléchargements, 0 complet");
        assert_eq!(EN.downloads(1, 0), "1 download, 0 complete");
        assert_eq!(FR.received(2, 1), "2 fichiers reçus, 1 à valider");
        assert_eq!(EN.received(1, 1), "1 file received, 1 to review");
    }
}
