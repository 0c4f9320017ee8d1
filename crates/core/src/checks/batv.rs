//! BATV at RCPT: a bounce (null envelope sender) to an address of a domain with
//! `batv = true` must come back to a return path we tagged (`crate::batv`).
//!
//! - No tag, a malformed one, an expired one or one not made with the domain's
//!   secret: `spam` / `batv`, refused with `550 5.7.1 Bounce to an address that
//!   sent no mail (BATV)` (reason `batv-invalid`), no copy kept: it is
//!   backscatter, a bounce of mail forged in our user's name.
//! - A valid tag: `not-spam` / `batv` (extra: the tagged address), and the
//!   recipient becomes the untagged address, which the destination receives.
//!
//! Judged at RCPT because the address is all it needs, and refusing there
//! spares the sending server the whole bounce. Mail with a sender (not a
//! bounce) is not judged: replies to our users are not tagged.
//!
//! Settings: `batv` (per domain, default false).

use sluice_model::{Finding, MainClass, Reason, Subclass};

use crate::batv::{self, Parsed, Validity};

pub const NAME: &str = "batv";

/// What the check made of a bounce's recipient.
#[derive(Clone, Debug, PartialEq)]
pub enum Judged {
    /// Ours: deliver to `untagged`; `finding` is `not-spam` / `batv`.
    Valid { untagged: String, finding: Finding },
    /// Not ours: `spam` / `batv`, reason `batv-invalid`.
    Refused(Finding),
}

/// Judges `recipient` (as received) of a bounce, with its domain's `secret`,
/// at `unix_seconds`.
pub fn check(recipient: &str, secret: &[u8], unix_seconds: i64) -> Judged {
    let refused = |why: &str| Judged::Refused(refusal(why));
    match batv::parse(recipient) {
        Parsed::Untagged => refused("bounce to an untagged address"),
        Parsed::Malformed => refused("malformed tag"),
        Parsed::Tagged(tag) => match batv::validate(&tag, secret, unix_seconds) {
            Validity::Valid => Judged::Valid {
                finding: Finding::new(NAME, MainClass::NotSpam, Subclass::Batv, recipient),
                untagged: tag.untagged,
            },
            invalid => refused(invalid.describe()),
        },
    }
}

/// Hands the valid tags found at RCPT (`not-spam` / `batv`) to the message's
/// classification, ahead of the scorers: a bounce to a return path we tagged is
/// `not-spam` / `batv` unless a check of an earlier tier (virus, GTUBE, ...)
/// says otherwise; what the statistical classifiers make of the message it
/// bounces does not decide.
pub struct BatvJudge<'a>(pub &'a [Finding]);

impl crate::classify::Judge for BatvJudge<'_> {
    fn judge(&self, _: &crate::MessageFacts<'_>, findings: &mut Vec<Finding>) {
        findings.extend(self.0.iter().cloned());
    }
}

/// `spam` / `batv` with reason `batv-invalid`, `why` as its evidence.
pub fn refusal(why: &str) -> Finding {
    Finding::new(NAME, MainClass::Spam, Subclass::Batv, why).because(Reason::BatvInvalid)
}

/// The address a recipient stands for: the untagged address of a well-formed
/// tag (whose settings apply), else the recipient itself.
pub fn untagged(recipient: &str) -> &str {
    match recipient.get(5..).and_then(|rest| rest.split_once('=')) {
        Some((_, untagged)) if matches!(batv::parse(recipient), Parsed::Tagged(_)) => untagged,
        _ => recipient,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DomainSettings;
    use crate::verdict::decide;
    use sluice_model::Action;

    const SECRET: &[u8] = b"secret";
    const NOW: i64 = 1_796_126_400;

    #[test]
    fn a_bounce_to_a_tag_of_ours_is_not_spam_and_goes_to_the_untagged_address() {
        let tagged = batv::tag("alice@example.test", SECRET, NOW);
        let Judged::Valid { untagged, finding } = check(&tagged, SECRET, NOW + 3600) else { panic!("valid") };
        assert_eq!(untagged, "alice@example.test");
        assert_eq!((finding.main, finding.sub, finding.extra.as_str()), (MainClass::NotSpam, Subclass::Batv, tagged.as_str()));
        assert_eq!(decide(&[finding], &DomainSettings::default()).action, Action::Deliver);
        assert_eq!(self::untagged(&tagged), "alice@example.test");
        assert_eq!(self::untagged("alice@example.test"), "alice@example.test");
        assert_eq!(self::untagged("prvs=junk=a@b"), "prvs=junk=a@b");
    }

    #[test]
    fn other_bounces_are_refused_as_backscatter() {
        let tagged = batv::tag("alice@example.test", SECRET, NOW);
        let cases = [
            ("alice@example.test".to_owned(), NOW, "bounce to an untagged address"),
            (tagged.clone(), NOW + 9 * 86_400, "expired tag"),
            (tagged.replace("alice", "bob"), NOW, "tag with a wrong signature"),
            ("prvs==@".to_owned(), NOW, "malformed tag"),
        ];
        for (recipient, at, why) in cases {
            let Judged::Refused(finding) = check(&recipient, SECRET, at) else { panic!("{recipient}: refused") };
            assert_eq!((finding.main, finding.sub, finding.extra.as_str()), (MainClass::Spam, Subclass::Batv, why));
            let verdict = decide(&[finding], &DomainSettings::default());
            assert_eq!(verdict.action, Action::Reject, "no copy of backscatter");
            assert_eq!(verdict.reply.line(), "550 5.7.1 Bounce to an address that sent no mail (BATV)");
        }
    }
}
