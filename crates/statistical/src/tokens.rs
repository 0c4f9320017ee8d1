//! The tokeniser: one message -> a bounded, sorted set of 64-bit feature ids.
//!
//! Both methods read the same features: the words of the decoded text (HTML rendered
//! to text, QP/base64 and charsets decoded by `mail-parser`, then folded by
//! [`crate::normalise`]) as unigrams plus orthogonal sparse bigrams (OSB, CRM114 /
//! Rspamd: each word paired with each of the next `OSB_WINDOW - 1` words, the distance
//! being part of the pair); the same for the subject; a few selected headers (sender
//! and reply-to domains, mailer, content types, charsets, list and threading headers);
//! URL hosts and domains; attachment types and extensions; and structural facts
//! (HTML ratio, link and image counts, charset problems, obfuscation) as bucketed
//! tokens.
//!
//! Ids are `xxh3_64` of the token text seeded by its namespace, so they are stable
//! across versions and platforms and can be stored. Received lines, dates and
//! message ids are left out on purpose: they describe the delivery path of one
//! installation (and of one year), not the message, and would not carry to another site.
//!
//! Work per message is bounded whatever its size: at most [`TokeniserLimits`] bytes of
//! text are folded, words and URLs are capped, so the feature count has a hard ceiling.
//! Features are a set: a token counts once per message (document frequency).

use mail_parser::{Encoding, Message, MessageParser, MessagePart, MimeHeaders, PartType};
use unicode_segmentation::UnicodeSegmentation;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use sluice_core::MessageFacts;
use sluice_core::html::html_to_text;
use crate::normalise::{FoldStats, fold, fold_into};

/// Bounds on the work done for one message. Each has its default beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokeniserLimits {
    /// Decoded text folded per message (all parts together) [64 KiB].
    pub max_text_bytes: usize,
    /// Body words kept, in order [3000]; with OSB each gives at most `OSB_WINDOW` features.
    pub max_words: usize,
    /// Longer words become one `long-word` token [40 bytes].
    pub max_word_bytes: usize,
    /// URLs looked at per message [64].
    pub max_urls: usize,
    /// MIME parts looked at per message, nested messages included [64].
    pub max_parts: usize,
}

impl Default for TokeniserLimits {
    fn default() -> TokeniserLimits {
        TokeniserLimits { max_text_bytes: 64 * 1024, max_words: 3000, max_word_bytes: 40, max_urls: 64, max_parts: 64 }
    }
}

/// The sliding window of the sparse bigrams: a word is paired with the next 4.
pub const OSB_WINDOW: usize = 5;

/// Subject words kept.
const MAX_SUBJECT_WORDS: usize = 50;
/// Words kept from a display name or a mailer header.
const MAX_HEADER_WORDS: usize = 8;
/// Attached messages are followed this deep.
const MAX_NESTING: usize = 3;

/// The features of one message: sorted, deduplicated ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Features {
    ids: Vec<u64>,
    /// The [`Group`] of each id (same order), empty when unknown (all text).
    groups: Vec<u8>,
    kind: MessageKind,
    /// The message's n-gram slots for cluster method 3 ([`crate::ngrams`]), sorted;
    /// empty when not computed (the global model has no method 3).
    ngrams: Vec<u32>,
}

/// What kind of message it is, as far as weighing the evidence goes: the stacker
/// has its own weights for each kind (see [`crate::calibrate::Stacker`]).
///
/// Mail relayed by a mailing list carries the list's headers, which say a lot about
/// the list and nothing about whoever wrote to it, so its text and links have to
/// decide; HTML mail has markup and link evidence plain text lacks. Cross-validation
/// on the train split: one set of weights for every message missed a quarter more
/// spam at the same false-positive rate (crates/statistical/README.md, fifth round).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageKind {
    /// The message has a `List-Id` header (RFC 2919): a list manager relayed it.
    pub list: bool,
    /// The message has an HTML part.
    pub html: bool,
}

impl MessageKind {
    /// The kinds as the stacker's 0/1 inputs, in a fixed order.
    pub fn flags(self) -> [bool; KINDS] {
        [self.list, self.html]
    }
}

/// The number of flags of a [`MessageKind`].
pub const KINDS: usize = 2;

/// Which part of a message a feature describes: the stacker weighs the evidence of
/// each part separately (see [`crate::calibrate::Stacker`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Body and subject words and their pairs.
    Text = 0,
    /// Sender, mailer, header names, shapes, order and words.
    Header = 1,
    /// URLs, HTML markup, MIME structure, attachments, structural buckets.
    Structure = 2,
}

/// The number of [`Group`]s.
pub const GROUPS: usize = 3;

impl Features {
    /// Features from already known ids (sorted and deduplicated here).
    pub fn from_ids(mut ids: Vec<u64>) -> Features {
        ids.sort_unstable();
        ids.dedup();
        Features { ids, groups: Vec::new(), kind: MessageKind::default(), ngrams: Vec::new() }
    }

    /// The same features with the message's n-gram slots ([`crate::ngrams::slots_of`]);
    /// kept sorted, distinct and within the table whoever made them (a learning row
    /// with anything else is refused by every node).
    pub fn with_ngrams(mut self, mut slots: Vec<u32>) -> Features {
        slots.retain(|&slot| (slot as usize) < crate::ngrams::NGRAM_SLOTS);
        slots.sort_unstable();
        slots.dedup();
        self.ngrams = slots;
        self
    }

