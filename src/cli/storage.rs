//! `relais storage setup`: bucket, CORS rules and lifecycle rule on S3.

use clap::Subcommand;
use relais_storage::StorageConfig;
use relais_storage::setup::{self, StepOutcome};

use super::Failure;
use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum StorageCommand {
    /// Create the bucket and apply the CORS and lifecycle rules Relais needs.
    Setup {
        /// Web origins allowed to upload from a browser (default: the origin of public_url).
        #[arg(long = "origin")]
        origins: Vec<String>,
    },
}

pub async fn run(cfg: Config, cmd: StorageCommand) -> Result<(), Failure> {
    let StorageCommand::Setup { origins } = cmd;
    let StorageConfig::S3(s3) = &cfg.storage else {
        println!("storage.backend is not s3: there is nothing to set up (objects go to a local directory).");
        return Ok(());
    };
    let origins = if origins.is_empty() {
        vec![cfg.public_url.origin().ascii_serialization()]
    } else {
        origins
    };
    let mut failed = false;
    for step in setup::apply(s3, &origins).await {
        let (label, text) = match step.outcome {
            StepOutcome::Done(t) => ("OK  ", t),
            StepOutcome::Warning(t) => ("WARN", t),
            StepOutcome::Failed(t) => {
                failed = true;
                ("FAIL", t)
            }
        };
        println!("{label}  {:<10} {text}", step.name);
    }
    if failed {
        Err(Failure::Other("storage setup did not complete".into()))
    } else {
        Ok(())
    }
}
