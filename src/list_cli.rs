//! `sluice list add|remove|show|import`: the allow and block lists from the
//! command line, against the store the configuration names (running nodes pick a
//! change up within 5 s). Entries are validated exactly as the API does
//! (`sluice_gateway::lists::validate`); `show` prints one JSON object per entry.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use sluice_core::checks::lists::{ListEntry, ListKind, ListScope};
use sluice_gateway::Config;
use sluice_store::{NewListEntry, Store};

#[derive(Subcommand)]
pub(crate) enum ListCommand {
    /// Add one entry: `sluice list add block global ip 203.0.113.0/24`.
    Add {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        /// `allow` or `block`.
        list: String,
        /// `global`, `domain:NAME` or `mailbox:ADDRESS`.
        scope: String,
        /// `sender`, `recipient`, `ip`, `helo` or `hostname`.
        field: String,
        value: String,
        /// An allow-list sender entry that applies without SPF, DKIM or DMARC passing.
        #[arg(long)]
        unauthenticated: bool,
    },
    /// Remove one entry by its id.
    Remove {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        list: String,
        id: i64,
    },
    /// Print a list's entries (of one scope with `--scope`), one JSON object a line.
    Show {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        list: String,
        #[arg(long)]
        scope: Option<String>,
    },
    /// Add every value of a plain text file (one a line; `#` starts a comment) with
    /// one scope and field; nothing is added unless every line is valid.
    Import {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        list: String,
        scope: String,
        field: String,
        file: PathBuf,
        #[arg(long)]
        unauthenticated: bool,
    },
}

pub(crate) fn run(command: ListCommand) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run_async(command))
}

fn kind(list: &str) -> anyhow::Result<ListKind> {
    ListKind::parse(list).with_context(|| format!("list {list:?}: expected allow or block"))
}

async fn run_async(command: ListCommand) -> anyhow::Result<()> {
    match command {
        ListCommand::Add { config, list, scope, field, value, unauthenticated } => {
            let config = Config::load(&config)?;
            let store = crate::open_store(&config).await?;
            let domains = crate::domain_set(&config, &store).await?;
            let entry = sluice_gateway::lists::validate(&domains, kind(&list)?, &scope, &field, &value, unauthenticated)?;
            let ids = add(&store, &[entry]).await?;
            println!("{}", serde_json::json!({"id": ids[0]}));
        }
        ListCommand::Remove { config, list, id } => {
            let config = Config::load(&config)?;
            if !crate::open_store(&config).await?.remove_list_entry(kind(&list)?.as_str(), id).await? {
                anyhow::bail!("the {list} list has no entry {id}");
            }
        }
        ListCommand::Show { config, list, scope } => {
            let config = Config::load(&config)?;
            let scope = match scope {
                Some(scope) => Some(ListScope::parse(&scope).with_context(|| format!("scope {scope:?}: expected global, domain:NAME or mailbox:ADDRESS"))?.to_string()),
                None => None,
            };
            for entry in crate::open_store(&config).await?.list_entries(kind(&list)?.as_str(), scope.as_deref()).await? {
                let line = serde_json::json!({
                    "id": entry.id, "list": entry.kind, "scope": entry.scope, "field": entry.field,
                    "value": entry.value, "unauthenticated": entry.unauthenticated,
                });
                println!("{line}");
            }
        }
        ListCommand::Import { config, list, scope, field, file, unauthenticated } => {
            let config = Config::load(&config)?;
            let kind = kind(&list)?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let store = crate::open_store(&config).await?;
            let domains = crate::domain_set(&config, &store).await?;
            let mut entries = Vec::new();
            for (number, line) in text.lines().enumerate() {
                let value = line.split('#').next().unwrap_or("").trim();
                if value.is_empty() {
                    continue;
                }
                let entry = sluice_gateway::lists::validate(&domains, kind, &scope, &field, value, unauthenticated)
                    .with_context(|| format!("{}:{}", file.display(), number + 1))?;
                entries.push(entry);
            }
            let ids = add(&store, &entries).await?;
            println!("{}", serde_json::json!({"added": ids.len(), "ids": ids}));
        }
    }
    Ok(())
}

async fn add(store: &Store, entries: &[ListEntry]) -> anyhow::Result<Vec<i64>> {
    let owned: Vec<String> = entries.iter().map(|entry| entry.scope.to_string()).collect();
    let new: Vec<NewListEntry<'_>> = entries
        .iter()
        .zip(&owned)
        .map(|(entry, scope)| NewListEntry {
            kind: entry.kind.as_str(),
            scope,
            field: entry.field.as_str(),
            value: &entry.value,
            unauthenticated: entry.unauthenticated,
        })
        .collect();
    Ok(store.add_list_entries(&new, crate::now_ms()).await?)
}

