//! The one place that turns findings into a verdict.
//!
//! Two tables live here, both taken from the specification (`docs/classes.md`
//! describes them; `tests/docs.rs` keeps it true):
//! - [`precedence`]: which finding decides when several apply (the spec's
//!   "first that applies decides" list);
//! - [`disposition`]: for the deciding class, what happens to the message and the
//!   reply the sending server gets.
//!
//! Both are exhaustive matches: a new subclass has to be placed in them before the
//! crate compiles again.

use sluice_model::{Action, DecisionPath, ErrorClass, Finding, MainClass, Reason, SmtpReply, Subclass};

use crate::settings::DomainSettings;

/// Where a class stands in the precedence list.
pub fn precedence(main: MainClass, sub: Subclass) -> Precedence {
    use Subclass::*;
    match main {
        MainClass::Error => return Precedence::Error,
        MainClass::Virus => return Precedence::Virus,
        MainClass::AllowList => return Precedence::AllowList,
        MainClass::BlockList => return Precedence::BlockList,
        // A DNS allow list is an allow list (spec: accepted, the content checks
        // skipped except virus and DMARC).
        MainClass::NotSpam if sub == Subclass::Dnswl => return Precedence::AllowList,
        MainClass::Unsure | MainClass::NotSpam => return Precedence::Scored,
        MainClass::Spam | MainClass::Phish | MainClass::Unknown => {}
    }
    match sub {
        DmarcReject | DmarcQuarantine => Precedence::Dmarc,
        InvalidDomain | InvalidRecipient | DictionaryAttack | DnsblRcpt | Ratelimited | Disabled
        | ConnectionLost | DisparateSettings | RecipientVerification | SenderVerification => Precedence::Protocol,
        BadlyFormed | MessagePartial => Precedence::Structural,
        MatchSet1 | MatchSet2 | ContactBox | ContactBoxInternal | Dnsbl | Urlbl | Gtube | Stube | Batv
        | Pattern | PatternRemote | Spf | Dkim => Precedence::DecisiveContent,
        StatisticalMethod1Cluster | StatisticalMethod2Cluster | StatisticalMethod1Global
        | StatisticalMethod2Global | SenderReputation | CombinedStatistical | HeuristicSet1 | HeuristicSet2
        | Heuristic | Combined => Precedence::Scored,
        // Subclasses of other main classes, should a check pair them wrongly.
        Dnswl | PatternSet1 | PatternSet1Remote | PatternSet2 | AntivirusUnavailable | DatabaseUnavailable
        | Memory | DatabaseCrash | Unknown | VerificationFail | VerificationCrash | RuleHeader | RuleBody
        | RuleAttachmentType | RuleAttachmentName | RuleDecoded | RuleHelo | RuleRcptTo | RuleSAddr
        | RuleSAddrSpf | RuleSIp | RuleSHostname | RuleUrl | Recipient | Sender | Oversize | LocalCharacters
        | FilenameExtension | PasswordProtectedAttachment | Ehlo | Ip | RecipientsCount => {
            Precedence::DecisiveContent
        }
    }
}

/// The action and reply for a finding: a [`Reason`] other than `Class` has a reply
/// of its own (the spec's text for that particular check); otherwise the class
/// decides. Every match below is exhaustive, without a catch-all arm: a new class
/// or reason does not compile until it has its row here.
pub fn disposition(main: MainClass, sub: Subclass, reason: Reason) -> (Action, SmtpReply) {
    reason_disposition(reason).unwrap_or_else(|| class_disposition(main, sub))
}

fn reply(code: u16, enhanced: [u16; 3], text: &str) -> SmtpReply {
    SmtpReply::new(code, enhanced, text)
}

fn quarantine(text: &str) -> (Action, SmtpReply) {
    (Action::Quarantine, reply(550, [5, 7, 1], text))
}

fn reject(enhanced: [u16; 3], text: &str) -> (Action, SmtpReply) {
    (Action::Reject, reply(550, enhanced, text))
}

fn temp_reject(code: u16, enhanced: [u16; 3], text: &str) -> (Action, SmtpReply) {
    (Action::TempReject, reply(code, enhanced, text))
}

fn accept() -> (Action, SmtpReply) {
    (Action::Deliver, reply(250, [2, 0, 0], "Message accepted for delivery"))
}

const LOOKED_LIKE_SPAM: &str = "The content of this message looked like spam.";

