//! Who may change what: the scopes of lists, rules and settings a user
//! manages. Shared by the pages and the JSON API, so the two cannot disagree.
//!
//! An administrator manages every scope; a domain administrator the scopes of
//! its domains (`domain:D`, `mailbox:x@D`), never `global`; a mailbox user
//! none (it reads its own rows and acts on its own quarantine only).
//!
//! A quarantined message is seen as its log row is: incoming mail by its
//! recipients' audience, outgoing mail by its sender's (the mailbox that sent
//! it, the domain administrators of the sender's domain, the administrators).
//! Who sees one may delete it; releasing and training are
//! [`may_release_or_train`]'s.

use sluice_core::checks::lists::ListScope;
use sluice_store::{Direction, QuarantineRow, Role, StoredUser};

/// Whether `user` may add to, change or remove from the scope written `scope`
/// (`global`, `domain:NAME`, `mailbox:ADDRESS`). An unreadable scope is
/// nobody's but an administrator's (validation then refuses it with its reason).
pub(crate) fn manages_scope(user: &StoredUser, scope: &str) -> bool {
    match user.role {
        Role::Admin => true,
        Role::User => false,
        Role::DomainAdmin => match ListScope::parse(scope) {
            Some(ListScope::Domain(domain)) => user.domains.contains(&domain),
            Some(ListScope::Mailbox(address)) => {
                address.rsplit_once('@').is_some_and(|(_, domain)| user.domains.iter().any(|own| own == domain))
            }
            Some(ListScope::Global) | None => false,
        },
    }
}

/// Whether `user` may see and change the settings of the domain `name`.
pub(crate) fn manages_domain(user: &StoredUser, name: &str) -> bool {
    match user.role {
        Role::Admin => true,
        Role::DomainAdmin => user.domains.iter().any(|own| own.eq_ignore_ascii_case(name)),
        Role::User => false,
    }
}

/// Whether a user of `role` who sees the quarantined `row` may release it
/// (deliver it, with or without training) or train the classifiers with it.
/// Incoming mail: yes (a virus is released by administrators only, which
/// `Gateway::release_with` decides). Outgoing mail: administrators and domain
/// administrators only, never the mailbox that sent it: the quarantine held
/// what a compromised account sent, and the same account must not send it on
/// (or teach the shared classifiers with it). The sender may see its message
/// and withdraw it (delete).
pub(crate) fn may_release_or_train(role: Role, row: &QuarantineRow) -> bool {
    match row.direction {
        Direction::Incoming => true,
        Direction::Outgoing => match role {
            Role::Admin | Role::DomainAdmin => true,
            Role::User => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, domains: &[&str]) -> StoredUser {
        StoredUser {
            name: "someone@example.net".to_owned(),
            role,
            domains: domains.iter().map(|domain| (*domain).to_owned()).collect(),
            password_hash: String::new(),
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn scopes_by_role() {
        let admin = user(Role::Admin, &[]);
        let domain_admin = user(Role::DomainAdmin, &["example.com"]);
        let mailbox = user(Role::User, &[]);
        for scope in ["global", "domain:example.com", "mailbox:a@example.com", "domain:example.net"] {
            assert!(manages_scope(&admin, scope), "{scope}");
            assert!(!manages_scope(&mailbox, scope), "{scope}");
        }
        assert!(manages_scope(&domain_admin, "domain:Example.COM"));
        assert!(manages_scope(&domain_admin, "mailbox:a@example.com"));
        for scope in ["global", "domain:example.net", "domain:sub.example.com", "mailbox:a@example.com.evil.test", "nonsense"] {
            assert!(!manages_scope(&domain_admin, scope), "{scope}");
        }
        assert!(manages_domain(&domain_admin, "EXAMPLE.com") && !manages_domain(&domain_admin, "example.net"));
        assert!(manages_domain(&admin, "anything") && !manages_domain(&mailbox, "example.net"));
    }

    #[test]
    fn an_outgoing_quarantined_message_is_released_by_administrators_only() {
        let row = |direction| QuarantineRow {
            id: "q".to_owned(),
            message_id: "m".to_owned(),
            log_id: 1,
            created_at_ms: 0,
            direction,
            sender: "bob@example.com".to_owned(),
            recipients: vec!["friend@example.org".to_owned()],
            subject: String::new(),
            main_class: sluice_model::MainClass::Spam,
            sub_class: sluice_model::Subclass::Gtube,
            released_at_ms: None,
            released_by: None,
        };
        for role in Role::ALL {
            assert!(may_release_or_train(role, &row(Direction::Incoming)), "{role:?}");
            assert_eq!(may_release_or_train(role, &row(Direction::Outgoing)), role != Role::User, "{role:?}");
        }
    }
}
