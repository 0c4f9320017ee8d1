//! Failed logins counted per client address and per user name, in fixed
//! windows, in this process's memory: past a limit, logins from that address
//! (or to that user) are refused until the window ends, right password or not.
//!
//! In memory only: each node of a cluster counts on its own and a restart
//! forgets, so a cluster of N nodes allows up to N times the limits. The map is
//! bounded so a flood of names cannot grow it without end.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failed logins from one client address per window.
pub(crate) const DEFAULT_PER_ADDRESS: u32 = 20;
/// Failed logins to one user name per window (from anywhere).
pub(crate) const DEFAULT_PER_USER: u32 = 10;
/// The window, in milliseconds: 15 minutes.
pub(crate) const DEFAULT_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Counters kept at most; past it the expired ones are dropped, then all.
const MAX_KEYS: usize = 100_000;

pub(crate) struct LoginLimiter {
    per_address: u32,
    per_user: u32,
    window_ms: i64,
    /// Key (`ip:...` or `user:...`) -> (window start, failures). std's hasher is
    /// keyed at random, so chosen names cannot collide on purpose.
    failures: Mutex<HashMap<String, (i64, u32)>>,
}

impl Default for LoginLimiter {
    fn default() -> LoginLimiter {
        LoginLimiter::new(DEFAULT_PER_ADDRESS, DEFAULT_PER_USER, DEFAULT_WINDOW_MS)
    }
}

impl LoginLimiter {
    pub(crate) fn new(per_address: u32, per_user: u32, window_ms: i64) -> LoginLimiter {
        LoginLimiter { per_address, per_user, window_ms, failures: Mutex::new(HashMap::new()) }
    }

    fn keys(address: &str, user: &str) -> [(String, u32); 2] {
        [(format!("ip:{address}"), 0), (format!("user:{}", user.to_lowercase()), 1)]
    }

    /// The milliseconds until a login may be tried again, when one of the two
    /// limits is reached.
    pub(crate) fn blocked_for(&self, address: &str, user: &str, now_ms: i64) -> Option<i64> {
        let failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Self::keys(address, user)
            .into_iter()
            .filter_map(|(key, which)| {
                let limit = if which == 0 { self.per_address } else { self.per_user };
                let (start, count) = failures.get(&key)?;
                (now_ms - start < self.window_ms && *count >= limit).then(|| start + self.window_ms - now_ms)
            })
            .max()
    }

    pub(crate) fn failed(&self, address: &str, user: &str, now_ms: i64) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, (start, _)| now_ms - *start < self.window_ms);
            if failures.len() >= MAX_KEYS {
                failures.clear();
            }
        }
        for (key, _) in Self::keys(address, user) {
            let entry = failures.entry(key).or_insert((now_ms, 0));
            if now_ms - entry.0 >= self.window_ms {
                *entry = (now_ms, 0);
            }
            entry.1 = entry.1.saturating_add(1);
        }
    }

    /// A successful login clears its user's count (not its address's: one
    /// account of an attacker's own must not reset the count of their guesses).
    pub(crate) fn succeeded(&self, user: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(&format!("user:{}", user.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_and_per_user_within_a_window() {
        let limiter = LoginLimiter::new(3, 2, 1000);
        limiter.failed("192.0.2.1", "alice", 0);
        assert_eq!(limiter.blocked_for("192.0.2.1", "alice", 10), None);
        limiter.failed("192.0.2.2", "ALICE", 10);
        assert_eq!(limiter.blocked_for("192.0.2.9", "alice", 20), Some(980), "per user, from anywhere");
        assert_eq!(limiter.blocked_for("192.0.2.9", "bob", 20), None);
        limiter.failed("192.0.2.1", "bob", 20);
        limiter.failed("192.0.2.1", "carol", 30);
        assert_eq!(limiter.blocked_for("192.0.2.1", "dave", 40), Some(960), "per address, any name");
        assert_eq!(limiter.blocked_for("192.0.2.1", "dave", 1000), None, "the window ended");
        limiter.succeeded("alice");
        assert_eq!(limiter.blocked_for("192.0.2.9", "alice", 20), None);
    }
}
