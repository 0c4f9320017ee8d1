//! Gathering the facts of sender authentication: SPF at MAIL FROM with the
//! sender domain's MX and A/AAAA (for sender verification), and after the final
//! dot the DKIM signatures, the ARC chain and the From domain's DMARC records.
//!
//! SPF, DKIM and ARC are evaluated by `mail-auth` (pinned at 0.13.3, see
//! `DEPENDENCIES.md`) over its own hickory resolver built with the gateway's
//! `[dns]` settings ([`crate::dns::configured_resolver`]); the DMARC records and the
//! MX and address lookups go through the [`Resolver`] every other check uses.
//! Each evaluation runs through the stage's [`Gathering`] with its deadline, and
//! ends as a plain fact type of `sluice-core` (`checks::spf::SpfFacts`, ...):
//! the checks never see a `mail-auth` type. A panic inside `mail-auth` on
//! hostile input is caught and becomes a `temperror`/`neutral` fact.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use mail_auth::{AuthenticatedMessage, MessageAuthenticator, Parameters, RecordSet, ResolverCache, spf::verify::SpfParameters};
use sluice_core::checks::arc::{self, ArcChain, ArcFacts, ArcSeal};
use sluice_core::checks::dkim::{DkimFacts, DkimResult, DkimSignature};
use sluice_core::checks::dmarc::{self, Alignment, DmarcFacts};
use sluice_core::checks::sender_verification::SenderDomain;
use sluice_core::checks::spf::{SpfFacts, SpfIdentity, SpfResult};
use sluice_core::checks::authentication::AuthFacts;

use crate::{Gathering, LookupOutcome, MailExchangers, Resolver, futures_join_all};

/// Messages with more DKIM and ARC signature fields than this are not verified
/// at all (no signature counts, so DMARC cannot pass through DKIM): mail-auth
/// hashes the body once per distinct canonicalization and length of every
/// signature while parsing, which a hostile sender could multiply.
pub const MAX_SIGNATURE_FIELDS: usize = 24;

/// At most this many broken signatures aligned with the From domain have
/// their key record looked up (for the `phish / dkim` rule).
pub const MAX_KEY_LOOKUPS: usize = 4;

/// SPF, DKIM and ARC over `mail-auth`.
pub struct Authenticator {
    authenticator: MessageAuthenticator,
}

