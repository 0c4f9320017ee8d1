//! What a message looks like to the collaborative checks, and what reported spam
//! looked like: the facts behind `spam/match-set1`, `match-set2`, `contact-box`,
//! `contact-box-internal` and `heuristic` (UCEPP).
//!
//! [`Fingerprints::of`] computes, from the one parse of [`MessageFacts`]:
//! - **match-set1**: digests (xxh3, 64 bits) of the normalised body text
//!   ([`text`]): of the whole body, and of each text part long enough to say
//!   something on its own (a spammer who drops the HTML alternative still matches);
//! - **match-set2**: a MinHash signature over word bigrams ([`minhash`]);
//! - **contact addresses**: `Reply-To:` and addresses in the body ([`contacts`]);
//! - **UCEPP items**: the registered domains and IPv4 literals of the URLs (the
//!   one extractor, [`crate::urls`]; not bare domain names, which are mostly the
//!   domains of addresses) and phone numbers ([`phone`]), without the domains of
//!   the message's own correspondents and [`SHARED_DOMAINS`].
//!
//! [`index::FingerprintIndex`] holds the fingerprints of reported spam in
//! memory (the gateway fills it from the store) and answers a lookup with
//! [`index::FingerprintMatches`], the fact the checks judge.

use serde::{Deserialize, Serialize};

use crate::message::MessageFacts;
use crate::urls::{LookupTarget, url_targets};

pub mod contacts;
pub mod index;
pub mod minhash;
pub mod phone;
pub mod text;

pub use index::{FingerprintIndex, FingerprintMatches, IndexLimits};
pub use minhash::Signature;

/// The whole body's normalised text must be at least this long (bytes) for a
/// match-set1 digest: shorter bodies ("ok, thanks") are shared by everyone.
pub const MIN_BODY_TEXT: usize = 64;
/// A single text part's normalised text must be at least this long for a digest
/// of its own: a list footer or a disclaimer in a part of its own is shorter, and
/// is shared by every message of the list.
pub const MIN_PART_TEXT: usize = 256;
/// The most UCEPP items taken from one message.
pub const MAX_ITEMS: usize = 32;

/// Registered domains that spam links to as often as any other mail (markup
/// schemas, web mail, the big platforms, URL shorteners: the spammer's part of
/// a short link is its path): never UCEPP items. The idea and most names are
/// SpamAssassin's `uridnsbl_skip_domain` list; w3.org alone was in 64 of the
/// 1,384 reported spam of the measurement (`bench/fingerprints.rs`).
pub const SHARED_DOMAINS: &[&str] = &[
    "adobe.com", "akamai.net", "amazon.com", "amazonaws.com", "aol.com", "apple.com", "bit.ly", "cloudfront.net",
    "doubleclick.net", "ebay.com", "facebook.com", "geocities.com", "github.com", "gmail.com", "goo.gl",
    "google.com", "googleapis.com", "googlemail.com", "gstatic.com", "hotmail.com", "instagram.com", "is.gd",
    "linkedin.com", "live.com", "macromedia.com", "microsoft.com", "mozilla.org", "msn.com", "netscape.com",
    "outlook.com", "ow.ly", "paypal.com", "sourceforge.net", "t.co", "tinyurl.com", "twitter.com", "w3.org",
    "wikipedia.org", "x.com", "yahoo.co.uk", "yahoo.com", "youtube.com",
];

/// The fingerprints of one message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Fingerprints {
    /// match-set1: the whole body's digest first, then each long part's.
    pub body_digests: Vec<u64>,
    /// match-set2 (`None`: too little text).
    pub signature: Option<Signature>,
    /// Contact addresses, lower case.
    pub contacts: Vec<String>,
    /// UCEPP items.
    pub items: Vec<UceppItem>,
    /// The message came through a mailing list (`List-Id:`, `List-Post:`,
    /// `Mailing-List:`): its footer's addresses and links are the list's, so a
    /// report of it teaches its body only (the index ignores its contacts and items).
    #[serde(default)]
    pub via_list: bool,
}

