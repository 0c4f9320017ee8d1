//! Hash block lists queried over DNS (`[[hashbl]]`: Spamhaus HBL style, the
//! hashed lists of SpamAssassin's HashBL): items of a message are hashed and
//! the hash is asked as `<hash>.<zone>`; an answer in 127.0.0.0/8 lists the item.
//!
//! The items ([`message_items`], pure, from the classification's one parse):
//!
//! - `email`: the message's contact addresses ([`crate::fingerprints::contacts`]:
//!   `Reply-To:` and the addresses written in the text, not those of the
//!   recipients) and the header From's addresses (unless a recipient's, or the
//!   mail is our authenticated user's), lower case;
//! - `url`: each URL of the text and HTML parts, canonicalised as the URL hash
//!   lists do ([`super::url_hashes::canonicalize`]), without its scheme
//!   (`evil.example/login?id=1`: the string `sluice urllist import` hashes for a URL);
//! - `file`: the decoded bytes of each attachment (as the rules tell one: a
//!   part with a file name or disposed as an attachment, or any non-text leaf
//!   part), empty ones left out.
//!
//! At most [`MAX_ITEMS_PER_KIND`] distinct items of each kind per message. Each
//! list hashes its items with its `hash` (`sha256`, `sha1`, `md5`) and writes the
//! digest in its `encoding` (`hex`, lower case; `base32`, RFC 4648, lower case,
//! no padding) as one DNS label ([`HashList::query`]). The lookups are gathered by
//! `sluice-lookup` (every query at once, within `[dns] timeout`); this module
//! reads the answers ([`check_hash_lists`]) and reports, for each item a list
//! lists, `spam` / `pattern-remote` (decisive content, 550 5.7.1, quarantined);
//! extra = `ZONE:KIND:ITEM` (the address, the URL, or the attachment's file name
//! and hash: `invoice.pdf sha256:<label>`).
//!
//! What an answer means: as for the other DNS lists ([`super::dnslists::interpret`]),
//! except that `127.0.0.1` does not list unless `codes` names it (a wildcard
//! answer, or a list's "query refused"). A list that times out or fails lists
//! nothing; the lookup is in the log row. Settings: none beyond the tables.

use std::borrow::Cow;
use std::net::Ipv4Addr;

use mail_parser::{MimeHeaders, PartType};
use serde::Deserialize;
use sluice_model::{Finding, MainClass, Subclass};

use super::dnslists::{DnsList, ListAnswer, Listing, interpret};
use crate::message::MessageFacts;

pub const NAME: &str = "hash-block-lists";

/// The most items of one kind (addresses, URLs, attachments) asked per message.
pub const MAX_ITEMS_PER_KIND: usize = 16;
/// MIME entities looked at for attachments.
const MAX_ENTITIES: usize = 1000;
/// Attachment names are cut to this many characters in the evidence.
const MAX_NAME: usize = 100;
/// The longest DNS label (RFC 1035 2.3.4).
const MAX_LABEL: usize = 63;

/// What a list is asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Email,
    Url,
    File,
}

impl ItemKind {
    pub const ALL: [ItemKind; 3] = [ItemKind::Email, ItemKind::Url, ItemKind::File];

    /// The name in the configuration and in the evidence.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Email => "email",
            ItemKind::Url => "url",
            ItemKind::File => "file",
        }
    }
}

/// The digest a list is keyed by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlgorithm {
    #[default]
    Sha256,
    Sha1,
    Md5,
}

impl HashAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha1 => "sha1",
            HashAlgorithm::Md5 => "md5",
        }
    }

    /// The digest of `bytes`.
    pub fn digest(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            HashAlgorithm::Sha256 => <sha2::Sha256 as sha2::Digest>::digest(bytes).to_vec(),
            HashAlgorithm::Sha1 => <sha1::Sha1 as sha1::Digest>::digest(bytes).to_vec(),
            HashAlgorithm::Md5 => <md5::Md5 as md5::Digest>::digest(bytes).to_vec(),
        }
    }

    fn digest_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Md5 => 16,
        }
    }
}

/// How a digest is written as a DNS label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Lower-case hexadecimal.
    Hex,
    /// RFC 4648 base32, lower case, without padding.
    Base32,
}

impl Encoding {
    pub fn encode(self, digest: &[u8]) -> String {
        match self {
            Encoding::Hex => digest.iter().map(|byte| format!("{byte:02x}")).collect(),
            Encoding::Base32 => base32(digest),
        }
    }