impl Authenticator {
    /// Asks `server` (or the system's resolvers), each query within `timeout`.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<Authenticator, hickory_resolver::net::NetError> {
        Ok(Authenticator { authenticator: MessageAuthenticator(crate::dns::configured_resolver(server, timeout)?) })
    }

    /// SPF for the envelope sender (`sender` empty: the null sender, whose HELO
    /// name is checked instead). `our_hostname` is what `%{r}` expands to.
    pub async fn spf(&self, gathering: &Gathering, ip: IpAddr, helo: &str, sender: &str, our_hostname: &str) -> SpfFacts {
        let helo = helo.trim_end_matches('.');
        let (identity, domain) = if sender.is_empty() {
            (SpfIdentity::Helo, helo.to_ascii_lowercase())
        } else {
            (SpfIdentity::MailFrom, sluice_core::envelope::domain_of(sender))
        };
        let what = match identity {
            SpfIdentity::MailFrom => format!("SPF mail-from {domain}"),
            SpfIdentity::Helo => format!("SPF helo {domain}"),
        };
        let evaluation = async {
            let parameters = || match identity {
                SpfIdentity::MailFrom => SpfParameters::verify_mail_from(ip, helo, our_hostname, sender),
                SpfIdentity::Helo => SpfParameters::verify_ehlo(ip, helo, our_hostname),
            };
            // mail-auth compares PTR names with their trailing dot; the second
            // pass reads them from `names` without it (see `PtrNames`).
            let names = PtrNames::default();
            let mut output = None;
            for _pass in 0..2 {
                let evaluation = self.authenticator.verify_spf(Parameters::new(parameters()).with_ptr_cache(&names));
                output = catch_panic(evaluation).await;
                let settled = output.as_ref().is_none_or(|output| output.result() == mail_auth::SpfResult::Pass);
                if settled || !names.looked_up() {
                    break;
                }
            }
            match output {
                Some(output) => LookupOutcome::Answer((spf_result(output.result()), output.explanation().map(str::to_owned))),
                None => LookupOutcome::Failed("SPF evaluation panicked".to_owned()),
            }
        };
        let outcome = gathering.run_described(what, evaluation, |(result, _)| result.as_str()).await;
        let (result, explanation) = match outcome {
            LookupOutcome::Answer(answer) => answer,
            // The domain's DNS did not answer in time: the sender may retry.
            LookupOutcome::NotFound | LookupOutcome::TimedOut | LookupOutcome::Failed(_) => (SpfResult::TempError, None),
        };
        SpfFacts { identity, domain, result, explanation }
    }

    /// DKIM, ARC and the DMARC records of a message (`raw`, as received, CRLF
    /// line ends), concurrently.
    pub async fn message(&self, gathering: &Gathering, resolver: &dyn Resolver, raw: &[u8], spf: Option<SpfFacts>) -> AuthFacts {
        let signature_fields = signature_fields(raw);
        if signature_fields > MAX_SIGNATURE_FIELDS {
            let note = gathering.run_described(format!("DKIM/ARC: {signature_fields} signature fields"), async { LookupOutcome::Answer(()) }, |_| "skipped");
            note.await;
            let dmarc = dmarc_records(gathering, resolver, &single_from_domain(&header_froms(raw)), raw).await;
            return AuthFacts { spf, dmarc, ..AuthFacts::default() };
        }
        let parsed = std::panic::catch_unwind(|| AuthenticatedMessage::parse(raw)).ok().flatten();
        let Some(message) = parsed else {
            // Not a message mail-auth can read (no header at all): nothing is signed.
            return AuthFacts { spf, ..AuthFacts::default() };
        };
        let from_domain = single_from_domain(message.froms());
        let dkim = async {
            let outcome = gathering
                .run_described(
                    "DKIM signatures",
                    async {
                        match catch_panic(self.authenticator.verify_dkim(&message)).await {
                            Some(outputs) => LookupOutcome::Answer(dkim_signatures(&outputs)),
                            None => LookupOutcome::Failed("DKIM verification panicked".to_owned()),
                        }
                    },
                    |signatures: &Vec<DkimSignature>| if signatures.is_empty() { "none" } else { "verified" },
                )
                .await;
            let mut signatures = outcome.answer().cloned().unwrap_or_default();
            published_keys(gathering, resolver, &from_domain, &mut signatures).await;
            DkimFacts { signatures }
        };
        let arc = async {
            let outcome = gathering
                .run_described(
                    "ARC chain",
                    async {
                        match catch_panic(self.authenticator.verify_arc(&message)).await {
                            Some(output) => LookupOutcome::Answer(arc_facts(&output)),
                            None => LookupOutcome::Failed("ARC validation panicked".to_owned()),
                        }
                    },
                    |facts: &ArcFacts| facts.chain.as_str(),
                )
                .await;
            match outcome {
                LookupOutcome::Answer(facts) => facts,
                other => ArcFacts { chain: ArcChain::Fail, seals: Vec::new(), why: format!("ARC validation {}", other.describe()) },
            }
        };
        let dmarc = dmarc_records(gathering, resolver, &from_domain, raw);
        let (dkim, arc, dmarc) = tokio::join!(dkim, arc, dmarc);
        AuthFacts { spf, dkim, arc, dmarc }
    }
}

