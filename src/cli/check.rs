//! `relais check`: prints every finding of `system::check`, one line each, and exits
//! non-zero only for what stops Relais from working.

use super::Failure;
use crate::config::{Config, Sources};
use crate::system::check::Level;

pub async fn run(cfg: Config, sources: &Sources) -> Result<(), Failure> {
    let source = sources
        .file
        .as_ref()
        .map(|f| f.display().to_string())
        .unwrap_or_else(|| "defaults and environment".into());
    let report = crate::system::check::run(&cfg, &source).await;
    for finding in &report.findings {
        match finding.level {
            Level::Note => println!("      {}", finding.text),
            level => println!("{:<5} {:<10} {}", level.label(), finding.what, finding.text),
        }
    }
    match report.failures() {
        0 => Ok(()),
        n => Err(Failure::Other(format!("{n} check(s) failed"))),
    }
}
