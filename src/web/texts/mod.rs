//! Every word of the pages, French and English. One struct, two values: a text missing
//! in either language is a compile error, so both stay complete.

use crate::domain::Locale;

mod en;
mod fr;

pub use en::EN;
pub use fr::FR;

pub struct Texts {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub other_lang_name: &'static str,
    pub noscript: &'static str,
    pub skip_to_content: &'static str,
    // Navigation.
    pub nav_deliveries: &'static str,
    pub nav_send: &'static str,
    pub nav_profile: &'static str,
    pub nav_dashboard: &'static str,
    pub nav_clients: &'static str,
    pub nav_activity: &'static str,
    pub logout: &'static str,
    // Sign-in and links.
    pub login_title: &'static str,
    pub login_lead: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub totp: &'static str,
    pub totp_hint: &'static str,
    pub login_submit: &'static str,
    pub forgot_link: &'static str,
    pub forgot_title: &'static str,
    pub forgot_lead: &'static str,
    pub forgot_submit: &'static str,
    pub forgot_sent: &'static str,
    pub back_to_login: &'static str,
    pub reset_title: &'static str,
    pub invitation_title: &'static str,
    pub invitation_lead: &'static str,
    pub new_password: &'static str,
    pub new_password_hint: &'static str,
    pub choose_password_submit: &'static str,
    pub password_set: &'static str,
    pub link_invalid_title: &'static str,
    pub link_invalid: &'static str,
    pub setup_title: &'static str,
    pub setup_lead: &'static str,
    pub your_name: &'static str,
    pub setup_submit: &'static str,
    pub totp_title: &'static str,
    pub totp_scan: &'static str,
    pub totp_manual: &'static str,
    pub recovery_title: &'static str,
    pub recovery_hint: &'static str,
    pub totp_confirm: &'static str,
    pub finish: &'static str,
    pub setup_closed: &'static str,
    pub setup_done: &'static str,
    pub studio_name_label: &'static str,
    pub studio_name_hint: &'static str,
    pub menu: &'static str,
    pub nav_settings: &'static str,
    pub settings_title: &'static str,
    pub settings_lead: &'static str,
    pub tagline_fr: &'static str,
    pub tagline_en: &'static str,
    pub tagline_hint: &'static str,
    pub contact_email: &'static str,
    pub contact_hint: &'static str,
    pub logo: &'static str,
    pub logo_hint: &'static str,
    pub logo_remove: &'static str,
    pub settings_saved: &'static str,
    pub studio_unnamed: &'static str,
    // Client space.
    pub deliveries_title: &'static str,
    pub deliveries_empty: &'static str,
    pub send_title: &'static str,
    pub send_lead: &'static str,
    pub category_auto: &'static str,
    pub category_music: &'static str,
    pub category_document: &'static str,
    pub category_photo: &'static str,
    pub category_video: &'static str,
    pub category_other: &'static str,
    pub category_next: &'static str,
    pub resume_hint: &'static str,
    pub send_done: &'static str,
    pub sent_files_title: &'static str,
    pub sent_files_empty: &'static str,
    pub files_count_one: &'static str,
    pub files_count_many: &'static str,
    pub available_until: &'static str,
    pub download: &'static str,
    pub download_all: &'static str,
    pub preview: &'static str,
    pub close: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub fullscreen: &'static str,
    pub status_uploading: &'static str,
    pub status_stored: &'static str,
    pub status_processing: &'static str,
    pub status_ready: &'static str,
    pub status_failed: &'static str,
    pub profile_title: &'static str,
    pub password_section: &'static str,
    pub current_password: &'static str,
    pub change_password: &'static str,
    pub password_changed: &'static str,
    pub email_section: &'static str,
    pub new_email: &'static str,
    pub change_email: &'static str,
    pub email_link_sent: &'static str,
    pub email_confirm_title: &'static str,
    pub email_confirm_lead: &'static str,
    pub email_confirm_submit: &'static str,
    pub email_confirmed: &'static str,
    pub totp_section: &'static str,
    pub totp_on: &'static str,
    pub totp_off: &'static str,
    pub totp_enable: &'static str,
    pub totp_enabled_now: &'static str,
    // Studio.
    pub dashboard_title: &'static str,
    pub storage_used: &'static str,
    pub backups_title: &'static str,
    pub storage_title: &'static str,
    pub disk_label: &'static str,
    /// `{free}`, `{total}`, `{percent}`.
    pub disk_free: &'static str,
    pub disk_nearly_full: &'static str,
    pub disk_full_soon: &'static str,
    pub storage_bucket: &'static str,
    pub in_trash: &'static str,
    pub backups_unset: &'static str,
    pub backup_last_good: &'static str,
    pub backup_never: &'static str,
    pub drill_last_good: &'static str,
    pub drill_never: &'static str,
    /// `{when}`, `{reason}`.
    pub backup_failed: &'static str,
    pub drill_failed: &'static str,
    pub backup_stale: &'static str,
    pub clients_count: &'static str,
    pub uploads_in_progress: &'static str,
    pub uploads_none: &'static str,
    pub recent_activity: &'static str,
    pub activity_empty: &'static str,
    pub clients_title: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub new_client: &'static str,
    pub name: &'static str,
    pub language: &'static str,
    pub create_and_invite: &'static str,
    pub invitation_pending: &'static str,
    pub disabled: &'static str,
    pub active: &'static str,
    pub no_clients: &'static str,
    pub invite_again: &'static str,
    pub invitation_sent: &'static str,
    pub disable: &'static str,
    pub enable: &'static str,
    pub confirm_disable: &'static str,
    pub delete: &'static str,
    /// `{name}`, `{size}`, `{days}`.
    pub confirm_delete_file: &'static str,
    /// `{name}`, `{count}`, `{size}`, `{days}`.
    pub confirm_delete_transfer: &'static str,
    pub confirm_delete_client: &'static str,
    pub delete_transfer: &'static str,
    pub delete_client: &'static str,
    /// `{name}`, `{size}`: a client takes back a file they sent.
    pub confirm_remove_sent: &'static str,
    pub remove_sent: &'static str,
    pub export_client: &'static str,
    pub quota_label: &'static str,
    pub quota_none: &'static str,
    pub quota_hint: &'static str,
    pub trash_title: &'static str,
    pub retention_title: &'static str,
    /// `{days}` in each.
    pub retention_trash: &'static str,
    pub retention_deliveries: &'static str,
    pub retention_inbound: &'static str,
    pub retention_none: &'static str,
    pub trash_intro: &'static str,
    pub trash_empty: &'static str,
    pub trash_kind_file: &'static str,
    pub trash_kind_transfer: &'static str,
    pub trash_kind_client: &'static str,
    pub trash_deleted_col: &'static str,
    pub trash_purge_col: &'static str,
    pub trash_kind_col: &'static str,
    pub restore: &'static str,
    pub purge_now: &'static str,
    pub confirm_purge: &'static str,
    pub inbound_title: &'static str,
    pub deliveries_of_client: &'static str,
    pub new_delivery: &'static str,
    pub title_field: &'static str,
    pub create: &'static str,
    pub published: &'static str,
    pub draft: &'static str,
    pub expired: &'static str,
    pub publish: &'static str,
    pub unpublish: &'static str,
    pub expires_on: &'static str,
    pub expires_hint: &'static str,
    pub add_files: &'static str,
    pub downloads_col: &'static str,
    pub never_downloaded: &'static str,
    pub downloaded_times: &'static str,
    pub downloaded_once: &'static str,
    pub played_once: &'static str,
    pub played_times: &'static str,
    pub last_on: &'static str,
    pub complete: &'static str,
    pub partial: &'static str,
    pub file_col: &'static str,
    pub files_col: &'static str,
    pub category_col: &'static str,
    pub save: &'static str,
    pub size_col: &'static str,
    pub status_col: &'static str,
    pub date_col: &'static str,
    pub who_col: &'static str,
    pub what_col: &'static str,
    pub client_col: &'static str,
    pub all_clients: &'static str,
    pub all_kinds: &'static str,
    pub filter: &'static str,
    pub activity_login: &'static str,
    pub activity_upload: &'static str,
    pub activity_download: &'static str,
    pub activity_transfer_completed: &'static str,
    pub activity_delivery_published: &'static str,
    pub activity_delivery_unpublished: &'static str,
    pub activity_client_created: &'static str,
    pub activity_client_disabled: &'static str,
    pub activity_client_enabled: &'static str,
    // Quotes and invoices (from the quote site).
    pub nav_billing: &'static str,
    pub nav_integrations: &'static str,
    pub billing_title: &'static str,
    pub billing_empty: &'static str,
    pub billing_summary: &'static str,
    pub billing_invoiced: &'static str,
    pub billing_paid: &'static str,
    pub billing_remaining: &'static str,
    pub quotes_title: &'static str,
    pub invoices_title: &'static str,
    pub payments_title: &'static str,
    pub documents_title: &'static str,
    pub number_col: &'static str,
    pub total_col: &'static str,
    pub paid_col: &'static str,
    pub balance_col: &'static str,
    pub due_col: &'static str,
    pub amount_col: &'static str,
    pub method_col: &'static str,
    pub invoice_col: &'static str,
    pub pdf_link: &'static str,
    pub quote_draft: &'static str,
    pub quote_sent: &'static str,
    pub quote_accepted: &'static str,
    pub quote_declined: &'static str,
    pub quote_expired: &'static str,
    pub invoice_issued: &'static str,
    pub invoice_partially_paid: &'static str,
    pub invoice_paid: &'static str,
    pub invoice_cancelled: &'static str,
    pub integrations_title: &'static str,
    pub integrations_lead: &'static str,
    pub integrations_empty: &'static str,
    pub integration_new: &'static str,
    pub integration_secret_title: &'static str,
    pub integration_secret_hint: &'static str,
    pub integration_rotate: &'static str,
    pub integration_confirm_rotate: &'static str,
    pub integration_revoke: &'static str,
    pub integration_confirm_revoke: &'static str,
    pub integration_revoked: &'static str,
    pub integration_rotation_until: &'static str,
    pub integration_last_call: &'static str,
    pub integration_never_called: &'static str,
    pub calls_title: &'static str,
    pub calls_empty: &'static str,
    pub outcome_col: &'static str,
    pub reason_col: &'static str,
    pub outcome_created: &'static str,
    pub outcome_updated: &'static str,
    pub outcome_unchanged: &'static str,
    pub outcome_stale: &'static str,
    pub outcome_replayed: &'static str,
    pub outcome_rejected: &'static str,
    pub billing_of_client: &'static str,
    // Errors.
    pub forbidden_title: &'static str,
    pub forbidden: &'static str,
    pub not_found_title: &'static str,
    pub not_found: &'static str,
    pub error_title: &'static str,
    pub error_generic: &'static str,
    pub retry: &'static str,
    pub retry_queued: &'static str,
    // The portfolio: public site and studio pages.
    pub nav_portfolio: &'static str,
    pub site_home: &'static str,
    pub site_albums: &'static str,
    pub site_stories: &'static str,
    pub site_client_space: &'static str,
    pub nl_title: &'static str,
    pub nl_intro: &'static str,
    pub nl_email_label: &'static str,
    pub nl_subscribe: &'static str,
    pub nl_footer: &'static str,
    pub nl_sent: &'static str,
    pub nl_invalid_email: &'static str,
    pub nl_confirm_title: &'static str,
    pub nl_confirm_lead: &'static str,
    pub nl_confirm_button: &'static str,
    pub nl_confirmed: &'static str,
    pub nl_link_invalid: &'static str,
    pub nl_unsub_title: &'static str,
    pub nl_unsub_lead: &'static str,
    pub nl_unsub_button: &'static str,
    pub nl_unsubscribed: &'static str,
    pub site_all_albums: &'static str,
    pub site_empty: &'static str,
    pub site_back_albums: &'static str,
    pub site_video: &'static str,
    pub portfolio_lead: &'static str,
    pub view_site: &'static str,
    pub view_public_page: &'static str,
    pub album_new: &'static str,
    pub story_new: &'static str,
    pub albums_empty: &'static str,
    pub stories_empty: &'static str,
    pub set_published: &'static str,
    pub set_draft: &'static str,
    pub set_expired: &'static str,
    pub set_pinned: &'static str,
    pub items_col: &'static str,
    pub title_fr: &'static str,
    pub title_en: &'static str,
    pub slug_label: &'static str,
    pub slug_hint: &'static str,
    pub description_fr: &'static str,
    pub description_en: &'static str,
    pub english_hint: &'static str,
    pub publish_label: &'static str,
    pub pinned_label: &'static str,
    pub expires_label: &'static str,
    pub items_title: &'static str,
    pub items_empty: &'static str,
    pub upload_into_set: &'static str,
    pub pick_title: &'static str,
    pub pick_delivery: &'static str,
    pub pick_show: &'static str,
    pub pick_add: &'static str,
    pub pick_in_portfolio: &'static str,
    pub pick_none: &'static str,
    pub caption_fr: &'static str,
    pub caption_en: &'static str,
    pub make_cover: &'static str,
    pub is_cover: &'static str,
    pub move_up: &'static str,
    pub move_down: &'static str,
    pub move_earlier: &'static str,
    pub move_later: &'static str,
    pub publish_title: &'static str,
    pub delivery_empty_studio: &'static str,
    pub inbound_empty_studio: &'static str,
    pub client_sent_nothing: &'static str,
    pub delivery_gone_title: &'static str,
    pub delivery_gone: &'static str,
    pub back_to_deliveries: &'static str,
    pub password_change_effects: &'static str,
    pub batch_name: &'static str,
    pub batch_name_hint: &'static str,
    pub batch_placeholder: &'static str,
    pub remove_item: &'static str,
    pub confirm_remove_item: &'static str,
    pub delete_album: &'static str,
    pub confirm_delete_album: &'static str,
    pub delete_story: &'static str,
    pub confirm_delete_story: &'static str,
    pub poster_change: &'static str,
    pub back_to_portfolio: &'static str,
}

impl Texts {
    pub fn for_locale(locale: Locale) -> &'static Texts {
        match locale {
            Locale::Fr => &FR,
            Locale::En => &EN,
        }
    }

    pub fn activity(&self, kind: &str) -> &'static str {
        match kind {
            "login" => self.activity_login,
            "upload" => self.activity_upload,
            "download" => self.activity_download,
            "transfer_completed" => self.activity_transfer_completed,
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
    use super::*;

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
