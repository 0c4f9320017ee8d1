//! Gathering facts from the outside world for one SMTP stage: each lookup runs
//! with a deadline of its own, bounded by the stage's, concurrently with the
//! others, and ends as a [`LookupOutcome`] (answer, not found, timed out, failed)
//! with a [`LookupRecord`] for the log. Nothing here judges: the pure checks of
//! `sluice-core` read the outcomes.
//!
//! Each outside service sits behind a small trait, so the gateway runs the real one
//! and tests run an in-process one with chosen answers and delays: [`Resolver`]
//! (DNS; [`dns::DnsResolver`] over hickory), and the seams the next checks fill:
//! [`Scanner`] (an antivirus daemon; [`clamd::Clamd`]), [`Counters`] (counters shared by the nodes of
//! a cluster, for rate limits and greylisting), [`Callout`] (recipient verification
//! at the destination).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

pub use sluice_core::lookups::{LookupOutcome, LookupRecord, Scanned};
use tokio::time::Instant;

pub mod clamd;
pub mod auth;
pub mod dns;
pub mod dnslists;

/// A boxed future, so the service traits stay object-safe.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = LookupOutcome<T>> + Send + 'a>>;

/// The mail exchangers of a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailExchangers {
    /// `(preference, host)` as published.
    Hosts(Vec<(u16, String)>),
    /// The domain exists but publishes no MX: its own address is the exchanger
    /// (RFC 5321 5.1).
    Implicit,
}

/// DNS, as the checks and the delivery need it. A name that does not exist is
/// [`LookupOutcome::NotFound`]; a name with no record of the type asked is an
/// empty answer (for MX: [`MailExchangers::Implicit`]).
pub trait Resolver: Send + Sync {
    fn mx<'a>(&'a self, domain: &'a str) -> Pending<'a, MailExchangers>;
    fn ips<'a>(&'a self, host: &'a str) -> Pending<'a, Vec<std::net::IpAddr>>;
    fn txt<'a>(&'a self, name: &'a str) -> Pending<'a, Vec<String>>;
    /// The IPv4 addresses of `name` (A records only: what a DNS list answers).
    /// By default the IPv4 addresses of [`Resolver::ips`].
    fn ipv4<'a>(&'a self, name: &'a str) -> Pending<'a, Vec<std::net::Ipv4Addr>> {
        Box::pin(async move {
            self.ips(name).await.map(|ips| {
                ips.into_iter()
                    .filter_map(|ip| match ip {
                        std::net::IpAddr::V4(ip) => Some(ip),
                        std::net::IpAddr::V6(_) => None,
                    })
                    .collect()
            })
        })
    }
    /// The names an address points back to (PTR), as published: not yet
    /// confirmed by a forward lookup. By default a failure, so resolvers written
    /// for other lookups need not answer it.
    fn ptr<'a>(&'a self, ip: std::net::IpAddr) -> Pending<'a, Vec<String>> {
        let _ = ip;
        Box::pin(async { LookupOutcome::Failed("no PTR lookups in this resolver".to_owned()) })
    }
}

/// Bounds the names of a PTR answer that are checked forward: a hostile zone
/// may publish many.
pub const MAX_PTR_NAMES: usize = 4;

