//! The emails in French.

use super::{Appointment, DigestLine, Files, MailTexts, Words, count, plural_fr as s};

pub(super) struct French;

const A_REQUEST: &str = "Message envoyé à la suite d’une demande sur votre espace.";
const A_NEW_ADDRESS: &str = "Message envoyé à la suite d’un changement d’adresse.";
const A_CLIENT: &str = "Vous recevez ce message parce que vous avez un espace client chez ce studio.";
const WHAT_HAPPENED: &str = "Voici ce qui s’est passé :";

impl MailTexts for French {
    fn greeting(&self, name: &str) -> String {
        if name.is_empty() {
            "Bonjour,".to_owned()
        } else {
            format!("Bonjour {name},")
        }
    }

    fn copy_hint(&self) -> &'static str {
        "Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur :"
    }

    fn invitation(&self, studio: &str, valid_days: u64) -> Words {
        Words::new(
            format!("{studio} vous invite à votre espace client"),
            vec![
                format!(
                    "{studio} vous a ouvert un espace client pour échanger vos fichiers en toute simplicité : vous pourrez y déposer musiques, documents, photos et vidéos, et y retrouver vos livraisons."
                ),
                format!(
                    "Pour y accéder, choisissez votre mot de passe. Ce lien est personnel, ne sert qu’une fois et expire dans {valid_days} jours."
                ),
            ],
            "Choisir mon mot de passe",
            format!("Vous recevez ce message parce que {studio} vous a invité."),
        )
    }

    fn password_reset(&self, valid_hours: u64) -> Words {
        Words::new(
            "Choisir un nouveau mot de passe".into(),
            vec![
                "Vous avez demandé à changer le mot de passe de votre espace. Le lien ci-dessous vous permet d’en choisir un nouveau.".into(),
                format!(
                    "Il ne sert qu’une fois et expire dans {valid_hours} heures. Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : votre mot de passe actuel reste valable."
                ),
            ],
            "Choisir un nouveau mot de passe",
            A_REQUEST,
        )
    }

    fn email_change(&self) -> Words {
        Words::new(
            "Confirmez votre nouvelle adresse".into(),
            vec![
                "Vous avez demandé à utiliser cette adresse pour votre espace. Confirmez-la avec le lien ci-dessous : elle remplacera l’ancienne dès ce moment.".into(),
                "Le lien ne sert qu’une fois et expire dans 24 heures. Si vous n’êtes pas à l’origine de cette demande, ignorez ce message.".into(),
            ],
            "Confirmer cette adresse",
            A_REQUEST,
        )
    }

    fn email_updated(&self, studio: &str) -> Words {
        Words::new(
            "Votre espace utilise désormais cette adresse".into(),
            vec![
                format!(
                    "{studio} a enregistré cette adresse pour votre espace client : c’est désormais avec elle que vous vous connectez, et c’est ici que vous recevrez nos messages."
                ),
                "Votre mot de passe ne change pas. Si vous ne reconnaissez pas ce changement, répondez à ce message."
                    .into(),
            ],
            "Ouvrir mon espace",
            A_NEW_ADDRESS,
        )
    }

    fn address_moved(&self, studio: &str, new_address: &str) -> Words {
        Words::new(
            "L’adresse de votre espace a changé".into(),
            vec![
                format!(
                    "Votre espace client chez {studio} utilise désormais l’adresse {new_address}. Cette adresse-ci ne permet plus de s’y connecter, et les liens envoyés ici auparavant ne fonctionnent plus."
                ),
                format!(
                    "Si vous n’êtes pas à l’origine de ce changement, répondez à ce message ou contactez {studio} sans attendre."
                ),
            ],
            "Ouvrir mon espace",
            A_NEW_ADDRESS,
        )
    }

    fn transfer_received(&self, client: &str, title: &str, files: Files<'_>) -> Words {
        let (n, total) = (files.count, files.total);
        let s = s(count(n));
        Words::new(
            format!("{client} vous a envoyé {n} fichier{s}"),
            vec![format!(
                "{client} a terminé un envoi dans « {title} » : {n} fichier{s}, {total} au total."
            )],
            "Voir les fichiers",
            "Notification de votre espace Relais.",
        )
    }

    fn delivery_published(&self, studio: &str, title: &str, file_count: usize, until: Option<&str>) -> Words {
        let s = s(count(file_count));
        Words::new(
            format!("Vos fichiers sont prêts : {title}"),
            [
                Some(format!(
                    "{studio} vous a livré « {title} » : {file_count} fichier{s} à regarder et à télécharger."
                )),
                until.map(|d| format!("Ils restent disponibles jusqu’au {d}.")),
            ]
            .into_iter()
            .flatten()
            .collect(),
            "Voir ma livraison",
            A_CLIENT,
        )
    }

    fn delivery_expiring(&self, title: &str, on: &str) -> Words {
        Words::new(
            format!("Dernier rappel : « {title} » expire le {on}"),
            vec![format!(
                "Votre livraison « {title} » ne sera plus disponible après le {on}. Pensez à télécharger vos fichiers d’ici là."
            )],
            "Télécharger mes fichiers",
            A_CLIENT,
        )
    }

    fn guest_link(&self, studio: &str, title: &str, has_pin: bool, until: Option<&str>) -> Words {
        Words::new(
            format!("{studio} partage avec vous « {title} »"),
            [
                Some(format!(
                    "{studio} vous a ouvert une galerie : « {title} ». Le bouton ci-dessous l’ouvre, sans compte à créer."
                )),
                has_pin.then(|| "Elle est protégée par un code d’accès, que le studio vous donne séparément.".to_owned()),
                until.map(|d| format!("Le lien fonctionne jusqu’au {d}.")),
            ]
            .into_iter()
            .flatten()
            .collect(),
            "Ouvrir la galerie",
            "Vous recevez ce message parce que le studio a partagé cette galerie avec cette adresse. Ne transférez pas ce lien : il ouvre la galerie à qui le détient.",
        )
    }

    fn upload_link(&self, studio: &str, has_pin: bool, until: Option<&str>) -> Words {
        Words::new(
            format!("{studio} vous invite à envoyer vos fichiers"),
            [
                Some(format!(
                    "{studio} vous invite à déposer vos fichiers. Le bouton ci-dessous ouvre la page d’envoi, sans compte à créer : de gros fichiers passent, et un envoi coupé reprend où il s’était arrêté."
                )),
                has_pin.then(|| "La page est protégée par un code d’accès, que le studio vous donne séparément.".to_owned()),
                until.map(|d| format!("Le lien fonctionne jusqu’au {d}.")),
            ]
            .into_iter()
            .flatten()
            .collect(),
            "Envoyer mes fichiers",
            "Vous recevez ce message parce que le studio vous demande des fichiers à cette adresse. Ne transférez pas ce lien : il permet à qui le détient d’envoyer des fichiers au studio.",
        )
    }

    fn guest_batch(&self, guest: &str, link_label: &str, files: Files<'_>) -> Words {
        let (n, total) = (files.count, files.total);
        let s = s(count(n));
        Words::new(
            format!("{guest} a envoyé {n} fichier{s} par « {link_label} »"),
            vec![
                format!("{guest} a terminé un envoi par le lien « {link_label} » : {n} fichier{s}, {total} au total."),
                "Ces fichiers attendent d’être validés par le studio.".to_owned(),
            ],
            "Voir les fichiers",
            "Notification d’un lien d’envoi.",
        )
    }

    fn guest_receipt(&self, studio: &str, link_label: &str, files: Files<'_>) -> Words {
        let (n, total) = (files.count, files.total);
        let s = s(count(n));
        Words::new(
            format!("{studio} a bien reçu vos {n} fichier{s}"),
            vec![format!(
                "{studio} a bien reçu ce que vous avez envoyé par « {link_label} » : {n} fichier{s}, {total} au total, chacun vérifié à l’octet près."
            )],
            "Visiter le site du studio",
            "Vous recevez cet accusé de réception parce que vous avez donné cette adresse en envoyant vos fichiers.",
        )
    }

    fn selection_submitted(&self, who: &str, list: &str, n: usize, title: &str) -> Words {
        let s = s(count(n));
        Words::new(
            format!("{who} a envoyé sa sélection « {list} » ({n} fichier{s})"),
            vec![format!(
                "{who} a terminé sa sélection « {list} » dans « {title} » : {n} fichier{s}. La liste est verrouillée ; vous pouvez la rouvrir depuis la livraison."
            )],
            "Voir la sélection",
            "Notification d’une sélection.",
        )
    }

    fn backup_failed(&self, target: &str) -> Words {
        Words::new(
            "La sauvegarde de cette nuit a échoué".into(),
            vec![
                format!(
                    "La sauvegarde vers {target} n’a pas abouti. Vos fichiers sont intacts, mais ils ne sont plus copiés tant que le problème demeure."
                ),
                WHAT_HAPPENED.into(),
            ],
            "Voir le tableau de bord",
            "Vous ne recevrez pas d’autre message avant que les sauvegardes repartent.",
        )
    }

    fn restore_drill_failed(&self, target: &str) -> Words {
        Words::new(
            "L’essai de restauration de la semaine a échoué".into(),
            vec![
                format!(
                    "La dernière sauvegarde sur {target} n’a pas pu être relue entièrement : elle ne permettrait peut-être pas de tout restaurer."
                ),
                WHAT_HAPPENED.into(),
            ],
            "Voir le tableau de bord",
            "Vous ne recevrez pas d’autre message avant qu’un essai réussisse.",
        )
    }

    fn daily_digest(&self) -> Words {
        Words::new(
            "Vos clients ces dernières 24 heures".into(),
            vec!["Voici ce que vos clients ont fait depuis le dernier résumé :".into()],
            "Voir l’activité",
            "Ce résumé part chaque jour à l’heure réglée (digest.at), seulement s’il s’est passé quelque chose.",
        )
    }

    fn digest_line(&self, line: DigestLine<'_>) -> String {
        match line {
            DigestLine::Opened { client, title } => format!("{client} a ouvert « {title} »"),
            DigestLine::Downloads { client, title, count } => {
                format!("{client} : {count} téléchargement{} dans « {title} »", s(count))
            }
            DigestLine::Sent { client, title, count } => {
                format!("{client} vous a envoyé {count} fichier{} (« {title} »)", s(count))
            }
        }
    }

    fn appointment_reminder(&self, studio: &str, a: Appointment<'_>) -> Words {
        let mut w = Words::new(
            format!("Rappel : {} — {}", a.kind, a.when),
            vec![format!(
                "Petit rappel de votre rendez-vous avec {studio} : {}, {}.",
                a.kind, a.when
            )],
            "Voir mes rendez-vous",
            "Le fichier joint ajoute ce rendez-vous à votre agenda.",
        );
        w.items.extend(a.place.map(|p| format!("Lieu : {p}")));
        w.items.extend(a.notes.map(|n| format!("À noter : {n}")));
        w
    }

    fn confirm_subscription(&self, studio: &str, imported: bool, valid_days: u64) -> Words {
        let why = if imported {
            format!(
                "{studio} vous propose de recevoir sa lettre d’information : quelques nouvelles de temps en temps, des mariages et des séances récents."
            )
        } else {
            format!(
                "Vous (ou quelqu’un avec votre adresse) avez demandé à recevoir la lettre d’information de {studio}."
            )
        };
        Words::new(
            format!("Confirmez votre inscription à la lettre de {studio}"),
            vec![
                why,
                format!(
                    "Confirmez en ouvrant le lien ci-dessous (valable {valid_days} jours). Sans confirmation, vous ne recevrez rien."
                ),
            ],
            "Confirmer mon inscription",
            "Si vous n’êtes pas à l’origine de cette demande, ignorez ce message.",
        )
    }

    fn newsletter_why(&self, studio: &str) -> String {
        format!("Vous recevez cette lettre parce que vous vous êtes inscrit(e) à la lettre d’information de {studio}.")
    }

    fn unsubscribe(&self) -> &'static str {
        "Se désinscrire"
    }

    fn test_subject(&self, subject: &str) -> String {
        format!("[Essai] {subject}")
    }
}
