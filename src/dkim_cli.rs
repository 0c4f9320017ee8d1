//! `sluice dkim generate|list|remove`: the DKIM keys outgoing mail is signed with,
//! in the store the configuration names (every node signs with them at its next
//! delivery). `generate` prints the DNS record to publish on standard output,
//! alone, so a script can append it to a zone file.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use sluice_gateway::Config;
use sluice_gateway::signing::dkim::{self, Algorithm};

#[derive(Subcommand)]
pub(crate) enum DkimCommand {
    /// Make a key for a configured domain, store it (it signs that domain's
    /// outgoing mail from now on, beside the newest key of the other
    /// algorithm) and print the TXT record to publish.
    Generate {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        /// One of the configured domains.
        #[arg(long)]
        domain: String,
        /// `rsa` (2048 bits) or `ed25519`.
        #[arg(long, default_value = "rsa")]
        algorithm: String,
        /// The record's selector [`s` and today's date, e.g. s20261201].
        #[arg(long)]
        selector: Option<String>,
    },
    /// Every key (or one domain's), one JSON object per line, with its record.
    List {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        #[arg(long)]
        domain: Option<String>,
    },
    /// Remove a domain's key (the domain's next newest key of that algorithm signs, if any).
    Remove {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        #[arg(long)]
        domain: String,
        #[arg(long)]
        selector: String,
    },
}

pub(crate) fn run(command: DkimCommand) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run_async(command))
}

/// The filtered domain `name` names (any case: the file's, or one added
/// through the API), or an error listing them.
async fn configured_domain(config: &Config, name: &str) -> anyhow::Result<String> {
    let wanted = name.trim().to_ascii_lowercase();
    if let Some(domain) = config.domains.iter().find(|domain| domain.name.eq_ignore_ascii_case(&wanted)) {
        return Ok(domain.name.to_ascii_lowercase());
    }
    let store = crate::open_store(config).await?;
    let domains = crate::domain_set(config, &store).await;
    store.close().await;
    let domains = domains?;
    if let Some(domain) = domains.get(&wanted) {
        return Ok(domain.name.clone());
    }
    let names: Vec<&str> = domains.iter().map(|domain| domain.name.as_str()).collect();
    anyhow::bail!("domain {name:?} is not configured in {} nor added through the API (filtered: {})", config.path.display(), names.join(", "))
}

async fn run_async(command: DkimCommand) -> anyhow::Result<()> {
    match command {
        DkimCommand::Generate { config, domain, algorithm, selector } => {
            let config = Config::load(&config)?;
            let domain = configured_domain(&config, &domain).await?;
            let algorithm = Algorithm::parse(&algorithm).with_context(|| format!("algorithm {algorithm:?}: expected rsa or ed25519"))?;
            let selector = match selector {
                Some(selector) => selector.to_ascii_lowercase(),
                None => dkim::default_selector(time::OffsetDateTime::now_utc().date()),
            };
            anyhow::ensure!(dkim::valid_selector(&selector), "selector {selector:?}: expected DNS labels (letters, digits, hyphens)");
            let key = dkim::generate(algorithm)?;
            let store = crate::open_store(&config).await?;
            let new = sluice_store::NewDkimKey { domain: &domain, selector: &selector, algorithm: algorithm.as_str(), private_key: &key.private_key };
            let added = store.add_dkim_key(new, crate::now_ms()).await?;
            anyhow::ensure!(added.is_some(), "{domain} already has a key with selector {selector:?}; choose another with --selector");
            eprintln!("sluice: {} key {selector} stored for {domain}; it signs that domain's outgoing mail from now on. Publish:", algorithm.as_str());
            println!("{}", dkim::zone_line(&selector, &domain, &dkim::record_value(algorithm, &key.public_key)));
        }
        DkimCommand::List { config, domain } => {
            let config = Config::load(&config)?;
            let domain = match domain {
                Some(domain) => Some(configured_domain(&config, &domain).await?),
                None => None,
            };
            let store = crate::open_store(&config).await?;
            let keys = store.dkim_keys(domain.as_deref()).await?;
            // The newest active key of each domain and algorithm signs.
            let signing: Vec<i64> = {
                let mut newest = std::collections::HashMap::new();
                for key in keys.iter().filter(|key| key.active) {
                    newest.insert((key.domain.as_str(), key.algorithm.as_str()), key.id);
                }
                newest.into_values().collect()
            };
            for key in &keys {
                let record = Algorithm::parse(&key.algorithm)
                    .and_then(|algorithm| Some(dkim::record_value(algorithm, &dkim::public_key(algorithm, &key.private_key).ok()?)));
                let created = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(key.created_at_ms) * 1_000_000)
                    .ok()
                    .and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok());
                let line = serde_json::json!({
                    "domain": key.domain,
                    "selector": key.selector,
                    "algorithm": key.algorithm,
                    "created_at": created,
                    "signing": signing.contains(&key.id),
                    "name": format!("{}._domainkey.{}", key.selector, key.domain),
                    "record": record,
                });
                println!("{line}");
            }
        }
        DkimCommand::Remove { config, domain, selector } => {
            let config = Config::load(&config)?;
            let domain = configured_domain(&config, &domain).await?;
            let store = crate::open_store(&config).await?;
            let removed = store.remove_dkim_key(&domain, &selector.to_ascii_lowercase()).await?;
            anyhow::ensure!(removed, "{domain} has no key with selector {selector:?}");
            println!("{}", serde_json::json!({"domain": domain, "selector": selector, "removed": true}));
        }
    }
    Ok(())
}
