//! The closed vocabularies of the log: main class, subclass and error class.
//!
//! Names are copied from the specification's taxonomy (every pair is a row of
//! `docs/classes.md`), lower-case and hyphenated exactly as written there.

use std::fmt;

/// A name that is not part of a vocabulary (e.g. read back from an old database).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName(pub String);

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown class name {:?}", self.0)
    }
}

impl std::error::Error for UnknownName {}

/// Declares a fieldless enum whose variants each have one spelling, with `ALL`,
/// `as_str`, `parse`, `Display` and serde as that spelling.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn parse(text: &str) -> Result<$name, UnknownName> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownName(other.to_owned())),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

vocabulary! {
    /// The Main Class column.
    MainClass {
        Spam => "spam",
        NotSpam => "not-spam",
        Phish => "phish",
        Virus => "virus",
        Error => "error",
        Unsure => "unsure",
        Unknown => "unknown",
        BlockList => "block-list",
        AllowList => "allow-list",
    }
}

vocabulary! {
    /// The Subclass column: the union of every main class's subclasses.
    Subclass {
        // spam (and some shared with not-spam)
        MatchSet1 => "match-set1",
        MatchSet2 => "match-set2",
        ContactBox => "contact-box",
        ContactBoxInternal => "contact-box-internal",
        Dnsbl => "dnsbl",
        DnsblRcpt => "dnsbl-rcpt",
        Urlbl => "urlbl",
        BadlyFormed => "badly-formed",
        InvalidDomain => "invalid-domain",
        InvalidRecipient => "invalid-recipient",
        DictionaryAttack => "dictionary-attack",
        Gtube => "gtube",
        Stube => "stube",
        Batv => "batv",
        StatisticalMethod1Cluster => "statistical-method1-cluster",
        StatisticalMethod2Cluster => "statistical-method2-cluster",
        StatisticalMethod1Global => "statistical-method1-global",
        StatisticalMethod2Global => "statistical-method2-global",
        SenderReputation => "sender-reputation",
        CombinedStatistical => "combined-statistical",
        HeuristicSet1 => "heuristic-set1",
        HeuristicSet2 => "heuristic-set2",
        Heuristic => "heuristic",
        Pattern => "pattern",
        PatternRemote => "pattern-remote",
        Combined => "combined",
        Ratelimited => "ratelimited",
        // not-spam only
        Dnswl => "dnswl",
        // phish
        DmarcQuarantine => "dmarc-quarantine",
        DmarcReject => "dmarc-reject",
        Spf => "spf",
        Dkim => "dkim",
        // virus
        PatternSet1 => "pattern-set1",
        PatternSet1Remote => "pattern-set1-remote",
        PatternSet2 => "pattern-set2",
        // error
        AntivirusUnavailable => "antivirus-unavailable",
        DatabaseUnavailable => "database-unavailable",
        Memory => "memory",
        DatabaseCrash => "database-crash",
        Unknown => "unknown",
        VerificationFail => "verification-fail",
        VerificationCrash => "verification-crash",
        // unknown
        Disabled => "disabled",
        MessagePartial => "message/partial",
        ConnectionLost => "connection-lost",
        DisparateSettings => "disparate-settings",
        RecipientVerification => "recipient-verification",
        SenderVerification => "sender-verification",
        // block-list and allow-list
        RuleHeader => "rule-header",
        RuleBody => "rule-body",
        RuleAttachmentType => "rule-attachment_type",
        RuleAttachmentName => "rule-attachment_name",
        RuleDecoded => "rule-decoded",
        RuleHelo => "rule-helo",
        RuleRcptTo => "rule-rcpt_to",
        RuleSAddr => "rule-s_addr",
        RuleSAddrSpf => "rule-s_addr_spf",
        RuleSIp => "rule-s_ip",
        RuleSHostname => "rule-s_hostname",
        RuleUrl => "rule-url",
        Recipient => "recipient",
        Sender => "sender",
        // block-list only
        Oversize => "oversize",
        LocalCharacters => "local-characters",
        FilenameExtension => "filename-extension",
        PasswordProtectedAttachment => "password-protected-attachment",
        Ehlo => "ehlo",
        Ip => "ip",
        RecipientsCount => "recipients-count",
    }
}