    fn encoded_len(self, bytes: usize) -> usize {
        match self {
            Encoding::Hex => bytes * 2,
            Encoding::Base32 => (bytes * 8).div_ceil(5),
        }
    }
}

/// RFC 4648 section 6 with the lower-case alphabet and no `=` padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity((bytes.len() * 8).div_ceil(5));
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// One hash list as configured (`[[hashbl]]`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashList {
    /// The list's zone: queried as `<hash>.<zone>`.
    pub zone: String,
    /// What is asked: any of `email`, `url`, `file`.
    pub items: Vec<ItemKind>,
    #[serde(default)]
    pub hash: HashAlgorithm,
    /// Unset: base32 for sha256 (64 hex digits do not fit in a DNS label),
    /// hex for the shorter digests, as the lists publish them.
    #[serde(default)]
    pub encoding: Option<Encoding>,
    /// When not empty, only these answers list.
    #[serde(default)]
    pub codes: Vec<Ipv4Addr>,
}

impl HashList {
    /// What is wrong with this list as configured: `(key, what is expected)`.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        // The zone and the codes as a DNS list's (its weight and mask are fixed).
        self.as_dns_list().validate()?;
        if self.items.is_empty() {
            return Err(("items", "one or more of \"email\", \"url\", \"file\""));
        }
        if self.encoding().encoded_len(self.hash.digest_len()) > MAX_LABEL {
            return Err((
                "encoding",
                "\"base32\" (or unset) with sha256: 64 hex digits do not fit in one DNS label (63), 52 base32 characters do",
            ));
        }
        Ok(())
    }

    /// The encoding in force: as configured, else base32 for sha256 and hex
    /// for sha1 and md5.
    pub fn encoding(&self) -> Encoding {
        self.encoding.unwrap_or(match self.hash {
            HashAlgorithm::Sha256 => Encoding::Base32,
            HashAlgorithm::Sha1 | HashAlgorithm::Md5 => Encoding::Hex,
        })
    }

    /// The zone as queried: lower case, without the trailing dot.
    pub fn zone(&self) -> String {
        self.zone.trim_end_matches('.').to_ascii_lowercase()
    }

    /// The label asked for `bytes`: its digest in the list's encoding.
    pub fn label(&self, bytes: &[u8]) -> String {
        self.encoding().encode(&self.hash.digest(bytes))
    }

    /// The name asked for `bytes`: `<label>.<zone>`.
    pub fn query(&self, bytes: &[u8]) -> String {
        format!("{}.{}", self.label(bytes), self.zone())
    }

    /// This list's answers read as a DNS list's (its codes, no mask).
    fn as_dns_list(&self) -> DnsList {
        DnsList { zone: self.zone.clone(), weight: 1.0, codes: self.codes.clone(), mask: None }
    }
}

/// One item of a message, as shown in the evidence and as hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item<'m> {
    pub kind: ItemKind,
    /// The address, the URL, or the attachment's file name.
    pub shown: String,
    /// What is hashed.
    pub content: Cow<'m, [u8]>,
}

/// The items of `kinds` in the message, at most [`MAX_ITEMS_PER_KIND`] distinct
/// ones of each kind, in the message's order (see the module documentation).
pub fn message_items<'m>(facts: &'m MessageFacts<'_>, kinds: &[ItemKind]) -> Vec<Item<'m>> {
    let mut items = Vec::new();
    for kind in ItemKind::ALL.into_iter().filter(|kind| kinds.contains(kind)) {
        match kind {
            ItemKind::Email => items.extend(email_items(facts)),
            ItemKind::Url => items.extend(url_items(facts)),
            ItemKind::File => items.extend(file_items(facts)),
        }
    }
    items
}

