//! A corpus's labelled split (`CORPUS/NAME/SPLIT.tsv`: file, label, train/test)
//! with each message's envelope guessed from its headers, for the benchmarks that
//! judge messages as a gateway would (`bench/fingerprints.rs`,
//! `bench/every_part.rs`).

use sluice_core::Envelope;
use sluice_core::message::strip_mbox_from_line;

/// The SpamAssassin corpus's owner: its anonymisation replaced his address in
/// the headers (`yyyy@`, `zzzz@`) but not in the bodies ("This email was sent to
/// ..."), so the recipient a gateway would know from RCPT TO is lost. With
/// `SPAMASSASSIN_OWNER=1` set, it is counted as every message's recipient.
pub(crate) const SPAMASSASSIN_OWNER: &str = "jm@jmason.org";

/// One message of the split, read into memory.
pub(crate) struct Labelled {
    /// Its path in the split (named by `bench/fingerprints.rs` only).
    #[allow(dead_code)]
    pub(crate) file: String,
    pub(crate) spam: bool,
    pub(crate) train: bool,
    pub(crate) raw: Vec<u8>,
    pub(crate) envelope: Envelope,
}

/// Every message of `ROOT/CORPUS/SPLIT.tsv` (nothing, with a note, when it is absent).
pub(crate) fn load(root: &str, corpus: &str) -> Vec<Labelled> {
    let split = format!("{root}/{corpus}/SPLIT.tsv");
    let Ok(text) = std::fs::read_to_string(&split) else {
        eprintln!("no corpus at {split}");
        return Vec::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut columns = line.split('\t');
            let (file, label, part) = (columns.next()?, columns.next()?, columns.next()?);
            let raw = std::fs::read(format!("{root}/{corpus}/{file}")).ok()?;
            let raw = strip_mbox_from_line(&raw).to_vec();
            let envelope = envelope_of(&raw);
            Some(Labelled { file: file.to_owned(), spam: label == "spam", train: part == "train", raw, envelope })
        })
        .collect()
}

/// The envelope recipients as the corpus lets us guess them: the addresses of
/// `Delivered-To:`, `X-Original-To:`, `To:` and `Cc:` (a gateway knows them from
/// RCPT TO; a body naming its recipient says nothing about the sender).
pub(crate) fn envelope_of(raw: &[u8]) -> Envelope {
    let Some(parsed) = mail_parser::MessageParser::new().parse_headers(raw) else { return Envelope::default() };
    let mut recipients: Vec<String> = Vec::new();
    for name in ["Delivered-To", "X-Original-To"] {
        for value in parsed.header_values(name) {
            if let Some(text) = value.as_text() {
                recipients.push(text.trim().trim_matches(['<', '>']).to_ascii_lowercase());
            }
        }
    }
    for header in [parsed.to(), parsed.cc()].into_iter().flatten() {
        recipients.extend(header.iter().filter_map(|address| address.address()).map(str::to_ascii_lowercase));
    }
    if std::env::var_os("SPAMASSASSIN_OWNER").is_some() {
        recipients.push(SPAMASSASSIN_OWNER.to_owned());
    }
    Envelope { recipients, ..Envelope::default() }
}