/// A flood of messages (or of bounces) at one recipient (`checks::inbound_rate`).
const TOO_MANY_FOR_RECIPIENT: &str = "Too many messages for this recipient, please try again later";

/// A bounce to one of our addresses without a valid BATV tag.
const BATV_REFUSAL: &str = "Bounce to an address that sent no mail (BATV)";

/// The replies of particular checks (texts from the spec where it gives one).
fn reason_disposition(reason: Reason) -> Option<(Action, SmtpReply)> {
    let badly_formed = |text: &str| reject([5, 6, 0], text);
    Some(match reason {
        Reason::Class => return None,
        Reason::LineTooLong => badly_formed("Lines in message were longer than user maximum"),
        Reason::HeaderTooLong => badly_formed("Header is too long"),
        Reason::HeaderCount => reject([5, 7, 1], "Bad header count"),
        Reason::SubjectCharacters => badly_formed("Subject contains invalid characters."),
        Reason::MalformedStructure => badly_formed("Message is badly formed"),
        Reason::TooManyParts => badly_formed("Message had more parts than the user maximum"),
        Reason::NestedTooDeep => badly_formed("Message parts are nested deeper than the user maximum"),
        // The spec keeps a copy of Date refusals although badly formed mail is
        // otherwise refused without one: a wrong clock is the sender's mistake,
        // not proof of spam, and the admin may want to release the message.
        Reason::DateOutOfRange => quarantine("Date header is too far in the past or future"),
        Reason::DateMissing => quarantine("Date header is missing or badly formed"),
        Reason::UninspectableArchive => {
            (Action::Quarantine, reply(550, [5, 6, 0], "Attachment holds an archive that cannot be inspected"))
        }
        Reason::InvalidGreeting => reject([5, 7, 1], "Sending server used an invalid greeting"),
        Reason::RecipientNotConfigured => reject([5, 1, 1], "Destination address is not configured."),
        Reason::ConnectionLimit => temp_reject(421, [4, 7, 0], "Too many concurrent SMTP connections"),
        Reason::ConnectionRateMinute => temp_reject(421, [4, 7, 0], "Per-minute connection limit exceeded"),
        Reason::ConnectionRateHour => temp_reject(421, [4, 7, 0], "Too many connections"),
        Reason::EarlyTalker => (Action::Reject, reply(554, [5, 5, 1], "Protocol error: talking before the greeting")),
        Reason::TooManyInvalidRecipients => temp_reject(451, [4, 7, 1], "Too many invalid recipients, please try again later"),
        Reason::DestinationUnverifiable => temp_reject(451, [4, 4, 0], "Unable to verify destination address"),
        Reason::Greylisted => temp_reject(451, [4, 7, 1], "Greylisted, please try again later"),
        // Temporary, never 5xx: a burst of real mail is slowed, not lost.
        Reason::InboundRate | Reason::BounceRate => temp_reject(451, [4, 7, 1], TOO_MANY_FOR_RECIPIENT),
        Reason::MemoryExhausted => temp_reject(451, [4, 3, 1], "Insufficient system resources, please try again later"),
        // Not reached or failed mid-transaction: the same to the sender, who retries.
        Reason::StoreUnavailable | Reason::StoreCrashed => {
            temp_reject(451, [4, 3, 0], "Temporary storage failure, please try again later")
        }
        // Backscatter: no copy, the bounce of a message we never sent is of no use.
        Reason::BatvInvalid => reject([5, 7, 1], BATV_REFUSAL),
    })
}

/// The action and reply of a class when no particular reason applies.
fn class_disposition(main: MainClass, sub: Subclass) -> (Action, SmtpReply) {
    match main {
        MainClass::Error => temp_reject(451, [4, 3, 0], "Internal error while filtering, please try again later"),
        MainClass::Virus => quarantine("Message contains a virus"),
        MainClass::NotSpam | MainClass::AllowList | MainClass::Unsure => accept(),
        MainClass::Spam | MainClass::Phish | MainClass::BlockList | MainClass::Unknown => subclass_disposition(main, sub),
    }
}

