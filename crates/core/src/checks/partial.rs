//! `message/partial` anywhere in the message.
//!
//! Reports `unknown` / `message/partial` (550 5.7.1 "We do not accept
//! message/partial messages here", from the decision table), extra the
//! Content-Type's `id` and `number` when present, for a message that is, or
//! contains, a `message/partial` entity (RFC 2046 5.2.2).
//!
//! Settings: none.
//!
//! Why: a fragment cannot be checked on its own (the payload is split across
//! messages and only reassembled by the reader's client), so accepting fragments
//! would let anything through the content checks.

use mail_parser::MimeHeaders;
use sluice_model::{Finding, MainClass, Subclass};

use crate::message::MessageFacts;
use crate::settings::DomainSettings;

pub const NAME: &str = "partial";

/// Entities looked at; the part-count check refuses messages with more.
const MAX_ENTITIES: usize = 10_000;

pub fn check(facts: &MessageFacts<'_>, _settings: &DomainSettings, findings: &mut Vec<Finding>) {
    for entity in facts.mime_entities(MAX_ENTITIES) {
        let Some(ct) = entity.part.content_type() else { continue };
        let is_partial = ct.ctype().eq_ignore_ascii_case("message")
            && ct.subtype().is_some_and(|sub| sub.eq_ignore_ascii_case("partial"));
        if is_partial {
            let id = ct.attribute("id").unwrap_or("?");
            let number = ct.attribute("number").unwrap_or("?");
            let extra = format!("message/partial id={} number={}", truncate(id), truncate(number));
            findings.push(Finding::new(NAME, MainClass::Unknown, Subclass::MessagePartial, extra));
            return;
        }
    }
}

fn truncate(text: &str) -> &str {
    match text.char_indices().nth(80) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures;
    use crate::envelope::Envelope;
    use crate::verdict::decide;

    #[test]
    fn fixtures() {
        fixtures::check_eml_dir("partial", check, &DomainSettings::default(), 0);
    }

    #[test]
    fn reply_is_the_specs() {
        let raw = b"Content-Type: Message/Partial; number=2; total=3; id=\"abc@x\"\r\n\r\nfragment\r\n";
        let findings = fixtures::run(check, raw, &Envelope::default(), &DomainSettings::default(), 0);
        assert_eq!(findings[0].extra, "message/partial id=abc@x number=2");
        assert_eq!(decide(&findings, &DomainSettings::default()).reply.line(), "550 5.7.1 We do not accept message/partial messages here");
    }
}