/// The MX and A/AAAA lookups of the envelope sender's domain, concurrently.
pub async fn sender_domain(gathering: &Gathering, resolver: &dyn Resolver, sender: &str) -> SenderDomain {
    let domain = sluice_core::envelope::domain_of(sender);
    if domain.is_empty() {
        return SenderDomain { domain, mx: LookupOutcome::NotFound, addresses: LookupOutcome::NotFound };
    }
    let (mx, addresses) = tokio::join!(
        gathering.run(format!("MX {domain}"), resolver.mx(&domain)),
        gathering.run(format!("A/AAAA {domain}"), resolver.ips(&domain)),
    );
    SenderDomain {
        mx: mx.map(|exchangers| match exchangers {
            MailExchangers::Hosts(hosts) => hosts.len(),
            MailExchangers::Implicit => 0,
        }),
        addresses: addresses.map(|ips| ips.len()),
        domain,
    }
}

/// The header block of `raw` (up to the first empty line).
fn header_block(raw: &[u8]) -> &[u8] {
    raw.windows(4).position(|window| window == b"\r\n\r\n").map_or(raw, |end| &raw[..end + 2])
}

/// How many DKIM-Signature, ARC-Seal and ARC-Message-Signature fields the header has.
fn signature_fields(raw: &[u8]) -> usize {
    let names: [&[u8]; 3] = [b"dkim-signature:", b"arc-seal:", b"arc-message-signature:"];
    header_block(raw)
        .split(|&byte| byte == b'\n')
        .filter(|line| names.iter().any(|name| line.len() >= name.len() && line[..name.len()].eq_ignore_ascii_case(name)))
        .count()
}

/// The addresses of the From fields, read without mail-auth (for a message it
/// does not verify): every `local@domain` token of every From line.
fn header_froms(raw: &[u8]) -> Vec<String> {
    let header = String::from_utf8_lossy(header_block(raw)).replace("\r\n\t", " ").replace("\r\n ", " ");
    header
        .lines()
        .filter(|line| line.len() >= 5 && line[..5].eq_ignore_ascii_case("from:"))
        .flat_map(|line| {
            line[5..]
                .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ',' | '"'))
                .filter(|token| token.contains('@'))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The From domain DMARC is about: the domain of every From address when they
/// share one; empty otherwise (no From, or several domains: DMARC does not
/// apply, RFC 7489 6.6.1).
fn single_from_domain(froms: &[String]) -> String {
    let mut domains = froms.iter().map(|from| sluice_core::envelope::domain_of(from));
    let Some(first) = domains.next() else {
        return String::new();
    };
    if first.is_empty() || domains.any(|other| other != first) {
        return String::new();
    }
    first
}

/// `_dmarc.<from>`, then `_dmarc.<organisational domain>` when the first holds
/// no DMARC record.
async fn dmarc_records(gathering: &Gathering, resolver: &dyn Resolver, from_domain: &str, raw: &[u8]) -> DmarcFacts {
    let sample = pct_sample(raw);
    if from_domain.is_empty() {
        return DmarcFacts { sample, ..DmarcFacts::default() };
    }
    let name = format!("_dmarc.{from_domain}");
    let at_from = gathering.run(format!("TXT {name}"), resolver.txt(&name)).await;
    let has_record = |outcome: &LookupOutcome<Vec<String>>| {
        outcome.answer().is_some_and(|records| records.iter().any(|record| record.trim_start().starts_with("v=DMARC1")))
    };
    let organisational = dmarc::organisational_domain(from_domain);
    let at_organisational = if !has_record(&at_from) && !at_from.is_unavailable() && organisational != from_domain {
        let name = format!("_dmarc.{organisational}");
        Some(gathering.run(format!("TXT {name}"), resolver.txt(&name)).await)
    } else {
        None
    };
    DmarcFacts { from_domain: from_domain.to_owned(), at_from, at_organisational, sample }
}

/// A number in 0..100 derived from the message's header as the client sent it
/// (FNV-1a), for DMARC's `pct`: the same message always falls on the same side of
/// the sample, on every node and every retry.
fn pct_sample(raw: &[u8]) -> u8 {
    let hash = header_block(raw).iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3));
    (hash % 100) as u8
}

