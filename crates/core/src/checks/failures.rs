//! The gateway's own failures while recording a message, as findings: the store
//! did not take it, or the classification could not run. Each is an `error`
//! class and a temporary refusal, never a silent accept.

use sluice_model::{Finding, MainClass, Reason, Subclass};

pub const NAME: &str = "failures";

/// The store did not commit the message -> `error` / `database-unavailable`.
pub fn store_unavailable() -> Finding {
    Finding::new(NAME, MainClass::Error, Subclass::DatabaseUnavailable, "the message store did not accept the message")
        .because(Reason::StoreUnavailable)
}

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
        let other = decide(&[internal("classification task failed")], &DomainSettings::default());
        assert_eq!((other.reply.code, other.error), (451, Some(ErrorClass::Unknown)));
    }
}