    /// The n-gram slots of cluster method 3, sorted (empty when not computed).
    pub fn ngrams(&self) -> &[u32] {
        &self.ngrams
    }

    /// Features with the group of each id (sorted and deduplicated here).
    fn from_grouped(ids: Vec<u64>, groups: Vec<u8>, kind: MessageKind) -> Features {
        let mut pairs: Vec<(u64, u8)> = ids.into_iter().zip(groups).collect();
        pairs.sort_unstable();
        pairs.dedup_by_key(|pair| pair.0);
        let (ids, groups) = pairs.into_iter().unzip();
        Features { ids, groups, kind, ngrams: Vec::new() }
    }

    /// What kind of message these features come from.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    pub fn ids(&self) -> &[u64] {
        &self.ids
    }

    /// The group of each id (as `Group as u8`), or empty when not known.
    pub fn groups(&self) -> &[u8] {
        &self.groups
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// The features of raw message bytes (a leading mbox `From ` line is skipped),
/// with the n-gram slots of cluster method 3.
pub fn features_of_raw(raw: &[u8], limits: &TokeniserLimits) -> Features {
    of_raw(raw, limits, true)
}

/// [`features_of_raw`] without the n-gram slots: all the global model reads
/// (training it, a stream's familiarity), without hashing every message's text
/// view or keeping up to [`crate::ngrams::NGRAM_BYTES`] slots per message.
pub fn word_features_of_raw(raw: &[u8], limits: &TokeniserLimits) -> Features {
    of_raw(raw, limits, false)
}

fn of_raw(raw: &[u8], limits: &TokeniserLimits, with_ngrams: bool) -> Features {
    let raw = sluice_core::message::strip_mbox_from_line(raw);
    let envelope = sluice_core::Envelope::default();
    let facts = MessageFacts::new(raw, &envelope, 0);
    let features = features_of_message(facts.parsed.as_ref(), raw, limits, Some(&facts));
    if with_ngrams { features.with_ngrams(crate::ngrams::slots_of(&facts)) } else { features }
}

/// The features of a message already parsed (by `MessageFacts`); `raw` is used
/// as text when nothing could be parsed. `rendered`: the facts whose HTML
/// renderings (`MessageFacts::html_parts`) are reused instead of rendering
/// again; the features are the same either way.
pub fn features_of_message(
    message: Option<&Message<'_>>,
    raw: &[u8],
    limits: &TokeniserLimits,
    rendered: Option<&MessageFacts<'_>>,
) -> Features {
    let mut collector = Collector::new(false);
    let kind = collect(message, raw, limits, &mut collector, rendered);
    Features::from_grouped(collector.ids, collector.groups, kind)
}

/// The tokens of a message as readable text (`namespace:token`, pairs as
/// `pair/d:a b`), for tests and for explaining a score.
pub fn token_strings(raw: &[u8], limits: &TokeniserLimits) -> Vec<String> {
    let raw = sluice_core::message::strip_mbox_from_line(raw);
    let parsed = MessageParser::default().parse(raw);
    let mut collector = Collector::new(true);
    collect(parsed.as_ref(), raw, limits, &mut collector, None);
    let mut strings = collector.strings;
    strings.sort();
    strings.dedup();
    strings
}

/// Where a token comes from; the seed keeps "free" in the subject apart from "free"
/// in the body. The seeds are part of the model format: never renumber them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Space {
    Body = 1,
    Subject = 2,
    FromName = 3,
    FromDomain = 4,
    ReplyToDomain = 5,
    Mailer = 6,
    Header = 7,
    ContentType = 8,
    Charset = 9,
    Encoding = 10,
    UrlHost = 11,
    UrlDomain = 12,
    AttachmentType = 13,
    AttachmentExtension = 14,
    Structure = 15,
    HeaderName = 16,
    UrlPath = 17,
    Markup = 18,
    HeaderShape = 19,
    HeaderOrder = 20,
    HeaderWord = 21,
}

impl Space {
    fn group(self) -> Group {
        match self {
            Space::Body | Space::Subject => Group::Text,
            Space::FromName
            | Space::FromDomain
            | Space::ReplyToDomain
            | Space::Mailer
            | Space::Header
            | Space::HeaderName
            | Space::HeaderShape
            | Space::HeaderOrder
            | Space::HeaderWord => Group::Header,
            _ => Group::Structure,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Space::Body => "",
            Space::Subject => "subject:",
            Space::FromName => "from-name:",
            Space::FromDomain => "from-domain:",
            Space::ReplyToDomain => "reply-to-domain:",
            Space::Mailer => "mailer:",
            Space::Header => "header:",
            Space::ContentType => "content-type:",
            Space::Charset => "charset:",
            Space::Encoding => "encoding:",
            Space::UrlHost => "url-host:",
            Space::UrlDomain => "url-domain:",
            Space::AttachmentType => "attachment-type:",
            Space::AttachmentExtension => "attachment-ext:",
            Space::Structure => "structure:",
            Space::HeaderName => "header-name:",
            Space::UrlPath => "url-path:",
            Space::Markup => "html:",
            Space::HeaderShape => "shape:",
            Space::HeaderOrder => "header-order:",
            Space::HeaderWord => "header-word:",
        }
    }
}