fn email_items<'m>(facts: &'m MessageFacts<'_>) -> Vec<Item<'m>> {
    let mut addresses: Vec<String> = Vec::new();
    let texts = facts.text_parts();
    let texts = crate::fingerprints::text::prepared(facts, &texts);
    let contacts = crate::fingerprints::contacts::contact_addresses(facts, &texts);
    // Reply-To first (where answers go), then the header From, then the text.
    // Never a recipient's address (a From forged as the recipient's own), and not
    // the From of our own authenticated users' mail: the lists would learn whom
    // we serve, and the sender rights already vouch for it.
    let recipients = recipient_addresses(facts);
    let from = facts.parsed.as_ref().filter(|_| facts.envelope.authenticated_user.is_none()).and_then(|message| message.from());
    let from = from
        .into_iter()
        .flat_map(|from| from.iter())
        .filter_map(|address| address.address())
        .map(str::to_ascii_lowercase)
        .filter(|address| !recipients.contains(address));
    let reply_to: Vec<String> = facts
        .parsed
        .as_ref()
        .and_then(|message| message.reply_to())
        .into_iter()
        .flat_map(|reply_to| reply_to.iter())
        .filter_map(|address| address.address())
        .map(str::to_ascii_lowercase)
        .collect();
    let (first, rest): (Vec<String>, Vec<String>) = contacts.into_iter().partition(|contact| reply_to.contains(contact));
    for address in first.into_iter().chain(from).chain(rest) {
        if addresses.len() >= MAX_ITEMS_PER_KIND {
            break;
        }
        if !address.is_empty() && !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    addresses.into_iter().map(|address| Item { kind: ItemKind::Email, content: Cow::Owned(address.clone().into_bytes()), shown: address }).collect()
}

/// The envelope's recipients and the header To and Cc addresses, lower case.
fn recipient_addresses(facts: &MessageFacts<'_>) -> Vec<String> {
    let mut addresses: Vec<String> = facts.envelope.recipients.iter().map(|recipient| recipient.to_ascii_lowercase()).collect();
    if let Some(message) = &facts.parsed {
        for header in [message.to(), message.cc()].into_iter().flatten() {
            addresses.extend(header.iter().filter_map(|address| address.address()).map(str::to_ascii_lowercase));
        }
    }
    addresses
}

fn url_items<'m>(facts: &'m MessageFacts<'_>) -> Vec<Item<'m>> {
    let mut urls: Vec<String> = Vec::new();
    for url in super::url_hashes::message_urls(facts) {
        if urls.len() >= MAX_ITEMS_PER_KIND {
            break;
        }
        let Some(canonical) = super::url_hashes::canonicalize(url.as_bytes()) else { continue };
        let without_scheme = canonical.split_once("://").map_or(canonical.as_str(), |(_, rest)| rest).to_owned();
        if !urls.contains(&without_scheme) {
            urls.push(without_scheme);
        }
    }
    urls.into_iter().map(|url| Item { kind: ItemKind::Url, content: Cow::Owned(url.clone().into_bytes()), shown: url }).collect()
}

fn file_items<'m>(facts: &'m MessageFacts<'_>) -> Vec<Item<'m>> {
    let mut items: Vec<Item<'m>> = Vec::new();
    for entity in facts.mime_entities(MAX_ENTITIES) {
        if items.len() >= MAX_ITEMS_PER_KIND {
            break;
        }
        let part = entity.part;
        // An attachment as the rules and the pattern sets tell one: a text
        // part that is not one is the message's text, not a file.
        if !super::rules::is_attachment(part) {
            continue;
        }
        let content: &'m [u8] = match &part.body {
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.as_ref(),
            PartType::Text(text) | PartType::Html(text) => text.as_bytes(),
            PartType::Message(_) | PartType::Multipart(_) => continue,
        };
        let name = part.attachment_name();
        if content.is_empty() || items.iter().any(|item| item.content.as_ref() == content) {
            continue;
        }
        let shown = match name {
            Some(name) => cut(name),
            None => "(unnamed)".to_owned(),
        };
        items.push(Item { kind: ItemKind::File, shown, content: Cow::Borrowed(content) });
    }
    items
}

/// An attachment's name as the evidence shows it: at most [`MAX_NAME`]
/// characters, control characters (a CR LF or NUL the sender encoded into
/// `filename*=`) as `?`, so the extra class stays one printable line.
fn cut(name: &str) -> String {
    let shown: String = name.chars().take(MAX_NAME).map(|ch| if ch.is_control() { '?' } else { ch }).collect();
    if name.chars().nth(MAX_NAME).is_some() { format!("{shown}…") } else { shown }
}

/// One query of one list about one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashQuery {
    /// Index into `[[hashbl]]`.
    pub list: usize,
    pub kind: ItemKind,
    /// The item as shown in the evidence (`invoice.pdf sha256:<label>` for a file).
    pub item: String,
    /// The name asked: `<label>.<zone>`.
    pub name: String,
}

