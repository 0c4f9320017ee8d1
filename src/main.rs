//! `sluice`: the command line. Loads the configuration, wires the crates together
//! and runs the gateway (`serve`), or classifies files offline (`classify`),
//! explains one verdict (`explain`), or checks a configuration (`check-config`).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context;
use clap::{Parser, Subcommand};
use sluice_core::Envelope;
use sluice_gateway::smtp::Listener;
use sluice_gateway::{Config, Gateway};
use tokio::net::TcpListener;

mod dkim_cli;
mod explain;
mod heuristics_eval;
mod learn_cli;
mod list_cli;
mod patterns_cli;
mod rule_cli;
mod sink;
mod urllist_cli;
mod user_cli;

#[derive(Parser)]
#[command(name = "sluice", version, about = "Email filtering gateway: SMTP in, one verdict, the right reply, a log, a durable queue.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway: SMTP listeners, delivery queue, web API.
    Serve {
        /// The configuration file (TOML).
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
    },
    /// Classify message files offline; prints one JSON object per file, in order.
    Classify {
        /// The configuration file whose first domain's settings are used.
        #[arg(long, env = "SLUICE_CONFIG")]
        config: Option<PathBuf>,
        /// Judge each message as of this time: `received` (its newest `Received:`
        /// time stamp), an RFC 3339 time, or seconds since the epoch [now].
        #[arg(long, value_parser = explain::ReferenceTime::parse)]
        at: Option<explain::ReferenceTime>,
        /// `.eml` files (a leading mbox `From ` line is skipped).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run one message through every stage offline and print every finding and
    /// how the verdict was reached.
    Explain {
        /// The configuration file (domains, settings, this installation's store).
        #[arg(long, env = "SLUICE_CONFIG")]
        config: Option<PathBuf>,
        /// Make no lookups (DNS, antivirus): judge on the message and envelope alone.
        #[arg(long)]
        offline: bool,
        /// The client's address.
        #[arg(long)]
        ip: Option<std::net::IpAddr>,
        /// The HELO/EHLO name (not given: the greeting check is skipped).
        #[arg(long)]
        helo: Option<String>,
        /// The envelope sender (MAIL FROM).
        #[arg(long, default_value = "")]
        from: String,
        /// An envelope recipient (RCPT TO); repeat for several.
        #[arg(long)]
        rcpt: Vec<String>,
        /// As for `classify`.
        #[arg(long, value_parser = explain::ReferenceTime::parse)]
        at: Option<explain::ReferenceTime>,
        /// The message (`.eml`).
        message: PathBuf,
    },
    /// Load and validate a configuration file, then exit.
    CheckConfig {
        #[arg(long, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        /// Also open the store (connect to PostgreSQL, or create the SQLite file)
        /// and bring its schema up to date.
        #[arg(long)]
        connect: bool,
    },
    /// The allow and block lists: add, remove, show, import.
    List {
        #[command(subcommand)]
        command: list_cli::ListCommand,
    },
    /// The filtering rules: add, remove, show.
    Rule {
        #[command(subcommand)]
        command: rule_cli::RuleCommand,
    },
    /// The external pattern files (`[[patterns]]`): check one.
    Patterns {
        #[command(subcommand)]
        command: patterns_cli::PatternsCommand,
    },
    /// The URL hash lists (phishing, malware): import.
    Urllist {
        #[command(subcommand)]
        command: urllist_cli::UrlListCommand,
    },
    /// The users of the web interface: add, remove, passwd, list.
    User {
        #[command(subcommand)]
        command: user_cli::UserCommand,
    },
    /// The DKIM keys outgoing mail is signed with: generate, list, remove.
    Dkim {
        #[command(subcommand)]
        command: dkim_cli::DkimCommand,
    },
    #[command(flatten)]
    Learn(learn_cli::LearnCommand),
    /// A test SMTP server that accepts every message and prints it: a stand-in
    /// destination to see the whole loop on a first installation.
    Sink {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:2526")]
        listen: std::net::SocketAddr,
        /// Also keep each message as an `.eml` file in this folder.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sluice: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // `SLUICE_LOG` filters (as `RUST_LOG` would); `SLUICE_LOG_FORMAT=json` gives
    // one JSON object per line for log shippers.
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG").unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("SLUICE_LOG_FORMAT").is_ok_and(|format| format == "json") {
        logs.json().init();
    } else {
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init();
    }
    match cli.command {
        Command::Serve { config } => {
            let config = Config::load(&config)?;
            tokio::runtime::Runtime::new()?.block_on(serve(config))
        }
        Command::Classify { config, at, files } => {
            let config = config.map(|path| Config::load(&path)).transpose()?;
            classify(config.as_ref(), &at.unwrap_or(explain::ReferenceTime::Now), &files)
        }
        Command::Explain { config, offline, ip, helo, from, rcpt, at, message } => {
            let config = config.map(|path| Config::load(&path)).transpose()?;
            let given = explain::Given { ip, helo, from, rcpt, at: at.unwrap_or(explain::ReferenceTime::Now), offline };
            explain::run(config.as_ref(), &given, &message)
        }
        Command::CheckConfig { config, connect } => {
            let config = Config::load(&config)?;
            let _ = rustls::crypto::ring::default_provider().install_default();
            for warning in sluice_gateway::preflight::check(&config)? {
                eprintln!("sluice: warning: {warning}");
            }
            if connect {
                tokio::runtime::Runtime::new()?.block_on(async {
                    open_store(&config).await?.close().await;
                    anyhow::Ok(())
                })?;
            }
            println!("{}: ok ({} domain(s))", config.path.display(), config.domains.len());
            Ok(())
        }
        Command::List { command } => list_cli::run(command),
        Command::Rule { command } => rule_cli::run(command),
        Command::Patterns { command } => patterns_cli::run(command),
        Command::Urllist { command } => urllist_cli::run(command),
        Command::User { command } => user_cli::run(command),
        Command::Dkim { command } => dkim_cli::run(command),
        Command::Learn(command) => learn_cli::run(command),
        Command::Sink { listen, dir } => sink::run(listen, dir),
    }
}

