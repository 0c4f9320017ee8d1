//! `sluice urllist import --list phishing|malware FILE`: replaces one URL hash
//! list in the store the configuration names (running nodes reload it within
//! 5 s, or at their next MAIL FROM). A file holds one entry a line: a full
//! SHA-256 hash of a URL expression (64 hex digits, as a Safe Browsing style feed
//! gives them) or a URL or expression (`evil.example/`), hashed here; `#` starts a
//! comment. Nothing is replaced unless every line is valid.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use sluice_core::checks::url_hashes::{UrlList, parse_list_line};
use sluice_gateway::Config;

#[derive(Subcommand)]
pub(crate) enum UrlListCommand {
    /// Replace a list with the entries of FILE.
    Import {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        /// `phishing` or `malware`.
        #[arg(long)]
        list: String,
        file: PathBuf,
    },
}

pub(crate) fn run(command: UrlListCommand) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run_async(command))
}

async fn run_async(command: UrlListCommand) -> anyhow::Result<()> {
    match command {
        UrlListCommand::Import { config, list, file } => {
            let config = Config::load(&config)?;
            let list = UrlList::parse(&list).with_context(|| format!("list {list:?}: expected phishing or malware"))?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let mut hashes = Vec::new();
            for (number, line) in text.lines().enumerate() {
                let Some(parsed) = parse_list_line(line) else { continue };
                let hash = parsed.map_err(anyhow::Error::msg).with_context(|| format!("{}:{}", file.display(), number + 1))?;
                hashes.push(hash.iter().map(|byte| format!("{byte:02x}")).collect::<String>());
            }
            let store = crate::open_store(&config).await?;
            let count = store.replace_url_hashes(list.as_str(), &hashes, crate::now_ms()).await?;
            println!("{}", serde_json::json!({"list": list.as_str(), "hashes": count}));
        }
    }
    Ok(())
}
