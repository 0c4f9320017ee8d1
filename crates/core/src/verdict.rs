//! The one place that turns findings into a verdict.
//!
//! Two tables live here, both taken from `spec/classifications.md`:
//! - [`precedence`]: which finding decides when several apply (the spec's
//!   "first that applies decides" list);
//! - [`disposition`]: for the deciding class, what happens to the message and the
//!   reply the sending server gets.
//!
//! Both are exhaustive matches: a new subclass has to be placed in them before the
//! crate compiles again.

use sluice_model::{Action, ErrorClass, Finding, MainClass, SmtpReply, Subclass};

/// The spec's precedence list, first (lowest) wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precedence {
    /// Limits, relay, authentication and recipient checks at SMTP time.
    Protocol,
    /// A required dependency failed.
    Error,
    Virus,
    /// DMARC reject and quarantine: an allow list does not bypass them.
    Dmarc,
    AllowList,
    BlockList,
    /// Structural conformance: badly formed, message/partial.
    Structural,
    /// Content matches that decide alone: GTUBE, fuzzy digests, patterns, lists.
    DecisiveContent,
    /// The combined score of the statistical and heuristic classifiers.
    Scored,
}

/// Where a class stands in the precedence list.
pub fn precedence(main: MainClass, sub: Subclass) -> Precedence {
    use Subclass::*;
    match main {
        MainClass::Error => return Precedence::Error,
        MainClass::Virus => return Precedence::Virus,
        MainClass::AllowList => return Precedence::AllowList,
        MainClass::BlockList => return Precedence::BlockList,
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

/// The action and default reply for a class. A finding may carry the reply text
/// (and enhanced code) the spec gives its particular check; the code, the class of
/// reply and the action always come from here.
pub fn disposition(main: MainClass, sub: Subclass) -> (Action, SmtpReply) {
    use Subclass::*;
    fn reply(code: u16, enhanced: [u16; 3], text: &str) -> SmtpReply {
        SmtpReply::new(code, enhanced, text)
    }
    let quarantine = |text: &str| (Action::Quarantine, reply(550, [5, 7, 1], text));
    let reject = |enhanced: [u16; 3], text: &str| (Action::Reject, reply(550, enhanced, text));
    let accept = || (Action::Deliver, reply(250, [2, 0, 0], "Message accepted for delivery"));
    const LOOKED_LIKE_SPAM: &str = "The content of this message looked like spam.";
    match main {
        MainClass::Error => (
            Action::TempReject,
            reply(451, [4, 3, 0], "Internal error while filtering, please try again later"),
        ),
        MainClass::Virus => quarantine("Message contains a virus"),
        MainClass::NotSpam | MainClass::AllowList => accept(),
        MainClass::Unsure => accept(),
        MainClass::Phish => match sub {
            DmarcReject => reject([5, 7, 1], "Rejected by the sender domain's DMARC policy"),
            DmarcQuarantine => quarantine("Quarantined by the sender domain's DMARC policy"),
            Spf => (Action::Quarantine, reply(550, [5, 7, 23], "SPF validation failed")),
            Dkim => quarantine("DKIM signature verification failed"),
            _ => quarantine("Phishing attempt detected"),
        },
        MainClass::BlockList => match sub {
            Recipient => (Action::Discard, reply(250, [2, 0, 0], "Message accepted for delivery")),
            Sender => reject([5, 7, 1], "We do not accept mail from this address"),
            Ip => reject([5, 7, 1], "Sending server is on the block list"),
            Ehlo => reject([5, 7, 1], "Sending server used an invalid greeting"),
            LocalCharacters => reject([5, 1, 3], "restricted characters in address"),
            RecipientsCount => (
                Action::Reject,
                reply(550, [5, 5, 3], "Legitimate bounces are never sent to more than one recipient."),
            ),
            Oversize => (Action::Reject, reply(552, [5, 3, 4], "Message size exceeds the maximum allowed")),
            Ratelimited => (
                Action::TempReject,
                reply(451, [4, 7, 1], "Too many messages. Please wait for a while and try again."),
            ),
            // Content-based block-list hits keep a copy: the admin may want to
            // look at (and release) what a rule or an attachment policy stopped.
            RuleHeader | RuleBody | RuleAttachmentType | RuleAttachmentName | RuleDecoded | RuleUrl
            | FilenameExtension | PasswordProtectedAttachment => quarantine("Message blocked by policy"),
            _ => reject([5, 7, 1], "Message blocked by policy"),
        },
        MainClass::Unknown => match sub {
            MessagePartial => reject([5, 7, 1], "We do not accept message/partial messages here"),
            DisparateSettings => (
                Action::TempReject,
                reply(
                    451,
                    [4, 3, 0],
                    "Mail for this domain cannot be accepted right now; please retry (Unable to handle in active connection)",
                ),
            ),
            RecipientVerification => reject([5, 1, 1], "Destination address does not exist"),
            SenderVerification => reject([5, 1, 8], "Sending server is missing DNS records"),
            Ratelimited => (Action::TempReject, reply(421, [4, 7, 0], "Too many connections")),
            ConnectionLost => (Action::TempReject, reply(451, [4, 4, 2], "Connection lost")),
            Disabled => accept(),
            _ => (Action::TempReject, reply(451, [4, 3, 0], "Internal error, please try again later")),
        },
        MainClass::Spam => match sub {
            InvalidDomain => reject([5, 7, 1], "Relay not permitted!"),
            InvalidRecipient => reject([5, 1, 1], "Destination address is not configured."),
            DictionaryAttack => (
                Action::TempReject,
                reply(451, [4, 7, 1], "Too many invalid recipients, please try again later"),
            ),
            DnsblRcpt => reject([5, 7, 1], "Sending server is listed on multiple DNS block lists"),
            Ratelimited => (Action::TempReject, reply(421, [4, 7, 0], "Too many connections")),
            BadlyFormed => reject([5, 6, 0], "Message is badly formed"),
            Combined => quarantine("High probability of spam"),
            Gtube => quarantine("The content of this message looked like spam (GTUBE test string)."),
            Stube => quarantine("The content of this message looked like spam (STUBE test string)."),
            Dnsbl => quarantine("Sending server is listed on multiple DNS block lists"),
            Urlbl => quarantine("Message contains a URL listed on a URL block list"),
            _ => quarantine(LOOKED_LIKE_SPAM),
        },
    }
}

/// Turns the findings about one message into its verdict: the finding with the
/// earliest precedence decides (the first pushed among equals); no finding at all
/// means `not-spam` / `combined`.
pub fn decide(findings: &[Finding]) -> Verdict {
    let deciding = findings
        .iter()
        .enumerate()
        .min_by_key(|(index, finding)| (precedence(finding.main, finding.sub), *index))
        .map(|(_, finding)| finding);
    let Some(finding) = deciding else {
        let (action, reply) = disposition(MainClass::NotSpam, Subclass::Combined);
        return Verdict {
            main: MainClass::NotSpam,
            sub: Subclass::Combined,
            error: None,
            extra: String::new(),
            score: None,
            action,
            reply,
            decided_by: "",
        };
    };
    let (mut action, mut reply) = disposition(finding.main, finding.sub);
    if finding.quarantine && action == Action::Reject {
        action = Action::Quarantine;
    }
    if let Some(text) = finding.reply_text {
        reply.text = text.to_owned();
    }
    if let Some(enhanced) = finding.enhanced {
        reply.enhanced = enhanced;
    }
    let error = finding.error.or(if finding.main == MainClass::Error {
        Some(error_class_of(finding.sub))
    } else {
        None
    });
    Verdict {
        main: finding.main,
        sub: finding.sub,
        error,
        extra: finding.extra.clone(),
        score: finding.score.or_else(|| findings.iter().find_map(|other| other.score)),
        action,
        reply,
        decided_by: finding.check,
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

pub use sluice_model::Verdict;

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(main: MainClass, sub: Subclass) -> Finding {
        Finding::new("test", main, sub, "evidence")
    }

    #[test]
    fn nothing_found_is_delivered_as_not_spam() {
        let verdict = decide(&[]);
        assert_eq!((verdict.main, verdict.sub), (MainClass::NotSpam, Subclass::Combined));
        assert_eq!(verdict.action, Action::Deliver);
        assert_eq!(verdict.reply.line(), "250 2.0.0 Message accepted for delivery");
    }

    #[test]
    fn gtube_is_quarantined_with_550() {
        let verdict = decide(&[finding(MainClass::Spam, Subclass::Gtube)]);
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
        ];
        for (earlier, later) in pairs {
            for findings in [[earlier.clone(), later.clone()], [later.clone(), earlier.clone()]] {
                let verdict = decide(&findings);
                assert_eq!((verdict.main, verdict.sub), (earlier.main, earlier.sub), "{findings:?}");
            }
        }
    }

    #[test]
    fn errors_temp_reject_and_carry_an_error_class() {
        let verdict = decide(&[finding(MainClass::Error, Subclass::AntivirusUnavailable)]);
        assert_eq!(verdict.action, Action::TempReject);
        assert_eq!(verdict.reply.code, 451);
        assert_eq!(verdict.error, Some(ErrorClass::AntivirusUnavailable));
    }

    #[test]
    fn a_finding_may_carry_its_spec_reply_text() {
        let verdict = decide(&[finding(MainClass::Spam, Subclass::BadlyFormed)
            .with_reply_text("Lines in message were longer than user maximum")
            .with_enhanced([5, 6, 0])]);
        assert_eq!(verdict.reply.line(), "550 5.6.0 Lines in message were longer than user maximum");
    }

    #[test]
    fn a_finding_may_ask_for_the_quarantine_of_a_rejected_class() {
        let plain = decide(&[finding(MainClass::Spam, Subclass::BadlyFormed)]);
        assert_eq!(plain.action, Action::Reject);
        let dated = decide(&[finding(MainClass::Spam, Subclass::BadlyFormed).with_quarantine()]);
        assert_eq!(dated.action, Action::Quarantine);
        // It never turns an accepting or temporary disposition into a quarantine.
        let discard = decide(&[finding(MainClass::BlockList, Subclass::Recipient).with_quarantine()]);
        assert_eq!(discard.action, Action::Discard);
    }

    #[test]
    fn spec_replies_that_are_quoted_verbatim() {
        let cases = [
            (MainClass::Spam, Subclass::InvalidDomain, "550 5.7.1 Relay not permitted!"),
            (MainClass::Spam, Subclass::InvalidRecipient, "550 5.1.1 Destination address is not configured."),
            (MainClass::Spam, Subclass::Combined, "550 5.7.1 High probability of spam"),
            (MainClass::BlockList, Subclass::Sender, "550 5.7.1 We do not accept mail from this address"),
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
            assert_eq!(disposition(main, sub).1.line(), line);
        }
    }

    #[test]
    fn every_class_of_the_taxonomy_has_a_disposition() {
        for main in MainClass::ALL {
            for sub in main.subclasses() {
                let (action, reply) = disposition(*main, *sub);
                match action {
                    Action::Deliver | Action::Discard => assert!(reply.is_positive(), "{main}/{sub}"),
                    Action::TempReject => assert!(reply.is_transient(), "{main}/{sub}"),
                    Action::Reject | Action::Quarantine => assert!(reply.is_permanent(), "{main}/{sub}"),
                }
            }
        }
    }
}