/// Seed of sparse-bigram ids; the distance is added to it.
const PAIR_SEED: u64 = 0x05b1_0000;

/// Accumulates ids (and, when explaining, their text).
struct Collector {
    ids: Vec<u64>,
    groups: Vec<u8>,
    explain: bool,
    strings: Vec<String>,
}

impl Collector {
    fn new(explain: bool) -> Collector {
        Collector { ids: Vec::with_capacity(4096), groups: Vec::with_capacity(4096), explain, strings: Vec::new() }
    }

    fn token(&mut self, space: Space, text: &str) -> u64 {
        let id = xxh3_64_with_seed(text.as_bytes(), space as u64);
        self.ids.push(id);
        self.groups.push(space.group() as u8);
        if self.explain {
            self.strings.push(format!("{}{text}", space.prefix()));
        }
        id
    }

    /// Unigrams and sparse bigrams over a word sequence.
    fn sequence(&mut self, space: Space, words: &[&str]) {
        let ids: Vec<u64> = words.iter().map(|word| self.token(space, word)).collect();
        for (index, first) in ids.iter().enumerate() {
            for distance in 1..OSB_WINDOW {
                let Some(second) = ids.get(index + distance) else {
                    break;
                };
                let mut pair = [0u8; 16];
                pair[..8].copy_from_slice(&first.to_le_bytes());
                pair[8..].copy_from_slice(&second.to_le_bytes());
                self.ids.push(xxh3_64_with_seed(&pair, PAIR_SEED + distance as u64));
                self.groups.push(space.group() as u8);
                if self.explain {
                    self.strings.push(format!("pair/{distance}:{}{} {}", space.prefix(), words[index], words[index + distance]));
                }
            }
        }
    }

    fn structure(&mut self, name: &str, value: impl std::fmt::Display) {
        let text = format!("{name}={value}");
        self.token(Space::Structure, &text);
    }
}

/// Facts gathered while walking the parts, turned into structural tokens at the end.
#[derive(Default)]
struct BodyStats {
    html_parts: u32,
    text_parts: u32,
    html_source_bytes: usize,
    html_text_bytes: usize,
    images: u32,
    attachments: u32,
    encoding_problems: u32,
    undeclared_8bit: u32,
    parts: usize,
}

/// Collects the tokens of a message into `out` and tells what kind of message it is.
fn collect(
    message: Option<&Message<'_>>,
    raw: &[u8],
    limits: &TokeniserLimits,
    out: &mut Collector,
    rendered: Option<&MessageFacts<'_>>,
) -> MessageKind {
    let mut text = String::with_capacity(limits.max_text_bytes.min(16 * 1024));
    let mut fold_stats = FoldStats::default();
    let mut links: Vec<String> = Vec::new();
    let mut stats = BodyStats::default();
    match message {
        Some(message) => {
            collect_headers(message, out);
            collect_parts(message, limits, out, &mut text, &mut fold_stats, &mut links, &mut stats, rendered, 0);
        }
        None => {
            out.structure("unparsed", 1);
            let head = &raw[..raw.len().min(limits.max_text_bytes)];
            fold_into(&String::from_utf8_lossy(head), &mut text, limits.max_text_bytes, &mut fold_stats);
        }
    }

    let words = body_words(&text, limits, out);
    out.sequence(Space::Body, &words);

    find_urls_in_text(&text, &mut links, limits.max_urls);
    let hosts = collect_urls(&links, limits, out);

    out.structure("words", log2_bucket(words.len()));
    out.structure("links", log2_bucket(links.len()));
    out.structure("link-hosts", log2_bucket(hosts));
    out.structure("images", log2_bucket(stats.images as usize));
    out.structure("attachments", log2_bucket(stats.attachments as usize));
    out.structure("parts", log2_bucket(stats.parts));
    let html_shape = match (stats.text_parts, stats.html_parts) {
        (0, 0) => "none",
        (_, 0) => "text-only",
        (0, _) => "html-only",
        _ => "both",
    };
    out.structure("bodies", html_shape);
    // Rendered text over HTML source, in tenths: markup-heavy mail is rarely personal.
    if let Some(ratio) = (stats.html_text_bytes * 10).checked_div(stats.html_source_bytes) {
        out.structure("html-text-ratio", ratio.min(10));
    }
    if stats.images > 0 && words.len() < 20 {
        out.structure("image-only", 1);
    }
    if stats.encoding_problems > 0 {
        out.structure("encoding-problem", 1);
    }
    if stats.undeclared_8bit > 0 {
        out.structure("charset-mismatch", 1);
    }
    if fold_stats.mixed_script_words > 0 {
        out.structure("mixed-script-words", log2_bucket(fold_stats.mixed_script_words as usize));
    }
    if fold_stats.invisible_chars > 0 {
        out.structure("invisible-chars", log2_bucket(fold_stats.invisible_chars as usize));
    }
    if fold_stats.letters >= 20 {
        // Share of capitals in tenths: shouting is a spam habit.
        out.structure("upper-ratio", fold_stats.upper_letters * 10 / fold_stats.letters);
    }
    MessageKind { list: message.is_some_and(|message| message.header("List-Id").is_some()), html: stats.html_parts > 0 }
}

