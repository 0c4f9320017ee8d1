//! DKIM for outgoing mail (RFC 6376, RFC 8463): making a domain's key, the DNS
//! record that publishes it, and the signature of a message.
//!
//! - Keys: RSA 2048 (`rsa-sha256`, the default: every verifier knows it) or
//!   Ed25519 (`ed25519-sha256`), kept as PKCS#8 DER in the store. RSA keys are
//!   made by the `rsa` crate (ring cannot make them), Ed25519 keys by ring;
//!   signing is ring's through `mail-auth`.
//! - The record: `SELECTOR._domainkey.DOMAIN IN TXT "v=DKIM1; k=rsa; p=..."`,
//!   the value split into quoted strings of at most 255 characters (a TXT
//!   character-string's limit), which DNS servers join again. `p=` is the
//!   SubjectPublicKeyInfo of an RSA key, the raw 32 bytes of an Ed25519 key.
//! - The signature: relaxed/relaxed, with `t=`, over [`SIGNED_HEADERS`]
//!   (RFC 6376 5.4.1's list); `From` is named twice, so a second From added on
//!   the way breaks the signature, and every listed field the message lacks is
//!   named too (mail-auth does that), so it cannot be added later.
//!
//! No I/O here (key generation reads the system's random numbers).

use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::{Canonicalization, DkimSigner};

/// The header fields a signature covers, in this order; `From` twice (see above).
pub const SIGNED_HEADERS: [&str; 13] = [
    "From",
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
];

/// Bits of a generated RSA key: RFC 8301 asks for at least 1024 and recommends
/// 2048; more does not fit one TXT string at some DNS providers.
pub const RSA_BITS: usize = 2048;

/// A DKIM key's algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Rsa,
    Ed25519,
}

impl Algorithm {
    /// As stored and given on the command line (and as the record's `k=`).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Rsa => "rsa",
            Algorithm::Ed25519 => "ed25519",
        }
    }

    pub fn parse(name: &str) -> Option<Algorithm> {
        [Algorithm::Rsa, Algorithm::Ed25519].into_iter().find(|algorithm| algorithm.as_str() == name)
    }
}

/// A newly made key.
pub struct GeneratedKey {
    /// PKCS#8 DER, for the store.
    pub private_key: Vec<u8>,
    /// What the record publishes (`p=`, before base64).
    pub public_key: Vec<u8>,
}

/// Why a key could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot make the key: {0}")]
    Generate(String),
    #[error("stored {algorithm} key is unusable: {why}")]
    Unusable { algorithm: &'static str, why: String },
    #[error("cannot sign: {0}")]
    Sign(String),
}

/// Makes a key with the system's random numbers.
pub fn generate(algorithm: Algorithm) -> Result<GeneratedKey, KeyError> {
    let private_key = match algorithm {
        Algorithm::Rsa => {
            use rsa::pkcs8::EncodePrivateKey;
            let key = rsa::PrivateKey::new(&mut getrandom::SysRng, RSA_BITS).map_err(|error| KeyError::Generate(error.to_string()))?;
            key.to_pkcs8_der().map_err(|error| KeyError::Generate(error.to_string()))?.as_bytes().to_vec()
        }
        Algorithm::Ed25519 => Ed25519Key::generate_pkcs8().map_err(|error| KeyError::Generate(error.to_string()))?,
    };
    let public_key = public_key(algorithm, &private_key)?;
    Ok(GeneratedKey { private_key, public_key })
}

/// The public half of a stored key, as the record publishes it.
pub fn public_key(algorithm: Algorithm, private_key: &[u8]) -> Result<Vec<u8>, KeyError> {
    let unusable = |why: String| KeyError::Unusable { algorithm: algorithm.as_str(), why };
    match algorithm {
        Algorithm::Rsa => {
            use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
            let key = rsa::PrivateKey::from_pkcs8_der(private_key).map_err(|error| unusable(error.to_string()))?;
            let public = key.to_public_key().to_public_key_der().map_err(|error| unusable(error.to_string()))?;
            Ok(public.as_bytes().to_vec())
        }
        Algorithm::Ed25519 => {
            Ok(Ed25519Key::from_pkcs8_der(private_key).map_err(|error| unusable(error.to_string()))?.public_key())
        }
    }
}