/// For each broken signature aligned with the From domain, whether its key
/// record exists and holds a key (`p=` not empty).
async fn published_keys(gathering: &Gathering, resolver: &dyn Resolver, from_domain: &str, signatures: &mut [DkimSignature]) {
    let broken: Vec<usize> = signatures
        .iter()
        .enumerate()
        .filter(|(_, signature)| {
            let broken = signature.result == DkimResult::Fail || (signature.result == DkimResult::Neutral && signature.body_changed);
            broken && signature.key_published.is_none() && dmarc::aligned(&signature.domain, from_domain, Alignment::Relaxed)
        })
        .map(|(index, _)| index)
        .take(MAX_KEY_LOOKUPS)
        .collect();
    let names: Vec<String> =
        broken.iter().map(|&index| format!("{}._domainkey.{}", signatures[index].selector, signatures[index].domain)).collect();
    let lookups = names.iter().map(|name| gathering.run(format!("TXT {name}"), resolver.txt(name)));
    let answers = futures_join_all(lookups).await;
    for (index, outcome) in broken.into_iter().zip(answers) {
        signatures[index].key_published = match outcome {
            LookupOutcome::Answer(records) => Some(records.iter().any(|record| holds_a_key(record))),
            LookupOutcome::NotFound => Some(false),
            LookupOutcome::TimedOut | LookupOutcome::Failed(_) => None,
        };
    }
}

/// Whether a DKIM key record has a non-empty `p=` tag (an empty one revokes).
fn holds_a_key(record: &str) -> bool {
    record.split(';').filter_map(|tag| tag.split_once('=')).any(|(name, value)| name.trim() == "p" && !value.trim().is_empty())
}

fn spf_result(result: mail_auth::SpfResult) -> SpfResult {
    match result {
        mail_auth::SpfResult::Pass => SpfResult::Pass,
        mail_auth::SpfResult::Fail => SpfResult::Fail,
        mail_auth::SpfResult::SoftFail => SpfResult::SoftFail,
        mail_auth::SpfResult::Neutral => SpfResult::Neutral,
        mail_auth::SpfResult::TempError => SpfResult::TempError,
        mail_auth::SpfResult::PermError => SpfResult::PermError,
        mail_auth::SpfResult::None => SpfResult::None,
    }
}

/// A DKIM or ARC result as a fact, with why it did not pass.
fn dkim_result(result: &mail_auth::DkimResult) -> (DkimResult, bool, String) {
    use mail_auth::DkimResult as R;
    let body_changed = |error: &mail_auth::Error| {
        matches!(
            error,
            mail_auth::Error::Dkim(mail_auth::dkim::DkimError::FailedBodyHashMatch)
                | mail_auth::Error::Arc(mail_auth::arc::ArcError::FailedBodyHashMatch)
        )
    };
    match result {
        R::Pass => (DkimResult::Pass, false, String::new()),
        R::Fail(error) => (DkimResult::Fail, body_changed(error), error.to_string()),
        R::Neutral(error) => (DkimResult::Neutral, body_changed(error), error.to_string()),
        R::TempError(error) => (DkimResult::TempError, false, error.to_string()),
        R::PermError(error) => (DkimResult::PermError, false, error.to_string()),
        R::None => (DkimResult::PermError, false, "no result".to_owned()),
    }
}

