//! Which addresses an authenticated user may send as, in the envelope (MAIL
//! FROM) and in the header From: its own address (and its sub-addresses,
//! `alice+news@`), every address of the domains it is made admin of
//! (`domain-admin`), and for an `admin` every address of the domains we
//! filter. Anything else is refused with `550 5.7.1` naming the address: a
//! hosting provider's customers must not forge each other, and a compromised
//! account must not send as anyone it likes. The null sender `<>` is refused
//! too: bounces are ours to send, not a mail client's.

/// What a user may send as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderRights {
    /// The user's own address (its name), lower case.
    pub own: String,
    /// Domains whose every address the user may use, lower case.
    pub domains: Vec<String>,
}

impl SenderRights {
    /// Whether `address` (as received) is one the user may send as.
    pub fn allows(&self, address: &str) -> bool {
        let address = address.trim().trim_end_matches('.').to_ascii_lowercase();
        let Some((local, domain)) = address.rsplit_once('@') else {
            return false;
        };
        if self.domains.iter().any(|allowed| allowed == domain) {
            return true;
        }
        let Some((own_local, own_domain)) = self.own.rsplit_once('@') else {
            return false;
        };
        if domain != own_domain {
            return false;
        }
        // A sub-address of its own: `alice+anything@`.
        local == own_local || local.split_once('+').is_some_and(|(base, _)| base == own_local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> SenderRights {
        SenderRights { own: "alice@example.test".into(), domains: Vec::new() }
    }

    #[test]
    fn a_user_sends_as_itself_and_its_sub_addresses_only() {
        let rights = user();
        for allowed in ["alice@example.test", "Alice@EXAMPLE.test", "alice+lists@example.test", "alice@example.test."] {
            assert!(rights.allows(allowed), "{allowed}");
        }
        for refused in ["bob@example.test", "alice@other.test", "alicex@example.test", "", "alice", "x+alice@example.test"] {
            assert!(!rights.allows(refused), "{refused}");
        }
    }

    #[test]
    fn a_domain_admin_sends_as_anyone_of_its_domains() {
        let rights = SenderRights { own: "boss@example.test".into(), domains: vec!["example.test".into(), "example.org".into()] };
        assert!(rights.allows("anyone@example.org"));
        assert!(rights.allows("bob@example.test"));
        assert!(!rights.allows("bob@sub.example.test"), "a subdomain is another domain");
        assert!(!rights.allows("bob@example.net"));
    }
}
