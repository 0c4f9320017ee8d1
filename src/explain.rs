//! `sluice explain`: one message through the whole pipeline offline, every stage's
//! findings and the decision path printed in words; and the reference time that
//! `classify` and `explain` take (`--at`).

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;

use anyhow::Context;
use sluice_core::checks::lists::{self, Lists};
use sluice_core::checks::rules::Rules;
use sluice_core::checks::authentication::{AuthFacts, AuthJudge};
use sluice_core::checks::sender_verification::{self, SenderDomain};
use sluice_core::checks::{envelope_policy, relay};
use sluice_core::{DomainSettings, Envelope};
use sluice_gateway::Config;
use sluice_gateway::settings::ScopedSettings;
use sluice_model::{Finding, Verdict};

/// The time a message is judged as of.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ReferenceTime {
    Now,
    /// Seconds since the epoch.
    At(i64),
    /// When each message arrived as far as it says (`sluice_core::message::arrival_time`:
    /// its newest `Received:` time stamp, else its `Delivery-Date:`, else its
    /// `Date:`), now when it says nothing.
    Received,
}

impl ReferenceTime {
    /// `received`, an RFC 3339 time (`2007-07-03T10:00:00Z`) or seconds since the epoch.
    pub(crate) fn parse(text: &str) -> Result<ReferenceTime, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("received") {
            return Ok(ReferenceTime::Received);
        }
        if let Ok(seconds) = text.parse::<i64>() {
            return Ok(ReferenceTime::At(seconds));
        }
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map(|at| ReferenceTime::At(at.unix_timestamp()))
            .map_err(|_| format!("expected `received`, an RFC 3339 time such as 2007-07-03T10:00:00Z, or seconds since the epoch; got {text:?}"))
    }

    /// The time `raw` is judged as of.
    pub(crate) fn for_message(&self, raw: &[u8]) -> i64 {
        match self {
            ReferenceTime::Now => now(),
            ReferenceTime::At(seconds) => *seconds,
            ReferenceTime::Received => sluice_core::message::arrival_time(raw).unwrap_or_else(now),
        }
    }
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}

/// The envelope `explain` is told about.
pub(crate) struct Given {
    pub(crate) ip: Option<IpAddr>,
    /// `None`: not given, and the greeting check is skipped.
    pub(crate) helo: Option<String>,
    pub(crate) from: String,
    pub(crate) rcpt: Vec<String>,
    pub(crate) at: ReferenceTime,
    pub(crate) offline: bool,
}

/// What this installation holds in its store: the settings of every scope and what
/// the classifiers learned (nothing without a configuration or a data directory).
pub(crate) struct Installation {
    pub(crate) learning: sluice_gateway::learning::Learning,
    settings: Option<ScopedSettings>,
    /// The allow and block lists in the store (empty without one).
    lists: Lists,
    /// The filtering rules in the store (none without one).
    rules: Rules,
    /// The URL hash lists in the store (empty without one).
    url_hashes: sluice_core::checks::url_hashes::UrlHashLists,
    /// The BATV secret of each domain that has one (none is made here).
    batv_secrets: std::collections::HashMap<String, Vec<u8>>,
    /// The heuristic rule sets (the shipped one, and `[heuristics] set2`).
    pub(crate) heuristics: sluice_core::checks::heuristics::HeuristicSets,
    /// The external pattern sets (`[[patterns]]`), as the configuration loaded them.
    pub(crate) patterns: std::sync::Arc<sluice_core::checks::patterns::PatternSets>,
    /// The filtered domains: the file's, and those added through the API when
    /// the store is there (none without a configuration).
    domains: sluice_gateway::domains::DomainSet,
    /// The installation's familiarity with its stream, as its nodes stored it
    /// (the classifier is seeded with it); `None` without a store or a figure.
    pub(crate) familiarity: Option<sluice_store::StoredFamiliarity>,
}