/// The generic refusal of a main class, for its subclasses without a reply of their
/// own (and for a subclass paired with a main class the taxonomy does not list).
fn main_class_default(main: MainClass) -> (Action, SmtpReply) {
    match main {
        MainClass::Spam => quarantine(LOOKED_LIKE_SPAM),
        MainClass::Phish => quarantine("Phishing attempt detected"),
        MainClass::BlockList => reject([5, 7, 1], "Message blocked by policy"),
        MainClass::Unknown | MainClass::Error => {
            temp_reject(451, [4, 3, 0], "Internal error, please try again later")
        }
        MainClass::Virus => quarantine("Message contains a virus"),
        MainClass::NotSpam | MainClass::AllowList | MainClass::Unsure => accept(),
    }
}

fn subclass_disposition(main: MainClass, sub: Subclass) -> (Action, SmtpReply) {
    use Subclass::*;
    match sub {
        // phish
        DmarcReject => reject([5, 7, 1], "Rejected by the sender domain's DMARC policy"),
        DmarcQuarantine => quarantine("Quarantined by the sender domain's DMARC policy"),
        Spf => (Action::Quarantine, reply(550, [5, 7, 23], "SPF validation failed")),
        Dkim => quarantine("DKIM signature verification failed"),
        // block-list
        Recipient => (Action::Discard, reply(250, [2, 0, 0], "Message accepted for delivery")),
        Sender => reject([5, 7, 1], "We do not accept mail from this address"),
        Ip => reject([5, 7, 1], "Blacklisted sending server"),
        Ehlo => reject([5, 7, 1], "Sending server used an invalid greeting"),
        LocalCharacters => reject([5, 1, 3], "restricted characters in address"),
        RecipientsCount => reject([5, 5, 3], "Legitimate bounces are never sent to more than one recipient."),
        Oversize => (Action::Reject, reply(552, [5, 3, 4], "Message size exceeds the maximum allowed")),
        // Content-based block-list hits keep a copy: the admin may want to look
        // at (and release) what a rule or an attachment policy stopped.
        RuleHeader | RuleBody | RuleAttachmentType | RuleAttachmentName | RuleDecoded | RuleUrl | FilenameExtension
        | PasswordProtectedAttachment => quarantine("Message blocked by policy"),
        RuleHelo | RuleRcptTo | RuleSAddr | RuleSAddrSpf | RuleSIp | RuleSHostname => main_class_default(main),
        // Rate limits: per connection (unknown), per recipient (spam: a mail
        // bomb or a bounce storm) or per sender (block-list).
        Ratelimited => match main {
            MainClass::BlockList => {
                temp_reject(451, [4, 7, 1], "Too many messages. Please wait for a while and try again.")
            }
            MainClass::Spam => temp_reject(451, [4, 7, 1], TOO_MANY_FOR_RECIPIENT),
            MainClass::Unknown => temp_reject(421, [4, 7, 0], "Too many connections"),
            MainClass::Phish
            | MainClass::Virus
            | MainClass::Error
            | MainClass::NotSpam
            | MainClass::AllowList
            | MainClass::Unsure => main_class_default(main),
        },
        // unknown
        MessagePartial => reject([5, 7, 1], "We do not accept message/partial messages here"),
        DisparateSettings => temp_reject(
            451,
            [4, 3, 0],
            "Mail for this domain cannot be accepted right now; please retry (Unable to handle in active connection)",
        ),
        RecipientVerification => reject([5, 1, 1], "Destination address does not exist"),
        SenderVerification => reject([5, 1, 8], "Sending server is missing DNS records"),
        ConnectionLost => temp_reject(451, [4, 4, 2], "Connection lost"),
        Disabled => accept(),
        // spam
        InvalidDomain => reject([5, 7, 1], "Relay not permitted!"),
        InvalidRecipient => reject([5, 1, 1], "Destination address is not configured."),
        DictionaryAttack => reject([5, 7, 1], "Sending server attempted too many invalid addresses"),
        DnsblRcpt => reject([5, 7, 1], "Sending server is listed on multiple DNS block lists"),
        BadlyFormed => reject([5, 6, 0], "Message is badly formed"),
        Combined => quarantine("High probability of spam"),
        Gtube => quarantine("The content of this message looked like spam (GTUBE test string)."),
        Stube => quarantine("The content of this message looked like spam (STUBE test string)."),
        Dnsbl => quarantine("Sending server is listed on multiple DNS block lists"),
        Urlbl => quarantine("Message contains a URL listed on a URL block list"),
        // Judged at RCPT: a bounce nobody asked for, no copy (reason `batv-invalid` too).
        Batv => reject([5, 7, 1], BATV_REFUSAL),
        MatchSet1 | MatchSet2 | ContactBox | ContactBoxInternal | StatisticalMethod1Cluster
        | StatisticalMethod2Cluster | StatisticalMethod1Global | StatisticalMethod2Global | SenderReputation
        | CombinedStatistical | HeuristicSet1 | HeuristicSet2 | Heuristic | Pattern | PatternRemote => {
            main_class_default(main)
        }
        // Subclasses of main classes handled before this function (not-spam,
        // virus, error), should a check pair them with another main class.
        Dnswl | PatternSet1 | PatternSet1Remote | PatternSet2 | AntivirusUnavailable | DatabaseUnavailable
        | Memory | DatabaseCrash | Unknown | VerificationFail | VerificationCrash => main_class_default(main),
    }
}

