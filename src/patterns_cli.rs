//! `sluice patterns check FILE`: loads a pattern file as the gateway would
//! (`[[patterns]] file`, format in docs/patterns.md) and prints how many
//! patterns look at each field, or the first errors as `FILE:LINE: what`
//! (exit status 2). Run it on a vendor's new feed before pointing the
//! configuration at it: a file that does not load is refused at start and
//! ignored (the last good set kept) on reload.

use std::path::PathBuf;

use clap::Subcommand;
use sluice_core::checks::patterns::PatternSet;

#[derive(Subcommand)]
pub(crate) enum PatternsCommand {
    /// Validate a pattern file: the count of patterns per field, or its errors.
    Check { file: PathBuf },
}

pub(crate) fn run(command: PatternsCommand) -> anyhow::Result<()> {
    match command {
        PatternsCommand::Check { file } => {
            let bytes = sluice_gateway::patterns::read_bounded(&file)
                .map_err(|error| anyhow::anyhow!("{}: cannot read the pattern file: {error}", file.display()))?;
            // The source name is the configuration's business; any valid one will do here.
            match PatternSet::parse("check", &bytes) {
                Ok(set) => {
                    println!("{}: {} patterns", file.display(), set.len());
                    for (field, count) in set.counts() {
                        println!("  {field:<24} {count}");
                    }
                    Ok(())
                }
                Err(errors) => {
                    for error in &errors {
                        match error.line {
                            0 => eprintln!("{}: {}", file.display(), error.what),
                            line => eprintln!("{}:{line}: {}", file.display(), error.what),
                        }
                    }
                    anyhow::bail!("{}: {} error(s){}", file.display(), errors.len(), match errors.len() {
                        sluice_core::checks::patterns::ERRORS_MAX => " (the first ones)",
                        _ => "",
                    })
                }
            }
        }
    }
}