impl Installation {
    pub(crate) fn load(config: Option<&Config>) -> anyhow::Result<Installation> {
        let learning = match config {
            Some(config) => sluice_gateway::learning::Learning::for_config(config)?,
            None => sluice_gateway::learning::Learning::new(Default::default())?,
        };
        let mut settings = None;
        let mut lists = Lists::default();
        let mut rules = Rules::default();
        let mut url_hashes = sluice_core::checks::url_hashes::UrlHashLists::default();
        let mut batv_secrets = std::collections::HashMap::new();
        let set2 = match config {
            Some(config) => config.heuristics.load_set2().map_err(anyhow::Error::msg)?,
            None => None,
        };
        let heuristics = sluice_core::checks::heuristics::HeuristicSets::new(set2);
        let patterns = config.map(|config| config.patterns.loaded.clone()).unwrap_or_default();
        let mut domains = config.map(sluice_gateway::domains::DomainSet::from_file).unwrap_or_default();
        let mut familiarity = None;
        if let Some(config) = config
            && std::fs::exists(&config.data_dir).unwrap_or(false)
        {
            settings = tokio::runtime::Runtime::new()?.block_on(async {
                let store = sluice_store::Store::open(&config.storage_url)
                    .await
                    .with_context(|| format!("{}: storage {}", config.path.display(), config.storage_url))?;
                learning.catch_up(&store).await?;
                familiarity = sluice_gateway::familiarity::seed_from_store(learning.classifier(), &store, crate::now_ms()).await?;
                let rows = store.all_settings().await?;
                let stored = sluice_gateway::domains::DomainSet::with_stored(config, &store.stored_domains().await?);
                let entries = store.all_list_entries().await?;
                let stored_rules = store.rules(None).await?;
                url_hashes = sluice_gateway::url_hashes::compile(&store.all_url_hashes().await?);
                batv_secrets = store.batv_secrets().await?.into_iter().collect();
                store.close().await;
                lists = Lists::new(entries.iter().filter_map(sluice_gateway::lists::from_stored).collect());
                rules = Rules::new(stored_rules.iter().filter_map(sluice_gateway::rules::from_stored).collect());
                let scoped = ScopedSettings::from_rows(config, &stored, rows);
                domains = stored;
                anyhow::Ok(Some(scoped))
            })?;
        }
        Ok(Installation { learning, settings, lists, rules, url_hashes, batv_secrets, heuristics, patterns, domains, familiarity })
    }

    /// `recipient` as the gateway's RCPT reads it for BATV
    /// (`sluice_gateway::signing::batv::judge`): the address it stands for and
    /// the BATV finding, if any.
    fn batv(&self, config: Option<&Config>, null_sender: bool, recipient: &str, at: i64) -> (String, Option<Finding>) {
        use sluice_gateway::signing::batv::{AtRcpt, judge, needs_secret};
        let Some(config) = config else { return (recipient.to_owned(), None) };
        let stands_for = sluice_core::checks::batv::untagged(recipient);
        if !self.filters(stands_for) {
            return (recipient.to_owned(), None);
        }
        let enabled = self.settings_for(Some(config), Some(stands_for)).batv;
        if !needs_secret(null_sender, enabled, recipient) {
            return (recipient.to_owned(), None);
        }
        let secret = self.batv_secrets.get(&sluice_core::envelope::domain_of(stands_for)).map(Vec::as_slice);
        match judge(null_sender, enabled, recipient, secret, at) {
            AtRcpt::Untouched => (recipient.to_owned(), None),
            AtRcpt::Untagged { address, finding } => (address, finding),
            AtRcpt::Refused(finding) => (recipient.to_owned(), Some(finding)),
        }
    }

    /// Whether `address` is in a domain this installation filters (the file's or
    /// one added through the API), as the RCPT relay check reads it.
    fn filters(&self, address: &str) -> bool {
        self.domains.domain_for(address).is_some()
    }

    /// The settings in force for `recipient` (the first domain's without one).
    pub(crate) fn settings_for(&self, config: Option<&Config>, recipient: Option<&str>) -> DomainSettings {
        match (config, recipient, &self.settings) {
            (Some(_), Some(recipient), Some(scoped)) => scoped.for_recipient(&self.domains, recipient).as_ref().clone(),
            (Some(config), Some(recipient), None) => {
                self.domains.domain_for(recipient).map_or_else(|| config.default_settings(), |domain| domain.settings.clone())
            }
            (Some(config), None, _) => config.default_settings(),
            (None, _, _) => DomainSettings::default(),
        }
    }
}