/// The record's value: `v=DKIM1; k=rsa; p=BASE64`.
pub fn record_value(algorithm: Algorithm, public_key: &[u8]) -> String {
    let encoded = mail_builder::encoders::base64::Base64Encoder::new().encode(public_key).unwrap_or_default();
    format!("v=DKIM1; k={}; p={}", algorithm.as_str(), String::from_utf8_lossy(&encoded))
}

/// The zone-file line that publishes a key: `SELECTOR._domainkey.DOMAIN IN TXT
/// "..."`, the value in quoted strings of at most 255 characters.
pub fn zone_line(selector: &str, domain: &str, value: &str) -> String {
    let strings: Vec<String> = value.as_bytes().chunks(255).map(|chunk| format!("\"{}\"", String::from_utf8_lossy(chunk))).collect();
    format!("{selector}._domainkey.{domain} IN TXT {}", strings.join(" "))
}

/// The selector `sluice dkim generate` picks when none is given: `s` and the
/// day's date (`s20261201`), so a newer key gets a new name and an old record
/// can stay published while mail signed with it is still in flight.
pub fn default_selector(today: time::Date) -> String {
    format!("s{:04}{:02}{:02}", today.year(), u8::from(today.month()), today.day())
}

/// Whether `selector` can be a DNS label of the record's name.
pub fn valid_selector(selector: &str) -> bool {
    !selector.is_empty()
        && selector.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// The `DKIM-Signature` field (with its CRLF) for `message` signed by `domain`'s
/// key, to be written in front of it.
pub fn sign(message: &[u8], domain: &str, selector: &str, algorithm: Algorithm, private_key: &[u8]) -> Result<String, KeyError> {
    let unusable = |why: String| KeyError::Unusable { algorithm: algorithm.as_str(), why };
    let signature = match algorithm {
        Algorithm::Rsa => {
            let key = RsaKey::<Sha256>::from_key_der(rustls_pki_types_pkcs8(private_key)).map_err(|error| unusable(error.to_string()))?;
            signer(key, domain, selector).sign(message)
        }
        Algorithm::Ed25519 => {
            let key = Ed25519Key::from_pkcs8_der(private_key).map_err(|error| unusable(error.to_string()))?;
            signer(key, domain, selector).sign(message)
        }
    };
    signature.map(|signature| signature.to_header()).map_err(|error| KeyError::Sign(error.to_string()))
}

fn signer<T: mail_auth::common::crypto::SigningKey<Hasher = Sha256>>(
    key: T,
    domain: &str,
    selector: &str,
) -> DkimSigner<T, mail_auth::dkim::Done> {
    DkimSigner::from_key(key)
        .domain(domain)
        .selector(selector)
        .headers(SIGNED_HEADERS)
        .header_canonicalization(Canonicalization::Relaxed)
        .body_canonicalization(Canonicalization::Relaxed)
}

fn rustls_pki_types_pkcs8(der: &[u8]) -> rustls::pki_types::PrivateKeyDer<'_> {
    rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(der))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_auth::common::parse::TxtRecordParser;
    use mail_auth::common::verify::DomainKey;
    use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator, ResolverCache, Txt};

    const MESSAGE: &[u8] = b"From: Alice <alice@example.test>\r\nTo: bob@example.org\r\nSubject: Lunch\r\n\
Date: Tue, 1 Dec 2026 12:00:00 +0000\r\nMessage-ID: <1@example.test>\r\n\r\nShall we meet at noon?\r\n";

    /// A TXT cache holding one record: verification without a DNS server.
    struct OneRecord(Box<str>, Txt);

    impl ResolverCache<Box<str>, Txt> for OneRecord {
        fn get<Q>(&self, name: &Q) -> Option<Txt>
        where
            Box<str>: std::borrow::Borrow<Q>,
            Q: std::hash::Hash + Eq + ?Sized,
        {
            (std::borrow::Borrow::<Q>::borrow(&self.0) == name).then(|| self.1.clone())
        }

        fn remove<Q>(&self, _: &Q) -> Option<Txt>
        where
            Box<str>: std::borrow::Borrow<Q>,
            Q: std::hash::Hash + Eq + ?Sized,
        {
            None
        }

        fn insert(&self, _: Box<str>, _: Txt, _: std::time::Instant) {}
    }

    /// Verifies `signed` with mail-auth against the record `value` of `s1._domainkey.example.test`.
    fn verify(signed: &[u8], value: &str) -> Vec<DkimResult> {
        let record = DomainKey::parse(value.as_bytes()).expect("the record parses");
        let cache = OneRecord("s1._domainkey.example.test.".into(), Txt::from(record));
        let config = mail_auth::hickory_resolver::config::ResolverConfig::from_parts(None, vec![], vec![]);
        let authenticator = MessageAuthenticator::new(config, Default::default()).expect("authenticator");
        let message = AuthenticatedMessage::parse(signed).expect("parses");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let outputs = runtime.block_on(authenticator.verify_dkim(mail_auth::Parameters::new(&message).with_txt_cache(&cache)));
        outputs.into_iter().map(|output| output.result().clone()).collect()
    }

    fn signed_and_verified(algorithm: Algorithm) {
        let key = generate(algorithm).expect("key");
        let header = sign(MESSAGE, "example.test", "s1", algorithm, &key.private_key).expect("signed");
        assert!(header.starts_with("DKIM-Signature: v=1; a="), "{header}");
        assert!(header.ends_with("\r\n"));
        for tag in ["c=relaxed/relaxed", "d=example.test", "s=s1", " t="] {
            assert!(header.contains(tag), "{tag} in {header}");
        }
        let signed = [header.as_bytes(), MESSAGE].concat();
        let value = record_value(algorithm, &key.public_key);
        assert_eq!(verify(&signed, &value), [DkimResult::Pass], "{header}");
        // A changed body, and a second From added on the way, break it.
        let tampered = [header.as_bytes(), &MESSAGE[..MESSAGE.len() - 2], b"!\r\n"].concat();
        assert_ne!(verify(&tampered, &value), [DkimResult::Pass]);
        let added_from = [header.as_bytes(), b"From: mallory@example.org\r\n", MESSAGE].concat();
        assert_ne!(verify(&added_from, &value), [DkimResult::Pass]);
    }

    #[test]
    fn rsa_signatures_verify_against_the_published_record() {
        signed_and_verified(Algorithm::Rsa);
    }

    #[test]
    fn ed25519_signatures_verify_against_the_published_record() {
        signed_and_verified(Algorithm::Ed25519);
    }

    #[test]
    fn the_signature_names_every_recommended_header_and_from_twice() {
        let key = generate(Algorithm::Ed25519).expect("key");
        let header = sign(MESSAGE, "example.test", "s1", Algorithm::Ed25519, &key.private_key).expect("signed");
        let unfolded = header.replace("\r\n", "").replace([' ', '\t'], "");
        let names = unfolded.split("h=").nth(1).and_then(|rest| rest.split(';').next()).expect("h= tag").to_ascii_lowercase();
        let names: Vec<&str> = names.split(':').collect();
        assert_eq!(names.iter().filter(|name| **name == "from").count(), 2, "{names:?}");
        for wanted in SIGNED_HEADERS {
            assert!(names.contains(&wanted.to_ascii_lowercase().as_str()), "{wanted} in {names:?}");
        }
    }

    #[test]
    fn long_record_values_are_split_into_strings_of_at_most_255() {
        let value = format!("v=DKIM1; k=rsa; p={}", "A".repeat(392));
        let line = zone_line("s1", "example.test", &value);
        let strings: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        assert_eq!(strings.len(), 2, "{line}");
        assert_eq!(strings[0].len(), 255);
        assert_eq!(strings.concat(), value);
        assert!(line.starts_with("s1._domainkey.example.test IN TXT \"v=DKIM1; k=rsa; p="));
        assert_eq!(zone_line("s", "d.test", "v=DKIM1"), "s._domainkey.d.test IN TXT \"v=DKIM1\"");
    }

    #[test]
    fn stored_keys_give_back_their_public_half_and_garbage_is_refused() {
        let key = generate(Algorithm::Rsa).expect("key");
        assert_eq!(public_key(Algorithm::Rsa, &key.private_key).expect("public"), key.public_key);
        assert!(record_value(Algorithm::Rsa, &key.public_key).starts_with("v=DKIM1; k=rsa; p=MIIBIjAN"));
        assert!(public_key(Algorithm::Ed25519, &key.private_key).is_err());
        assert!(sign(MESSAGE, "example.test", "s1", Algorithm::Rsa, b"garbage").is_err());
    }

    #[test]
    fn selectors_are_dated_dns_labels() {
        assert_eq!(default_selector(time::macros::date!(2026 - 12 - 01)), "s20261201");
        assert!(valid_selector("s20261201") && valid_selector("mail.2026"));
        for bad in ["", "a b", "-a", "a.", "x\"y", &"a".repeat(64)] {
            assert!(!valid_selector(bad), "{bad:?}");
        }
    }
}
