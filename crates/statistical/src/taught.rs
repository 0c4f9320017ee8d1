//! Messages an admin taught (released, reported, `sluice train`) by their content
//! digest: a later copy of one is classified the way it was taught at once, as
//! `statistical-method1-cluster` with similarity 1, before the cluster model has
//! learned enough messages to be trusted on its own.
//!
//! The digest covers the subject, the From header and the decoded text, with
//! whitespace folded: not the trace headers or Message-ID that differ between
//! copies. At most [`MAX_DIGESTS`] are remembered, the oldest forgotten first.

use std::collections::{HashMap, VecDeque};

use sluice_core::MessageFacts;
use sluice_model::{Finding, MainClass, Subclass};
use xxhash_rust::xxh3::Xxh3;

use crate::Label;
use crate::row::Reader;

/// Most content digests remembered; the oldest are forgotten first.
pub const MAX_DIGESTS: usize = 1_000_000;

/// The name findings about a taught copy carry in their `check` field.
pub const CHECK_NAME: &str = "learned-copy";

/// Content digest -> how the message was last taught.
#[derive(Default)]
pub struct TaughtCopies {
    labels: HashMap<u128, Label>,
    /// Insertion order, to forget the oldest past [`MAX_DIGESTS`].
    order: VecDeque<u128>,
}

impl TaughtCopies {
    /// Remembers how the message with `digest` was taught (`None`: forgotten).
    pub fn teach(&mut self, digest: u128, label: Option<Label>) {
        match label {
            Some(label) => {
                if self.labels.insert(digest, label).is_none() {
                    self.order.push_back(digest);
                }
                while self.order.len() > MAX_DIGESTS {
                    if let Some(oldest) = self.order.pop_front() {
                        self.labels.remove(&oldest);
                    }
                }
            }
            None => {
                self.labels.remove(&digest);
            }
        }
    }

    /// The finding about a copy of a taught message, if `facts` is one.
    pub fn finding(&self, facts: &MessageFacts<'_>) -> Option<Finding> {
        if self.labels.is_empty() {
            return None;
        }
        match self.labels.get(&content_digest(facts))? {
            Label::Spam => Some(
                Finding::new(CHECK_NAME, MainClass::Spam, Subclass::StatisticalMethod1Cluster, "1.0000").with_score(1.0),
            ),
            Label::Ham => Some(
                Finding::new(CHECK_NAME, MainClass::NotSpam, Subclass::StatisticalMethod1Cluster, "1.0000").with_score(0.0),
            ),
        }
    }

    /// Appends the stored form: `count u64 | count x (digest u128, label u8)`
    /// (label 1 spam, 0 ham, 2 forgotten).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.order.len() as u64).to_le_bytes());
        for digest in &self.order {
            let label = match self.labels.get(digest) {
                Some(Label::Spam) => 1,
                Some(Label::Ham) => 0,
                None => 2,
            };
            out.extend_from_slice(&digest.to_le_bytes());
            out.push(label);
        }
    }

    /// Reads what [`Self::write_to`] wrote from the start of `bytes`; returns
    /// them and the bytes after them.
    pub fn read_from(bytes: &[u8]) -> Result<(TaughtCopies, &[u8]), String> {
        let mut reader = Reader(bytes);
        let count = u64::from_le_bytes(reader.take().ok_or("truncated")?) as usize;
        if count > reader.0.len() / 17 {
            return Err("digest count larger than the snapshot".to_owned());
        }
        let mut taught = TaughtCopies::default();
        for _ in 0..count {
            let digest = u128::from_le_bytes(reader.take().ok_or("truncated")?);
            match reader.take::<1>().ok_or("truncated")? {
                [1] => taught.teach(digest, Some(Label::Spam)),
                [0] => taught.teach(digest, Some(Label::Ham)),
                _ => {}
            }
        }
        Ok((taught, reader.0))
    }
}

/// What identifies "the same message" for learning: the subject, the From header
/// and the decoded text, with whitespace folded; not the trace headers or
/// Message-ID that differ between copies.
pub fn content_digest(facts: &MessageFacts<'_>) -> u128 {
    let mut hasher = Xxh3::new();
    let mut feed = |text: &str| {
        for word in text.split_whitespace() {
            hasher.update(word.as_bytes());
            hasher.update(b" ");
        }
        hasher.update(b"\n");
    };
    feed(facts.subject());
    if let Some(from) = facts.parsed.as_ref().and_then(|message| message.header_raw("From")) {
        feed(from);
    }
    for text in facts.text_parts() {
        feed(&text);
    }
    hasher.digest128()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_with_other_trace_headers_share_a_digest() {
        let envelope = sluice_core::Envelope::default();
        let first = b"Received: from a by b; Mon, 1 Jan 2024\r\nMessage-ID: <1@x>\r\nFrom: a@example.org\r\nSubject: Hello  there\r\n\r\nSame   body\r\n";
        let second = b"Received: from c by d; Tue, 2 Jan 2024\r\nMessage-ID: <2@x>\r\nFrom: a@example.org\r\nSubject: Hello there\r\n\r\nSame body\r\n";
        let other = b"From: a@example.org\r\nSubject: Hello there\r\n\r\nAnother body\r\n";
        let digest = |raw: &[u8]| content_digest(&MessageFacts::new(raw, &envelope, 0));
        assert_eq!(digest(first), digest(second));
        assert_ne!(digest(first), digest(other));
    }

    #[test]
    fn taught_digests_are_bounded_and_forgettable() {
        let mut digests = TaughtCopies::default();
        digests.teach(1, Some(Label::Spam));
        digests.teach(1, Some(Label::Ham));
        assert_eq!(digests.labels.get(&1), Some(&Label::Ham));
        assert_eq!(digests.order.len(), 1);
        digests.teach(1, None);
        assert!(digests.labels.is_empty());
    }

    #[test]
    fn taught_copies_survive_their_stored_form() {
        let mut taught = TaughtCopies::default();
        taught.teach(7, Some(Label::Spam));
        taught.teach(8, Some(Label::Ham));
        taught.teach(9, Some(Label::Ham));
        taught.teach(9, None);
        let mut bytes = Vec::new();
        taught.write_to(&mut bytes);
        bytes.extend_from_slice(b"rest");
        let (back, rest) = TaughtCopies::read_from(&bytes).expect("well formed");
        assert_eq!(rest, b"rest");
        assert_eq!((back.labels.get(&7), back.labels.get(&8), back.labels.get(&9)), (Some(&Label::Spam), Some(&Label::Ham), None));
        assert!(TaughtCopies::read_from(&bytes[..20]).is_err());
    }
}