/// Every query of every list about `facts`: each list's kinds of items, hashed
/// and encoded its way.
pub fn queries(lists: &[HashList], facts: &MessageFacts<'_>) -> Vec<HashQuery> {
    if lists.is_empty() {
        return Vec::new();
    }
    let kinds: Vec<ItemKind> = ItemKind::ALL.into_iter().filter(|kind| lists.iter().any(|list| list.items.contains(kind))).collect();
    let items = message_items(facts, &kinds);
    let mut queries = Vec::new();
    for (index, list) in lists.iter().enumerate() {
        let zone = list.zone();
        for item in items.iter().filter(|item| list.items.contains(&item.kind)) {
            let label = list.label(&item.content);
            let shown = match item.kind {
                ItemKind::File => format!("{} {}:{label}", item.shown, list.hash.as_str()),
                ItemKind::Email | ItemKind::Url => item.shown.clone(),
            };
            queries.push(HashQuery { list: index, kind: item.kind, item: shown, name: format!("{label}.{zone}") });
        }
    }
    queries
}

/// One list's answer about one item.
#[derive(Clone, Debug, PartialEq)]
pub struct HashAnswer {
    pub query: HashQuery,
    pub answer: ListAnswer,
}

/// What `answer` means for `list` (see the module documentation).
pub fn interpret_hash(list: &HashList, answer: &ListAnswer) -> Listing {
    let localhost = Ipv4Addr::LOCALHOST;
    let answer = match answer {
        crate::lookups::LookupOutcome::Answer(answers) if list.codes.is_empty() && answers.contains(&localhost) => {
            crate::lookups::LookupOutcome::Answer(answers.iter().copied().filter(|ip| *ip != localhost).collect())
        }
        other => other.clone(),
    };
    interpret(&list.as_dns_list(), &answer)
}

