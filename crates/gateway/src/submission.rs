//! Authenticated submission in the gateway: gathering the facts the pure
//! checks judge (failed AUTH counts, the user's rights, its sent messages) and
//! keeping the counts, for `smtp/session/auth.rs` and the MAIL and DATA stages
//! of an authenticated session.
//!
//! - **Lockout** (`checks::auth_lockout`): failed AUTH per client and per user
//!   name in `[outgoing] auth_failures_window`, counted across the cluster
//!   (`counters.rs`); the failure that reaches the limit writes one auth-log
//!   row (`store::auth_log`) and a `sluice::auth` line in the process log.
//! - **Sender rights** (`checks::sender_rights`): read from the user's row at
//!   each use, so removing a user or a domain takes effect at once.
//! - **Message limits** (`checks::outgoing_rate`): the user's accepted
//!   messages per hour and day, the user's settings in force (mailbox, then
//!   domain, then global).

use std::net::IpAddr;

use sluice_core::checks::{auth_lockout, outgoing_rate};
use sluice_core::checks::sender_rights::SenderRights;
use sluice_model::Finding;
use sluice_store::{NewAuthEvent, Role, StoredUser};

use crate::Gateway;
use crate::counters::now_seconds;
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

impl Gateway {
    fn auth_window(&self) -> u64 {
        self.config.outgoing.auth_failures_window.as_secs().max(1)
    }

    /// Whether the client is locked out before it names a user (an AUTH
    /// command from it is answered 454 at once).
    pub async fn auth_client_locked_out(&self, ip: IpAddr) -> bool {
        let window = self.auth_window();
        let key = auth_lockout::client_counter_key(ip);
        let failures = self.counters.current_in_cluster(&self.store, &key, window, now_seconds()).await;
        auth_lockout::check(failures, None, self.config.outgoing.auth_failures_limit).is_some()
    }

    /// Checks `username` and `password` from client `ip`: the lockout first,
    /// then the stored argon2id hash (on the blocking pool; an unknown name is
    /// verified against a decoy, so it takes as long). A failure is counted
    /// for the client and the name.
    pub async fn authenticate(&self, ip: IpAddr, username: &str, password: String) -> AuthOutcome {
        let limit = self.config.outgoing.auth_failures_limit;
        let window = self.auth_window();
        let [client_key, user_key] = auth_lockout::counter_keys(ip, username);
        let now = now_seconds();
        let client_failures = self.counters.current_in_cluster(&self.store, &client_key, window, now).await;
        let user_failures = self.counters.current_in_cluster(&self.store, &user_key, window, now).await;
        if auth_lockout::check(client_failures, Some(user_failures), limit).is_some() {
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
        // Counted here, and read back with the other nodes' counts.
        self.counters.add_one(&client_key, window, now_seconds());
        self.counters.add_one(&user_key, window, now_seconds());
        let client_failures = self.counters.current_in_cluster(&self.store, &client_key, window, now_seconds()).await;
        let user_failures = self.counters.current_in_cluster(&self.store, &user_key, window, now_seconds()).await;
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
        Ok(self.store.get_user(user).await?.map(|stored| rights_of(&self.config, &stored)))
    }

    /// The limit finding when `user` has sent all the messages its settings
    /// allow in the current hour or day; `true` with it when this is the first
    /// refusal of the hour (the one logged).
    pub async fn outgoing_over_limit(&self, user: &str) -> Option<(Finding, bool)> {
        let settings = self.settings_for_recipient(user);
        let limits = outgoing_rate::MessageLimits {
            per_hour: settings.outgoing_messages_per_hour,
            per_day: settings.outgoing_messages_per_day,
        };
        let [hour_key, day_key] = outgoing_rate::counter_keys(user);
        let now = now_seconds();
        let hour = self.counters.current_in_cluster(&self.store, &hour_key, outgoing_rate::HOUR, now).await;
        let day = self.counters.current_in_cluster(&self.store, &day_key, outgoing_rate::DAY, now).await;
        let finding = outgoing_rate::check(hour, day, limits)?;
        let refusal_key = outgoing_rate::refusal_key(user);
        self.counters.add_one(&refusal_key, outgoing_rate::HOUR, now);
        let refusals = self.counters.current_in_cluster(&self.store, &refusal_key, outgoing_rate::HOUR, now).await;
        Some((finding, refusals == 1))
    }

    /// Counts one accepted message of `user` towards its limits.
    pub fn count_outgoing_message(&self, user: &str) {
        let now = now_seconds();
        let [hour_key, day_key] = outgoing_rate::counter_keys(user);
        self.counters.add_one(&hour_key, outgoing_rate::HOUR, now);
        self.counters.add_one(&day_key, outgoing_rate::DAY, now);
    }
}

/// A stored user's sender rights: its own address; a domain admin's domains;
/// every configured domain for an admin.
fn rights_of(config: &crate::Config, user: &StoredUser) -> SenderRights {
    let domains = match user.role {
        Role::User => Vec::new(),
        Role::DomainAdmin => user.domains.clone(),
        Role::Admin => config.domains.iter().map(|domain| domain.name.clone()).collect(),
    };
    SenderRights { own: user.name.to_ascii_lowercase(), domains }
}