/// The body words, bounded; over-long words and long numbers become shape tokens
/// so that random strings do not each make a new feature.
fn body_words<'t>(text: &'t str, limits: &TokeniserLimits, out: &mut Collector) -> Vec<&'t str> {
    let mut words = Vec::with_capacity(512);
    let mut long_words = 0usize;
    for word in text.unicode_words() {
        if words.len() >= limits.max_words {
            break;
        }
        if word.len() > limits.max_word_bytes {
            long_words += 1;
            words.push("<long-word>");
        } else if word.len() > 6 && word.bytes().all(|byte| byte.is_ascii_digit() || byte == b'.' || byte == b',') {
            words.push("<long-number>");
        } else {
            words.push(word);
        }
    }
    if long_words > 0 {
        out.structure("long-words", log2_bucket(long_words));
    }
    words
}

#[allow(clippy::too_many_arguments)] // one walk over the tree, accumulating into each sink
fn collect_parts(
    message: &Message<'_>,
    limits: &TokeniserLimits,
    out: &mut Collector,
    text: &mut String,
    fold_stats: &mut FoldStats,
    links: &mut Vec<String>,
    stats: &mut BodyStats,
    rendered: Option<&MessageFacts<'_>>,
    depth: usize,
) {
    for part in &message.parts {
        if stats.parts >= limits.max_parts {
            return;
        }
        stats.parts += 1;
        let content_type = part_content_type(part);
        if let Some(content_type) = &content_type {
            out.token(Space::ContentType, content_type);
        }
        if let Some(charset) = part.content_type().and_then(|ct| ct.attribute("charset")) {
            out.token(Space::Charset, &fold(charset, 40));
        }
        match part.encoding {
            Encoding::QuotedPrintable => {
                out.token(Space::Encoding, "quoted-printable");
            }
            Encoding::Base64 => {
                out.token(Space::Encoding, "base64");
            }
            Encoding::None => {}
        }
        if part.is_encoding_problem {
            stats.encoding_problems += 1;
        }
        if let Some(name) = part.attachment_name() {
            stats.attachments += 1;
            attachment_tokens(name, content_type.as_deref(), out);
        }
        match &part.body {
            PartType::Text(body) => {
                stats.text_parts += 1;
                note_charset(part, body, stats);
                let room = limits.max_text_bytes.saturating_sub(text.len());
                text.push(' ');
                fold_into(body, text, text.len() + room, fold_stats);
            }
            PartType::Html(body) => {
                stats.html_parts += 1;
                note_charset(part, body, stats);
                let room = limits.max_text_bytes.saturating_sub(text.len());
                let source = prefix_at_char_boundary(body, room.saturating_mul(4));
                // The message's own rendering when it covers the same source
                // (the whole part fits): the same text and facts, rendered once.
                let reused = rendered.filter(|_| source.len() == body.len()).and_then(|facts| facts.rendered_html(body));
                let mut rendered_here = String::new();
                let (rendered_text, facts) = match reused {
                    Some(reused) => (reused.text.as_str(), std::borrow::Cow::Borrowed(&reused.facts)),
                    None => {
                        rendered_here.reserve(source.len() / 2);
                        let facts = html_to_text(source, &mut rendered_here);
                        (rendered_here.as_str(), std::borrow::Cow::Owned(facts))
                    }
                };
                stats.html_source_bytes += source.len();
                stats.html_text_bytes += rendered_text.trim().len();
                stats.images += facts.images;
                for markup in &facts.markup {
                    out.token(Space::Markup, markup);
                }
                links.extend(facts.links.iter().take(limits.max_urls.saturating_sub(links.len())).cloned());
                text.push(' ');
                fold_into(rendered_text, text, text.len() + room, fold_stats);
            }
            PartType::Binary(_) | PartType::InlineBinary(_) => {
                if content_type.as_deref().is_some_and(|ct| ct.starts_with("image/")) {
                    stats.images += 1;
                }
            }
            PartType::Message(inner) => {
                if depth < MAX_NESTING {
                    collect_parts(inner, limits, out, text, fold_stats, links, stats, rendered, depth + 1);
                }
            }
            PartType::Multipart(_) => {}
        }
    }
}

/// A text part whose charset is missing or US-ASCII but whose text is not ASCII:
/// the sender's software lied about the encoding, a trait of bulk mailers.
fn note_charset(part: &MessagePart<'_>, body: &str, stats: &mut BodyStats) {
    let declared = part.content_type().and_then(|ct| ct.attribute("charset"));
    let claims_ascii = declared.is_none_or(|charset| charset.eq_ignore_ascii_case("us-ascii"));
    if claims_ascii && !body.is_ascii() {
        stats.undeclared_8bit += 1;
    }
}

fn part_content_type(part: &MessagePart<'_>) -> Option<String> {
    let content_type = part.content_type()?;
    let mut name = content_type.ctype().to_ascii_lowercase();
    if let Some(subtype) = content_type.subtype() {
        name.push('/');
        name.push_str(&subtype.to_ascii_lowercase());
    }
    name.truncate(60);
    Some(name)
}

fn attachment_tokens(name: &str, content_type: Option<&str>, out: &mut Collector) {
    let name = fold(name, 200);
    if let Some((_, extension)) = name.rsplit_once('.')
        && !extension.is_empty()
        && extension.len() <= 8
    {
        out.token(Space::AttachmentExtension, extension);
    }
    if let Some(content_type) = content_type {
        out.token(Space::AttachmentType, content_type);
    }
}