/// One UCEPP item: something in a message that points at its sender.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UceppItem {
    /// The registered domain of a URL or a bare domain name.
    Domain(String),
    /// An IPv4 literal of a URL.
    Ip(String),
    /// A phone number's key ([`phone`]).
    Phone(String),
}

impl UceppItem {
    /// A stable 64-bit key (the kind is part of it).
    pub fn key(&self) -> u64 {
        let (kind, value) = match self {
            UceppItem::Domain(value) => (b'd', value),
            UceppItem::Ip(value) => (b'i', value),
            UceppItem::Phone(value) => (b'p', value),
        };
        let mut bytes = Vec::with_capacity(value.len() + 1);
        bytes.push(kind);
        bytes.extend_from_slice(value.as_bytes());
        xxhash_rust::xxh3::xxh3_64(&bytes)
    }
}

impl std::fmt::Display for UceppItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UceppItem::Domain(value) | UceppItem::Ip(value) => f.write_str(value),
            UceppItem::Phone(value) => write!(f, "tel:{value}"),
        }
    }
}

/// The key of a contact address.
pub fn contact_key(address: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(address.as_bytes())
}

impl Fingerprints {
    /// The fingerprints of a message (see the module documentation).
    pub fn of(facts: &MessageFacts<'_>) -> Fingerprints {
        let texts = facts.text_parts();
        let texts = text::prepared(facts, &texts);
        let parts: Vec<text::NormalisedPart> = texts.iter().map(|text| text::normalise(text)).collect();
        let mut body_digests = Vec::new();
        let whole: Vec<u8> = parts.iter().flat_map(|part| part.text.iter().copied()).collect();
        if whole.len() >= MIN_BODY_TEXT {
            body_digests.push(xxhash_rust::xxh3::xxh3_64(&whole));
        }
        if parts.len() > 1 {
            for part in parts.iter().filter(|part| part.text.len() >= MIN_PART_TEXT) {
                let digest = xxhash_rust::xxh3::xxh3_64(&part.text);
                if !body_digests.contains(&digest) {
                    body_digests.push(digest);
                }
            }
        }
        let words: Vec<u64> = parts.iter().flat_map(|part| part.word_hashes.iter().copied()).collect();
        let signature = Signature::of_word_hashes(&words);
        let contacts = contacts::contact_addresses(facts, &texts);
        let via_list = ["List-Id", "List-Post", "Mailing-List"].iter().any(|name| facts.headers.named(name).next().is_some());
        Fingerprints { body_digests, signature, contacts, items: ucepp_items(facts, &texts), via_list }
    }

    /// Nothing to learn or look up.
    pub fn is_empty(&self) -> bool {
        self.body_digests.is_empty() && self.signature.is_none() && self.contacts.is_empty() && self.items.is_empty()
    }

    /// The fingerprints as stored (JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads stored fingerprints; `None` when unreadable.
    pub fn from_bytes(bytes: &[u8]) -> Option<Fingerprints> {
        serde_json::from_slice(bytes).ok()
    }
}

/// The registered domains and IPv4 literals of the URLs, and the phone numbers,
/// without the domains of the sender and the recipients.
fn ucepp_items(facts: &MessageFacts<'_>, texts: &[&str]) -> Vec<UceppItem> {
    let own: Vec<String> = std::iter::once(&facts.envelope.sender)
        .chain(&facts.envelope.recipients)
        .filter_map(|address| psl::domain_str(&crate::envelope::domain_of(address)).map(str::to_owned))
        .chain(correspondent_domains(facts))
        .collect();
    let mut items: Vec<UceppItem> = url_targets(facts, MAX_ITEMS)
        .into_iter()
        .filter_map(|target| match target {
            LookupTarget::Domain(domain) if !own.contains(&domain) && !SHARED_DOMAINS.contains(&domain.as_str()) => {
                Some(UceppItem::Domain(domain))
            }
            LookupTarget::Domain(_) => None,
            LookupTarget::Address(ip) => Some(UceppItem::Ip(ip.to_string())),
        })
        .collect();
    for text in texts {
        if items.len() >= MAX_ITEMS {
            break;
        }
        let room = MAX_ITEMS - items.len();
        for number in phone::phone_numbers(text, room) {
            let item = UceppItem::Phone(number);
            if !items.contains(&item) {
                items.push(item);
            }
        }
    }
    items.truncate(MAX_ITEMS);
    items
}

