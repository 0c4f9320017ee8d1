//! ARC (RFC 8617): the chain of custody mailing lists and forwarders add, as
//! validated by the gatherer (`sluice-lookup`'s authenticator), and whether a
//! sealer this installation trusts (`[auth] trusted_arc_sealers`) vouches for
//! the message's DMARC.
//!
//! ARC makes no class of its own. Over a chain that validates (`cv=pass` all
//! the way, every seal and the latest message signature verifying), the newest
//! set sealed by a trusted sealer is read: when its ARC-Authentication-Results
//! say `dmarc=pass`, a local DMARC failure (and the `phish / dkim` rule) is
//! overridden. The Authentication-Results header names the sealer.

/// How the chain validated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ArcChain {
    /// No ARC sets.
    #[default]
    None,
    Pass,
    Fail,
}

impl ArcChain {
    pub fn as_str(self) -> &'static str {
        match self {
            ArcChain::None => "none",
            ArcChain::Pass => "pass",
            ArcChain::Fail => "fail",
        }
    }
}

/// One ARC set: who sealed it and what its ARC-Authentication-Results said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArcSeal {
    /// `i=`.
    pub instance: u32,
    /// The sealer's `d=`, lower case.
    pub sealer: String,
    /// Its ARC-Authentication-Results hold `dmarc=pass`.
    pub reported_dmarc_pass: bool,
}

/// The message's ARC chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArcFacts {
    pub chain: ArcChain,
    pub seals: Vec<ArcSeal>,
    /// Why the chain failed, in words.
    pub why: String,
}

/// The trusted sealer that vouches for the message's DMARC, if any: the chain
/// validates and the newest set sealed by one of `trusted` (names compared
/// without case) reported `dmarc=pass`.
pub fn trusted_dmarc_pass<'a>(arc: &'a ArcFacts, trusted: &[String]) -> Option<&'a str> {
    if arc.chain != ArcChain::Pass {
        return None;
    }
    let mut seals: Vec<&ArcSeal> = arc.seals.iter().collect();
    seals.sort_by_key(|seal| std::cmp::Reverse(seal.instance));
    let newest_trusted = seals
        .into_iter()
        .find(|seal| trusted.iter().any(|name| name.trim_end_matches('.').eq_ignore_ascii_case(&seal.sealer)))?;
    newest_trusted.reported_dmarc_pass.then_some(newest_trusted.sealer.as_str())
}

/// Whether an ARC-Authentication-Results value reports `dmarc=pass` (RFC 8601
/// syntax: `i=1; mx.example; dmarc=pass header.from=...`).
pub fn reports_dmarc_pass(results: &str) -> bool {
    results.split(';').any(|part| {
        let part = part.trim();
        part.get(..6).is_some_and(|name| name.eq_ignore_ascii_case("dmarc="))
            && part[6..].split(|c: char| c.is_whitespace() || c == '(').next().is_some_and(|value| value.eq_ignore_ascii_case("pass"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(instance: u32, sealer: &str, reported_dmarc_pass: bool) -> ArcSeal {
        ArcSeal { instance, sealer: sealer.into(), reported_dmarc_pass }
    }

    #[test]
    fn the_newest_trusted_sealer_vouches_over_a_valid_chain() {
        let trusted = vec!["Lists.Example.org".to_owned()];
        let arc = ArcFacts {
            chain: ArcChain::Pass,
            seals: vec![seal(1, "lists.example.org", true), seal(2, "forwarder.example", false)],
            why: String::new(),
        };
        assert_eq!(trusted_dmarc_pass(&arc, &trusted), Some("lists.example.org"));
        assert_eq!(trusted_dmarc_pass(&arc, &[]), None);
        let broken = ArcFacts { chain: ArcChain::Fail, ..arc.clone() };
        assert_eq!(trusted_dmarc_pass(&broken, &trusted), None);
        let said_fail = ArcFacts { seals: vec![seal(1, "lists.example.org", true), seal(2, "lists.example.org", false)], ..arc };
        assert_eq!(trusted_dmarc_pass(&said_fail, &trusted), None, "the newest trusted set decides");
    }

    #[test]
    fn aar_results_are_read() {
        assert!(reports_dmarc_pass("i=1; lists.example.org; spf=fail smtp.mailfrom=x; dmarc=pass header.from=bank.example"));
        assert!(reports_dmarc_pass("i=1; mx; DMARC=Pass (p=reject)"));
        assert!(!reports_dmarc_pass("i=1; mx; dmarc=fail header.from=x; comment=dmarc=pass"));
        assert!(!reports_dmarc_pass("i=1; mx; dmarc=passive"));
    }
}