/// The client's forward-confirmed reverse DNS name: a PTR name of `ip` whose
/// own addresses (A/AAAA) include `ip` (an IPv4-mapped IPv6 address counts as
/// IPv4), lower case without the trailing dot; `None` when there is none or a
/// lookup does not answer in time. The first [`MAX_PTR_NAMES`] names are
/// checked, concurrently.
pub async fn confirmed_hostname(resolver: &dyn Resolver, gathering: &Gathering, ip: std::net::IpAddr) -> Option<String> {
    let ip = ip.to_canonical();
    let names = gathering.run(format!("PTR {ip}"), resolver.ptr(ip)).await.answer()?.clone();
    let names: Vec<String> = names
        .iter()
        .map(|name| name.trim_end_matches('.').to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .take(MAX_PTR_NAMES)
        .collect();
    let forward = names.iter().map(|name| gathering.run(format!("A/AAAA {name}"), resolver.ips(name)));
    let answers = futures_join_all(forward).await;
    names.into_iter().zip(answers).find_map(|(name, outcome)| {
        let addresses = outcome.answer()?.clone();
        addresses.iter().any(|address| address.to_canonical() == ip).then_some(name)
    })
}

/// Awaits every future, concurrently, in order (no extra dependency for it).
pub(crate) async fn futures_join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut outputs: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut pending = false;
        for (future, output) in set.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(context) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// An antivirus daemon, as the virus check needs it ([`clamd::Clamd`]).
pub trait Scanner: Send + Sync {
    fn scan<'a>(&'a self, bytes: &'a [u8]) -> Pending<'a, Scanned>;
}

/// Counters shared by every node of a cluster (rate limits, greylisting): the seam
/// the connection-protection issue fills with the store.
pub trait Counters: Send + Sync {
    /// Adds one to `key` in the current window of `window_seconds`; the count after.
    fn increment<'a>(&'a self, key: &'a str, window_seconds: u64) -> Pending<'a, u64>;
}

/// Whether the destination accepts a recipient (a callout: RCPT at the domain's
/// own server): the seam the connection-protection issue fills.
pub trait Callout: Send + Sync {
    fn recipient_exists<'a>(&'a self, domain: &'a str, recipient: &'a str) -> Pending<'a, bool>;
}

/// The lookups of one stage: a deadline for the stage and one per lookup, and
/// the record of every lookup made, in the order they finished.
pub struct Gathering {
    stage_deadline: Instant,
    per_lookup: Duration,
    records: Mutex<Vec<LookupRecord>>,
}

impl Gathering {
    /// A stage that must be done gathering within `stage`, each lookup within
    /// `per_lookup`.
    pub fn new(stage: Duration, per_lookup: Duration) -> Gathering {
        Gathering {
            stage_deadline: Instant::now() + stage,
            per_lookup,
            records: Mutex::new(Vec::new()),
        }
    }

    /// Runs one lookup to its deadline (the earlier of its own and the stage's)
    /// and records it. Several `run`s awaited together (`tokio::join!`) run
    /// concurrently.
    pub async fn run<T>(&self, what: impl Into<String>, lookup: impl Future<Output = LookupOutcome<T>>) -> LookupOutcome<T> {
        let started = Instant::now();
        let deadline = (started + self.per_lookup).min(self.stage_deadline);
        let outcome = tokio::time::timeout_at(deadline, lookup).await.unwrap_or(LookupOutcome::TimedOut);
        let record = LookupRecord {
            what: what.into(),
            outcome: outcome.describe(),
            took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        observe(&record, started.elapsed());
        self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(record);
        outcome
    }

    /// [`Gathering::run`] for a lookup whose answer has a name of its own in the
    /// log (an SPF result: `pass`, `softfail`): `describe` names the answer.
    pub async fn run_described<T>(
        &self,
        what: impl Into<String>,
        lookup: impl Future<Output = LookupOutcome<T>>,
        describe: impl FnOnce(&T) -> &'static str,
    ) -> LookupOutcome<T> {
        let started = Instant::now();
        let deadline = (started + self.per_lookup).min(self.stage_deadline);
        let outcome = tokio::time::timeout_at(deadline, lookup).await.unwrap_or(LookupOutcome::TimedOut);
        let record = LookupRecord {
            what: what.into(),
            outcome: outcome.answer().map_or_else(|| outcome.describe(), describe),
            took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(record);
        outcome
    }

    /// Every lookup made so far.
    pub fn records(&self) -> Vec<LookupRecord> {
        self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// Lookup latencies and outcomes for `/metrics`, by kind: the first word of
/// what was asked (`MX`, `PTR`, `TXT`...), which our code chooses, so the label
/// set stays small whatever the names looked up.
fn observe(record: &LookupRecord, took: Duration) {
    let kind = record.what.split_whitespace().next().unwrap_or("").to_owned();
    metrics::histogram!("sluice_lookup_seconds", "kind" => kind.clone()).record(took.as_secs_f64());
    metrics::counter!("sluice_lookups_total", "kind" => kind, "outcome" => record.outcome).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A resolver that answers after a delay, or fails.
    struct Slow {
        delay: Duration,
    }

    impl Resolver for Slow {
        fn mx<'a>(&'a self, _domain: &'a str) -> Pending<'a, MailExchangers> {
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                LookupOutcome::Answer(MailExchangers::Implicit)
            })
        }
        fn ips<'a>(&'a self, _host: &'a str) -> Pending<'a, Vec<std::net::IpAddr>> {
            Box::pin(async { LookupOutcome::Failed("SERVFAIL".to_owned()) })
        }
        fn txt<'a>(&'a self, name: &'a str) -> Pending<'a, Vec<String>> {
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                LookupOutcome::Answer(vec![format!("v=spf1 -all ({name})")])
            })
        }
    }