fn collect_headers(message: &Message<'_>, out: &mut Collector) {
    if let Some(subject) = message.subject() {
        let folded = fold(subject, 1000);
        let words: Vec<&str> = folded.unicode_words().take(MAX_SUBJECT_WORDS).collect();
        out.sequence(Space::Subject, &words);
        let letters = subject.chars().filter(|c| c.is_alphabetic()).count();
        let upper = subject.chars().filter(|c| c.is_uppercase()).count();
        if letters >= 8 && upper * 10 >= letters * 7 {
            out.structure("subject-shouts", 1);
        }
        if subject.contains('!') {
            out.structure("subject-exclamation", 1);
        }
        if subject.contains('$') || subject.contains('%') {
            out.structure("subject-money", 1);
        }
    } else {
        out.structure("no-subject", 1);
    }

    let from = message.from().and_then(|address| address.first());
    let from_domain = from.and_then(|addr| addr.address()).map(address_domain);
    if let Some(name) = from.and_then(|addr| addr.name()) {
        let folded = fold(name, 200);
        for word in folded.unicode_words().take(MAX_HEADER_WORDS) {
            out.token(Space::FromName, word);
        }
        if name.contains('@') {
            out.structure("from-name-has-address", 1);
        }
    }
    match &from_domain {
        Some(domain) => domain_tokens(domain, Space::FromDomain, out),
        None => out.structure("no-from-address", 1),
    }
    if let Some(reply_to) = message.reply_to().and_then(|address| address.first()).and_then(|addr| addr.address()) {
        let domain = address_domain(reply_to);
        domain_tokens(&domain, Space::ReplyToDomain, out);
        if from_domain.as_deref() != Some(domain.as_str()) {
            out.structure("reply-to-elsewhere", 1);
        }
    }
    let recipients = message.to().map_or(0, |to| to.iter().count()) + message.cc().map_or(0, |cc| cc.iter().count());
    out.structure("recipients", log2_bucket(recipients));

    for header in ["X-Mailer", "User-Agent"] {
        if let Some(value) = message.header_raw(header) {
            let folded = fold(value, 200);
            // Version numbers change weekly; the product name is the signal.
            for word in folded.unicode_words().filter(|word| !word.starts_with(|c: char| c.is_ascii_digit())).take(4) {
                out.token(Space::Mailer, word);
            }
        }
    }
    header_names(message, out);
    if let Some(raw_subject) = message.header_raw("Subject")
        && let Some(start) = raw_subject.find("=?")
    {
        // The charset of an encoded subject: bulk mailers encode even plain ASCII.
        let charset = raw_subject[start + 2..].split('?').next().unwrap_or_default();
        out.structure("subject-encoded", fold(charset, 30));
    }
    // Presence of headers that mark list traffic, replies, or bulk-mailer habits.
    for header in [
        "List-Id",
        "List-Unsubscribe",
        "In-Reply-To",
        "References",
        "Organization",
        "X-Priority",
        "X-MSMail-Priority",
        "Importance",
        "MIME-Version",
        "Message-ID",
        "Date",
        "Mailing-List",
    ] {
        if message.header_raw(header).is_some() {
            out.token(Space::Header, header);
        }
    }
    if let Some(precedence) = message.header_raw("Precedence") {
        let value = format!("precedence={}", fold(precedence.trim(), 20));
        out.token(Space::Header, &value);
    }
}

/// Headers that say where a message went rather than what it is: added by the
/// receiving side (the MTA, the mailbox, an earlier filter), so they describe one
/// installation and must not be learned.
const DELIVERY_HEADERS: &[&str] = &[
    "received",
    "delivered-to",
    "return-path",
    "delivery-date",
    "x-keywords",
    "x-status",
    "status",
    "x-uid",
    "x-original-to",
    "envelope-to",
    "x-envelope-to",
];

/// Header names at most looked at per message.
const MAX_HEADER_NAMES: usize = 64;

/// The set of header names as written: which headers a mailer adds and how it
/// spells them (`Message-Id` or `Message-ID`, `MIME-Version` or `Mime-Version`) is a
/// fingerprint of the sending software.
///
/// Consecutive pairs of names (`From>To`) are tokens too: the order in which a
/// program writes its headers is as much its fingerprint as their spelling.
fn header_names(message: &Message<'_>, out: &mut Collector) {
    let mut previous: Option<&str> = None;
    for header in message.root_part().headers().iter().take(MAX_HEADER_NAMES) {
        let name = header.name();
        let lower = name.to_ascii_lowercase();
        if name.len() > 40 || DELIVERY_HEADERS.contains(&lower.as_str()) || lower.starts_with("x-spam") {
            continue;
        }
        out.token(Space::HeaderName, name);
        let pair = format!("{}>{name}", previous.unwrap_or("^"));
        out.token(Space::HeaderOrder, &pair);
        previous = Some(name);
        // The format (not the value) of each header is a fingerprint of the sending
        // software: `Message-ID: <20020823151201.GA1234@host>` from mutt, a random
        // string from a bulk mailer; the layout of the `Date` (day name, padding, zone
        // as `-0700` or `+0000 (GMT)`), `7bit` or `7BIT`. Values differ per message,
        // shapes per program.
        let raw = message.raw_message();
        let value = raw.get(header.offset_start as usize..header.offset_end as usize).unwrap_or_default();
        let value = String::from_utf8_lossy(value);
        let shape = format!("{lower}={}", shape_of(value.trim()));
        out.token(Space::HeaderShape, &shape);
        // The words of every other header too (`x-mailer:outlook`, the domain of the
        // Message-ID, a list's name), as SpamAssassin's Bayes does; the subject and
        // the sender have their own tokens above.
        if !matches!(lower.as_str(), "subject" | "from") {
            let folded = fold(&value, MAX_SHAPE_INPUT);
            for word in folded.unicode_words().take(MAX_HEADER_VALUE_WORDS) {
                let token = format!("{lower}:{word}");
                out.token(Space::HeaderWord, &token);
            }
        }
    }
}