/// A scored finding with its classes set by the recipient's thresholds; any other
/// finding as it is. For the statistical classifiers, in order:
///
/// 1. **One classifier decides alone** far out in its tail: spam when its
///    probability is at least `decisive_confidence` (and at least
///    `quarantine_threshold`) and no other classifier is below 0.5; not-spam when
///    it is at most `1 - decisive_confidence` (and at most `unsure_threshold`) and
///    no other classifier is at or above 0.5. The most extreme such classifier
///    names the subclass (`statistical-method{1,2}-{global,cluster}`).
/// 2. Otherwise **the combined probability** decides: `spam`/`combined-statistical`
///    at or above `quarantine_threshold`, but only when at least one classifier
///    alone is at or above `unsure_threshold` (else `unsure`/`combined`: on mail the
///    shipped model never saw, its stacker can add up to a refusal what neither
///    method leans to); `unsure`/`combined` at or above `unsure_threshold`;
///    `not-spam`/`combined-statistical` below.
///
/// With the recipient's `combined_score` on, step 2 judges the combined score
/// instead (`crate::combined::probability`: the statistical combination with the
/// heuristic and reputation evidence in [`sluice_model::Scored::features`]), as
/// `spam` / `not-spam` / `unsure` `combined`; positive heuristic or reputation
/// evidence counts as leaning to spam.
///
/// Extra and score are the deciding probability (`0.9731`).
pub fn settle(finding: &Finding, settings: &DomainSettings) -> Finding {
    let Some(scored) = &finding.scored else {
        return finding.clone();
    };
    let candidates = &scored.classifiers;
    let spam_bar = scored.decisive_confidence.max(settings.quarantine_threshold);
    let ham_bar = (1.0 - scored.decisive_confidence).min(settings.unsure_threshold);
    let decisive = candidates
        .iter()
        .filter(|(_, p)| {
            let spam = *p >= spam_bar && candidates.iter().all(|(_, other)| *other >= 0.5);
            let ham = *p <= ham_bar && candidates.iter().all(|(_, other)| *other < 0.5);
            spam || ham
        })
        .max_by(|(_, a), (_, b)| (a - 0.5).abs().total_cmp(&(b - 0.5).abs()).then(std::cmp::Ordering::Greater));
    let some_classifier_leans_to_spam = candidates.iter().any(|(_, p)| *p >= settings.unsure_threshold);
    let (main, sub, probability) = match decisive {
        Some(&(sub, p)) => (if p >= 0.5 { MainClass::Spam } else { MainClass::NotSpam }, sub, p),
        None if settings.combined_score => {
            // The heuristic and reputation evidence lean on their own.
            let leans = some_classifier_leans_to_spam || scored.features.iter().any(|(_, value)| *value > 0.0);
            let p = crate::combined::probability(scored);
            if p >= settings.quarantine_threshold && leans {
                (MainClass::Spam, Subclass::Combined, p)
            } else if p >= settings.unsure_threshold {
                (MainClass::Unsure, Subclass::Combined, p)
            } else {
                (MainClass::NotSpam, Subclass::Combined, p)
            }
        }
        None => {
            let p = scored.combined;
            if p >= settings.quarantine_threshold && some_classifier_leans_to_spam {
                (MainClass::Spam, Subclass::CombinedStatistical, p)
            } else if p >= settings.unsure_threshold {
                (MainClass::Unsure, Subclass::Combined, p)
            } else {
                (MainClass::NotSpam, Subclass::CombinedStatistical, p)
            }
        }
    };
    Finding {
        main,
        sub,
        extra: format!("{probability:.4}"),
        score: Some(probability),
        scored: None,
        ..finding.clone()
    }
}