pub(crate) fn run(config: Option<&Config>, given: &Given, file: &Path) -> anyhow::Result<()> {
    let raw = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let raw = sluice_core::message::strip_mbox_from_line(&raw);
    let installation = Installation::load(config)?;
    let at = given.at.for_message(raw);
    let authentication = authenticate(config, given, raw)?;
    print!("{}", explain(config, &installation, given, raw, at, file, authentication.as_ref()));
    Ok(())
}

/// The sender-authentication facts, gathered as the gateway gathers them.
struct Authentication {
    sender_domain: SenderDomain,
    facts: AuthFacts,
    lookups: Vec<sluice_lookup::LookupRecord>,
}

/// SPF, the sender domain's records, DKIM, ARC and DMARC through the configured
/// `[dns]`: only with a configuration, `--ip` and without `--offline` (SPF needs
/// the client's address).
fn authenticate(config: Option<&Config>, given: &Given, raw: &[u8]) -> anyhow::Result<Option<Authentication>> {
    let (Some(config), Some(ip), false) = (config, given.ip, given.offline) else {
        return Ok(None);
    };
    tokio::runtime::Runtime::new()?.block_on(async {
        let timeout = config.dns.timeout;
        let authenticator = sluice_lookup::auth::Authenticator::new(config.dns.resolver, timeout)?;
        let resolver = sluice_lookup::dns::DnsResolver::new(config.dns.resolver, timeout)?;
        let gathering = sluice_lookup::Gathering::new(timeout * 3, timeout * 3);
        let helo = given.helo.clone().unwrap_or_default();
        let (spf, sender_domain) = tokio::join!(
            authenticator.spf(&gathering, ip, &helo, &given.from, &config.hostname),
            sluice_lookup::auth::sender_domain(&gathering, &resolver, &given.from),
        );
        let facts = authenticator.message(&gathering, &resolver, raw, Some(spf)).await;
        anyhow::Ok(Some(Authentication { sender_domain, facts, lookups: gathering.records() }))
    })
}