fn classify(config: Option<&Config>, at: &explain::ReferenceTime, files: &[PathBuf]) -> anyhow::Result<()> {
    let installation = explain::Installation::load(config)?;
    let settings = installation.settings_for(config, None);
    let scorers: [&dyn sluice_core::classify::Scorer; 1] = [&installation.learning];
    let heuristics_judge = sluice_core::checks::heuristics::HeuristicsJudge { sets: &installation.heuristics };
    let patterns_judge = sluice_core::checks::patterns::PatternsJudge { sets: &installation.patterns, enabled: &settings.pattern_sets };
    let judges: [&dyn sluice_core::classify::Judge; 2] = [&patterns_judge, &heuristics_judge];
    let envelope = Envelope::default();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut unreadable = 0;
    // Shown every file first, as an installation that has been receiving this
    // mail, so each is judged with the stream's familiarity to the global model
    // (`sluice_statistical::familiarity`), not that of the files before it; with
    // fewer than 50 files, the installation's stored figure (`Installation::load`).
    let classifier = installation.learning.classifier();
    for raw in files.iter().filter_map(|file| std::fs::read(file).ok()) {
        let raw = sluice_core::message::strip_mbox_from_line(&raw);
        classifier.observe(&sluice_statistical::tokens::word_features_of_raw(raw, &classifier.limits));
    }
    for file in files {
        let line = match std::fs::read(file) {
            Ok(raw) => {
                let raw = sluice_core::message::strip_mbox_from_line(&raw);
                let now = at.for_message(raw);
                let facts = sluice_core::MessageFacts::new(raw, &envelope, now);
                let verdict = sluice_core::classify::classify_parsed(&facts, &settings, &scorers, &judges).verdict;
                serde_json::json!({
                    "file": file.display().to_string(),
                    "main_class": verdict.main.as_str(),
                    "sub_class": verdict.sub.as_str(),
                    "error_class": verdict.error.map(|class| class.as_str()),
                    "extra_class": verdict.extra,
                    "score": verdict.score,
                    "reply": verdict.reply.line(),
                    "action": verdict.action.as_str(),
                })
            }
            Err(error) => {
                unreadable += 1;
                serde_json::json!({"file": file.display().to_string(), "error": error.to_string()})
            }
        };
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    // The others are still classified (and printed): one bad path in a batch
    // should not hide the rest, but a script must see that something failed.
    if unreadable > 0 {
        anyhow::bail!("{unreadable} of {} file(s) could not be read", files.len());
    }
    Ok(())
}

/// Opens the configuration's store, creating the data directory (for the commands
/// that work on an installation's store: `train`, `eval`, `list`, `rule`).
pub(crate) async fn open_store(config: &Config) -> anyhow::Result<sluice_store::Store> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("{}: key `data_dir`: cannot create {}", config.path.display(), config.data_dir.display()))?;
    sluice_store::Store::open(&config.storage_url)
        .await
        .with_context(|| format!("{}: storage {}", config.path.display(), config.storage_url))
}

/// The filtered domains as a running gateway holds them: the file's and the
/// store's (added through the API).
pub(crate) async fn domain_set(config: &Config, store: &sluice_store::Store) -> anyhow::Result<sluice_gateway::domains::DomainSet> {
    Ok(sluice_gateway::domains::DomainSet::with_stored(config, &store.stored_domains().await?))
}

/// Milliseconds since the epoch, as the store keeps times.
pub(crate) fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

