//! What reading a message's URLs costs the checks that read them, per message:
//! the filtering rules' content (every field, `url` included), the heuristic sets,
//! the fingerprints and the URL block lists' targets, all on one parse of each
//! message, against the parse alone. Written when the URLs became a fact found once
//! per message instead of once per reader: run it on two commits to compare.
//!
//! Run: `cargo bench --bench url_readers [-- CORPUS_DIR]` (default
//! `../shared/corpus/spamassassin`: every file under `ham/` and `spam/`). Not in CI.

use std::time::{Duration, Instant};

use sluice_core::Envelope;
use sluice_core::checks::heuristics::{HeuristicSets, HeuristicsJudge};
use sluice_core::checks::rules::RuleContent;
use sluice_core::classify::Judge;
use sluice_core::fingerprints::Fingerprints;
use sluice_core::message::MessageFacts;

#[path = "corpus_dir.rs"]
mod corpus_dir;

fn main() {
    let dir = corpus_dir::corpus_dir_argument();
    let messages = corpus_dir::ham_and_spam(&dir);
    let envelope = Envelope { sender: "sender@example.org".into(), recipients: vec!["rcpt@example.net".into()], ..Envelope::default() };
    let sets = HeuristicSets::new(None);
    let heuristics = HeuristicsJudge { sets: &sets };
    let parse_only = || {
        let started = Instant::now();
        for raw in &messages {
            std::hint::black_box(MessageFacts::new(raw, &envelope, 0));
        }
        started.elapsed()
    };
    let with_readers = || {
        let started = Instant::now();
        for raw in &messages {
            let facts = MessageFacts::new(raw, &envelope, 0);
            std::hint::black_box(sluice_core::urls::lookup_targets(&facts, 32));
            std::hint::black_box(RuleContent::from_message(&facts).urls.len());
            let mut findings = Vec::new();
            heuristics.judge(&facts, &mut findings);
            std::hint::black_box(findings);
            std::hint::black_box(Fingerprints::of(&facts));
        }
        started.elapsed()
    };
    // Alternate the runs so that machine noise hits them alike; best of seven.
    let (mut parse, mut readers) = (Duration::MAX, Duration::MAX);
    for _ in 0..7 {
        parse = parse.min(parse_only());
        readers = readers.min(with_readers());
    }
    let per_message = |total: Duration| total.as_secs_f64() * 1e6 / messages.len() as f64;
    println!("{} messages from {dir}", messages.len());
    println!("parse alone:                        {:8.1} us/message", per_message(parse));
    println!("parse + the four URL readers:       {:8.1} us/message", per_message(readers));
    println!("the readers (rules content, heuristics, fingerprints, URL targets): {:8.1} us/message", per_message(readers) - per_message(parse));
}
