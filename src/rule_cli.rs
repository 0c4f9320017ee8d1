//! `sluice rule add|remove|show`: the filtering rules from the command line,
//! against the store the configuration names (running nodes pick a change up
//! within 5 s). Rules are validated exactly as the API does
//! (`sluice_gateway::rules::validate`); `show` prints one JSON object per rule.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use sluice_core::checks::lists::ListScope;
use sluice_gateway::Config;
use sluice_gateway::rules::RuleRequest;
use sluice_store::NewRule;

#[derive(Subcommand)]
pub(crate) enum RuleCommand {
    /// Add one rule: `sluice rule add --name "no exe" block global attachment_name glob '*.exe'`.
    Add {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        /// What the rule is called (its extra class when it matches).
        #[arg(long)]
        name: String,
        /// `allow` or `block`.
        action: String,
        /// `global`, `domain:NAME` or `mailbox:ADDRESS`.
        scope: String,
        /// `header`, `body`, `decoded`, `attachment_type`, `attachment_name`,
        /// `helo`, `rcpt_to`, `s_addr`, `s_addr_spf`, `s_ip`, `s_hostname` or `url`.
        field: String,
        /// `equals`, `contains`, `starts_with`, `ends_with`, `glob`, `regex` or
        /// `cidr` (field `s_ip` only, and its only operator).
        operator: String,
        value: String,
        /// The header name, for field `header`.
        #[arg(long)]
        header: Option<String>,
        /// Store the rule disabled.
        #[arg(long)]
        disabled: bool,
    },
    /// Remove one rule by its id.
    Remove {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        id: i64,
    },
    /// Print the rules (of one scope with `--scope`), one JSON object a line.
    Show {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        #[arg(long)]
        scope: Option<String>,
    },
}

pub(crate) fn run(command: RuleCommand) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run_async(command))
}

async fn run_async(command: RuleCommand) -> anyhow::Result<()> {
    match command {
        RuleCommand::Add { config, name, action, scope, field, operator, value, header, disabled } => {
            let config = Config::load(&config)?;
            let request = RuleRequest {
                name: &name,
                scope: &scope,
                field: &field,
                header: header.as_deref(),
                operator: &operator,
                value: &value,
                action: &action,
                enabled: !disabled,
            };
            let store = crate::open_store(&config).await?;
            let rule = sluice_gateway::rules::validate(&crate::domain_set(&config, &store).await?, &request)?;
            let (scope, new) = sluice_gateway::rules::stored_form(&rule);
            let new = NewRule { scope: &scope, ..new };
            let ids = store.add_rules(&[new], crate::now_ms()).await?;
            println!("{}", serde_json::json!({"id": ids[0]}));
        }
        RuleCommand::Remove { config, id } => {
            let config = Config::load(&config)?;
            if !crate::open_store(&config).await?.remove_rule(id).await? {
                anyhow::bail!("there is no rule {id}");
            }
        }
        RuleCommand::Show { config, scope } => {
            let config = Config::load(&config)?;
            let scope = match scope {
                Some(scope) => Some(ListScope::parse(&scope).with_context(|| format!("scope {scope:?}: expected global, domain:NAME or mailbox:ADDRESS"))?.to_string()),
                None => None,
            };
            for rule in crate::open_store(&config).await?.rules(scope.as_deref()).await? {
                let line = serde_json::json!({
                    "id": rule.id, "name": rule.name, "scope": rule.scope, "field": rule.field, "header": rule.header,
                    "operator": rule.operator, "value": rule.value, "action": rule.action, "enabled": rule.enabled,
                });
                println!("{line}");
            }
        }
    }
    Ok(())
}

