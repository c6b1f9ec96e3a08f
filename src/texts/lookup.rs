//! The pages' words picked by a stored code (an activity, a document's status) or by a
//! count, in the reader's language.

use super::Texts;

impl Texts {
    pub fn activity(&self, kind: &str) -> &'static str {
        match kind {
            "login" => self.activity_login,
            "upload" => self.activity_upload,
            "download" => self.activity_download,
            "transfer_completed" => self.activity_transfer_completed,
            "delivery_opened" => self.activity_delivery_opened,
            "delivery_published" => self.activity_delivery_published,
            "delivery_unpublished" => self.activity_delivery_unpublished,
            "client_created" => self.activity_client_created,
            "client_disabled" => self.activity_client_disabled,
            "client_enabled" => self.activity_client_enabled,
            _ => "",
        }
    }

    /// A quote's status as the quote site sends it, in words.
    pub fn quote_status(&self, status: &str) -> &'static str {
        match status {
            "draft" => self.quote_draft,
            "sent" => self.quote_sent,
            "accepted" => self.quote_accepted,
            "declined" => self.quote_declined,
            "expired" => self.quote_expired,
            _ => "",
        }
    }

    pub fn invoice_status(&self, status: &str) -> &'static str {
        match status {
            "issued" => self.invoice_issued,
            "partially_paid" => self.invoice_partially_paid,
            "paid" => self.invoice_paid,
            "cancelled" => self.invoice_cancelled,
            _ => "",
        }
    }

    /// What became of an integration call.
    pub fn outcome(&self, outcome: &str) -> &'static str {
        match outcome {
            "created" => self.outcome_created,
            "updated" => self.outcome_updated,
            "unchanged" => self.outcome_unchanged,
            "stale" => self.outcome_stale,
            "replayed" => self.outcome_replayed,
            _ => self.outcome_rejected,
        }
    }

    /// "Téléchargé une fois" / "Téléchargé 3 fois": singular and plural agree.
    pub fn downloaded(&self, n: u64) -> String {
        if n == 1 {
            self.downloaded_once.to_owned()
        } else {
            self.downloaded_times.replace("{n}", &n.to_string())
        }
    }

    pub fn played(&self, n: u64) -> String {
        if n == 1 {
            self.played_once.to_owned()
        } else {
            self.played_times.replace("{n}", &n.to_string())
        }
    }

    /// "0 fichier", "1 fichier", "2 fichiers"; "0 files", "1 file", "2 files": French puts
    /// zero in the singular, English in the plural.
    pub fn files_count(&self, n: usize) -> String {
        let plural = if self.lang == "fr" { n > 1 } else { n != 1 };
        let template = if plural {
            self.files_count_many
        } else {
            self.files_count_one
        };
        template.replace("{n}", &n.to_string())
    }
}

#[cfg(test)]
mod tests {
    use crate::texts::{EN, FR};

    #[test]
    fn counts_agree_with_their_number_in_each_language() {
        assert_eq!(FR.files_count(0), "0 fichier");
        assert_eq!(FR.files_count(1), "1 fichier");
        assert_eq!(FR.files_count(2), "2 fichiers");
        assert_eq!(EN.files_count(0), "0 files");
        assert_eq!(EN.files_count(1), "1 file");
        assert_eq!(FR.downloaded(1), "Téléchargé une fois");
        assert_eq!(FR.downloaded(3), "Téléchargé 3 fois");
        assert_eq!(EN.downloaded(1), "Downloaded once");
        assert_eq!(EN.played(2), "played 2 times in the page");
    }
}