/// The registered domains of `From:`, `To:` and `Cc:`.
fn correspondent_domains(facts: &MessageFacts<'_>) -> Vec<String> {
    let Some(message) = &facts.parsed else { return Vec::new() };
    [message.from(), message.to(), message.cc()]
        .into_iter()
        .flatten()
        .flat_map(|address| address.iter())
        .filter_map(|addr| addr.address())
        .filter_map(|address| psl::domain_str(&crate::envelope::domain_of(address)).map(str::to_owned))
        .collect()
}

impl Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.as_slice().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Signature, D::Error> {
        let values = Vec::<u16>::deserialize(deserializer)?;
        let values: [u16; minhash::HASHES] =
            values.try_into().map_err(|_| serde::de::Error::custom("a signature has 64 values"))?;
        Ok(Signature(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Envelope;

    const SCAM: &str = "Dear friend,\r\n\r\nI am the manager of the central bank and I have a proposal for you \
        concerning the transfer of 15,000,000 USD left by a client who died without heirs.\r\n\
        We need a foreign partner to receive the funds; you will keep thirty percent.\r\n\
        Reply to payout@claims.example or call +44 20 7946 0958, details at http://claims.example/form?id=77\r\n";

    fn fingerprints(headers: &str, body: &str, envelope: &Envelope) -> Fingerprints {
        let raw = format!("{headers}\r\n{body}");
        Fingerprints::of(&MessageFacts::new(raw.as_bytes(), envelope, 0))
    }

    #[test]
    fn the_body_decides_not_the_headers() {
        let a = fingerprints("From: a@one.example\r\nTo: bob@example.net\r\nSubject: Proposal\r\n", SCAM, &Envelope::default());
        let b = fingerprints("From: z@two.example\r\nTo: eve@example.org\r\nSubject: URGENT\r\n", SCAM, &Envelope::default());
        assert_eq!(a.body_digests.len(), 1);
        assert_eq!(a.body_digests, b.body_digests);
        assert_eq!(a.signature, b.signature);
        assert_eq!(a.contacts, ["payout@claims.example"]);
        assert_eq!(a.items, [UceppItem::Domain("claims.example".into()), UceppItem::Phone("2079460958".into())]);
    }

    #[test]
    fn varying_numbers_and_links_keep_the_digest() {
        let a = fingerprints("From: a@one.example\r\n", SCAM, &Envelope::default());
        let varied = SCAM.replace("15,000,000", "12,500,000").replace("id=77", "id=78");
        let b = fingerprints("From: a@one.example\r\n", &varied, &Envelope::default());
        assert_eq!(a.body_digests, b.body_digests);
    }

    #[test]
    fn list_mail_is_marked() {
        let headers = "From: a@one.example\r\nList-Id: <talk.lists.example>\r\n";
        assert!(fingerprints(headers, SCAM, &Envelope::default()).via_list);
        assert!(!fingerprints("From: a@one.example\r\n", SCAM, &Envelope::default()).via_list);
    }

    #[test]
    fn stored_form_round_trips() {
        let a = fingerprints("From: a@one.example\r\n", SCAM, &Envelope::default());
        assert_eq!(Fingerprints::from_bytes(&a.to_bytes()), Some(a));
        assert_eq!(Fingerprints::from_bytes(b"{\"signature\":[1,2]}"), None);
    }

    #[test]
    fn a_short_body_has_no_digest() {
        let a = fingerprints("From: a@one.example\r\n", "ok, thanks\r\n", &Envelope::default());
        assert!(a.is_empty(), "{a:?}");
    }
}