vocabulary! {
    /// The Error Class column: set when processing or delivery hit an error.
    ErrorClass {
        AntivirusUnavailable => "antivirus-unavailable",
        DatabaseUnavailable => "database-unavailable",
        DatabaseCrash => "database-crash",
        Memory => "memory",
        Unknown => "unknown",
        VerificationFail => "verification-fail",
        VerificationCrash => "verification-crash",
        DestinationRejected => "destination-rejected",
        DestinationUnavailable => "destination-unavailable",
        Unrouteable => "unrouteable",
        DeliveryExpired => "delivery-expired",
    }
}

vocabulary! {
    /// Why a finding has its class, where the class alone does not say what the
    /// sending server must be told. `Class` is "for the class itself"; the others
    /// select a reply of their own in `sluice-core::verdict::disposition`.
    Reason {
        Class => "class",
        LineTooLong => "line-too-long",
        HeaderTooLong => "header-too-long",
        HeaderCount => "header-count",
        SubjectCharacters => "subject-characters",
        MalformedStructure => "malformed-structure",
        TooManyParts => "too-many-parts",
        NestedTooDeep => "nested-too-deep",
        DateOutOfRange => "date-out-of-range",
        DateMissing => "date-missing",
        UninspectableArchive => "uninspectable-archive",
        InvalidGreeting => "invalid-greeting",
        RecipientNotConfigured => "recipient-not-configured",
        ConnectionLimit => "connection-limit",
        ConnectionRateMinute => "connection-rate-minute",
        ConnectionRateHour => "connection-rate-hour",
        EarlyTalker => "early-talker",
        TooManyInvalidRecipients => "too-many-invalid-recipients",
        DestinationUnverifiable => "destination-unverifiable",
        Greylisted => "greylisted",
        InboundRate => "inbound-rate",
        BounceRate => "bounce-rate",
        MemoryExhausted => "memory-exhausted",
        StoreUnavailable => "store-unavailable",
        StoreCrashed => "store-crashed",
        BatvInvalid => "batv-invalid",
    }
}

vocabulary! {
    /// The tiers of the spec's precedence list ("the first that applies
    /// decides"), in order: an earlier tier decides over every later one.
    Precedence {
        Protocol => "protocol",
        Error => "error",
        Virus => "virus",
        Dmarc => "dmarc",
        AllowList => "allow-list",
        BlockList => "block-list",
        Structural => "structural",
        DecisiveContent => "decisive-content",
        Scored => "scored",
    }
}