fn explain(
    config: Option<&Config>,
    installation: &Installation,
    given: &Given,
    raw: &[u8],
    at: i64,
    file: &Path,
    authentication: Option<&Authentication>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "message: {}", file.display());
    let _ = writeln!(out, "judged as of: {}", rfc3339(at));
    let classifier = installation.learning.classifier();
    if !classifier.cluster_trusted() {
        // One message is no stream: it is judged with the familiarity the
        // installation's nodes stored, or as on a stream the model does not know.
        let temperature = classifier.familiarity().1;
        let figure = match installation.familiarity {
            Some(stored) => format!(
                "the installation's stream (its stored median share of known features {:.3}, over {} message(s) of {} node(s))",
                stored.median_share, stored.messages, stored.nodes
            ),
            None => "one message alone, as from a stream the model does not know (no familiarity of the installation's stream is stored)".to_owned(),
        };
        let _ = writeln!(
            out,
            "statistics: the installation has not learned enough to trust its own models; the global model's log-odds x {temperature:.2}, judged on {figure}"
        );
    }
    // The DNS lists, asked as the gateway would (the client's at its first
    // recipient, the URLs' after the final dot); a failure is a lookup outcome.
    let dns = match config.filter(|config| !given.offline && config.dns_lists != sluice_core::checks::dnslists::DnsLists::default()) {
        Some(config) => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(sluice_gateway::dnslists::gather_for_explain(config, given.ip, raw)))
            .unwrap_or_else(|error| {
                let _ = writeln!(out, "DNS lists: not asked ({error:#})");
                Default::default()
            }),
        None => Default::default(),
    };
    // Sender authentication's lookups, then the DNS lists'.
    let mut lookups: Vec<String> = authentication
        .map(|authentication| authentication.lookups.iter().map(|lookup| format!("{} {} ({} ms)", lookup.what, lookup.outcome, lookup.took_ms)).collect())
        .unwrap_or_default();
    lookups.extend(dns.lookups().iter().map(|lookup| format!("{} {} ({} ms)", lookup.what, lookup.outcome, lookup.took_ms)));
    if given.offline {
        let _ = writeln!(out, "lookups: off (--offline)");
    } else if lookups.is_empty() {
        let _ = writeln!(out, "lookups: none (sender authentication needs --ip and a configuration)");
    } else {
        let _ = writeln!(out, "lookups:");
        for lookup in &lookups {
            let _ = writeln!(out, "  {lookup}");
        }
    }
    let hostname = dns.client.hostname();
    let spf_pass = authentication.and_then(|authentication| authentication.facts.spf.as_ref()).is_some_and(|spf| spf.sender_passed());
    let _ = writeln!(
        out,
        "envelope: client {}, HELO {}, MAIL FROM:<{}>",
        given.ip.map(|ip| ip.to_string()).unwrap_or_else(|| "(not given)".to_owned()),
        given.helo.as_ref().map_or_else(|| "(not given: not checked)".to_owned(), |helo| format!("{helo:?}")),
        given.from
    );
    let mut accepted: Vec<String> = Vec::new();
    let mut first_settings: Option<DomainSettings> = None;
    let mut first_listed: Vec<Finding> = Vec::new();
    // Valid BATV tags of accepted recipients: they count after the final dot.
    let mut batv_at_rcpt: Vec<Finding> = Vec::new();
    for recipient in &given.rcpt {
        let _ = writeln!(out, "\nRCPT TO:<{recipient}>");
        // BATV first, as the session does: a valid tag stands for the untagged address.
        let (judged_as, batv) = installation.batv(config, given.from.is_empty(), recipient, at);
        if judged_as != *recipient {
            let _ = writeln!(out, "  a valid BATV tag of ours: judged as <{judged_as}>");
        }
        let recipient = &judged_as;
        let settings = installation.settings_for(config, Some(recipient));
        let envelope = envelope(given, accepted.clone());
        let filtered = config.is_none() || installation.filters(recipient);
        let recipient_checks = || match &given.helo {
            Some(_) => envelope_policy::check_rcpt(&envelope, recipient, &settings),
            None => envelope_policy::check_recipient(&envelope, recipient, &settings),
        };
        // As the session does: the relay check alone, else the envelope policy
        // with the lists, else (accepted) the disparate-settings comparison.
        let mut findings: Vec<Finding> = Vec::new();
        let mut listed = Vec::new();
        if let Some(finding) = relay::check(recipient, filtered) {
            findings.push(finding);
        } else if !settings.filtering {
            // Filtering off: only the recipient's own checks, as in the session.
            findings.extend(envelope_policy::check_recipient(&envelope, recipient, &settings));
        } else {
            findings.extend(recipient_checks());
            findings.extend(batv.clone());
            findings.extend(authentication.and_then(|authentication| sender_verification::check(&authentication.sender_domain, &settings)));
            // Without SPF (offline) no sender counts as authenticated.
            listed = sluice_gateway::lists::findings_at_rcpt(&installation.lists, &envelope, hostname, recipient, spf_pass);
            listed.extend(sluice_gateway::rules::findings_at_rcpt(&installation.rules, &envelope, hostname, recipient, spf_pass));
            findings.extend(listed.iter().cloned());
            if let Some(config) = config {
                findings.extend(sluice_gateway::dnslists::findings_at_rcpt(&config.dns_lists, &dns.client, settings.dnsbl_stage, &listed));
            }
        }
        let refused = !findings.is_empty() && !sluice_core::verdict::decide(&findings, &settings).reply.is_positive();
        if !refused && let Some(first) = &first_settings {
            let disparate = envelope_policy::check_disparate(first, &settings)
                .or_else(|| lists::check_disparate(&first_listed, &listed));
            findings.extend(disparate);
        }
        if findings.is_empty() {
            let _ = writeln!(out, "  no finding: 250 2.1.5 Recipient ok");
            first_settings.get_or_insert(settings);
            accepted.push(recipient.clone());
            continue;
        }
        let verdict = sluice_core::verdict::decide(&findings, &settings);
        for (index, finding) in findings.iter().enumerate() {
            let mark = if verdict.path.decided.is_some_and(|(_, decided)| decided == index) { " <- decided" } else { "" };
            let _ = writeln!(out, "  {}. {}{mark}", index + 1, describe(finding));
        }
        let _ = writeln!(out, "  verdict: {}", describe_verdict(&verdict));
        if verdict.reply.is_positive() {
            if settings.filtering {
                batv_at_rcpt.extend(batv.filter(|finding| finding.main == sluice_model::MainClass::NotSpam));
            }
            if first_settings.is_none() && verdict.action != sluice_model::Action::Discard {
                first_settings = Some(settings);
                first_listed = listed;
            }
            accepted.push(recipient.clone());
        }
    }
    if !given.rcpt.is_empty() && accepted.is_empty() {
        let _ = writeln!(out, "\nDATA: not reached (no recipient accepted)");
        return out;
    }
    let settings = first_settings.unwrap_or_else(|| installation.settings_for(config, given.rcpt.first().map(String::as_str)));
    let envelope = envelope(given, accepted);
    let scorers: [&dyn sluice_core::classify::Scorer; 1] = [&installation.learning];
    // The lists (header From), the rules and the sender authentication judge the
    // message as in the gateway.
    let no_facts = AuthFacts::default();
    let auth_facts = authentication.map_or(&no_facts, |authentication| &authentication.facts);
    let trusted = config.map(|config| config.auth.trusted_arc_sealers.clone()).unwrap_or_default();
    let auth_outcome = auth_facts.evaluate(&trusted);
    let lists_judge = sluice_core::checks::lists::ListsJudge {
        lists: &installation.lists,
        hostname,
        envelope_authenticated: spf_pass,
        from_authenticated: auth_outcome.dmarc.result == sluice_core::checks::dmarc::DmarcResult::Pass,
    };
    let rules_judge = sluice_core::checks::rules::RulesJudge { rules: &installation.rules, hostname, sender_spf_pass: spf_pass };
    let auth_judge = AuthJudge { facts: auth_facts, outcome: &auth_outcome, settings: &settings };
    let url_hash_judge = sluice_core::checks::url_hashes::UrlHashJudge { lists: &installation.url_hashes };
    let protected_domains = config.map(|config| config.phishing.protected_domains.as_slice()).unwrap_or_default();
    let phishing_judge = sluice_core::checks::phishing::PhishingJudge { protected_domains };
    let no_lists = sluice_core::checks::dnslists::DnsLists::default();
    let dns_judge = dns.judge(config.map_or(&no_lists, |config| &config.dns_lists), settings.dnsbl_stage);
    let batv_judge = sluice_core::checks::batv::BatvJudge(&batv_at_rcpt);
    let heuristics_judge = sluice_core::checks::heuristics::HeuristicsJudge { sets: &installation.heuristics };
    let patterns_judge = sluice_core::checks::patterns::PatternsJudge { sets: &installation.patterns, enabled: &settings.pattern_sets };
    let judges: [&dyn sluice_core::classify::Judge; 9] = [
        &batv_judge,
        &lists_judge,
        &rules_judge,
        &auth_judge,
        &dns_judge,
        &url_hash_judge,
        &phishing_judge,
        &patterns_judge,
        &heuristics_judge,
    ];
    let classification = sluice_core::classify::classify_explained(raw, &envelope, &settings, at, &scorers, &judges);
    let verdict = &classification.verdict;
    let _ = writeln!(out, "\nDATA (subject {:?})", classification.subject);
    if classification.findings.is_empty() {
        let _ = writeln!(out, "  no finding");
    }
    for (index, finding) in classification.findings.iter().enumerate() {
        let mark = if verdict.path.decided.is_some_and(|(_, decided)| decided == index) { " <- decided" } else { "" };
        let _ = writeln!(out, "  {}. {}{mark}", index + 1, describe(finding));
    }
    let _ = writeln!(out, "  decision: {}", path_in_words(verdict, &classification.findings));
    let _ = writeln!(out, "  verdict: {}", describe_verdict(verdict));
    // Every statistical classifier alone, cluster method 3 included: it has no
    // subclass (evidence in the combined score only), so no finding names it.
    let (scores, _) = classifier.score_raw(raw);
    let _ = writeln!(out, "  statistical classifiers: {}", describe_scores(&scores));
    out
}

