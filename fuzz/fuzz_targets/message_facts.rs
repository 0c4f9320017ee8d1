//! Fuzzes the message facts extractor and every content check behind it.
//!
//! Input: raw message bytes. Builds `MessageFacts` (parse, line meter, header
//! fields, MIME walk), feeds the same bytes to a `LineMeter` in uneven chunks
//! (it must agree with the one-shot measurement), reads the message's URLs as the
//! rules, fingerprints and URL block lists do, and runs the whole
//! classification: nothing may panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_core::message::{HeaderBlock, LineMeter, MessageFacts};
use sluice_core::{DomainSettings, Envelope};

fuzz_target!(|raw: &[u8]| {
    let envelope = Envelope::default();
    let facts = MessageFacts::new(raw, &envelope, 1_704_672_000);
    let _ = facts.mime_entities(10_000);
    let _ = facts.text_parts();
    let _ = HeaderBlock::scan(raw);
    // The readers of the message's URLs, found once: every URL they are given
    // must lie inside its part's text.
    for part in facts.url_parts() {
        for (url, found) in part.urls() {
            assert!(!url.is_empty() || found.host.is_empty());
        }
    }
    let _ = sluice_core::urls::lookup_targets(&facts, 32);
    let _ = sluice_core::checks::rules::RuleContent::from_message(&facts);
    let _ = sluice_core::fingerprints::Fingerprints::of(&facts);

    let mut meter = LineMeter::new();
    let split = raw.first().map_or(1, |byte| usize::from(*byte % 17) + 1);
    for chunk in raw.chunks(split) {
        meter.feed(chunk);
    }
    assert_eq!(meter.longest(), facts.longest_line);

    let settings = DomainSettings { block_encrypted: true, ..DomainSettings::default() };
    let _ = sluice_core::classify(raw, &envelope, &settings, 1_704_672_000);
});