/// Turns the findings about one message into its verdict: scored findings are
/// settled with the thresholds of `settings` ([`settle`]), then the finding with
/// the earliest precedence decides (the first pushed among equals); no finding at
/// all means `not-spam` / `combined`. `settings` are the recipient's settings in
/// force: an `unsure` verdict is held in the quarantine (still with 250) when they
/// say so.
pub fn decide(findings: &[Finding], settings: &DomainSettings) -> Verdict {
    // Scored findings get their classes from the thresholds first.
    let settled: Vec<Finding>;
    let findings = if findings.iter().any(|finding| finding.scored.is_some()) {
        settled = findings.iter().map(|finding| settle(finding, settings)).collect();
        &settled[..]
    } else {
        findings
    };
    // Evidence for the combined score never decides by itself.
    let mut order: Vec<(Precedence, usize)> = findings
        .iter()
        .enumerate()
        .filter(|(_, finding)| finding.evidence.is_none())
        .map(|(index, finding)| (precedence(finding.main, finding.sub), index))
        .collect();
    order.sort();
    let path = DecisionPath {
        decided: order.first().map(|&(tier, index)| (tier, index)),
        next: order.get(1).map(|&(tier, index)| (tier, index)),
    };
    let Some(finding) = path.decided.map(|(_, index)| &findings[index]) else {
        let (action, reply) = disposition(MainClass::NotSpam, Subclass::Combined, Reason::Class);
        return Verdict {
            main: MainClass::NotSpam,
            sub: Subclass::Combined,
            reason: Reason::Class,
            error: None,
            extra: String::new(),
            score: None,
            action,
            reply,
            decided_by: "",
            path,
        };
    };
    let (mut action, reply) = disposition(finding.main, finding.sub, finding.reason);
    if finding.main == MainClass::Unsure && settings.quarantine_unsure {
        // Held, not refused: the sender was not wrong to send it.
        action = Action::Quarantine;
    }
    let error = finding.error.or(if finding.main == MainClass::Error {
        Some(error_class_of(finding.sub))
    } else {
        None
    });
    Verdict {
        main: finding.main,
        sub: finding.sub,
        reason: finding.reason,
        error,
        extra: finding.extra.clone(),
        score: finding.score.or_else(|| findings.iter().find_map(|other| other.score)),
        action,
        reply,
        decided_by: finding.check,
        path,
    }
}

/// The error class that matches an `error` subclass.
fn error_class_of(sub: Subclass) -> ErrorClass {
    match sub {
        Subclass::AntivirusUnavailable => ErrorClass::AntivirusUnavailable,
        Subclass::DatabaseUnavailable => ErrorClass::DatabaseUnavailable,
        Subclass::DatabaseCrash => ErrorClass::DatabaseCrash,
        Subclass::Memory => ErrorClass::Memory,
        Subclass::VerificationFail => ErrorClass::VerificationFail,
        Subclass::VerificationCrash => ErrorClass::VerificationCrash,
        _ => ErrorClass::Unknown,
    }
}

