//! `relais admin …`, `relais client …`, `relais token …`.

use std::io::BufRead;

use clap::Subcommand;

use super::{Failure, command_state};
use crate::accounts;
use crate::config::Config;
use crate::db;
use crate::domain::{Locale, NewPassword, TokenId};

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create a studio account. Prints its TOTP enrolment URI (otpauth://…) on stdout
    /// and its recovery codes on stderr.
    Create {
        #[arg(long)]
        email: String,
        /// Name shown in the admin (default: the part of the address before the @).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Create a client account and email them an invitation. Prints the client's id.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Language of their emails and pages: fr or en.
        #[arg(long, default_value = "fr", value_parser = parse_locale)]
        locale: Locale,
    },
    /// Set a client's storage quota (uploads past it are refused before any byte is
    /// stored), or remove it with --none.
    Quota {
        #[arg(long)]
        email: String,
        /// A size such as 50GiB or 500MB.
        #[arg(long, value_parser = parse_size, required_unless_present = "none", conflicts_with = "none")]
        size: Option<crate::domain::ByteSize>,
        /// No quota.
        #[arg(long)]
        none: bool,
    },
}

fn parse_size(s: &str) -> Result<crate::domain::ByteSize, String> {
    crate::domain::ByteSize::parse(s).map_err(|e| e.to_string())
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a personal API token for an account. Prints the token, once.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// How long the token works, in days (1 to 3650).
        #[arg(long, default_value_t = crate::accounts::TOKEN_DAYS_DEFAULT)]
        expires_in_days: u32,
    },
    /// List an account's tokens (never the secrets).
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke a token by id.
    Revoke {
        #[arg(long)]
        email: String,
        #[arg(long)]
        id: String,
    },
}

fn parse_locale(s: &str) -> Result<Locale, String> {
    Locale::parse(s).ok_or_else(|| format!("unknown language {s:?} (expected fr or en)"))
}

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure::Other(e.to_string())
}

pub async fn admin(cfg: Config, cmd: AdminCommand) -> Result<(), Failure> {
    let AdminCommand::Create {
        email,
        name,
        password_stdin: _,
    } = cmd;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| fail(format!("cannot read the password from stdin: {e}")))?;
    let password =
        NewPassword::parse(line.trim_end_matches(['\n', '\r'])).map_err(|e| fail(format!("password: {e}")))?;
    let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("studio").to_owned());
    let state = command_state(cfg).await?;
    let account = accounts::create_studio(&state, &email, &name, &password)
        .await
        .map_err(fail)?;
    println!("{}", account.totp_uri);
    eprintln!("Studio account {} created.", account.user.email);
    eprintln!("Add the otpauth:// line above to an authenticator app; the first code you log in with confirms it.");
    eprintln!("Recovery codes (each works once if the phone is lost; keep them somewhere safe):");
    for code in &account.recovery_codes {
        eprintln!("  {code}");
    }
    Ok(())
}

pub async fn client(cfg: Config, cmd: ClientCommand) -> Result<(), Failure> {
    let (email, name, locale) = match cmd {
        ClientCommand::Create { email, name, locale } => (email, name, locale),
        ClientCommand::Quota { email, size, none: _ } => {
            let state = command_state(cfg).await?;
            let user = accounts::find_by_email(&state, &email).await.map_err(fail)?;
            let quota = size.map(|s| s.bytes());
            accounts::set_client_quota(&state, user.id, user.id, quota)
                .await
                .map_err(fail)?;
            match quota {
                Some(bytes) => println!(
                    "quota of {}: {} ({bytes} bytes)",
                    user.email,
                    crate::backup::human(bytes)
                ),
                None => println!("{} has no quota", user.email),
            }
            return Ok(());
        }
    };
    let state = command_state(cfg).await?;
    let user = accounts::create_client(&state, None, &email, &name, locale)
        .await
        .map_err(fail)?;
    println!("{}", user.id);
    eprintln!(
        "Client {} created; the invitation email is queued and goes out from the running server.",
        user.email
    );
    Ok(())
}

pub async fn token(cfg: Config, cmd: TokenCommand) -> Result<(), Failure> {
    let state = command_state(cfg).await?;
    match cmd {
        TokenCommand::Create {
            email,
            name,
            expires_in_days,
        } => {
            let user = accounts::find_by_email(&state, &email).await.map_err(fail)?;
            let label = accounts::token_label(&name).map_err(|m| fail(format!("name: {m}")))?;
            let days =
                accounts::token_days(Some(expires_in_days)).map_err(|m| fail(format!("expires-in-days: {m}")))?;
            let (id, token, _) = accounts::issue_token_for(&state, user.id, &label, days)
                .await
                .map_err(fail)?;
            println!("{token}");
            eprintln!("Token {id} created for {}; it is shown only this once.", user.email);
        }
        TokenCommand::List { email } => {
            let user = accounts::find_by_email(&state, &email).await.map_err(fail)?;
            for t in db::tokens::list(state.db.pool(), user.id).await.map_err(fail)? {
                let now = state.clock.now();
                let status = match t.expires_at {
                    _ if t.revoked => "revoked",
                    Some(end) if end <= now => "expired",
                    _ => "active",
                };
                let until = t.expires_at.map(crate::i18n::iso).unwrap_or_default();
                println!("{}\t{}\t{status}\t{until}", t.id, t.name);
            }
        }
        TokenCommand::Revoke { email, id } => {
            let user = accounts::find_by_email(&state, &email).await.map_err(fail)?;
            let id = TokenId::parse(&id).ok_or_else(|| fail(format!("{id:?} is not a token id")))?;
            if !db::tokens::revoke(state.db.pool(), user.id, id, state.clock.now())
                .await
                .map_err(fail)?
            {
                return Err(fail(format!("{} has no active token {id}", user.email)));
            }
            eprintln!("Token {id} revoked.");
        }
    }
    Ok(())
}