/// A `spam` / `pattern-remote` finding for each item a list lists, in the order asked.
pub fn check_hash_lists(lists: &[HashList], answers: &[HashAnswer]) -> Vec<Finding> {
    answers
        .iter()
        .filter_map(|answer| {
            let list = lists.get(answer.query.list)?;
            let Listing::Listed(_) = interpret_hash(list, &answer.answer) else { return None };
            let extra = format!("{}:{}:{}", list.zone(), answer.query.kind.as_str(), answer.query.item);
            Some(Finding::new(NAME, MainClass::Spam, Subclass::PatternRemote, extra))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::Envelope;
    use crate::lookups::LookupOutcome;
    use crate::settings::DomainSettings;
    use crate::verdict::decide;
    use sluice_model::Action;

    fn list(zone: &str, items: &[ItemKind], hash: HashAlgorithm, encoding: Encoding) -> HashList {
        HashList { zone: zone.to_owned(), items: items.to_vec(), hash, encoding: Some(encoding), codes: Vec::new() }
    }

    /// Vectors made with Python 3:
    /// `hashlib.new(h, s).hexdigest()` and
    /// `base64.b32encode(hashlib.new(h, s).digest()).decode().lower().rstrip("=")`.
    #[test]
    fn digests_and_encodings_match_independent_vectors() {
        use Encoding::{Base32, Hex};
        use HashAlgorithm::{Md5, Sha1, Sha256};
        let vectors: &[(&[u8], HashAlgorithm, &str, &str)] = &[
            (b"abc", Md5, "900150983cd24fb0d6963f7d28e17f72", "saavbgb42jh3bvuwh56sryl7oi"),
            (b"abc", Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d", "vgmt4nsha2awvor6evyxqugcnsonbwe5"),
            (
                b"abc",
                Sha256,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                "xj4bnp4pahh6uqkbidpf3lrceoyagyndsylxvhfucd7wd4qacwwq",
            ),
            (b"payout@claims.example", Md5, "5e40e8a12ad702e067d5c519b80dd35d", "lzaorijk24boaz6vyum3qdotlu"),
            (b"payout@claims.example", Sha1, "f0cf0e601bdd1132d14164808bb55636d6d07cff", "6dhq4ya33uitfukbmsaixnkwg3lna7h7"),
            (
                b"payout@claims.example",
                Sha256,
                "7ff88b7fd22ed487021a6e29378c7cd747daa859f629dbfd8b80f1fd8ac7e4e9",
                "p74iw76sf3kioaq2nyutpdd425d5vkcz6yu5x7mlqdy73cwh4tuq",
            ),
            (b"", Md5, "d41d8cd98f00b204e9800998ecf8427e", "2qoyzwmpaczaj2mabgmoz6ccpy"),
        ];
        for &(input, hash, hex, base32) in vectors {
            let digest = hash.digest(input);
            assert_eq!(Hex.encode(&digest), hex, "{hash:?} {input:?}");
            assert_eq!(Base32.encode(&digest), base32, "{hash:?} {input:?}");
        }
        // RFC 4648 section 10's test vectors, lower case, padding removed.
        for (input, expected) in [("", ""), ("f", "my"), ("fo", "mzxq"), ("foo", "mzxw6"), ("foob", "mzxw6yq"), ("fooba", "mzxw6ytb"), ("foobar", "mzxw6ytboi")] {
            assert_eq!(base32(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn the_query_is_the_label_in_front_of_the_zone() {
        let hbl = list("_email.HBL.example.", &[ItemKind::Email], HashAlgorithm::Sha1, Encoding::Base32);
        assert_eq!(hbl.query(b"payout@claims.example"), "6dhq4ya33uitfukbmsaixnkwg3lna7h7._email.hbl.example");
    }

    #[test]
    fn a_bad_list_names_its_key() {
        let good = list("_email.hbl.example", &[ItemKind::Email], HashAlgorithm::Sha256, Encoding::Base32);
        assert_eq!(good.validate(), Ok(()));
        assert_eq!(list("_email.hbl.example", &[ItemKind::File], HashAlgorithm::Md5, Encoding::Hex).validate(), Ok(()));
        assert_eq!(list("nodot", &[ItemKind::Email], HashAlgorithm::Sha1, Encoding::Hex).validate().map_err(|(key, _)| key), Err("zone"));
        assert_eq!(list("hbl.example", &[], HashAlgorithm::Sha1, Encoding::Hex).validate().map_err(|(key, _)| key), Err("items"));
        // 64 hex digits: one more than a DNS label holds.
        let long = list("hbl.example", &[ItemKind::File], HashAlgorithm::Sha256, Encoding::Hex);
        assert_eq!(long.validate().map_err(|(key, _)| key), Err("encoding"));
        let codes = HashList { codes: vec!["10.0.0.2".parse().unwrap()], ..good };
        assert_eq!(codes.validate().map_err(|(key, _)| key), Err("codes"));
    }

    #[test]
    fn the_configuration_reads_the_contract_and_rejects_unknown_values() {
        let parsed: HashList = toml::from_str("zone = \"_email.hbl.example\"\nitems = [\"email\", \"file\"]\nhash = \"sha1\"\nencoding = \"base32\"\ncodes = [\"127.0.0.2\"]\n").unwrap();
        assert_eq!(parsed.items, [ItemKind::Email, ItemKind::File]);
        assert_eq!((parsed.hash, parsed.encoding(), parsed.codes.len()), (HashAlgorithm::Sha1, Encoding::Base32, 1));
        let defaults: HashList = toml::from_str("zone = \"hbl.example\"\nitems = [\"url\"]\n").unwrap();
        assert_eq!((defaults.hash, defaults.encoding()), (HashAlgorithm::Sha256, Encoding::Base32), "a table setting neither key is usable");
        assert_eq!(defaults.validate(), Ok(()));
        assert!(toml::from_str::<HashList>("zone = \"hbl.example\"\nitems = [\"phone\"]\n").is_err());
        assert!(toml::from_str::<HashList>("zone = \"hbl.example\"\nitems = [\"url\"]\nhash = \"sha512\"\n").is_err());
        assert!(toml::from_str::<HashList>("zone = \"hbl.example\"\nitems = [\"url\"]\nweight = 1.0\n").is_err());
    }

    const MESSAGE: &str = "From: Bank <Manager@Bank.example>\r\nTo: bob@example.net\r\nCc: carol@example.net\r\n\
        Reply-To: <Payout@Claims.Example>\r\nSubject: claim\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
        Write to agent@claims.example, see HTTPS://Evil.Example:443/Login?id=1#top and http://evil.example/login?id=1.\r\n\
        This was sent to bob@example.net.\r\n\
        --b\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nYWJj\r\n\
        --b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nYWJj\r\n\
        --b\r\nContent-Type: text/plain; name=\"notes.txt\"\r\n\r\nhello\r\n--b--\r\n";

    fn envelope() -> Envelope {
        Envelope { sender: "bounce@bulk.example".into(), recipients: vec!["bob@example.net".into()], ..Envelope::default() }
    }

    #[test]
    fn items_are_the_contacts_the_from_the_urls_and_the_attachments() {
        let envelope = envelope();
        let facts = MessageFacts::new(MESSAGE.as_bytes(), &envelope, 0);
        let items = message_items(&facts, &ItemKind::ALL);
        let shown: Vec<(&str, &str)> = items.iter().map(|item| (item.kind.as_str(), item.shown.as_str())).collect();
        assert_eq!(
            shown,
            [
                ("email", "payout@claims.example"),
                ("email", "manager@bank.example"),
                ("email", "agent@claims.example"),
                // Both spellings are one URL: scheme, case, port and fragment go.
                ("url", "evil.example/Login?id=1"),
                ("url", "evil.example/login?id=1"),
                // The same bytes attached twice are asked once.
                ("file", "invoice.pdf"),
                ("file", "notes.txt"),
            ],
            "never the recipients (To, Cc, envelope)"
        );
        assert_eq!(items[5].content.as_ref(), b"abc", "decoded");
        assert_eq!(message_items(&facts, &[ItemKind::File]).len(), 2, "only the kinds asked for");
    }

    #[test]
    fn a_from_of_a_recipient_or_of_our_own_user_is_not_asked() {
        let emails = |raw: &str, envelope: &Envelope| {
            let facts = MessageFacts::new(raw.as_bytes(), envelope, 0);
            message_items(&facts, &[ItemKind::Email]).into_iter().map(|item| item.shown).collect::<Vec<_>>()
        };
        let forged = "From: <Bob@Example.net>\r\nTo: bob@example.net\r\nSubject: you\r\n\r\nPay now.\r\n";
        assert!(emails(forged, &envelope()).is_empty());
        let ours = "From: <alice@example.org>\r\nTo: someone@elsewhere.example\r\nReply-To: desk@example.org\r\nSubject: hi\r\n\r\nHello.\r\n";
        let submitted = Envelope { authenticated_user: Some("alice@example.org".into()), ..envelope() };
        assert_eq!(emails(ours, &submitted), ["desk@example.org"], "the Reply-To is still asked");
        assert_eq!(emails(ours, &envelope()), ["desk@example.org", "alice@example.org"]);
    }

    #[test]
    fn an_attachment_name_is_shown_on_one_printable_line() {
        let raw = "From: a@sender.example\r\nTo: bob@example.net\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
            --b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''a%0D%0AX-Evil:%20yes%00.pdf\r\n\r\nabc\r\n--b--\r\n";
        let envelope = envelope();
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        let shown: Vec<String> = message_items(&facts, &[ItemKind::File]).into_iter().map(|item| item.shown).collect();
        assert_eq!(shown, ["a??X-Evil: yes?.pdf"]);
        assert_eq!(cut(&"é".repeat(MAX_NAME + 5)), format!("{}…", "é".repeat(MAX_NAME)));
        assert_eq!(cut(&"é".repeat(MAX_NAME)), "é".repeat(MAX_NAME));
    }

    #[test]
    fn a_file_is_an_attachment_as_the_rules_tell_one() {
        let raw = "From: a@sender.example\r\nTo: bob@example.net\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\nthe message's own text\r\n\
            --b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nan unnamed text attachment\r\n--b--\r\n";
        let envelope = envelope();
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        let files = message_items(&facts, &[ItemKind::File]);
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0].shown, "(unnamed)");
        assert!(files[0].content.starts_with(b"an unnamed text attachment"));
    }

    #[test]
    fn items_are_bounded_per_kind() {
        let mut body = String::new();
        for n in 0..40 {
            body.push_str(&format!("write to drop{n}@boxes.example or see http://site{n}.example/\r\n"));
        }
        let raw = format!("From: a@sender.example\r\nTo: bob@example.net\r\nSubject: many\r\n\r\n{body}");
        let envelope = envelope();
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        let items = message_items(&facts, &ItemKind::ALL);
        for kind in [ItemKind::Email, ItemKind::Url] {
            assert_eq!(items.iter().filter(|item| item.kind == kind).count(), MAX_ITEMS_PER_KIND, "{kind:?}");
        }
    }

    #[test]
    fn queries_use_each_lists_kinds_hash_and_encoding() {
        let envelope = envelope();
        let facts = MessageFacts::new(MESSAGE.as_bytes(), &envelope, 0);
        let lists = [
            list("_email.hbl.example", &[ItemKind::Email], HashAlgorithm::Sha1, Encoding::Base32),
            list("_file.hbl.example", &[ItemKind::File], HashAlgorithm::Sha256, Encoding::Base32),
        ];
        let asked = queries(&lists, &facts);
        assert_eq!(asked.len(), 5, "{asked:?}");
        assert_eq!(asked[0].name, "6dhq4ya33uitfukbmsaixnkwg3lna7h7._email.hbl.example", "sha1 of payout@claims.example");
        let invoice = asked.iter().find(|query| query.kind == ItemKind::File).unwrap();
        assert_eq!(invoice.list, 1);
        assert_eq!(invoice.name, "xj4bnp4pahh6uqkbidpf3lrceoyagyndsylxvhfucd7wd4qacwwq._file.hbl.example", "sha256 of abc");
        assert_eq!(invoice.item, "invoice.pdf sha256:xj4bnp4pahh6uqkbidpf3lrceoyagyndsylxvhfucd7wd4qacwwq");
        assert!(queries(&[], &facts).is_empty());
    }

    fn answer(list: usize, kind: ItemKind, item: &str, answer: ListAnswer) -> HashAnswer {
        HashAnswer { query: HashQuery { list, kind, item: item.to_owned(), name: String::new() }, answer }
    }

    fn listed(ip: &str) -> ListAnswer {
        LookupOutcome::Answer(vec![ip.parse().unwrap()])
    }

    #[test]
    fn answers_list_as_dns_lists_do_but_127_0_0_1_does_not() {
        let any = list("hbl.example", &[ItemKind::Email], HashAlgorithm::Sha1, Encoding::Hex);
        assert!(matches!(interpret_hash(&any, &listed("127.0.0.2")), Listing::Listed(_)));
        assert_eq!(interpret_hash(&any, &listed("127.0.0.1")), Listing::NotListed);
        assert!(matches!(interpret_hash(&any, &LookupOutcome::Answer(vec![Ipv4Addr::LOCALHOST, "127.0.0.3".parse().unwrap()])), Listing::Listed(_)));
        for unusable in ["127.255.255.254", "192.0.2.1"] {
            assert!(matches!(interpret_hash(&any, &listed(unusable)), Listing::Unusable(_)), "{unusable}");
        }
        assert!(matches!(interpret_hash(&any, &LookupOutcome::TimedOut), Listing::Unusable(_)));
        let codes = HashList { codes: vec!["127.0.0.2".parse().unwrap()], ..any.clone() };
        assert_eq!(interpret_hash(&codes, &listed("127.0.0.3")), Listing::NotListed);
        assert!(matches!(interpret_hash(&codes, &listed("127.0.0.2")), Listing::Listed(_)));
        let localhost = HashList { codes: vec![Ipv4Addr::LOCALHOST], ..any };
        assert!(matches!(interpret_hash(&localhost, &listed("127.0.0.1")), Listing::Listed(_)), "named in codes");
    }

    #[test]
    fn a_listed_item_is_spam_pattern_remote_quarantined_with_the_zone_kind_and_item() {
        let lists = [list("_email.hbl.example.", &[ItemKind::Email, ItemKind::File], HashAlgorithm::Sha1, Encoding::Base32)];
        let answers = [
            answer(0, ItemKind::Email, "clean@example.org", LookupOutcome::NotFound),
            answer(0, ItemKind::Email, "payout@claims.example", listed("127.0.0.2")),
            answer(0, ItemKind::File, "invoice.pdf sha1:vgmt4nsha2awvor6evyxqugcnsonbwe5", listed("127.0.0.3")),
            answer(0, ItemKind::Email, "slow@example.org", LookupOutcome::TimedOut),
            answer(7, ItemKind::Email, "no-such-list@example.org", listed("127.0.0.2")),
        ];
        let findings = check_hash_lists(&lists, &answers);
        let extras: Vec<&str> = findings.iter().map(|finding| finding.extra.as_str()).collect();
        assert_eq!(extras, ["_email.hbl.example:email:payout@claims.example", "_email.hbl.example:file:invoice.pdf sha1:vgmt4nsha2awvor6evyxqugcnsonbwe5"]);
        let verdict = decide(&findings, &DomainSettings::default());
        assert_eq!((verdict.main, verdict.sub, verdict.action), (MainClass::Spam, Subclass::PatternRemote, Action::Quarantine));
        assert_eq!(verdict.reply.to_string(), "550 5.7.1 The content of this message looked like spam.");
    }
}
