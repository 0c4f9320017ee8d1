//! Sender verification: the envelope sender's domain must be able to receive
//! mail (a bounce, a reply), so it needs an MX or an address record.
//!
//! The gateway looks the domain up at MAIL FROM (MX, and A/AAAA, concurrently,
//! with the SPF evaluation) and judges the facts at each RCPT with that
//! recipient's settings (`verify_senders`, on by default): the recipient's
//! domain decides, as for every other RCPT-stage check.
//!
//! - MX and A/AAAA both answer "no such name" or "no record" →
//!   `unknown / sender-verification`, 550 5.1.8, the domain as evidence;
//! - one of them timed out or failed and the other proves nothing →
//!   `error / verification-fail`, 451: the sender retries;
//! - an MX record (even one whose host does not resolve: that is delivery's
//!   problem) or an address record → nothing.
//!
//! The null sender (`<>`) is not verified (bounces have no domain).

use sluice_model::{ErrorClass, Finding, MainClass, Subclass};

use crate::lookups::LookupOutcome;
use crate::settings::DomainSettings;

/// What DNS said about the envelope sender's domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderDomain {
    /// Lower case.
    pub domain: String,
    /// The number of MX records.
    pub mx: LookupOutcome<usize>,
    /// The number of A and AAAA records.
    pub addresses: LookupOutcome<usize>,
}

/// The finding about the sender's domain for a recipient with `settings`.
pub fn check(sender: &SenderDomain, settings: &DomainSettings) -> Option<Finding> {
    if !settings.verify_senders || sender.domain.is_empty() {
        return None;
    }
    let exists = |outcome: &LookupOutcome<usize>| matches!(outcome, LookupOutcome::Answer(count) if *count > 0);
    if exists(&sender.mx) || exists(&sender.addresses) {
        return None;
    }
    if sender.mx.is_unavailable() || sender.addresses.is_unavailable() {
        let why = format!(
            "{}: MX {}, A/AAAA {}",
            sender.domain,
            sender.mx.describe(),
            sender.addresses.describe()
        );
        return Some(
            Finding::new("sender_verification", MainClass::Error, Subclass::VerificationFail, why)
                .with_error(ErrorClass::VerificationFail),
        );
    }
    Some(Finding::new("sender_verification", MainClass::Unknown, Subclass::SenderVerification, sender.domain.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::decide;

    fn verdict(mx: LookupOutcome<usize>, addresses: LookupOutcome<usize>) -> Option<(u16, [u16; 3], Subclass)> {
        let sender = SenderDomain { domain: "example.org".into(), mx, addresses };
        let settings = DomainSettings::default();
        let finding = check(&sender, &settings)?;
        let verdict = decide(&[finding], &settings);
        Some((verdict.reply.code, verdict.reply.enhanced, verdict.sub))
    }

    #[test]
    fn a_domain_without_mx_and_address_is_refused_550_5_1_8() {
        use LookupOutcome::*;
        let refused = Some((550, [5, 1, 8], Subclass::SenderVerification));
        assert_eq!(verdict(NotFound, NotFound), refused);
        assert_eq!(verdict(Answer(0), Answer(0)), refused, "no data");
        assert_eq!(verdict(Answer(1), NotFound), None, "an MX is enough");
        assert_eq!(verdict(Answer(0), Answer(2)), None, "an address is enough");
        assert_eq!(verdict(Failed("SERVFAIL".into()), NotFound), Some((451, [4, 3, 0], Subclass::VerificationFail)));
        assert_eq!(verdict(Answer(0), TimedOut), Some((451, [4, 3, 0], Subclass::VerificationFail)));
        assert_eq!(verdict(TimedOut, Answer(1)), None, "the address proves it exists");
    }

    #[test]
    fn off_per_domain_and_never_for_the_null_sender() {
        let sender = SenderDomain { domain: "example.org".into(), mx: LookupOutcome::NotFound, addresses: LookupOutcome::NotFound };
        let off = DomainSettings { verify_senders: false, ..DomainSettings::default() };
        assert_eq!(check(&sender, &off), None);
        let null = SenderDomain { domain: String::new(), ..sender };
        assert_eq!(check(&null, &DomainSettings::default()), None);
    }
}