/// Each statistical classifier's calibrated probability of spam, by name.
fn describe_scores(scores: &sluice_statistical::Scores) -> String {
    use sluice_model::Subclass;
    let mut parts = vec![
        format!("{} {:.4}", Subclass::StatisticalMethod1Global, scores.method1_global),
        format!("{} {:.4}", Subclass::StatisticalMethod2Global, scores.method2_global),
    ];
    match (scores.method1_cluster, scores.method2_cluster) {
        (Some(m1), Some(m2)) => {
            parts.push(format!("{} {m1:.4}", Subclass::StatisticalMethod1Cluster));
            parts.push(format!("{} {m2:.4}", Subclass::StatisticalMethod2Cluster));
            parts.push(match scores.ngram_cluster {
                Some(p) => format!("{} {p:.4} (evidence only)", sluice_statistical::NGRAM_CLASSIFIER),
                None => format!("{} not counted yet (its record of forecasts has not filled)", sluice_statistical::NGRAM_CLASSIFIER),
            });
            if !scores.cluster_counts() {
                parts.push("cluster: not counted for this message (it knows far less of it than the global model)".to_owned());
            }
        }
        _ => parts.push("cluster: not trusted yet".to_owned()),
    }
    // The statistical combination alone (the finding's score above may also hold
    // the heuristic sets' and the sender's reputation's evidence).
    parts.push(format!("{} {:.4}", Subclass::CombinedStatistical, scores.combined));
    parts.join(", ")
}

