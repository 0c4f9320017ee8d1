//! Recipient verification by callout: the domain's own server was asked
//! (`MAIL FROM:<>`, `RCPT TO:`) whether the recipient exists. A refusal (5xx)
//! means it does not: `unknown/recipient-verification`, 550 5.1.1, so the sender
//! learns now instead of from a bounce we would have to send. A server that does
//! not answer, or answers 4xx, cannot tell: `error/verification-fail`, 451 4.4.0,
//! never an accept of a recipient that may not exist. When the callout itself
//! broke (the destination's reply was not an SMTP reply, or broke the
//! protocol; the callout panicked) it is `error/verification-crash`, 451 4.3.0,
//! the reason in the extra class: an admin then looks at the destination (or
//! at us), not at the network.

use sluice_model::{ErrorClass, Finding, MainClass, Reason, Subclass};

use crate::lookups::LookupOutcome;

pub const NAME: &str = "recipient-callout";

/// What the destination answered to `RCPT TO`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalloutAnswer {
    /// 2xx: the recipient exists.
    Accepted,
    /// 5xx, with the reply as the destination gave it.
    Refused(String),
    /// 4xx, with the reply.
    Deferred(String),
    /// No answer to judge: the callout broke on what the destination sent (not
    /// an SMTP reply, over the bounds of one, a protocol violation) or on a bug
    /// of its own (a panic). What went wrong, in words.
    Crashed(String),
}

/// The finding for the callout's outcome; none when the recipient exists.
pub fn check(outcome: &LookupOutcome<CalloutAnswer>) -> Option<Finding> {
    let unverifiable = |why: String| {
        Finding::new(NAME, MainClass::Error, Subclass::VerificationFail, why)
            .with_error(ErrorClass::VerificationFail)
            .because(Reason::DestinationUnverifiable)
    };
    match outcome {
        LookupOutcome::Answer(CalloutAnswer::Accepted) => None,
        LookupOutcome::Answer(CalloutAnswer::Refused(reply)) => {
            Some(Finding::new(NAME, MainClass::Unknown, Subclass::RecipientVerification, format!("destination said: {reply}")))
        }
        LookupOutcome::Answer(CalloutAnswer::Deferred(reply)) => Some(unverifiable(format!("destination said: {reply}"))),
        LookupOutcome::Answer(CalloutAnswer::Crashed(why)) => Some(
            Finding::new(NAME, MainClass::Error, Subclass::VerificationCrash, format!("callout broke: {why}"))
                .with_error(ErrorClass::VerificationCrash),
        ),
        LookupOutcome::NotFound => Some(unverifiable("destination not found".to_owned())),
        LookupOutcome::TimedOut => Some(unverifiable("destination did not answer in time".to_owned())),
        LookupOutcome::Failed(why) => Some(unverifiable(format!("destination unreachable: {why}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DomainSettings;
    use crate::verdict::decide;

    fn reply(outcome: LookupOutcome<CalloutAnswer>) -> Option<String> {
        check(&outcome).map(|finding| decide(&[finding], &DomainSettings::default()).reply.line())
    }

    #[test]
    fn refused_is_550_and_anything_uncertain_451() {
        assert_eq!(reply(LookupOutcome::Answer(CalloutAnswer::Accepted)), None);
        assert_eq!(
            reply(LookupOutcome::Answer(CalloutAnswer::Refused("550 5.1.1 no such user".into()))).as_deref(),
            Some("550 5.1.1 Destination address does not exist")
        );
        for uncertain in [
            LookupOutcome::Answer(CalloutAnswer::Deferred("450 try later".into())),
            LookupOutcome::TimedOut,
            LookupOutcome::Failed("connection refused".into()),
        ] {
            assert_eq!(reply(uncertain).as_deref(), Some("451 4.4.0 Unable to verify destination address"));
        }
        let finding = check(&LookupOutcome::TimedOut).unwrap();
        assert_eq!((finding.main, finding.sub, finding.error), (MainClass::Error, Subclass::VerificationFail, Some(ErrorClass::VerificationFail)));
    }

    #[test]
    fn a_broken_callout_is_a_crash_with_its_reason() {
        let outcome = LookupOutcome::Answer(CalloutAnswer::Crashed("reply line over 2048 octets".into()));
        assert_eq!(reply(outcome.clone()).as_deref(), Some("451 4.3.0 Internal error while filtering, please try again later"));
        let finding = check(&outcome).unwrap();
        assert_eq!((finding.main, finding.sub, finding.error), (MainClass::Error, Subclass::VerificationCrash, Some(ErrorClass::VerificationCrash)));
        assert_eq!(finding.extra, "callout broke: reply line over 2048 octets");
    }
}
