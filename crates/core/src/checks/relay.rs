//! Relay protection: mail for an address outside every filtered domain is refused
//! (`spam` / `invalid-domain`, "Relay not permitted!"), so the gateway is never an
//! open relay. Whether the recipient's domain is filtered is a fact the gateway
//! gathers from its configuration.

use sluice_model::{Finding, MainClass, Subclass};

pub const NAME: &str = "relay";

/// A recipient of no filtered domain -> `spam` / `invalid-domain`.
pub fn check(recipient: &str, domain_is_filtered: bool) -> Option<Finding> {
    if domain_is_filtered {
        return None;
    }
    let shown: String = recipient.chars().take(256).collect();
    Some(Finding::new(NAME, MainClass::Spam, Subclass::InvalidDomain, shown))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DomainSettings;
    use crate::verdict::decide;

    #[test]
    fn outside_recipients_are_refused_with_the_specs_reply() {
        assert!(check("bob@example.net", true).is_none());
        let finding = check("bob@elsewhere.example", false).expect("refused");
        let verdict = decide(&[finding], &DomainSettings::default());
        assert_eq!(verdict.reply.line(), "550 5.7.1 Relay not permitted!");
        assert_eq!(verdict.extra, "bob@elsewhere.example");
    }
}
