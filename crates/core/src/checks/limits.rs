//! The gateway's own limits, as findings: the size of a message (declared on MAIL
//! FROM, or received in DATA), the memory budget for message bodies in flight,
//! concurrent connections, and a client that went away in the middle of DATA.
//! The gateway gathers the counts; these functions say what they mean, so that the
//! gateway builds no verdict of its own.

use sluice_model::{Finding, MainClass, Reason, Subclass};

pub const NAME: &str = "limits";

/// A SIZE declared on MAIL FROM beyond the largest message any recipient accepts
/// (`u64::MAX`: more digits than any number we read) -> `block-list` / `oversize`.
pub fn check_declared_size(declared: u64, largest: u64) -> Option<Finding> {
    (declared > largest).then(|| {
        let evidence = match declared {
            u64::MAX => format!("declared SIZE beyond any number > {largest}"),
            size => format!("declared SIZE {size} > {largest}"),
        };
        Finding::new(NAME, MainClass::BlockList, Subclass::Oversize, evidence)
    })
}

/// DATA went past `max` octets (the rest was read and thrown away) ->
/// `block-list` / `oversize`.
pub fn received_too_much(max: u64) -> Finding {
    Finding::new(NAME, MainClass::BlockList, Subclass::Oversize, format!("received more than {max} octets"))
}

/// The memory all sessions may hold for message bodies is used up ->
/// `error` / `memory`, a temporary refusal.
pub fn memory_exhausted() -> Finding {
    Finding::new(NAME, MainClass::Error, Subclass::Memory, "message memory budget exhausted").because(Reason::MemoryExhausted)
}

/// Concurrent connections over a limit -> `unknown` / `ratelimited`, 421.
pub fn check_connections(from_client: usize, per_client_max: usize, total: usize, total_max: usize) -> Option<Finding> {
    let evidence = if from_client >= per_client_max {
        format!("more than {per_client_max} concurrent connections from this client")
    } else if total >= total_max {
        format!("more than {total_max} concurrent connections in all")
    } else {
        return None;
    };
    Some(Finding::new(NAME, MainClass::Unknown, Subclass::Ratelimited, evidence).because(Reason::ConnectionLimit))
}

/// The client closed the connection, or let the DATA deadline pass, before the
/// final dot -> `unknown` / `connection-lost`.
pub fn connection_lost(why: &str) -> Finding {
    Finding::new(NAME, MainClass::Unknown, Subclass::ConnectionLost, why.to_owned())
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
    fn each_limit_has_its_reply() {
        assert!(check_declared_size(1000, 1000).is_none());
        let declared = check_declared_size(u64::MAX, 1000).expect("too large");
        assert!(declared.extra.contains("beyond any number"));
        assert_eq!(reply(declared), "552 5.3.4 Message size exceeds the maximum allowed");
        assert_eq!(reply(received_too_much(10)), "552 5.3.4 Message size exceeds the maximum allowed");
        assert_eq!(reply(memory_exhausted()), "451 4.3.1 Insufficient system resources, please try again later");
        assert!(check_connections(9, 10, 500, 1000).is_none());
        let limited = check_connections(10, 10, 500, 1000).expect("per client");
        assert!(limited.extra.contains("from this client"));
        assert_eq!(reply(limited), "421 4.7.0 Too many concurrent SMTP connections");
        assert!(check_connections(1, 10, 1000, 1000).expect("in all").extra.contains("in all"));
        assert_eq!(reply(connection_lost("client disconnected during DATA")), "451 4.4.2 Connection lost");
    }
}
