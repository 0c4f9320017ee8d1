//! DKIM (RFC 6376, RFC 8463): the signatures of a message, as verified by the
//! gatherer (`sluice-lookup`'s authenticator, RSA and Ed25519), and the one
//! class DKIM makes on its own: `phish / dkim`.
//!
//! The rule (also in `docs/decisions.md`): `phish / dkim`, quarantined with
//! 550 5.7.1, when all of these hold:
//! 1. the From domain publishes a DMARC policy whose policy for it (after `sp=`)
//!    is `quarantine` or `reject` (the domain says its mail is always signed or
//!    aligned);
//! 2. the message carries a signature whose `d=` is aligned (relaxed) with the
//!    From domain, whose key record exists (the domain really signs with that
//!    selector), and which does not verify: the signature or the body hash does
//!    not match (`fail`, or `neutral` for a body hash mismatch), never for a DNS
//!    failure or an expired signature;
//! 3. no signature aligned with the From domain verifies;
//! 4. no trusted ARC sealer vouches for the message (lists that change the body
//!    break signatures legitimately).
//!
//! A signature that is absent altogether is DMARC's business (no aligned DKIM
//! and no aligned SPF is a DMARC failure); every other signature result is
//! evidence in the Authentication-Results header. The evidence of the finding
//! names the domain, the selector and why the signature failed.

use sluice_model::{Finding, MainClass, Subclass};

use super::dmarc::{self, Alignment, DmarcEvaluation, Policy};

/// How one signature verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DkimResult {
    Pass,
    /// The signature does not match the key (after the key was found).
    Fail,
    /// Not usable: expired, or the body hash does not match (`body_changed`).
    Neutral,
    TempError,
    PermError,
}

impl DkimResult {
    /// The result's name as RFC 8601 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DkimResult::Pass => "pass",
            DkimResult::Fail => "fail",
            DkimResult::Neutral => "neutral",
            DkimResult::TempError => "temperror",
            DkimResult::PermError => "permerror",
        }
    }
}

/// One DKIM signature of the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkimSignature {
    /// `d=`, lower case.
    pub domain: String,
    /// `s=`.
    pub selector: String,
    pub result: DkimResult,
    /// The body was changed after signing (body hash mismatch).
    pub body_changed: bool,
    /// The selector's key record exists and holds a key (`Some(true)`), does not
    /// (`Some(false)`), or was not looked up or did not answer (`None`).
    pub key_published: Option<bool>,
    /// Why it did not pass, in words.
    pub why: String,
}

/// Every DKIM signature of the message, in header order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DkimFacts {
    pub signatures: Vec<DkimSignature>,
}

impl DkimFacts {
    /// Whether a signature aligned with `from_domain` under `mode` verifies.
    pub fn aligned_pass(&self, from_domain: &str, mode: Alignment) -> bool {
        self.signatures
            .iter()
            .any(|signature| signature.result == DkimResult::Pass && dmarc::aligned(&signature.domain, from_domain, mode))
    }
}

/// `phish / dkim` by the rule of the module comment. `arc_vouched`: a trusted
/// ARC sealer reported DMARC pass over a valid chain.
pub fn check(dkim: &DkimFacts, dmarc: &DmarcEvaluation, arc_vouched: bool) -> Option<Finding> {
    let from = dmarc.from_domain.as_str();
    let strict_policy = matches!(dmarc.published_policy, Policy::Quarantine | Policy::Reject);
    if from.is_empty() || !strict_policy || arc_vouched || dkim.aligned_pass(from, Alignment::Relaxed) {
        return None;
    }
    let broken = dkim.signatures.iter().find(|signature| {
        let broken = signature.result == DkimResult::Fail || (signature.result == DkimResult::Neutral && signature.body_changed);
        broken && signature.key_published == Some(true) && dmarc::aligned(&signature.domain, from, Alignment::Relaxed)
    })?;
    Some(Finding::new(
        "dkim",
        MainClass::Phish,
        Subclass::Dkim,
        format!("{} s={}: {}", broken.domain, broken.selector, broken.why),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::dmarc::DmarcResult;

    fn signature(domain: &str, result: DkimResult, key_published: Option<bool>) -> DkimSignature {
        DkimSignature {
            domain: domain.into(),
            selector: "s1".into(),
            result,
            body_changed: result == DkimResult::Neutral,
            key_published,
            why: "body hash mismatch".into(),
        }
    }

    fn evaluation(published_policy: Policy) -> DmarcEvaluation {
        DmarcEvaluation { from_domain: "bank.example".into(), result: DmarcResult::Fail, published_policy, ..DmarcEvaluation::default() }
    }

    #[test]
    fn a_broken_signature_of_a_strict_domain_is_phish() {
        let broken = DkimFacts { signatures: vec![signature("mail.bank.example", DkimResult::Neutral, Some(true))] };
        let finding = check(&broken, &evaluation(Policy::Reject), false).expect("phish/dkim");
        assert_eq!((finding.main, finding.sub), (MainClass::Phish, Subclass::Dkim));
        assert_eq!(finding.extra, "mail.bank.example s=s1: body hash mismatch");
        assert_eq!(check(&broken, &evaluation(Policy::None), false), None, "p=none");
        assert_eq!(check(&broken, &evaluation(Policy::Quarantine), true), None, "a trusted ARC sealer vouches");
    }

    #[test]
    fn only_a_published_key_and_no_aligned_pass_make_it_phish() {
        let no_key = DkimFacts { signatures: vec![signature("bank.example", DkimResult::Fail, Some(false))] };
        assert_eq!(check(&no_key, &evaluation(Policy::Reject), false), None);
        let dns = DkimFacts { signatures: vec![signature("bank.example", DkimResult::TempError, Some(true))] };
        assert_eq!(check(&dns, &evaluation(Policy::Reject), false), None);
        let other_domain = DkimFacts { signatures: vec![signature("list.example", DkimResult::Fail, Some(true))] };
        assert_eq!(check(&other_domain, &evaluation(Policy::Reject), false), None);
        let also_passes = DkimFacts {
            signatures: vec![signature("bank.example", DkimResult::Fail, Some(true)), signature("bank.example", DkimResult::Pass, Some(true))],
        };
        assert_eq!(check(&also_passes, &evaluation(Policy::Reject), false), None);
    }
}
