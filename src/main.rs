use std::process::ExitCode;

use clap::Parser;
use relais::cli::{Cli, Failure};

fn main() -> ExitCode {
    relais::memory::tune_allocator();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("relais: error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(relais::cli::run(cli)) {
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