fn envelope(given: &Given, recipients: Vec<String>) -> Envelope {
    Envelope {
        client_ip: given.ip,
        helo: given.helo.clone().unwrap_or_default(),
        sender: given.from.clone(),
        recipients,
        smtputf8: false,
        authenticated_user: None,
    }
}

fn describe(finding: &Finding) -> String {
    let tier = sluice_core::verdict::precedence(finding.main, finding.sub);
    let score = finding.score.map(|score| format!(", score {score:.4}")).unwrap_or_default();
    format!(
        "{} / {} (check {}, reason {}, tier {tier}{score}): {}",
        finding.main, finding.sub, finding.check, finding.reason, finding.extra
    )
}

fn describe_verdict(verdict: &Verdict) -> String {
    format!("{} / {}, {}, \"{}\"", verdict.main, verdict.sub, verdict.action, verdict.reply)
}

fn path_in_words(verdict: &Verdict, findings: &[Finding]) -> String {
    let name = |index: usize| findings.get(index).map(|finding| format!("#{} {}", index + 1, finding.sub)).unwrap_or_default();
    match (verdict.path.decided, verdict.path.next) {
        (None, _) => "nothing was found: not-spam / combined".to_owned(),
        (Some((tier, index)), None) => format!("tier {tier} decided ({}); nothing else was found", name(index)),
        (Some((tier, index)), Some((next_tier, next))) => {
            format!("tier {tier} decided ({}); without it, tier {next_tier} would have ({})", name(index), name(next))
        }
    }
}

fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_times_are_read() {
        assert_eq!(ReferenceTime::parse("received"), Ok(ReferenceTime::Received));
        assert_eq!(ReferenceTime::parse("1183456800"), Ok(ReferenceTime::At(1_183_456_800)));
        assert_eq!(ReferenceTime::parse("2007-07-03T10:00:00Z"), Ok(ReferenceTime::At(1_183_456_800)));
        assert!(ReferenceTime::parse("yesterday").is_err());
    }
}
