//! Filtering turned off for a recipient (`filtering = false`, any scope):
//! its mail is not judged on its content and is delivered, `unknown` /
//! `disabled` (250 2.0.0 "Message accepted for delivery").
//!
//! Why: an `abuse@` or `postmaster@` mailbox (RFC 2142) must receive the spam
//! and virus samples people forward to it, and the reports of senders our
//! own checks would refuse. What protects the gateway itself still applies
//! (relaying, the recipient checks, sizes, connection and message rates, SMTP
//! syntax and DATA framing: `docs/decisions.md`); [`crate::classify`] runs no
//! content check, judge or scorer for such a message, and the gateway gathers
//! nothing for them (no antivirus scan, no DNS, no SPF/DKIM/DMARC).
//! The finding is in the `protocol` tier, so it decides over anything else a
//! caller (`sluice explain`) still looks at.

use sluice_model::{Finding, MainClass, Subclass};

use crate::settings::DomainSettings;

pub const NAME: &str = "filtering";

/// `unknown` / `disabled` when the recipient's settings turn filtering off.
pub fn check(settings: &DomainSettings) -> Option<Finding> {
    (!settings.filtering).then(|| Finding::new(NAME, MainClass::Unknown, Subclass::Disabled, "filtering = false"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::decide;
    use sluice_model::Action;

    #[test]
    fn off_delivers_unjudged_on_finds_nothing() {
        assert!(check(&DomainSettings::default()).is_none());
        let off = DomainSettings { filtering: false, ..DomainSettings::default() };
        let finding = check(&off).expect("filtering off");
        assert_eq!((finding.main, finding.sub), (MainClass::Unknown, Subclass::Disabled));
        // It decides over a content finding a caller still gathered.
        let gtube = Finding::new("gtube", MainClass::Spam, Subclass::Gtube, "");
        let verdict = decide(&[gtube, finding], &off);
        assert_eq!((verdict.main, verdict.sub, verdict.action), (MainClass::Unknown, Subclass::Disabled, Action::Deliver));
        assert_eq!(verdict.reply.line(), "250 2.0.0 Message accepted for delivery");
    }
}