pub use sluice_model::{Precedence, Verdict};

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(main: MainClass, sub: Subclass) -> Finding {
        Finding::new("test", main, sub, "evidence")
    }

    #[test]
    fn nothing_found_is_delivered_as_not_spam() {
        let verdict = decide(&[], &DomainSettings::default());
        assert_eq!((verdict.main, verdict.sub), (MainClass::NotSpam, Subclass::Combined));
        assert_eq!(verdict.action, Action::Deliver);
        assert_eq!(verdict.reply.line(), "250 2.0.0 Message accepted for delivery");
    }

    #[test]
    fn gtube_is_quarantined_with_550() {
        let verdict = decide(&[finding(MainClass::Spam, Subclass::Gtube)], &DomainSettings::default());
        assert_eq!(verdict.action, Action::Quarantine);
        assert_eq!(verdict.reply.code, 550);
        assert_eq!(verdict.reply.enhanced, [5, 7, 1]);
        assert_eq!(verdict.extra, "evidence");
    }

    #[test]
    fn precedence_follows_the_spec_list() {
        // (earlier, later): the earlier one must decide whatever the push order.
        let pairs = [
            (finding(MainClass::Error, Subclass::AntivirusUnavailable), finding(MainClass::Virus, Subclass::PatternSet1)),
            (finding(MainClass::Virus, Subclass::PatternSet1), finding(MainClass::Phish, Subclass::DmarcReject)),
            (finding(MainClass::Phish, Subclass::DmarcQuarantine), finding(MainClass::AllowList, Subclass::Sender)),
            (finding(MainClass::AllowList, Subclass::Sender), finding(MainClass::BlockList, Subclass::Sender)),
            (finding(MainClass::BlockList, Subclass::FilenameExtension), finding(MainClass::Spam, Subclass::BadlyFormed)),
            (finding(MainClass::Spam, Subclass::BadlyFormed), finding(MainClass::Spam, Subclass::Gtube)),
            (finding(MainClass::Spam, Subclass::Gtube), finding(MainClass::Spam, Subclass::Combined)),
            (finding(MainClass::AllowList, Subclass::Sender), finding(MainClass::Spam, Subclass::Gtube)),
            // A DNS allow list skips the content checks, not virus or DMARC.
            (finding(MainClass::Virus, Subclass::PatternSet1), finding(MainClass::NotSpam, Subclass::Dnswl)),
            (finding(MainClass::Phish, Subclass::DmarcReject), finding(MainClass::NotSpam, Subclass::Dnswl)),
            (finding(MainClass::NotSpam, Subclass::Dnswl), finding(MainClass::Spam, Subclass::Dnsbl)),
            (finding(MainClass::NotSpam, Subclass::Dnswl), finding(MainClass::Spam, Subclass::Urlbl)),
            (finding(MainClass::NotSpam, Subclass::Dnswl), finding(MainClass::Spam, Subclass::BadlyFormed)),
            (finding(MainClass::NotSpam, Subclass::Dnswl), finding(MainClass::Spam, Subclass::Gtube)),
        ];
        for (earlier, later) in pairs {
            for findings in [[earlier.clone(), later.clone()], [later.clone(), earlier.clone()]] {
                let verdict = decide(&findings, &DomainSettings::default());
                assert_eq!((verdict.main, verdict.sub), (earlier.main, earlier.sub), "{findings:?}");
            }
        }
    }

    #[test]
    fn errors_temp_reject_and_carry_an_error_class() {
        let verdict = decide(&[finding(MainClass::Error, Subclass::AntivirusUnavailable)], &DomainSettings::default());
        assert_eq!(verdict.action, Action::TempReject);
        assert_eq!(verdict.reply.code, 451);
        assert_eq!(verdict.error, Some(ErrorClass::AntivirusUnavailable));
    }

    #[test]
    fn a_reason_selects_the_spec_reply_of_its_check() {
        let verdict = decide(
            &[finding(MainClass::Spam, Subclass::BadlyFormed).because(Reason::LineTooLong)],
            &DomainSettings::default(),
        );
        assert_eq!(verdict.reply.line(), "550 5.6.0 Lines in message were longer than user maximum");
        assert_eq!(verdict.action, Action::Reject);
        // The Date check's refusals keep a copy although badly formed mail does not.
        let dated = decide(
            &[finding(MainClass::Spam, Subclass::BadlyFormed).because(Reason::DateMissing)],
            &DomainSettings::default(),
        );
        assert_eq!(dated.action, Action::Quarantine);
        assert_eq!(dated.reply.line(), "550 5.7.1 Date header is missing or badly formed");
    }

    #[test]
    fn ratelimited_answers_by_reason_and_class() {
        let connections = disposition(MainClass::Unknown, Subclass::Ratelimited, Reason::ConnectionLimit).1;
        assert_eq!(connections.line(), "421 4.7.0 Too many concurrent SMTP connections");
        let messages = disposition(MainClass::BlockList, Subclass::Ratelimited, Reason::Class).1;
        assert_eq!(messages.line(), "451 4.7.1 Too many messages. Please wait for a while and try again.");
        for reason in [Reason::InboundRate, Reason::BounceRate, Reason::Class] {
            let flood = disposition(MainClass::Spam, Subclass::Ratelimited, reason);
            assert_eq!(flood.0, Action::TempReject, "slowed, not lost");
            assert_eq!(flood.1.line(), "451 4.7.1 Too many messages for this recipient, please try again later");
        }
    }

    #[test]
    fn unsure_is_held_when_the_settings_say_so() {
        let unsure = [finding(MainClass::Unsure, Subclass::Combined)];
        assert_eq!(decide(&unsure, &DomainSettings::default()).action, Action::Deliver);
        let held = decide(&unsure, &DomainSettings { quarantine_unsure: true, ..DomainSettings::default() });
        assert_eq!((held.action, held.reply.code), (Action::Quarantine, 250));
    }

    /// A scored finding: (method1 global, method2 global, cluster methods, combined).
    fn scored(m1: f64, m2: f64, cluster: Option<(f64, f64)>, combined: f64) -> Finding {
        let mut classifiers = Vec::new();
        if let Some((c1, c2)) = cluster {
            classifiers.push((Subclass::StatisticalMethod1Cluster, c1));
            classifiers.push((Subclass::StatisticalMethod2Cluster, c2));
        }
        classifiers.push((Subclass::StatisticalMethod1Global, m1));
        classifiers.push((Subclass::StatisticalMethod2Global, m2));
        Finding::with_scores("statistical", sluice_model::Scored { classifiers, combined, decisive_confidence: 0.999, features: Vec::new(), temperature: 1.0, global_share: 1.0 })
    }

    /// The statistical combination alone (`combined_score` off).
    fn statistical_only() -> DomainSettings {
        DomainSettings { combined_score: false, ..DomainSettings::default() }
    }

    fn settled(finding: Finding, expect: (MainClass, Subclass, &str)) {
        let settled = settle(&finding, &statistical_only());
        assert_eq!((settled.main, settled.sub, settled.extra.as_str()), expect, "{finding:?}");
        assert_eq!(settled.extra, format!("{:.4}", settled.score.unwrap_or(-1.0)));
        assert_eq!(settled.scored, None, "settled once");
    }

    #[test]
    fn one_confident_classifier_decides_alone() {
        settled(scored(0.9995, 0.8, None, 0.97), (MainClass::Spam, Subclass::StatisticalMethod1Global, "0.9995"));
        settled(scored(0.2, 0.0004, None, 0.01), (MainClass::NotSpam, Subclass::StatisticalMethod2Global, "0.0004"));
        settled(
            scored(0.9, 0.95, Some((0.99999, 0.7)), 0.97),
            (MainClass::Spam, Subclass::StatisticalMethod1Cluster, "1.0000"),
        );
    }

    #[test]
    fn disagreement_falls_back_to_the_combination() {
        settled(scored(0.9995, 0.3, None, 0.93), (MainClass::Spam, Subclass::CombinedStatistical, "0.9300"));
        settled(scored(0.9995, 0.3, None, 0.7), (MainClass::Unsure, Subclass::Combined, "0.7000"));
        settled(scored(0.9995, 0.3, None, 0.2), (MainClass::NotSpam, Subclass::CombinedStatistical, "0.2000"));
    }

    #[test]
    fn the_combination_refuses_only_what_one_classifier_leans_to() {
        // Neither method reaches the unsure threshold (0.6): delivered as unsure.
        settled(scored(0.51, 0.35, None, 0.99), (MainClass::Unsure, Subclass::Combined, "0.9900"));
        settled(scored(0.6, 0.35, None, 0.99), (MainClass::Spam, Subclass::CombinedStatistical, "0.9900"));
        // A trusted cluster classifier counts too.
        settled(scored(0.51, 0.35, Some((0.3, 0.7)), 0.95), (MainClass::Spam, Subclass::CombinedStatistical, "0.9500"));
    }

    #[test]
    fn the_combined_score_adds_the_evidence_when_the_recipient_turns_it_on() {
        let with_evidence = |value: f64| {
            let mut finding = scored(0.7, 0.65, None, 0.8);
            finding.scored.as_mut().unwrap().features = vec![(Subclass::SenderReputation, value)];
            finding
        };
        let on = DomainSettings { combined_score: true, ..DomainSettings::default() };
        let expected = |value: f64| crate::combined::combine(&crate::combined::WEIGHTS, 0.8, &[(Subclass::SenderReputation, value)]);
        // A sender 4:1 bad pushes 0.8 over the quarantine threshold...
        let settled = settle(&with_evidence(4f64.ln()), &on);
        assert!(expected(4f64.ln()) >= 0.9);
        assert_eq!((settled.main, settled.sub), (MainClass::Spam, Subclass::Combined));
        assert_eq!(settled.extra, format!("{:.4}", expected(4f64.ln())));
        // ...a sender 50:1 good brings it under the unsure threshold.
        let settled = settle(&with_evidence(-50f64.ln()), &on);
        assert!(expected(-50f64.ln()) < 0.6);
        assert_eq!((settled.main, settled.sub), (MainClass::NotSpam, Subclass::Combined));
        // Off: the statistical combination alone, as before.
        let settled = settle(&with_evidence(4f64.ln()), &statistical_only());
        assert_eq!((settled.main, settled.sub, settled.extra.as_str()), (MainClass::Unsure, Subclass::Combined, "0.8000"));
    }

    #[test]
    fn statistical_thresholds_are_inclusive() {
        settled(scored(0.95, 0.95, None, 0.9), (MainClass::Spam, Subclass::CombinedStatistical, "0.9000"));
        settled(scored(0.5, 0.5, None, 0.6), (MainClass::Unsure, Subclass::Combined, "0.6000"));
    }

    #[test]
    fn the_recipients_thresholds_decide_a_scored_finding() {
        let strict = DomainSettings { quarantine_threshold: 0.99999, ..statistical_only() };
        // A decisive classifier respects a stricter quarantine threshold.
        let verdict = decide(&[scored(0.9995, 0.99, None, 0.999)], &strict);
        assert_eq!((verdict.main, verdict.sub), (MainClass::Unsure, Subclass::Combined));
        let lenient = DomainSettings { quarantine_threshold: 0.7, unsure_threshold: 0.5, ..statistical_only() };
        let verdict = decide(&[scored(0.8, 0.6, None, 0.75)], &lenient);
        assert_eq!((verdict.main, verdict.sub, verdict.reply.code), (MainClass::Spam, Subclass::CombinedStatistical, 550));
        assert_eq!(decide(&[scored(0.8, 0.6, None, 0.75)], &statistical_only()).main, MainClass::Unsure);
    }

    #[test]
    fn the_path_names_the_deciding_tier_and_the_next() {
        let findings = [finding(MainClass::Spam, Subclass::Combined), finding(MainClass::Spam, Subclass::Gtube)];
        let verdict = decide(&findings, &DomainSettings::default());
        assert_eq!(verdict.path.decided, Some((Precedence::DecisiveContent, 1)));
        assert_eq!(verdict.path.next, Some((Precedence::Scored, 0)));
    }

    #[test]
    fn spec_replies_that_are_quoted_verbatim() {
        let cases = [
            (MainClass::Spam, Subclass::InvalidDomain, "550 5.7.1 Relay not permitted!"),
            (MainClass::Spam, Subclass::InvalidRecipient, "550 5.1.1 Destination address is not configured."),
            (MainClass::Spam, Subclass::Combined, "550 5.7.1 High probability of spam"),
            (MainClass::BlockList, Subclass::Sender, "550 5.7.1 We do not accept mail from this address"),
            (MainClass::BlockList, Subclass::Ip, "550 5.7.1 Blacklisted sending server"),
            (MainClass::BlockList, Subclass::LocalCharacters, "550 5.1.3 restricted characters in address"),
            (
                MainClass::BlockList,
                Subclass::RecipientsCount,
                "550 5.5.3 Legitimate bounces are never sent to more than one recipient.",
            ),
            (MainClass::Unknown, Subclass::MessagePartial, "550 5.7.1 We do not accept message/partial messages here"),
            (
                MainClass::BlockList,
                Subclass::Ratelimited,
                "451 4.7.1 Too many messages. Please wait for a while and try again.",
            ),
        ];
        for (main, sub, line) in cases {
            assert_eq!(disposition(main, sub, Reason::Class).1.line(), line);
        }
    }

    #[test]
    fn every_class_of_the_taxonomy_has_a_disposition() {
        for main in MainClass::ALL {
            for sub in main.subclasses() {
                for reason in Reason::ALL {
                    let (action, reply) = disposition(*main, *sub, *reason);
                    let consistent = match action {
                        Action::Deliver | Action::Discard => reply.is_positive(),
                        Action::TempReject => reply.is_transient(),
                        Action::Reject | Action::Quarantine => reply.is_permanent(),
                    };
                    assert!(consistent, "{main}/{sub} ({reason}): {action} with {reply}");
                }
            }
        }
    }
}