    /// Chosen PTR and A/AAAA answers; anything else does not exist.
    struct Reverse {
        ptr: Vec<(&'static str, Vec<&'static str>)>,
        ips: Vec<(&'static str, Vec<&'static str>)>,
    }

    impl Resolver for Reverse {
        fn mx<'a>(&'a self, _domain: &'a str) -> Pending<'a, MailExchangers> {
            Box::pin(async { LookupOutcome::NotFound })
        }
        fn ips<'a>(&'a self, host: &'a str) -> Pending<'a, Vec<std::net::IpAddr>> {
            let found = self.ips.iter().find(|(name, _)| *name == host);
            let outcome = found.map_or(LookupOutcome::NotFound, |(_, ips)| {
                LookupOutcome::Answer(ips.iter().map(|ip| ip.parse().unwrap()).collect())
            });
            Box::pin(async move { outcome })
        }
        fn txt<'a>(&'a self, _name: &'a str) -> Pending<'a, Vec<String>> {
            Box::pin(async { LookupOutcome::NotFound })
        }
        fn ptr<'a>(&'a self, ip: std::net::IpAddr) -> Pending<'a, Vec<String>> {
            let found = self.ptr.iter().find(|(address, _)| address.parse::<std::net::IpAddr>().ok() == Some(ip));
            let outcome = found.map_or(LookupOutcome::NotFound, |(_, names)| {
                LookupOutcome::Answer(names.iter().map(|name| (*name).to_owned()).collect())
            });
            Box::pin(async move { outcome })
        }
    }

    #[tokio::test]
    async fn a_hostname_counts_only_when_its_own_addresses_confirm_it() {
        let resolver = Reverse {
            ptr: vec![
                ("192.0.2.1", vec!["Mail.Example.org."]),
                ("192.0.2.2", vec!["liar.example.org.", "second.example.org."]),
                ("192.0.2.3", vec!["forged.bank.example."]),
                ("2001:db8::1", vec!["v6.example.org."]),
            ],
            ips: vec![
                ("mail.example.org", vec!["192.0.2.1"]),
                ("liar.example.org", vec!["198.51.100.1"]),
                ("second.example.org", vec!["192.0.2.2", "2001:db8::9"]),
                ("v6.example.org", vec!["2001:db8::1"]),
            ],
        };
        let confirm = |ip: &str| {
            let ip = ip.parse().unwrap();
            let resolver = &resolver;
            async move { confirmed_hostname(resolver, &Gathering::new(Duration::from_secs(4), Duration::from_secs(1)), ip).await }
        };
        assert_eq!(confirm("192.0.2.1").await.as_deref(), Some("mail.example.org"));
        assert_eq!(confirm("::ffff:192.0.2.1").await.as_deref(), Some("mail.example.org"), "IPv4-mapped");
        assert_eq!(confirm("192.0.2.2").await.as_deref(), Some("second.example.org"), "the name that confirms");
        assert_eq!(confirm("192.0.2.3").await, None, "its name does not resolve");
        assert_eq!(confirm("192.0.2.4").await, None, "no PTR");
        assert_eq!(confirm("2001:db8::1").await.as_deref(), Some("v6.example.org"));
        // A resolver without PTR support confirms nothing.
        let slow = Slow { delay: Duration::from_millis(1) };
        let gathering = Gathering::new(Duration::from_secs(4), Duration::from_secs(1));
        assert_eq!(confirmed_hostname(&slow, &gathering, "192.0.2.1".parse().unwrap()).await, None);
    }

    /// The other seams, as the issues that fill them will be tested: in-process
    /// services with chosen answers.
    struct Services;

    impl Scanner for Services {
        fn scan<'a>(&'a self, bytes: &'a [u8]) -> Pending<'a, Scanned> {
            Box::pin(async move {
                let eicar = bytes.windows(5).any(|window| window == b"EICAR");
                LookupOutcome::Answer(if eicar { Scanned::Infected("Eicar-Signature".to_owned()) } else { Scanned::Clean })
            })
        }
    }

    impl Counters for Services {
        fn increment<'a>(&'a self, _key: &'a str, _window_seconds: u64) -> Pending<'a, u64> {
            Box::pin(async { LookupOutcome::Failed("store down".to_owned()) })
        }
    }

    impl Callout for Services {
        fn recipient_exists<'a>(&'a self, _domain: &'a str, recipient: &'a str) -> Pending<'a, bool> {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_secs(30)).await;
                LookupOutcome::Answer(!recipient.starts_with("nobody"))
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_kind_of_service_is_gathered_the_same_way() {
        let gathering = Gathering::new(Duration::from_secs(10), Duration::from_secs(5));
        let (scan, count, callout) = tokio::join!(
            gathering.run("scan", Services.scan(b"X5O!P%@AP...EICAR")),
            gathering.run("count client", Services.increment("client 192.0.2.1", 60)),
            gathering.run("callout bob@example.org", Services.recipient_exists("example.org", "bob@example.org")),
        );
        assert_eq!(scan, LookupOutcome::Answer(Scanned::Infected("Eicar-Signature".to_owned())));
        assert!(count.is_unavailable(), "a counter store that is down is a fact, not an error");
        assert_eq!(callout, LookupOutcome::TimedOut);
        let outcomes: Vec<&str> = gathering.records().iter().map(|record| record.outcome).collect();
        assert_eq!(outcomes, ["answer", "failed", "timed-out"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_described_lookup_logs_what_its_answer_says() {
        let gathering = Gathering::new(Duration::from_secs(10), Duration::from_secs(2));
        let answered = gathering.run_described("SPF mail-from a.example", async { LookupOutcome::Answer(3) }, |_| "softfail").await;
        assert_eq!(answered, LookupOutcome::Answer(3));
        let slow = Slow { delay: Duration::from_secs(3) };
        let late = gathering.run_described("TXT a.example", slow.txt("a.example"), |_| "pass").await;
        assert_eq!(late, LookupOutcome::TimedOut);
        let outcomes: Vec<&str> = gathering.records().iter().map(|record| record.outcome).collect();
        assert_eq!(outcomes, ["softfail", "timed-out"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_lookup_times_out_at_its_own_deadline() {
        let resolver = Slow { delay: Duration::from_secs(3) };
        let gathering = Gathering::new(Duration::from_secs(10), Duration::from_secs(2));
        assert_eq!(gathering.run("MX example.org", resolver.mx("example.org")).await, LookupOutcome::TimedOut);
        let records = gathering.records();
        assert_eq!((records[0].what.as_str(), records[0].outcome, records[0].took_ms), ("MX example.org", "timed-out", 2000));
    }

    #[tokio::test(start_paused = true)]
    async fn lookups_run_concurrently_within_the_stage_deadline() {
        let resolver = Slow { delay: Duration::from_secs(1) };
        let gathering = Gathering::new(Duration::from_millis(1500), Duration::from_secs(5));
        let started = Instant::now();
        let (mx, txt, ips) = tokio::join!(
            gathering.run("MX a.example", resolver.mx("a.example")),
            gathering.run("TXT a.example", resolver.txt("a.example")),
            gathering.run("A a.example", resolver.ips("a.example")),
        );
        assert_eq!(started.elapsed(), Duration::from_secs(1), "concurrent, not one after the other");
        assert_eq!(mx, LookupOutcome::Answer(MailExchangers::Implicit));
        assert!(txt.answer().is_some());
        assert_eq!(ips, LookupOutcome::Failed("SERVFAIL".to_owned()));
        // A lookup started late gets only what is left of the stage.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let late = gathering.run("TXT late.example", resolver.txt("late.example")).await;
        assert_eq!(late, LookupOutcome::TimedOut);
        assert_eq!(gathering.records().last().map(|record| record.took_ms), Some(200));
    }
}