/// Words of one header's value made into tokens.
const MAX_HEADER_VALUE_WORDS: usize = 12;

/// Longest header value looked at for its shape and words.
const MAX_SHAPE_INPUT: usize = 200;

/// The shape of a header value: each run of letters or digits becomes its class
/// (`9` digits, `a` lower, `A` upper, `Aa` capitalised, `x` mixed lower/digits,
/// `X` mixed with capitals) with its length bucketed, punctuation stays as is.
/// Values differ per message, shapes per program.
fn shape_of(value: &str) -> String {
    let value = prefix_at_char_boundary(value, MAX_SHAPE_INPUT);
    let mut shape = String::with_capacity(64);
    let mut run = String::new();
    let flush = |run: &mut String, shape: &mut String| {
        if run.is_empty() {
            return;
        }
        let digits = run.bytes().all(|b| b.is_ascii_digit());
        let upper = run.chars().any(char::is_uppercase);
        let lower = run.chars().any(char::is_lowercase);
        let has_digit = run.bytes().any(|b| b.is_ascii_digit());
        let class = match (digits, has_digit, upper, lower) {
            (true, ..) => "9",
            (_, false, true, false) => "A",
            (_, false, false, true) => "a",
            (_, false, true, true) if run.chars().skip(1).all(|c| !c.is_uppercase()) => "Aa",
            (_, _, true, _) => "X",
            _ => "x",
        };
        shape.push_str(class);
        shape.push_str(&log2_bucket(run.chars().count()).to_string());
        run.clear();
    };
    for c in value.chars() {
        if c.is_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut shape);
            if c.is_whitespace() {
                if !shape.ends_with(' ') {
                    shape.push(' ');
                }
            } else {
                shape.push(c);
            }
        }
    }
    flush(&mut run, &mut shape);
    shape
}

/// The lower-cased domain of an address, without a trailing dot.
fn address_domain(address: &str) -> String {
    address.rsplit_once('@').map(|(_, domain)| domain.trim().trim_end_matches(['.', '>']).to_ascii_lowercase()).unwrap_or_default()
}

/// The full host and its registrable part (last two labels, three under a short
/// second-level label such as `co.uk`): a cheap stand-in for the public suffix list.
fn domain_tokens(host: &str, space: Space, out: &mut Collector) {
    if host.is_empty() {
        return;
    }
    let host: String = host.chars().take(100).collect();
    out.token(space, &host);
    let labels: Vec<&str> = host.rsplit('.').collect();
    let keep = match labels.as_slice() {
        [tld, second, _, ..] if tld.len() == 2 && second.len() <= 3 => 3,
        _ => 2,
    };
    if labels.len() > keep {
        let registrable = labels[..keep].iter().rev().copied().collect::<Vec<_>>().join(".");
        let space = if space == Space::UrlHost { Space::UrlDomain } else { space };
        out.token(space, &registrable);
    }
}

/// Adds the URLs written in plain text (`http://`, `https://`, `www.`) to `links`.
fn find_urls_in_text(text: &str, links: &mut Vec<String>, max_urls: usize) {
    let mut search = 0;
    while links.len() < max_urls {
        let rest = &text[search..];
        let found = ["http://", "https://", "www."].iter().filter_map(|needle| rest.find(needle)).min();
        let Some(start) = found else {
            break;
        };
        let url_start = search + start;
        let end = text[url_start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')' | ']'))
            .map_or(text.len(), |end| url_start + end);
        links.push(text[url_start..end].to_owned());
        search = end.max(url_start + 1);
    }
}

