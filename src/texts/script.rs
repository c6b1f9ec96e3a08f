//! The API's error codes as the pages' scripts show them, French and English.

/// The API's error codes in words, for the page scripts (JSON in a data block, which the
/// policy allows since it is never executed).
pub fn script_messages(lang: &str) -> String {
    let fr = lang == "fr";
    let pick = |f: &str, e: &str| if fr { f.to_owned() } else { e.to_owned() };
    serde_json::json!({
        "invalid_credentials": pick("Adresse ou mot de passe incorrect.", "Wrong email address or password."),
        "totp_required": pick("Saisissez votre code de vérification.", "Enter your verification code."),
        "totp_invalid": pick("Ce code n’est pas valable. Attendez le suivant et réessayez.", "This code is not valid. Wait for the next one and try again."),
        "account_disabled": pick("Ce compte est désactivé. Contactez le studio.", "This account is disabled. Contact the studio."),
        "rate_limited": pick("Trop d’essais. Patientez un peu avant de réessayer.", "Too many attempts. Wait a little before trying again."),
        "rate_limited_wait": pick("Trop d’essais. Réessayez dans {wait}.", "Too many attempts. Try again in {wait}."),
        "wait_seconds": pick("{n} s", "{n} s"),
        "wait_minutes": pick("{n} min", "{n} min"),
        "csrf_failed": pick("La page a expiré. Rechargez-la et recommencez.", "The page has expired. Reload it and try again."),
        "authentication_required": pick("Votre session a pris fin. Reconnectez-vous.", "Your session ended. Log in again."),
        "email_taken": pick("Un compte existe déjà avec cette adresse.", "An account already exists with this address."),
        "email_in_trash": pick("Cette adresse appartient à un client dans la corbeille : restaurez-le, ou effacez-le d’abord.", "This address belongs to a client in the trash: restore them, or erase them first."),
        "invalid_link": pick("Ce lien a déjà servi ou a expiré.", "This link was already used or has expired."),
        "payload_too_large": pick("Ce fichier dépasse la taille permise ou l’espace qui vous reste. Parlez-en au studio.", "This file is over the size limit or the space you have left. Ask the studio."),
        "not_found": pick("Introuvable.", "Not found."),
        "forbidden": pick("Vous n’avez pas accès à cette action.", "You are not allowed to do this."),
        "validation_failed": pick("Vérifiez les champs signalés.", "Check the fields marked."),
        "network": pick("Connexion impossible. Vérifiez votre réseau et réessayez.", "Cannot connect. Check your network and try again."),
        "generic": pick("Quelque chose s’est mal passé. Réessayez.", "Something went wrong. Try again."),
        "field.email": pick("Saisissez une adresse e-mail valide.", "Enter a valid email address."),
        "field.password": pick("Au moins 10 caractères.", "At least 10 characters."),
        "field.name": pick("Saisissez un nom.", "Enter a name."),
        "field.title": pick("Saisissez un titre (200 caractères au plus).", "Enter a title (200 characters at most)."),
        "field.expires_at": pick("Choisissez une date à venir.", "Choose a future date."),
        "field.transfer": pick("Ajoutez au moins un fichier avant de publier.", "Add at least one file before publishing."),
        "field.studio_name": pick("Saisissez le nom du studio (100 caractères au plus).", "Enter the studio’s name (100 characters at most)."),
        "field.tagline": pick("200 caractères au plus.", "200 characters at most."),
        "field.tagline_en": pick("200 caractères au plus.", "200 characters at most."),
        "field.contact_email": pick("Saisissez une adresse e-mail valide, ou laissez vide.", "Enter a valid email address, or leave it empty."),
        "field.files": pick("La liste a changé entre-temps : rechargez la page.", "The list changed meanwhile: reload the page."),
        "field.cover": pick("Cette photo ne fait pas partie de la livraison.", "This photo is not part of the delivery."),
        "unsupported_media_type": pick("Ce type de fichier n’est pas accepté ici.", "This kind of file is not accepted here."),
        "studio_unnamed": pick("Donnez d’abord un nom au studio, puis son logo.", "Name the studio first, then give it a logo."),
        "image_too_large": pick("Cette image est trop grande (4096 pixels de côté au plus).", "This picture is too large (4096 pixels a side at most)."),
        "field.locale": pick("Choisissez une langue.", "Choose a language."),
        "field.current_password": pick("Ce n’est pas votre mot de passe actuel.", "This is not your current password."),
        "field.new_password": pick("Au moins 10 caractères.", "At least 10 characters."),
        "field.totp": pick("Ce code n’est pas valable. Attendez le suivant et réessayez.", "This code is not valid. Wait for the next one and try again."),
    })
    .to_string()
}
