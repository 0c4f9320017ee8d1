//! Authenticated submission in the gateway: gathering the facts the pure
//! checks judge (failed AUTH counts, the user's rights, its sent messages) and
//! keeping the counts, for `smtp/session/auth.rs` and the MAIL and DATA stages
//! of an authenticated session.
//!
//! - **Lockout** (`checks::auth_lockout`): failed AUTH per client and per user
//!   name in `[outgoing] auth_failures_window`; the failure that reaches the
//!   limit writes one auth-log row (`store::auth_log`) and a `sluice::auth`
//!   line in the process log.
//! - **Sender rights** (`checks::sender_rights`): read from the user's row at
//!   each use, so removing a user or a domain takes effect at once.
//! - **Message limits** (`checks::outgoing_rate`): the user's accepted
//!   messages per hour and day, the user's settings in force (mailbox, then
//!   domain, then global).
//!
//! These counts live in the store's shared `counters` table like the
//! connection rates, but each event is added and each count read in the store
//! at once, not batched by `counters.rs`: AUTH and submissions are rare
//! enough, and a lockout must be exact across nodes (a batched count read back
//! while its batch is in flight could be counted twice, or skip the limit and
//! with it the one auth-log row).

use std::net::IpAddr;

use sluice_core::checks::{auth_lockout, outgoing_rate};
use sluice_core::checks::sender_rights::SenderRights;
use sluice_model::Finding;
use sluice_store::{NewAuthEvent, Role, StoredUser};

use sluice_store::CounterDelta;

use crate::Gateway;
use crate::counters::{now_seconds, window_start};
use crate::pipeline::now_ms;

/// The outcome of one authentication attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthOutcome {
    /// The user's name as stored (lower case).
    Authenticated(String),
    /// Wrong name or password: 535.
    Invalid,
    /// Locked out (this client or this name): 454, the password not even tried.
    LockedOut,
    /// The store did not answer: 454 4.7.0 temporary failure.
    Unavailable,
}

/// Adds `add` (0: only reads) to each named counter in its current window of
/// `window_seconds`, in the store; the cluster's totals after, in order.
///
/// These windows (a day, an AUTH window an admin may set to hours) outlast the
/// retention sweep's two hours after a window *starts*, which suits the
/// connection counters; so these rows are keyed by the time their window
/// *ends*, and the sweep removes them two hours after they stop counting.
async fn shared_counts(gateway: &Gateway, names: &[&str], window_seconds: u64, add: i64) -> Result<Vec<u64>, sluice_store::StoreError> {
    let window_end = window_start(now_seconds(), window_seconds) + window_seconds as i64;
    let deltas: Vec<CounterDelta> =
        names.iter().map(|name| CounterDelta { name: (*name).to_owned(), window_start: window_end, delta: add }).collect();
    let totals = gateway.store.add_to_counters(&deltas).await?;
    Ok(totals.into_iter().map(|total| total.max(0) as u64).collect())
}

impl Gateway {
    fn auth_window(&self) -> u64 {
        self.config.outgoing.auth_failures_window.as_secs().max(1)
    }

    /// Whether the client is locked out before it names a user (an AUTH
    /// command from it is answered 454 at once). A store that does not answer
    /// locks no one out here: `authenticate` reads it again.
    pub async fn auth_client_locked_out(&self, ip: IpAddr) -> bool {
        let key = auth_lockout::client_counter_key(ip);
        let Ok(counts) = shared_counts(self, &[&key], self.auth_window(), 0).await else { return false };
        auth_lockout::check(counts[0], None, self.config.outgoing.auth_failures_limit).is_some()
    }

    /// Checks `username` and `password` from client `ip`: the lockout first,
    /// then the stored argon2id hash (on the blocking pool; an unknown name is
    /// verified against a decoy, so it takes as long). A failure is counted
    /// for the client and the name.
    pub async fn authenticate(&self, ip: IpAddr, username: &str, password: String) -> AuthOutcome {
        let limit = self.config.outgoing.auth_failures_limit;
        let window = self.auth_window();
        let [client_key, user_key] = auth_lockout::counter_keys(ip, username);
        let keys = [client_key.as_str(), user_key.as_str()];
        let counts = match shared_counts(self, &keys, window, 0).await {
            Ok(counts) => counts,
            Err(error) => {
                tracing::error!(%error, "cannot read the failed AUTH counts");
                return AuthOutcome::Unavailable;
            }
        };
        if auth_lockout::check(counts[0], Some(counts[1]), limit).is_some() {
            return AuthOutcome::LockedOut;
        }
        let user = match self.store.get_user(username).await {
            Ok(user) => user,
            Err(error) => {
                tracing::error!(%error, "cannot read users for SMTP AUTH");
                return AuthOutcome::Unavailable;
            }
        };
        let hash = user.as_ref().map_or_else(|| crate::password::decoy().to_owned(), |user| user.password_hash.clone());
        let matches = tokio::task::spawn_blocking(move || crate::password::verify(&password, &hash)).await.unwrap_or(false);
        if let (true, Some(user)) = (matches, user) {
            return AuthOutcome::Authenticated(user.name);
        }
        let (client_failures, user_failures) = match shared_counts(self, &keys, window, 1).await {
            Ok(counts) => (counts[0], counts[1]),
            Err(error) => {
                tracing::error!(%error, "cannot count a failed AUTH");
                return AuthOutcome::Invalid;
            }
        };
        if auth_lockout::begins_lockout(client_failures, user_failures, limit) {
            let lockout = auth_lockout::check(client_failures, Some(user_failures), limit);
            let (scope, detail) = lockout.map_or(("client", String::new()), |lockout| (lockout.scope, lockout.evidence));
            tracing::warn!(
                target: "sluice::auth",
                client = %ip,
                username,
                scope,
                detail = %detail,
                window_seconds = window,
                "SMTP AUTH lockout: too many failed authentications"
            );
            let event = NewAuthEvent {
                node: &self.config.node_id,
                client_ip: &ip.to_string(),
                username,
                event: "lockout",
                scope,
                detail: &detail,
            };
            if let Err(error) = self.store.log_auth_event(&event, now_ms()).await {
                tracing::error!(%error, "cannot write the auth log");
            }
        }
        AuthOutcome::Invalid
    }