impl MainClass {
    /// The subclasses the taxonomy lists under this main class.
    pub fn subclasses(self) -> &'static [Subclass] {
        use Subclass::*;
        const RULES_AND_LISTS: [Subclass; 14] = [
            RuleHeader,
            RuleBody,
            RuleAttachmentType,
            RuleAttachmentName,
            RuleDecoded,
            RuleHelo,
            RuleRcptTo,
            RuleSAddr,
            RuleSAddrSpf,
            RuleSIp,
            RuleSHostname,
            RuleUrl,
            Recipient,
            Sender,
        ];
        match self {
            MainClass::Spam => &[
                MatchSet1,
                MatchSet2,
                ContactBox,
                ContactBoxInternal,
                Dnsbl,
                DnsblRcpt,
                Urlbl,
                BadlyFormed,
                InvalidDomain,
                InvalidRecipient,
                DictionaryAttack,
                Gtube,
                Stube,
                Batv,
                StatisticalMethod1Cluster,
                StatisticalMethod2Cluster,
                StatisticalMethod1Global,
                StatisticalMethod2Global,
                SenderReputation,
                CombinedStatistical,
                HeuristicSet1,
                HeuristicSet2,
                Heuristic,
                Pattern,
                PatternRemote,
                Combined,
                Ratelimited,
            ],
            MainClass::NotSpam => &[
                Dnswl,
                Batv,
                StatisticalMethod1Cluster,
                StatisticalMethod2Cluster,
                StatisticalMethod1Global,
                StatisticalMethod2Global,
                SenderReputation,
                CombinedStatistical,
                HeuristicSet1,
                HeuristicSet2,
                Combined,
            ],
            MainClass::Phish => &[DmarcQuarantine, DmarcReject, Spf, Dkim, Pattern, PatternRemote],
            MainClass::Virus => &[PatternSet1, PatternSet1Remote, PatternSet2],
            MainClass::Error => &[
                AntivirusUnavailable,
                DatabaseUnavailable,
                Memory,
                DatabaseCrash,
                Unknown,
                VerificationFail,
                VerificationCrash,
            ],
            MainClass::Unsure => &[Combined],
            MainClass::Unknown => &[
                Disabled,
                MessagePartial,
                ConnectionLost,
                DisparateSettings,
                RecipientVerification,
                SenderVerification,
                Ratelimited,
            ],
            MainClass::AllowList => &RULES_AND_LISTS,
            MainClass::BlockList => {
                const BLOCK: [Subclass; 22] = [
                    RuleHeader,
                    RuleBody,
                    RuleAttachmentType,
                    RuleAttachmentName,
                    RuleDecoded,
                    RuleHelo,
                    RuleRcptTo,
                    RuleSAddr,
                    RuleSAddrSpf,
                    RuleSIp,
                    RuleSHostname,
                    RuleUrl,
                    Recipient,
                    Sender,
                    Oversize,
                    LocalCharacters,
                    FilenameExtension,
                    PasswordProtectedAttachment,
                    Ehlo,
                    Ip,
                    RecipientsCount,
                    Ratelimited,
                ];
                &BLOCK
            }
        }
    }

    /// Whether the taxonomy lists `sub` under this main class.
    pub fn admits(self, sub: Subclass) -> bool {
        self.subclasses().contains(&sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for main in MainClass::ALL {
            assert_eq!(MainClass::parse(main.as_str()), Ok(*main));
        }
        for sub in Subclass::ALL {
            assert_eq!(Subclass::parse(sub.as_str()), Ok(*sub));
        }
        for error in ErrorClass::ALL {
            assert_eq!(ErrorClass::parse(error.as_str()), Ok(*error));
        }
    }

    #[test]
    fn spec_spellings_are_kept() {
        assert_eq!(Subclass::MessagePartial.as_str(), "message/partial");
        assert_eq!(Subclass::RuleSAddrSpf.as_str(), "rule-s_addr_spf");
        assert_eq!(Subclass::StatisticalMethod1Cluster.as_str(), "statistical-method1-cluster");
        assert_eq!(MainClass::BlockList.as_str(), "block-list");
    }

    #[test]
    fn every_subclass_belongs_to_some_main_class() {
        for sub in Subclass::ALL {
            assert!(
                MainClass::ALL.iter().any(|main| main.admits(*sub)),
                "{sub} is under no main class"
            );
        }
    }

    #[test]
    fn taxonomy_counts_match_the_spec() {
        assert_eq!(MainClass::Spam.subclasses().len(), 27);
        assert_eq!(MainClass::NotSpam.subclasses().len(), 11);
        assert_eq!(MainClass::Phish.subclasses().len(), 6);
        assert_eq!(MainClass::Virus.subclasses().len(), 3);
        assert_eq!(MainClass::Error.subclasses().len(), 7);
        assert_eq!(MainClass::Unknown.subclasses().len(), 7);
        assert_eq!(MainClass::AllowList.subclasses().len(), 14);
        assert_eq!(MainClass::BlockList.subclasses().len(), 22);
    }

    #[test]
    fn unknown_names_are_refused() {
        assert!(Subclass::parse("combinded-statistical").is_err());
    }
}
