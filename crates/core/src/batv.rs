//! BATV, Bounce Address Tag Validation (draft-levine-smtp-batv-01), `prvs`
//! form: the envelope sender of our outgoing mail is tagged so that a bounce
//! coming back can be told from backscatter (bounces of mail forged in our
//! users' names).
//!
//! A tagged address is `prvs=KDDDSSSSSS=local@domain`:
//! - `K`: the key number, one digit (we have one secret per domain: always `0`);
//! - `DDD`: the day the tag expires, as days since 1970-01-01 modulo 1000, so a
//!   tag made today is good for [`VALIDITY_DAYS`] days and its expiry day;
//! - `SSSSSS`: the first three bytes, in hex, of the HMAC-SHA1 under the
//!   domain's secret of `KDDD` followed by the untagged address.
//!
//! One departure from the draft: the address is hashed in lower case, so a
//! bounce from a system that changed the case of the local part (some do) still
//! verifies; only we check our tags, so no other verifier is affected. Tags are
//! read case-insensitively (`PRVS=`, upper-case hex).
//!
//! Pure: the secret and the time are given.

use hmac::{Hmac, KeyInit, Mac};

/// How many days a tag stays good after the day it was made.
pub const VALIDITY_DAYS: u16 = 7;

/// What a tag adds to the local part: `prvs=KDDDSSSSSS=`.
const TAG_LENGTH: usize = 16;

/// The key number of every tag we make.
const KEY_NUMBER: u8 = 0;

/// Days since the epoch, modulo 1000, of `unix_seconds`.
pub fn day_number(unix_seconds: i64) -> u16 {
    (unix_seconds.div_euclid(86_400).rem_euclid(1000)) as u16
}

/// `address` (`local@domain`) tagged with `secret`, good for
/// [`VALIDITY_DAYS`] days from `unix_seconds`. Returned as it is: an address
/// already tagged (mail we sent coming through us again), a quoted local part
/// (the tag would break its quoting), one the tag would push past RFC 5321's
/// 64 octets.
pub fn tag(address: &str, secret: &[u8], unix_seconds: i64) -> String {
    let Some((local, _)) = address.rsplit_once('@') else { return address.to_owned() };
    if !matches!(parse(address), Parsed::Untagged) || local.is_empty() || local.starts_with('"') || local.len() + TAG_LENGTH > 64 {
        return address.to_owned();
    }
    let expires = (day_number(unix_seconds) + VALIDITY_DAYS) % 1000;
    let stamp = format!("{KEY_NUMBER}{expires:03}");
    let hash = signature(secret, &stamp, address);
    format!("prvs={stamp}{:02x}{:02x}{:02x}={address}", hash[0], hash[1], hash[2])
}

/// A recipient address read for a BATV tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// No `prvs=` prefix.
    Untagged,
    /// A well-formed tag.
    Tagged(Tag),
    /// A `prvs=` prefix with something else than a tag after it.
    Malformed,
}

/// The parts of a well-formed tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub key: u8,
    pub expires: u16,
    pub signature: [u8; 3],
    /// The address without the tag: where the bounce goes.
    pub untagged: String,
}

/// Reads `address` (`local@domain`, as received) for a tag.
pub fn parse(address: &str) -> Parsed {
    let Some(rest) = address.get(..5).filter(|prefix| prefix.eq_ignore_ascii_case("prvs=")).map(|_| &address[5..]) else {
        return Parsed::Untagged;
    };
    let Some((value, untagged)) = rest.split_once('=') else { return Parsed::Malformed };
    let digits = value.as_bytes();
    let well_formed = digits.len() == 10
        && digits[..4].iter().all(u8::is_ascii_digit)
        && digits[4..].iter().all(u8::is_ascii_hexdigit)
        && untagged.rfind('@').is_some_and(|at| at > 0 && at + 1 < untagged.len());
    if !well_formed {
        return Parsed::Malformed;
    }
    let number = |range: std::ops::Range<usize>| value[range].parse::<u16>().unwrap_or_default();
    let hex = |at: usize| u8::from_str_radix(&value[at..at + 2], 16).unwrap_or_default();
    Parsed::Tagged(Tag {
        key: number(0..1) as u8,
        expires: number(1..4),
        signature: [hex(4), hex(6), hex(8)],
        untagged: untagged.to_owned(),
    })
}

