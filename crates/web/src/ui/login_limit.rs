//! Failed logins counted per client address (IPv6 per /64) and per user name,
//! in fixed 15-minute windows, in the store's cluster-wide counters (the
//! `counters` table the connection limits use): past a limit, logins from that
//! address (or to that user) are refused until the window ends, right password
//! or not, on every node. Logins are rare, so each one reads and writes the
//! store directly (no batching: a node must see another's failures at once).
//!
//! Counter names hold attacker-chosen text: the user name is cut to
//! [`MAX_NAME`] characters, and rows are bounded by the limits themselves (a
//! refused attempt is not counted) and expired by the retention sweep.

use std::net::IpAddr;

use sluice_store::{CounterDelta, Store, StoreError};

/// Failed logins from one client address per window.
pub(crate) const DEFAULT_PER_ADDRESS: u32 = 20;
/// Failed logins to one user name per window (from anywhere).
pub(crate) const DEFAULT_PER_USER: u32 = 10;
/// The window, in seconds: 15 minutes.
pub(crate) const DEFAULT_WINDOW_SECONDS: i64 = 15 * 60;
/// The longest user name kept in a counter's name.
const MAX_NAME: usize = 256;

pub(crate) struct LoginLimiter {
    per_address: u32,
    per_user: u32,
    window_seconds: i64,
}

impl Default for LoginLimiter {
    fn default() -> LoginLimiter {
        LoginLimiter::new(DEFAULT_PER_ADDRESS, DEFAULT_PER_USER, DEFAULT_WINDOW_SECONDS)
    }
}

/// The counted part of a client address: IPv4 whole, IPv6 its /64.
fn address_key(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => {
            let segments = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", segments[0], segments[1], segments[2], segments[3])
        }
        _ => address.to_owned(),
    }
}

impl LoginLimiter {
    pub(crate) fn new(per_address: u32, per_user: u32, window_seconds: i64) -> LoginLimiter {
        LoginLimiter { per_address, per_user, window_seconds: window_seconds.max(1) }
    }

    fn window_start(&self, now_ms: i64) -> i64 {
        let now = now_ms.div_euclid(1000);
        now - now.rem_euclid(self.window_seconds)
    }

    /// The two counters of a login attempt in the current window, with `delta`.
    fn counters(&self, address: &str, user: &str, now_ms: i64, delta: i64) -> [CounterDelta; 2] {
        let window_start = self.window_start(now_ms);
        let user: String = user.to_lowercase().chars().take(MAX_NAME).collect();
        [
            CounterDelta { name: format!("login-ip:{}", address_key(address)), window_start, delta },
            CounterDelta { name: format!("login-user:{user}"), window_start, delta },
        ]
    }

    /// The milliseconds until a login may be tried again, when one of the two
    /// limits is reached.
    pub(crate) async fn blocked_for(&self, store: &Store, address: &str, user: &str, now_ms: i64) -> Result<Option<i64>, StoreError> {
        let totals = store.add_to_counters(&self.counters(address, user, now_ms, 0)).await?;
        let reached = totals[0] >= i64::from(self.per_address) || totals[1] >= i64::from(self.per_user);
        Ok(reached.then(|| (self.window_start(now_ms) + self.window_seconds) * 1000 - now_ms))
    }

    pub(crate) async fn failed(&self, store: &Store, address: &str, user: &str, now_ms: i64) -> Result<(), StoreError> {
        store.add_to_counters(&self.counters(address, user, now_ms, 1)).await.map(|_| ())
    }

    /// A successful login clears its user's count (not its address's: one
    /// account of an attacker's own must not reset the count of their guesses).
    pub(crate) async fn succeeded(&self, store: &Store, user: &str, now_ms: i64) -> Result<(), StoreError> {
        let [_, user_counter] = self.counters("", user, now_ms, 0);
        let total = store.add_to_counters(std::slice::from_ref(&user_counter)).await?[0];
        if total > 0 {
            store.add_to_counters(&[CounterDelta { delta: -total, ..user_counter }]).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_per_address_and_per_user_across_nodes() {
        let dir = std::env::temp_dir().join(format!("sluice-login-limit-{}", sluice_store::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/test.db", dir.display());
        // Two handles on one store: two nodes.
        let (node_a, node_b) = (Store::open(&url).await.unwrap(), Store::open(&url).await.unwrap());
        let limiter = LoginLimiter::new(3, 2, 1);
        let blocked = |store: Store, address: &'static str, user: &'static str, at: i64| {
            let limiter = LoginLimiter::new(3, 2, 1);
            async move { limiter.blocked_for(&store, address, user, at).await.unwrap() }
        };
        limiter.failed(&node_a, "192.0.2.1", "alice", 0).await.unwrap();
        assert_eq!(blocked(node_b.clone(), "192.0.2.1", "alice", 10).await, None);
        limiter.failed(&node_b, "192.0.2.2", "ALICE", 10).await.unwrap();
        assert_eq!(blocked(node_a.clone(), "192.0.2.9", "alice", 20).await, Some(980), "per user, from anywhere, on any node");
        assert_eq!(blocked(node_a.clone(), "192.0.2.9", "bob", 20).await, None);
        limiter.failed(&node_a, "192.0.2.1", "bob", 20).await.unwrap();
        limiter.failed(&node_b, "192.0.2.1", "carol", 30).await.unwrap();
        assert_eq!(blocked(node_a.clone(), "192.0.2.1", "dave", 40).await, Some(960), "per address, any name");
        assert_eq!(blocked(node_a.clone(), "192.0.2.1", "dave", 1000).await, None, "the window ended");
        limiter.succeeded(&node_b, "alice", 20).await.unwrap();
        assert_eq!(blocked(node_a.clone(), "192.0.2.9", "alice", 20).await, None, "a success clears the user's count");
        assert_eq!(address_key("2001:db8:1:2:3:4:5:6"), address_key("2001:db8:1:2:ffff::1"), "IPv6 per /64");
        assert_eq!(address_key("192.0.2.1"), "192.0.2.1");
        let _ = std::fs::remove_dir_all(dir);
    }
}
