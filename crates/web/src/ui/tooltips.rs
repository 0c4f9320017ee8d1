//! What each class value means, in one short sentence: the tooltip of every
//! class shown in the web interface. Written from the class table
//! (`docs/classes.md`, `crates/core/src/verdict.rs`); the matches are
//! exhaustive, so a new class does not compile without its tooltip.

use sluice_model::{ErrorClass, MainClass, Subclass};

pub(crate) fn main_class(class: MainClass) -> &'static str {
    match class {
        MainClass::Spam => "Unwanted mail: refused, usually with a copy kept in the quarantine.",
        MainClass::NotSpam => "Good mail: accepted and relayed to the domain's server.",
        MainClass::Phish => "Forged or fraudulent sender: refused.",
        MainClass::Virus => "The message carries malware: refused.",
        MainClass::Error => "A check or the store failed: refused for now (4xx), the sender retries.",
        MainClass::Unsure => "The classifiers could not decide: delivered and marked (or held, if configured).",
        MainClass::Unknown => "No content verdict: the transaction ended early or a policy refused it.",
        MainClass::BlockList => "A block-list entry, block rule or policy limit matched: refused.",
        MainClass::AllowList => "An allow-list entry or allow rule matched: delivered without content checks.",
    }
}

pub(crate) fn sub_class(class: Subclass) -> &'static str {
    match class {
        Subclass::MatchSet1 | Subclass::MatchSet2 => "The message's fuzzy digest matches mail reported as spam.",
        Subclass::ContactBox | Subclass::ContactBoxInternal => "The message names contact addresses seen in recent spam.",
        Subclass::Dnsbl => "The sending server is on DNS block lists (judged with the message).",
        Subclass::DnsblRcpt => "The sending server is on DNS block lists (refused before the message was sent).",
        Subclass::Urlbl => "A URL in the message is on a URL block list.",
        Subclass::BadlyFormed => "The message breaks the format rules (long lines or headers, broken MIME, bad Date, ...).",
        Subclass::InvalidDomain => "The recipient's domain is not filtered here: relaying refused.",
        Subclass::InvalidRecipient => "The recipient is not a known address of the domain.",
        Subclass::DictionaryAttack => "The client tried too many unknown recipients.",
        Subclass::Gtube => "The GTUBE test string: a standard way to test spam handling.",
        Subclass::Stube => "Sluice's own quarantine test string.",
        Subclass::Batv => "A bounce judged by whether we signed its return path (BATV).",
        Subclass::StatisticalMethod1Cluster => "The Bayes model learned from this installation decided alone.",
        Subclass::StatisticalMethod2Cluster => "The logistic regression learned from this installation decided alone.",
        Subclass::StatisticalMethod1Global => "The Bayes model shipped with Sluice decided alone.",
        Subclass::StatisticalMethod2Global => "The logistic regression shipped with Sluice decided alone.",
        Subclass::SenderReputation => "The sending server's history decided.",
        Subclass::CombinedStatistical => "The statistical classifiers' combined probability decided.",
        Subclass::HeuristicSet1 | Subclass::HeuristicSet2 | Subclass::Heuristic => "Heuristic rules scored the message.",
        Subclass::Pattern => "A pattern set matched the message.",
        Subclass::PatternRemote => "A remote pattern service matched the message.",
        Subclass::Combined => "The combined score of every scoring check decided.",
        Subclass::Ratelimited => "Over a rate limit: too many connections from the client, messages to one recipient, or messages from one user.",
        Subclass::Dnswl => "The sending server is on DNS allow lists.",
        Subclass::DmarcQuarantine => "The From domain's DMARC policy says quarantine, and authentication failed.",
        Subclass::DmarcReject => "The From domain's DMARC policy says reject, and authentication failed.",
        Subclass::Spf => "The sender's SPF record does not allow this server to send for it.",
        Subclass::Dkim => "A DKIM signature of the sender's domain does not verify.",
        Subclass::PatternSet1 => "The virus scanner's own signatures matched.",
        Subclass::PatternSet1Remote => "A remote malware list matched.",
        Subclass::PatternSet2 => "Third-party virus signatures matched.",
        Subclass::AntivirusUnavailable => "The virus scanner could not be asked.",
        Subclass::DatabaseUnavailable => "The store did not accept the message.",
        Subclass::Memory => "The memory for message bodies was used up.",
        Subclass::DatabaseCrash => "The store failed in the middle of a transaction.",
        Subclass::Unknown => "An unexpected failure (the process log says what).",
        Subclass::VerificationFail => "Asking the domain's server about the recipient failed for now.",
        Subclass::VerificationCrash => "Recipient verification failed unexpectedly.",
        Subclass::Disabled => "Filtering is off for this recipient.",
        Subclass::MessagePartial => "A fragment of a message (message/partial), which cannot be checked.",
        Subclass::ConnectionLost => "The client went away before the transaction ended.",
        Subclass::DisparateSettings => "Recipients with different settings in one transaction: the later ones were deferred.",
        Subclass::RecipientVerification => "The domain's server says the recipient does not exist.",
        Subclass::SenderVerification => "The sender address could not be verified.",
        Subclass::RuleHeader => "A filtering rule on a header matched.",
        Subclass::RuleBody => "A filtering rule on the text of the message matched.",
        Subclass::RuleAttachmentType => "A filtering rule on an attachment's type matched.",
        Subclass::RuleAttachmentName => "A filtering rule on an attachment's name matched.",
        Subclass::RuleDecoded => "A filtering rule on the decoded parts matched.",
        Subclass::RuleHelo => "A filtering rule on the client's greeting (HELO) matched.",
        Subclass::RuleRcptTo => "A filtering rule on the recipient matched.",
        Subclass::RuleSAddr => "A filtering rule on the envelope sender matched.",
        Subclass::RuleSAddrSpf => "A filtering rule on the SPF-verified sender matched.",
        Subclass::RuleSIp => "A filtering rule on the client's address matched.",
        Subclass::RuleSHostname => "A filtering rule on the client's host name matched.",
        Subclass::RuleUrl => "A filtering rule on a URL in the message matched.",
        Subclass::Recipient => "A list entry for the recipient matched.",
        Subclass::Sender => "A list entry for the sender matched.",
        Subclass::Oversize => "The message is larger than allowed.",
        Subclass::LocalCharacters => "The address uses characters the domain does not allow.",
        Subclass::FilenameExtension => "An attachment's file name or type is blocked.",
        Subclass::PasswordProtectedAttachment => "An encrypted attachment that cannot be inspected.",
        Subclass::Ehlo => "The client's greeting (HELO/EHLO) is invalid or listed.",
        Subclass::Ip => "A list entry for the client's address matched.",
        Subclass::RecipientsCount => "Too many recipients in one message.",
    }
}

pub(crate) fn error_class(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::AntivirusUnavailable => "The virus scanner could not be asked.",
        ErrorClass::DatabaseUnavailable => "The store was unavailable.",
        ErrorClass::DatabaseCrash => "The store failed in the middle of a transaction.",
        ErrorClass::Memory => "The memory for message bodies was used up.",
        ErrorClass::Unknown => "An unexpected failure (the process log says what).",
        ErrorClass::VerificationFail => "Recipient verification failed for now.",
        ErrorClass::VerificationCrash => "Recipient verification failed unexpectedly.",
        ErrorClass::DestinationRejected => "The domain's server refused the message for good (a bounce was sent).",
        ErrorClass::DestinationUnavailable => "The domain's server could not be reached or deferred; delivery is retried.",
        ErrorClass::Unrouteable => "No route to the recipient's server.",
        ErrorClass::DeliveryExpired => "Delivery kept failing until the message was too old (a bounce was sent).",
    }
}
