//! The gateway's own failures while recording a message, as findings: the store
//! could not be reached, or failed in the middle of the transaction that records
//! the message, or the classification could not run. Each is an `error`
//! class and a temporary refusal, never a silent accept.

use sluice_model::{Finding, MainClass, Reason, Subclass};

pub const NAME: &str = "failures";

/// The store could not be reached (connect, pool, BEGIN) -> `error` /
/// `database-unavailable`.
pub fn store_unavailable() -> Finding {
    Finding::new(NAME, MainClass::Error, Subclass::DatabaseUnavailable, "the message store could not be reached")
        .because(Reason::StoreUnavailable)
}

/// The store was reached but the transaction recording the message failed in
/// the middle (a statement or the COMMIT: disk full, a constraint, an I/O
/// error, the connection lost) -> `error` / `database-crash`; `what` is the
/// store's own account, cut to [`MAX_DETAIL`] characters.
pub fn store_crashed(what: &str) -> Finding {
    let what: String = what.chars().take(MAX_DETAIL).collect();
    Finding::new(NAME, MainClass::Error, Subclass::DatabaseCrash, format!("the store failed in the middle of the transaction: {what}"))
        .because(Reason::StoreCrashed)
}

/// The longest account of a failure kept in the extra class.
pub const MAX_DETAIL: usize = 300;

/// Something else failed on the way (`what` says what) -> `error` / `unknown`.
pub fn internal(what: &str) -> Finding {
    Finding::new(NAME, MainClass::Error, Subclass::Unknown, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DomainSettings;
    use crate::verdict::decide;
    use sluice_model::ErrorClass;

    #[test]
    fn failures_are_temporary_and_carry_their_error_class() {
        let store = decide(&[store_unavailable()], &DomainSettings::default());
        assert_eq!(store.reply.line(), "451 4.3.0 Temporary storage failure, please try again later");
        assert_eq!(store.error, Some(ErrorClass::DatabaseUnavailable));
        let crashed = decide(&[store_crashed("disk full")], &DomainSettings::default());
        assert_eq!(crashed.reply.line(), store.reply.line(), "the sender is told the same");
        assert_eq!((crashed.sub, crashed.error), (Subclass::DatabaseCrash, Some(ErrorClass::DatabaseCrash)));
        assert!(crashed.extra.ends_with("disk full"), "{}", crashed.extra);
        assert!(store_crashed(&"x".repeat(10_000)).extra.len() < MAX_DETAIL + 100, "bounded");
        let other = decide(&[internal("classification task failed")], &DomainSettings::default());
        assert_eq!((other.reply.code, other.error), (451, Some(ErrorClass::Unknown)));
    }
}