/// URL hosts and domains; returns the number of distinct hosts.
fn collect_urls(links: &[String], limits: &TokeniserLimits, out: &mut Collector) -> usize {
    let mut hosts: Vec<String> = Vec::new();
    for link in links.iter().take(limits.max_urls) {
        let lower = link.trim().to_ascii_lowercase();
        let after_scheme = match lower.split_once("://") {
            Some((scheme, rest)) => {
                if scheme != "http" && scheme != "https" {
                    if scheme == "mailto" || lower.starts_with("mailto:") {
                        out.structure("mailto-link", 1);
                    }
                    continue;
                }
                rest
            }
            None if lower.starts_with("www.") => lower.as_str(),
            None => {
                if lower.starts_with("mailto:") {
                    out.structure("mailto-link", 1);
                }
                continue;
            }
        };
        let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or_default();
        let host_port = authority.rsplit('@').next().unwrap_or_default();
        let host = host_port.split(':').next().unwrap_or_default().trim_end_matches('.');
        if host.is_empty() {
            continue;
        }
        if host.bytes().all(|byte| byte.is_ascii_digit() || byte == b'.') {
            out.structure("url-ip-host", 1);
            continue;
        }
        if authority.contains('@') {
            out.structure("url-userinfo", 1);
        }
        // The first path segments ("/insurance/", "remove.htm") name the campaign.
        let path = after_scheme.get(authority.len()..).unwrap_or_default();
        for segment in path.split(['/', '?', '#', '&', '=']).filter(|segment| !segment.is_empty()).take(3) {
            if segment.len() <= 30 {
                out.token(Space::UrlPath, segment);
            }
        }
        if !hosts.iter().any(|known| known == host) {
            domain_tokens(host, Space::UrlHost, out);
            hosts.push(host.to_owned());
        }
    }
    hosts.len()
}

/// `0, 1, 2, 3-4, 5-8, ...` as `0, 1, 2, 3, 4, ...`: counts as coarse shapes.
fn log2_bucket(count: usize) -> u32 {
    if count == 0 { 0 } else { count.ilog2() + 1 }
}