/// What a tag is worth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    Valid,
    /// Past its expiry day (or further ahead than a tag of ours can be).
    Expired,
    /// Not made with our secret for this address (or with a key number we do not use).
    WrongSignature,
}

impl Validity {
    /// In the log's Extra Class.
    pub fn describe(self) -> &'static str {
        match self {
            Validity::Valid => "valid tag",
            Validity::Expired => "expired tag",
            Validity::WrongSignature => "tag with a wrong signature",
        }
    }
}

/// Checks `tag` against the domain's `secret` at `unix_seconds`.
pub fn validate(tag: &Tag, secret: &[u8], unix_seconds: i64) -> Validity {
    let stamp = format!("{}{:03}", tag.key, tag.expires);
    let expected = signature(secret, &stamp, &tag.untagged);
    // Compared without an early exit, so the time taken says nothing of how much matched.
    let differs = expected.iter().zip(tag.signature).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if differs != 0 || tag.key != KEY_NUMBER {
        return Validity::WrongSignature;
    }
    let days_left = (tag.expires + 1000 - day_number(unix_seconds)) % 1000;
    if days_left > VALIDITY_DAYS {
        return Validity::Expired;
    }
    Validity::Valid
}

/// The first three bytes of HMAC-SHA1(secret, stamp + lower-case address).
fn signature(secret: &[u8], stamp: &str, address: &str) -> [u8; 3] {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(secret) else { return [0; 3] };
    mac.update(stamp.as_bytes());
    mac.update(address.to_ascii_lowercase().as_bytes());
    let digest = mac.finalize().into_bytes();
    [digest[0], digest[1], digest[2]]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    /// 2026-12-01T12:00:00Z: day 20788, day number 788.
    const NOW: i64 = 1_796_126_400;
    const DAY: i64 = 86_400;

    fn tagged(address: &str) -> Tag {
        match parse(&tag(address, SECRET, NOW)) {
            Parsed::Tagged(tag) => tag,
            other => panic!("{address}: {other:?}"),
        }
    }

    #[test]
    fn tags_have_the_drafts_form() {
        assert_eq!(day_number(NOW), 788);
        let address = tag("alice@example.test", SECRET, NOW);
        assert!(address.starts_with("prvs=0795"), "{address}");
        assert!(address.ends_with("=alice@example.test"), "{address}");
        assert_eq!(address.len(), "prvs=0795SSSSSS=alice@example.test".len());
        // The signature is HMAC-SHA1 of "0795alice@example.test", first three bytes.
        let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(SECRET).expect("key");
        mac.update(b"0795alice@example.test");
        let digest = mac.finalize().into_bytes();
        assert_eq!(&address[9..15], format!("{:02x}{:02x}{:02x}", digest[0], digest[1], digest[2]));
    }

    #[test]
    fn a_tag_is_valid_for_seven_days_and_its_expiry_day() {
        let tag = tagged("alice@example.test");
        assert_eq!(tag.untagged, "alice@example.test");
        for days in 0..=7 {
            assert_eq!(validate(&tag, SECRET, NOW + days * DAY), Validity::Valid, "day {days}");
        }
        assert_eq!(validate(&tag, SECRET, NOW + 8 * DAY), Validity::Expired);
        assert_eq!(validate(&tag, SECRET, NOW - DAY), Validity::Expired, "made tomorrow: not ours");
        assert_eq!(validate(&tag, SECRET, NOW + 500 * DAY), Validity::Expired);
    }

    #[test]
    fn the_day_number_wraps_at_1000() {
        // Made on day number 995: expires on day number 2.
        let late = 995 * DAY + 1000 * 20 * DAY;
        let address = tag("a@example.test", SECRET, late);
        assert!(address.starts_with("prvs=0002"), "{address}");
        let Parsed::Tagged(tag) = parse(&address) else { panic!("{address}") };
        assert_eq!(validate(&tag, SECRET, late + 7 * DAY), Validity::Valid);
        assert_eq!(validate(&tag, SECRET, late + 8 * DAY), Validity::Expired);
    }

    #[test]
    fn another_secret_address_or_key_number_is_a_wrong_signature() {
        let tag = tagged("alice@example.test");
        assert_eq!(validate(&tag, b"another secret", NOW), Validity::WrongSignature);
        let moved = Tag { untagged: "mallory@example.test".to_owned(), ..tag.clone() };
        assert_eq!(validate(&moved, SECRET, NOW), Validity::WrongSignature);
        let later = Tag { expires: tag.expires + 1, ..tag.clone() };
        assert_eq!(validate(&later, SECRET, NOW), Validity::WrongSignature, "the day is signed");
        let key = Tag { key: 1, ..tag };
        assert_eq!(validate(&key, SECRET, NOW), Validity::WrongSignature);
    }

    #[test]
    fn tags_are_read_case_insensitively() {
        let address = tag("Alice@Example.test", SECRET, NOW);
        let shouted = address.to_ascii_uppercase();
        let Parsed::Tagged(tag) = parse(&shouted) else { panic!("{shouted}") };
        assert_eq!(tag.untagged, "ALICE@EXAMPLE.TEST");
        assert_eq!(validate(&tag, SECRET, NOW), Validity::Valid);
        let lowered = address.to_ascii_lowercase();
        let Parsed::Tagged(tag) = parse(&lowered) else { panic!("{lowered}") };
        assert_eq!(validate(&tag, SECRET, NOW), Validity::Valid);
    }

    #[test]
    fn garbage_is_malformed_never_a_panic() {
        let huge = format!("prvs={}=a@b", "9".repeat(100_000));
        let cases = [
            "prvs=",
            "prvs==@",
            "prvs==a@b",
            "prvs=0123456789",
            "prvs=0123456789=",
            "prvs=0123456789=@example.test",
            "prvs=0123456789=alice@",
            "prvs=0123456789=alice",
            "prvs=012345678g=a@b",
            "prvs=a123456789=a@b",
            "prvs=01234567890=a@b",
            "prvs=0é23456789=a@b",
            &huge,
        ];
        for case in cases {
            assert_eq!(parse(case), Parsed::Malformed, "{case:?}");
        }
        for case in ["alice@example.test", "", "prv", "prvé=x", "é", "prvsx=0123456789=a@b"] {
            assert_eq!(parse(case), Parsed::Untagged, "{case:?}");
        }
    }

    #[test]
    fn tagging_leaves_tagged_and_odd_addresses_alone() {
        let once = tag("alice@example.test", SECRET, NOW);
        assert_eq!(tag(&once, SECRET, NOW), once);
        assert_eq!(tag("", SECRET, NOW), "");
        assert_eq!(tag("prvs=junk", SECRET, NOW), "prvs=junk");
        assert_eq!(tag("\"a b\"@example.test", SECRET, NOW), "\"a b\"@example.test");
        let longest = format!("{}@example.test", "a".repeat(48));
        assert_eq!(tag(&longest, SECRET, NOW).split_once('@').map(|(local, _)| local.len()), Some(64));
        let too_long = format!("{}@example.test", "a".repeat(49));
        assert_eq!(tag(&too_long, SECRET, NOW), too_long);
        assert_eq!(tag("@example.test", SECRET, NOW), "@example.test");
    }
}