async fn bind(address: std::net::SocketAddr, what: &str, config: &Path) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("{}: key `listen.{what}`: cannot listen on {address}", config.display()))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // One crypto provider for every rustls user in the process, chosen explicitly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    for warning in sluice_gateway::preflight::check(&config)? {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        config = %config.path.display(),
        node = %config.node_id,
        storage = %redacted(&config.storage_url),
        tls = if config.tls.certificate.is_some() { "configured certificate" } else { "self-signed certificate (set [tls] certificate and key)" },
        "starting sluice"
    );
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("{}: key `data_dir`: cannot create {}", config.path.display(), config.data_dir.display()))?;
    let store = sluice_store::Store::open(&config.storage_url)
        .await
        .with_context(|| format!("{}: storage {}", config.path.display(), config.storage_url))?;
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    // Before any listener opens: a SIGTERM that arrives while the rest starts
    // (a busy machine, an orchestrator stopping a node it just started) is a
    // graceful stop, not the default disposition's instant death mid-session.
    let stop_signal = StopSignal::install();

    let smtp = match config.listen.smtp {
        Some(address) => Some(bind(address, "smtp", &config.path).await?),
        None => None,
    };
    let submission = match config.listen.submission {
        Some(address) => Some(bind(address, "submission", &config.path).await?),
        None => None,
    };
    let submissions = match config.listen.submissions {
        Some(address) => Some(bind(address, "submissions", &config.path).await?),
        None => None,
    };
    let web = match config.listen.web {
        Some(address) => Some(bind(address, "web", &config.path).await?),
        None => None,
    };
    sluice_web::metrics::install().context("installing the metrics recorder")?;
    let gateway = Arc::new(Gateway::new(config, store, shutdown_rx.clone())?);
    gateway.load_settings().await.context("loading settings from the store")?;
    let replayed = gateway.learning.catch_up(&gateway.store).await.context("loading what the classifiers learned")?;
    tracing::info!(replayed, "cluster model loaded");
    // The installation's familiarity with its stream, so a node that restarts is
    // not careful for its first messages; without it, it is (nothing is lost).
    match sluice_gateway::familiarity::seed_from_store(gateway.learning.classifier(), &gateway.store, now_ms()).await {
        Ok(Some(stored)) => tracing::info!(median_share = stored.median_share, messages = stored.messages, nodes = stored.nodes, "stream familiarity of the installation loaded"),
        Ok(None) => tracing::info!("no stream familiarity stored yet: the global model is tempered until 50 messages were seen"),
        Err(error) => tracing::warn!(%error, "cannot read the installation's stream familiarity; the global model is tempered until 50 messages were seen"),
    }

    let mut tasks = tokio::task::JoinSet::new();
    if let Some(listener) = smtp {
        tracing::info!(address = %listener.local_addr()?, "SMTP listening");
        tasks.spawn(sluice_gateway::smtp::serve(gateway.clone(), listener, Listener::Inbound));
        gateway.smtp_listening.store(true, Ordering::Relaxed);
    }
    if let Some(listener) = submission {
        tracing::info!(address = %listener.local_addr()?, "submission listening");
        tasks.spawn(sluice_gateway::smtp::serve(gateway.clone(), listener, Listener::Submission));
    }
    if let Some(listener) = submissions {
        tracing::info!(address = %listener.local_addr()?, "submissions (implicit TLS) listening");
        tasks.spawn(sluice_gateway::smtp::serve(gateway.clone(), listener, Listener::Submissions));
    }
    tasks.spawn(sluice_gateway::delivery::run(gateway.clone()));
    tasks.spawn(sluice_gateway::retention::run(gateway.clone()));
    tasks.spawn(sluice_gateway::counters::run(gateway.clone()));
    tasks.spawn(sluice_gateway::reputation::run(gateway.clone()));
    tasks.spawn(gateway.clone().follow_other_nodes());
    tasks.spawn(gateway.clone().follow_pattern_files());
    if let Some(listener) = web {
        tracing::info!(address = %listener.local_addr()?, "web API listening");
        let router = sluice_web::router(gateway.clone());
        let mut shutdown = shutdown_rx.clone();
        tasks.spawn(async move {
            let stopped = async move {
                let _ = shutdown.wait_for(|stop| *stop).await;
            };
            sluice_web::server::serve(listener, router, stopped).await;
        });
    }

    stop_signal.received().await;
    tracing::info!("shutting down: finishing sessions and deliveries in flight");
    let _ = shutdown_tx.send(true);
    while tasks.join_next().await.is_some() {}
    gateway.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// A storage URL as logged: without its password.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// SIGTERM or Ctrl-C, caught from the moment it is installed.
struct StopSignal(Option<tokio::signal::unix::Signal>);

impl StopSignal {
    fn install() -> StopSignal {
        StopSignal(tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok())
    }

    async fn received(mut self) {
        match &mut self.0 {
            Some(terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}