fn prefix_at_char_boundary(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(raw: &str) -> Vec<String> {
        token_strings(raw.as_bytes(), &TokeniserLimits::default())
    }

    fn has(tokens: &[String], token: &str) -> bool {
        tokens.iter().any(|t| t == token)
    }

    #[test]
    fn plain_words_and_sparse_bigrams() {
        let t = tokens("Subject: Hi there\n\nCheap pills now");
        for expect in ["cheap", "pills", "now", "pair/1:cheap pills", "pair/2:cheap now", "subject:hi", "pair/1:subject:hi there"] {
            assert!(has(&t, expect), "{expect} missing from {t:?}");
        }
    }

    #[test]
    fn quoted_printable_and_base64_are_decoded() {
        let qp = tokens("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nCr=C3=A8me fra=\nche");
        assert!(has(&qp, "creme"), "{qp:?}");
        assert!(has(&qp, "fraiche") || has(&qp, "frache"), "{qp:?}");
        assert!(has(&qp, "encoding:quoted-printable"));
        let b64 = tokens("Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nZnJlZSBtb25leQ==\n");
        assert!(has(&b64, "free") && has(&b64, "money"), "{b64:?}");
    }

    #[test]
    fn the_messages_own_html_rendering_gives_the_same_features() {
        let raw = "From: a@b.example\nSubject: offer\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\
                   Content-Type: text/html\n\n<p>Cheap <a href=\"http://x.example/p\">pills</a><img src=y.gif></p>\n--b\n\
                   Content-Type: message/rfc822\n\nSubject: inner\nContent-Type: text/html\n\n<b>inner</b> words\n--b--\n";
        let envelope = sluice_core::Envelope::default();
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        assert_eq!(facts.html_parts().len(), 2);
        for entity in facts.mime_entities(10) {
            if let PartType::Html(source) = &entity.part.body {
                assert!(facts.rendered_html(source).is_some(), "the tokeniser finds the rendering of {source:?}");
            }
        }
        let limits = TokeniserLimits::default();
        let reused = features_of_message(facts.parsed.as_ref(), facts.raw, &limits, Some(&facts));
        assert_eq!(reused.ids(), features_of_raw(raw.as_bytes(), &limits).ids());
    }

    #[test]
    fn html_is_rendered_and_links_become_domains() {
        let t =
            tokens("Content-Type: text/html\n\n<p>Click <a href=\"http://www.Pills.Example.co.uk/buy\">h<b></b>ere</a></p><img src=x.gif>");
        for expect in [
            "click",
            "here",
            "url-host:www.pills.example.co.uk",
            "url-domain:example.co.uk",
            "structure:bodies=html-only",
            "structure:images=1",
            "content-type:text/html",
        ] {
            assert!(has(&t, expect), "{expect} missing from {t:?}");
        }
        // Markup is not text: attribute names only appear as `html:` tokens.
        assert!(!has(&t, "href") && has(&t, "html:a.href"), "{t:?}");
    }

    #[test]
    fn confusables_fold_to_the_plain_word() {
        let t = tokens("Subject: x\nContent-Type: text/plain; charset=utf-8\n\nBuy v\u{456}\u{AD}agr\u{430} ＮＯＷ");
        assert!(has(&t, "viagra") && has(&t, "now"), "{t:?}");
        assert!(has(&t, "structure:mixed-script-words=1"));
    }

    #[test]
    fn headers_attachments_and_urls() {
        let raw = "From: \"Best Deals\" <promo@mail.deals.example>\nReply-To: x@other.example\nX-Mailer: MailKing 4.2\n\
                   Subject: WIN!\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n\
                   see https://user@203.0.113.9/x and www.shop.example/y\n--b\nContent-Type: application/octet-stream; name=\"a.EXE\"\n\
                   Content-Disposition: attachment; filename=\"a.EXE\"\n\nAAAA\n--b--\n";
        let t = tokens(raw);
        for expect in [
            "from-name:best",
            "from-domain:mail.deals.example",
            "from-domain:deals.example",
            "reply-to-domain:other.example",
            "structure:reply-to-elsewhere=1",
            "mailer:mailking",
            "structure:subject-exclamation=1",
            "structure:url-ip-host=1",
            "url-host:www.shop.example",
            "attachment-ext:exe",
            "attachment-type:application/octet-stream",
            "content-type:multipart/mixed",
        ] {
            assert!(has(&t, expect), "{expect} missing from {t:?}");
        }
    }

    #[test]
    fn header_shapes_order_and_words() {
        let t = tokens(
            "Message-ID: <20020823151201.GA1234@mail.example>\nDate: Fri, 06 Sep 2002 11:12:45\nFrom: a@b.example\n\
             X-Mailer: Microsoft Outlook Express 6.00\nSubject: hi\n\nbody",
        );
        for expect in [
            "shape:message-id=<94.X3@a3.a3>",
            "shape:date=Aa2, 92 Aa2 93 92:92:92",
            "header-order:^>Message-ID",
            "header-order:Message-ID>Date",
            "header-order:X-Mailer>Subject",
            "header-word:x-mailer:outlook",
            "header-word:message-id:mail.example",
        ] {
            assert!(has(&t, expect), "{expect} missing from {t:?}");
        }
        // The subject and sender have their own tokens, not header words.
        assert!(!has(&t, "header-word:subject:hi"), "{t:?}");
        // Length buckets: 14 digits -> 4, 4 characters -> 3.
        assert_eq!(shape_of("7BIT"), "X3");
        assert_eq!(shape_of("Ünïcode  x"), "Aa3 a1");
    }

    #[test]
    fn every_id_has_its_group() {
        let raw = b"From: a@b.example\nSubject: hi there\nContent-Type: text/html\n\n<a href=\"http://x.example/p\">cheap pills</a>";
        let features = features_of_raw(raw, &TokeniserLimits::default());
        assert_eq!(features.groups().len(), features.ids().len());
        let body = xxh3_64_with_seed(b"cheap", Space::Body as u64);
        let host = xxh3_64_with_seed(b"x.example", Space::UrlHost as u64);
        let domain = xxh3_64_with_seed(b"b.example", Space::FromDomain as u64);
        let group = |id: u64| features.groups()[features.ids().binary_search(&id).expect("present")];
        assert_eq!(group(body), Group::Text as u8);
        assert_eq!(group(host), Group::Structure as u8);
        assert_eq!(group(domain), Group::Header as u8);
    }

    #[test]
    fn list_mail_and_html_mail_are_told_apart() {
        let kind = |raw: &str| features_of_raw(raw.as_bytes(), &TokeniserLimits::default()).kind();
        assert_eq!(kind("From: a@b.example\nSubject: hi\n\nplain words"), MessageKind::default());
        let list = kind("From: a@b.example\nList-Id: Users <users.lists.example>\n\nplain words");
        assert_eq!(list, MessageKind { list: true, html: false });
        // List-Unsubscribe alone is what bulk senders add too: not a list's relay.
        assert!(!kind("From: a@b.example\nList-Unsubscribe: <mailto:u@b.example>\n\nwords").list);
        let html = kind("From: a@b.example\nContent-Type: text/html\n\n<p>words</p>");
        assert_eq!(html, MessageKind { list: false, html: true });
        let alternative = "From: a@b.example\nList-ID: <x.example>\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\nwords\n--b\nContent-Type: text/html\n\n<p>words</p>\n--b--\n";
        assert_eq!(kind(alternative), MessageKind { list: true, html: true });
        assert_eq!(kind("\u{0}\u{1}not a message"), MessageKind::default());
    }

    #[test]
    fn the_mbox_line_is_not_a_header() {
        let t = tokens("From someone@example Thu Aug 22 12:36:23 2002\nSubject: hello\n\nbody");
        assert!(has(&t, "subject:hello"), "{t:?}");
    }

    #[test]
    fn work_is_bounded_for_huge_messages() {
        let limits = TokeniserLimits::default();
        let body: String = (0..200_000).map(|i| format!("w{i} ")).collect();
        let raw = format!("Subject: big\n\n{body}");
        let features = features_of_raw(raw.as_bytes(), &limits);
        let ceiling = limits.max_words * OSB_WINDOW + MAX_SUBJECT_WORDS * OSB_WINDOW + 200;
        assert!(features.len() <= ceiling, "{} features", features.len());
    }

    #[test]
    fn word_features_are_the_features_without_the_ngram_slots() {
        let raw = b"From a@b Thu Jan  1 00:00:00 2026\nFrom: a@b.example\nSubject: offer\n\nCheap pills, buy now\n";
        let (full, words) = (features_of_raw(raw, &TokeniserLimits::default()), word_features_of_raw(raw, &TokeniserLimits::default()));
        assert!(!full.ngrams().is_empty() && words.ngrams().is_empty());
        assert_eq!((full.ids(), full.kind()), (words.ids(), words.kind()));
    }

    #[test]
    fn unparseable_input_still_gives_features() {
        let features = features_of_raw(b"\xff\xfe\x00garbage words here", &TokeniserLimits::default());
        assert!(!features.is_empty());
    }

    #[test]
    fn ids_are_stable_across_versions() {
        // The ids are stored in models: a change here invalidates every trained model.
        assert_eq!(xxh3_64_with_seed(b"free", Space::Body as u64), 7_450_465_125_305_366_437);
    }
}
