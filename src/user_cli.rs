//! `sluice user add|remove|passwd|list|token`: the people who log in to the web
//! interface, in the store the configuration names. Passwords are read from
//! standard input (one line, so they never show in `ps` or the shell history)
//! and stored only as argon2id hashes. `token` makes an API token acting as the
//! user (printed once; only its SHA-256 is stored); `token --revoke` removes
//! every token of the user.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use sluice_gateway::Config;
use sluice_store::{NewUser, Role};

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Add a user; the password is read from standard input (one line).
    Add {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        /// `admin` (everything), `domain-admin` (its `--domain`s) or `user` (a
        /// mailbox: NAME is its address).
        #[arg(long)]
        role: String,
        /// A domain a domain admin administers; repeat for several.
        #[arg(long = "domain")]
        domains: Vec<String>,
        name: String,
    },
    /// Remove a user (its sessions end with it).
    Remove {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        name: String,
    },
    /// Set a user's password, read from standard input (one line).
    Passwd {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        name: String,
    },
    /// Print a new API token for the user (a bearer token acting as the user,
    /// with its role); shown once, only its hash is kept. `--revoke` instead
    /// removes every token of the user.
    Token {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        /// What the token is for (shown by `--list`).
        #[arg(long, default_value = "")]
        label: String,
        /// Remove every token of the user instead.
        #[arg(long, conflicts_with = "list")]
        revoke: bool,
        /// List the user's tokens (label and creation time) instead.
        #[arg(long)]
        list: bool,
        name: String,
    },
    /// Print every user, one JSON object a line (no password hashes).
    List {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
    },
}

pub(crate) fn run(command: UserCommand) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run_async(command))
}

/// One line of standard input, without its line ending; empty is refused.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    anyhow::ensure!(!password.is_empty(), "no password: give it on standard input (one line)");
    Ok(password.to_owned())
}

/// Checks a new user's name, role and domains; warns about names of domains
/// this configuration does not filter (a user there would see nothing).
fn validate(config: &Config, filtered: &sluice_gateway::domains::DomainSet, role: Role, domains: &[String], name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(!name.trim().is_empty() && name.trim() == name, "user name {name:?}: empty or with spaces around it");
    anyhow::ensure!(!name.chars().any(char::is_control), "user name {name:?}: contains a control character");
    let configured = |domain: &str| filtered.contains(domain);
    match role {
        Role::Admin => anyhow::ensure!(domains.is_empty(), "--domain is for domain admins only"),
        Role::DomainAdmin => {
            anyhow::ensure!(!domains.is_empty(), "a domain admin needs at least one --domain");
            for domain in domains {
                anyhow::ensure!(!domain.is_empty() && !domain.contains('@'), "--domain {domain:?}: not a domain name");
                if !configured(domain) {
                    eprintln!("sluice: warning: domain {domain} is not configured in {}", config.path.display());
                }
            }
        }
        Role::User => {
            anyhow::ensure!(domains.is_empty(), "--domain is for domain admins only (a user's domain is its address's)");
            let domain = name.rsplit_once('@').filter(|(local, domain)| !local.is_empty() && !domain.is_empty());
            let Some((_, domain)) = domain else {
                anyhow::bail!("user name {name:?}: a mailbox user's name is its address (local@domain)");
            };
            if !configured(domain) {
                eprintln!("sluice: warning: domain {domain} is not configured in {}", config.path.display());
            }
        }
    }
    Ok(())
}

async fn run_async(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { config, role, domains, name } => {
            let config = Config::load(&config)?;
            let role = Role::parse(&role).with_context(|| format!("--role {role:?}: expected admin, domain-admin or user"))?;
            let store = crate::open_store(&config).await?;
            validate(&config, &crate::domain_set(&config, &store).await?, role, &domains, &name)?;
            let password = read_password()?;
            let hash = sluice_web::ui::password::hash(&password)?;
            let user = NewUser { name: &name, role, domains: &domains, password_hash: &hash };
            anyhow::ensure!(store.add_user(&user, crate::now_ms()).await?, "user {name} exists (`sluice user passwd` changes its password)");
        }
        UserCommand::Remove { config, name } => {
            let config = Config::load(&config)?;
            anyhow::ensure!(crate::open_store(&config).await?.remove_user(&name).await?, "no user {name}");
        }
        UserCommand::Passwd { config, name } => {
            let config = Config::load(&config)?;
            let store = crate::open_store(&config).await?;
            anyhow::ensure!(store.get_user(&name).await?.is_some(), "no user {name}");
            let hash = sluice_web::ui::password::hash(&read_password()?)?;
            anyhow::ensure!(store.set_user_password(&name, &hash, crate::now_ms()).await?, "no user {name}");
        }
        UserCommand::Token { config, label, revoke, list, name } => {
            let config = Config::load(&config)?;
            let store = crate::open_store(&config).await?;
            anyhow::ensure!(store.get_user(&name).await?.is_some(), "no user {name}");
            if revoke {
                let removed = store.remove_api_tokens(&name).await?;
                eprintln!("sluice: {removed} token(s) of {name} revoked");
            } else if list {
                for token in store.api_tokens(&name).await? {
                    println!("{}", serde_json::json!({"user": token.user_name, "label": token.label, "created_at_ms": token.created_at_ms}));
                }
            } else {
                let (token, hash) = sluice_web::api_auth::new_token();
                store.add_api_token(&hash, &name, &label, crate::now_ms()).await?;
                println!("{token}");
            }
        }
        UserCommand::List { config } => {
            let config = Config::load(&config)?;
            for user in crate::open_store(&config).await?.list_users().await? {
                let line = serde_json::json!({
                    "name": user.name, "role": user.role.as_str(), "domains": user.domains,
                    "created_at_ms": user.created_at_ms, "updated_at_ms": user.updated_at_ms,
                });
                println!("{line}");
            }
        }
    }
    Ok(())
}
