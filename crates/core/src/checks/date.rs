//! Date header far in the past or future, missing or unparseable.
//!
//! Compares the message's Date field with the time of receipt (`facts.now`, an
//! input so the check is testable) and reports `spam` / `badly-formed`, 550 5.7.1
//! "Date header is too far in the past or future", **quarantined** (the spec's Q),
//! when they are more than `max_date_skew` apart either way (exactly that far
//! passes). A missing Date field, or one that does not parse as an RFC 5322 date,
//! is the same finding with its own reply text. Extra: the defect and the value.
//!
//! Settings: `max_date_skew` [7d; 0s disables].
//!
//! Why: RFC 5322 3.6 makes Date mandatory and the originator writes it when the
//! message is sent; bulk mailers forge dates to sort at the top of a mailbox (in
//! the future) or replay old messages. The message is quarantined rather than
//! dropped because a badly set clock on an honest sender's machine does this too.

use sluice_model::{Finding, MainClass, Reason, Subclass};

use crate::message::{KnownField, MessageFacts};
use crate::settings::DomainSettings;

pub const NAME: &str = "date";

pub fn check(facts: &MessageFacts<'_>, settings: &DomainSettings, findings: &mut Vec<Finding>) {
    let max = settings.max_date_skew.as_secs();
    if max == 0 {
        return;
    }
    let finding = |extra: String, reason: Reason| {
        Finding::new(NAME, MainClass::Spam, Subclass::BadlyFormed, extra).because(reason)
    };
    let Some(field) = facts.headers.known(KnownField::Date).next() else {
        findings.push(finding("missing Date header".to_owned(), Reason::DateMissing));
        return;
    };
    let raw_value = String::from_utf8_lossy(&field.value[..field.value.len().min(200)]);
    // Unfolded and trimmed only for the log; the parser skips white space itself.
    let shown = || raw_value.split_whitespace().collect::<Vec<_>>().join(" ");
    // mail-parser has parsed the (first) Date already; parse again only when it
    // could not, so a value it rejects still gets a second, direct attempt.
    let parsed = facts.parsed.as_ref().and_then(|message| message.date()).filter(|date| date.is_valid());
    let Some(timestamp) = parsed
        .cloned()
        .or_else(|| mail_parser::DateTime::parse_rfc822(raw_value.trim()).filter(|date| date.is_valid()))
        .map(|date| date.to_timestamp())
    else {
        findings.push(finding(format!("unparseable Date header {:?}", shown()), Reason::DateMissing));
        return;
    };
    let skew = facts.now.saturating_sub(timestamp);
    if skew.unsigned_abs() > max {
        let direction = if skew > 0 { "past" } else { "future" };
        let max_text = humantime::format_duration(settings.max_date_skew);
        let off = humantime::format_duration(std::time::Duration::from_secs(skew.unsigned_abs()));
        findings.push(finding(format!("Date {:?} is {off} in the {direction} (> {max_text})", shown()), Reason::DateOutOfRange));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures;
    use crate::envelope::Envelope;
    use crate::verdict::decide;
    use sluice_model::Action;

    /// 2024-01-08 00:00:00 UTC: the `now` of every date fixture.
    pub(crate) const NOW: i64 = 1_704_672_000;

    #[test]
    fn fixtures() {
        fixtures::check_eml_dir("date", check, &DomainSettings::default(), NOW);
    }

    #[test]
    fn exactly_seven_days_passes_one_second_more_fails() {
        let settings = DomainSettings::default();
        for (date, fails) in [
            ("Mon, 01 Jan 2024 00:00:00 +0000", false), // exactly 7 days before NOW
            ("Sun, 31 Dec 2023 23:59:59 +0000", true),
            ("Mon, 15 Jan 2024 00:00:00 +0000", false), // exactly 7 days after
            ("Mon, 15 Jan 2024 00:00:01 +0000", true),
            ("Mon, 15 Jan 2024 01:00:01 +0100", true), // time zones count
            ("Mon, 15 Jan 2024 01:00:00 +0100", false),
        ] {
            let raw = format!("Date: {date}\r\nSubject: x\r\n\r\nbody\r\n");
            let findings = fixtures::run(check, raw.as_bytes(), &Envelope::default(), &settings, NOW);
            assert_eq!(!findings.is_empty(), fails, "{date}: {findings:?}");
        }
    }

    #[test]
    fn refused_with_a_copy_in_the_quarantine() {
        let raw = b"Date: Mon, 01 Jan 2001 00:00:00 +0000\r\n\r\nbody\r\n";
        let findings = fixtures::run(check, raw, &Envelope::default(), &DomainSettings::default(), NOW);
        let verdict = decide(&findings, &DomainSettings::default());
        assert_eq!(verdict.action, Action::Quarantine);
        assert_eq!(verdict.reply.line(), "550 5.7.1 Date header is too far in the past or future");
        assert!(verdict.extra.contains("in the past"), "{}", verdict.extra);
    }

    #[test]
    fn missing_and_garbage_dates_are_badly_formed_and_zero_disables() {
        for raw in [&b"Subject: no date\r\n\r\nbody\r\n"[..], b"Date: yesterday-ish\r\n\r\nbody\r\n", b"Date: 32 Foo 2024 99:99 +0000\r\n\r\nx\r\n"] {
            let findings = fixtures::run(check, raw, &Envelope::default(), &DomainSettings::default(), NOW);
            assert_eq!(findings.len(), 1, "{}", String::from_utf8_lossy(raw));
            let off = DomainSettings { max_date_skew: std::time::Duration::ZERO, ..DomainSettings::default() };
            assert!(fixtures::run(check, raw, &Envelope::default(), &off, NOW).is_empty());
        }
    }
}
