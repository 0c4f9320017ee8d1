//! Who may change what: the scopes of lists, rules and settings a user
//! manages. Shared by the pages and the JSON API, so the two cannot disagree.
//!
//! An administrator manages every scope; a domain administrator the scopes of
//! its domains (`domain:D`, `mailbox:x@D`), never `global`; a mailbox user
//! none (it reads its own rows and acts on its own quarantine only).

use sluice_core::checks::lists::ListScope;
use sluice_store::{Role, StoredUser};

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
}
