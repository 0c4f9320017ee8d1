//! Dictionary attacks: a client that tries recipient after recipient that does
//! not exist (refused as `invalid-recipient` or `recipient-verification`) is
//! harvesting addresses. Its refused recipients are counted per client (IPv4
//! address, IPv6 /64) over a window shared by the cluster; past the domain's limit
//! every further recipient from it is deferred (451, valid ones too, so the
//! harvest learns nothing) and counted too, and past twice the limit refused
//! (550, `spam/dictionary-attack`).

use std::net::IpAddr;

use sluice_model::{Finding, MainClass, Reason, Subclass};

use crate::checks::connection_rate::client_key;

pub const NAME: &str = "refused-recipients";

/// The counting window, in seconds (15 minutes).
pub const WINDOW: u64 = 15 * 60;

/// The shared counter of a client's refused recipients.
pub fn counter_key(ip: IpAddr) -> String {
    format!("refused-recipients/{}", client_key(ip))
}

/// Whether a refusal counts towards a dictionary attack: the recipient does
/// not exist.
pub fn counts(finding: &Finding) -> bool {
    matches!(finding.sub, Subclass::InvalidRecipient | Subclass::RecipientVerification)
}

/// `refused` recipients of the client in the current window, against the
/// domain's `limit` (0: off).
pub fn check(refused: u64, limit: usize) -> Option<Finding> {
    let limit = limit as u64;
    if limit == 0 || refused < limit {
        return None;
    }
    let evidence = format!("{refused} refused recipients in {} minutes, limit {limit}", WINDOW / 60);
    let finding = Finding::new(NAME, MainClass::Spam, Subclass::DictionaryAttack, evidence);
    Some(if refused >= 2 * limit { finding } else { finding.because(Reason::TooManyInvalidRecipients) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DomainSettings;
    use crate::verdict::decide;

    fn reply(finding: Finding) -> String {
        decide(&[finding], &DomainSettings::default()).reply.line()
    }

    #[test]
    fn deferred_past_the_limit_refused_past_twice_the_limit() {
        assert!(check(19, 20).is_none());
        assert_eq!(reply(check(20, 20).unwrap()), "451 4.7.1 Too many invalid recipients, please try again later");
        assert_eq!(reply(check(39, 20).unwrap()), "451 4.7.1 Too many invalid recipients, please try again later");
        let refused = check(40, 20).unwrap();
        assert_eq!(refused.extra, "40 refused recipients in 15 minutes, limit 20");
        assert_eq!(reply(refused), "550 5.7.1 Sending server attempted too many invalid addresses");
        assert!(check(1000, 0).is_none(), "0 turns it off");
    }
}