fn dkim_signatures(outputs: &[mail_auth::DkimOutput<'_>]) -> Vec<DkimSignature> {
    outputs
        .iter()
        .filter_map(|output| {
            // A signature header too malformed to name its domain counts for nothing.
            let signature = output.signature()?;
            let (result, body_changed, why) = dkim_result(output.result());
            Some(DkimSignature {
                domain: signature.d.trim_end_matches('.').to_ascii_lowercase(),
                selector: signature.s.clone(),
                result,
                body_changed,
                // A `fail` is decided after the key was fetched and read.
                key_published: (result == DkimResult::Fail || result == DkimResult::Pass).then_some(true),
                why,
            })
        })
        .collect()
}

fn arc_facts(output: &mail_auth::ArcOutput<'_>) -> ArcFacts {
    let (chain, why) = match output.result() {
        mail_auth::DkimResult::None => (ArcChain::None, String::new()),
        mail_auth::DkimResult::Pass => (ArcChain::Pass, String::new()),
        other => (ArcChain::Fail, dkim_result(other).2),
    };
    let seals = output
        .sets()
        .iter()
        .map(|set| ArcSeal {
            instance: set.seal.header.i,
            sealer: set.seal.header.d.trim_end_matches('.').to_ascii_lowercase(),
            reported_dmarc_pass: arc::reports_dmarc_pass(&String::from_utf8_lossy(set.results.value)),
        })
        .collect();
    ArcFacts { chain, seals, why }
}

/// The PTR names of the client, as mail-auth caches them for one SPF
/// evaluation, with the trailing dot removed. mail-auth 0.13.3 compares a PTR
/// name as the resolver returns it (`host.example.org.`) with the domain, so a
/// PTR name equal to the domain never matches `ptr`; its own tests feed names
/// without the dot through this cache. When an evaluation looked a PTR up and
/// did not pass, it is run once more, reading the names from here.
#[derive(Default)]
struct PtrNames {
    names: std::sync::Mutex<Vec<(IpAddr, RecordSet<Box<str>>)>>,
}

impl PtrNames {
    fn looked_up(&self) -> bool {
        !self.names.lock().unwrap_or_else(std::sync::PoisonError::into_inner).is_empty()
    }
}

impl ResolverCache<IpAddr, RecordSet<Box<str>>> for PtrNames {
    fn get<Q>(&self, name: &Q) -> Option<RecordSet<Box<str>>>
    where
        IpAddr: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        use std::borrow::Borrow;
        let names = self.names.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        names.iter().find(|(ip, _)| Borrow::<Q>::borrow(ip) == name).map(|(_, set)| set.clone())
    }

    fn remove<Q>(&self, name: &Q) -> Option<RecordSet<Box<str>>>
    where
        IpAddr: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        use std::borrow::Borrow;
        let mut names = self.names.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let position = names.iter().position(|(ip, _)| Borrow::<Q>::borrow(ip) == name)?;
        Some(names.remove(position).1)
    }

    fn insert(&self, key: IpAddr, value: RecordSet<Box<str>>, _valid_until: std::time::Instant) {
        let rrset = value.rrset.iter().map(|name| Box::from(name.trim_end_matches('.'))).collect();
        let mut names = self.names.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        names.retain(|(ip, _)| *ip != key);
        names.push((key, RecordSet { rrset, dnssec_status: value.dnssec_status }));
    }
}

/// Polls a future, turning a panic into `None` (hostile input must not take the
/// session down; `mail-auth` is third-party code). Boxed, so it is `Unpin`
/// without any `unsafe` projection.
struct CatchPanic<F>(Pin<Box<F>>);

fn catch_panic<F: Future>(future: F) -> CatchPanic<F> {
    CatchPanic(Box::pin(future))
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.get_mut().0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(context))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Some(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_fields_and_from_addresses_are_read_from_the_header_only() {
        let raw = b"DKIM-Signature: a\r\narc-seal: b\r\nFrom: \"A, B\" <a@Bank.example>,\r\n\tc@bank.example\r\nSubject: x\r\n\r\nDKIM-Signature: body\r\nFrom: z@evil.example\r\n";
        assert_eq!(signature_fields(raw), 2);
        assert_eq!(header_froms(raw), ["a@Bank.example", "c@bank.example"]);
        assert_eq!(single_from_domain(&header_froms(raw)), "bank.example");
        assert_eq!(single_from_domain(&["a@one.example".to_owned(), "b@two.example".to_owned()]), "");
        assert_eq!(pct_sample(raw), pct_sample(b"DKIM-Signature: a\r\narc-seal: b\r\nFrom: \"A, B\" <a@Bank.example>,\r\n\tc@bank.example\r\nSubject: x\r\n\r\nanother body"));
        assert!(holds_a_key("v=DKIM1; k=rsa; p=MIGf") && !holds_a_key("v=DKIM1; p=") && !holds_a_key("v=DKIM1"));
    }
}