    /// What `user` may send as, read from its row now (`None`: the user is gone).
    pub async fn sender_rights(&self, user: &str) -> Result<Option<SenderRights>, sluice_store::StoreError> {
        Ok(self.store.get_user(user).await?.map(|stored| rights_of(&self.domains(), &stored)))
    }

    /// The limit finding when `user` has sent all the messages its settings
    /// allow in the current hour or day; `true` with it when this is the first
    /// refusal of the hour (the one logged). A store that does not answer is
    /// an error (the session answers 451).
    pub async fn outgoing_over_limit(&self, user: &str) -> Result<Option<(Finding, bool)>, sluice_store::StoreError> {
        let settings = self.settings_for_recipient(user);
        let limits = outgoing_rate::MessageLimits {
            per_hour: settings.outgoing_messages_per_hour,
            per_day: settings.outgoing_messages_per_day,
        };
        if limits.per_hour == 0 && limits.per_day == 0 {
            return Ok(None);
        }
        let [hour_key, day_key] = outgoing_rate::counter_keys(user);
        let hour = shared_counts(self, &[&hour_key], outgoing_rate::HOUR, 0).await?[0];
        let day = shared_counts(self, &[&day_key], outgoing_rate::DAY, 0).await?[0];
        let Some(finding) = outgoing_rate::check(hour, day, limits) else {
            return Ok(None);
        };
        let refusals = shared_counts(self, &[&outgoing_rate::refusal_key(user)], outgoing_rate::HOUR, 1).await?[0];
        Ok(Some((finding, refusals == 1)))
    }

    /// Counts one accepted message of `user` towards its limits. The message is
    /// already accepted: a store that does not answer loses the count, not mail.
    pub async fn count_outgoing_message(&self, user: &str) {
        let [hour_key, day_key] = outgoing_rate::counter_keys(user);
        for (key, window) in [(hour_key, outgoing_rate::HOUR), (day_key, outgoing_rate::DAY)] {
            if let Err(error) = shared_counts(self, &[&key], window, 1).await {
                tracing::error!(%error, %user, "cannot count an outgoing message");
            }
        }
    }
}

/// A stored user's sender rights: its own address; a domain admin's domains;
/// every filtered domain for an admin. A domain removed through the API gives
/// none: its users keep their accounts (and their past rows) but may no longer
/// send as its addresses.
fn rights_of(filtered: &crate::domains::DomainSet, user: &StoredUser) -> SenderRights {
    let domains = match user.role {
        Role::User => Vec::new(),
        Role::DomainAdmin => user.domains.iter().filter(|domain| !filtered.was_removed(domain)).cloned().collect(),
        Role::Admin => filtered.names().to_vec(),
    };
    let own = user.name.to_ascii_lowercase();
    let own = if filtered.was_removed(&sluice_core::envelope::domain_of(&own)) { String::new() } else { own };
    SenderRights { own, domains }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::DomainSet;
    use sluice_store::StoredDomain;

    #[test]
    fn a_domain_removed_through_the_api_gives_no_sender_rights() {
        let text = "hostname = \"mx.example.net\"\ndata_dir = \"/tmp/sluice\"\n[[domains]]\nname = \"example.net\"\ndestination = \"127.0.0.1:2525\"\n";
        let config = crate::Config::parse(std::path::Path::new("sluice.toml"), text).unwrap();
        let stored = |name: &str, removed_at_ms| StoredDomain {
            name: name.into(),
            destination: "127.0.0.1:2526".into(),
            added_by: "admin".into(),
            added_at_ms: 1,
            removed_at_ms,
        };
        let set = DomainSet::with_stored(&config, &[stored("added.example", None), stored("gone.example", Some(5))]);
        let user = |name: &str, role, domains: &[&str]| StoredUser {
            name: name.into(),
            role,
            domains: domains.iter().map(|domain| domain.to_string()).collect(),
            password_hash: String::new(),
            created_at_ms: 0,
            updated_at_ms: 0,
        };
        let admin = rights_of(&set, &user("root", Role::Admin, &[]));
        assert!(admin.allows("a@example.net") && admin.allows("a@added.example") && !admin.allows("a@gone.example"));
        let domain_admin = rights_of(&set, &user("pm", Role::DomainAdmin, &["gone.example", "added.example", "elsewhere.example"]));
        assert_eq!(domain_admin.domains, ["added.example", "elsewhere.example"], "a domain never filtered is as before");
        assert!(!rights_of(&set, &user("bob@gone.example", Role::User, &[])).allows("bob@gone.example"));
        assert!(rights_of(&set, &user("bob@added.example", Role::User, &[])).allows("bob@added.example"));
    }
}
