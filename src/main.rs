use std::process::ExitCode;

use clap::Parser;
use relais::cli::{Cli, Failure};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match relais::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(problems)) => {
            eprint!("relais: {problems}");
            eprintln!(
                "Every setting can be given in relais.toml or as RELAIS_* environment variables; see the README."
            );
            ExitCode::from(2)
        }
        Err(Failure::Other(message)) => {
            eprintln!("relais: error: {message}");
            ExitCode::from(1)
        }
    }
}
