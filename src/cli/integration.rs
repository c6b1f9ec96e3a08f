//! `relais integration create --name N`: the quote site's signing secret, printed once.

use clap::Subcommand;

use super::{Failure, command_state};
use crate::config::Config;
use crate::integration;

#[derive(Subcommand, Debug)]
pub enum IntegrationCommand {
    /// Create an integration for the quote site. Prints its `whsec_…` secret on one line.
    Create {
        #[arg(long)]
        name: String,
    },
}

pub async fn run(cfg: Config, cmd: IntegrationCommand) -> Result<(), Failure> {
    let state = command_state(cfg).await?;
    match cmd {
        IntegrationCommand::Create { name } => {
            let (id, secret) = integration::create(&state, &name)
                .await
                .map_err(|e| Failure::Other(e.to_string()))?;
            println!("{}", secret.expose());
            eprintln!("Integration {id} created; give the secret above to the quote site, it is shown only this once.");
        }
    }
    Ok(())
}
