//! How many log rows refusals at SMTP time may write for one client.
//!
//! Every refused recipient and every connection over the limits is a log row, so
//! a client could make us write rows as fast as it can send commands (538 rows/s
//! from one client in the adversarial run). A session is already cut off after
//! `max_errors` refusals; across sessions, each client network (an IPv4 address,
//! an IPv6 /64) has a token bucket of `[smtp] refusal_logs_per_minute` rows,
//! refilled evenly over the minute. Past it the refusal is answered as usual but
//! not logged row by row; the process log says how many were left out.
//!
//! Pure apart from the lock: the caller passes the clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Client networks tracked at once; past it, idle (full) buckets are dropped,
/// and a new network finds no budget until some are.
const MAX_TRACKED: usize = 10_000;

struct Bucket {
    tokens: f64,
    updated: Instant,
    /// Refusals not logged since the last one that was.
    left_out: u64,
}

pub(crate) struct RefusalLogBudget {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// What to do with one refusal's log row.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LogDecision {
    /// Write it; `left_out` rows were skipped before it (to say so in the process log).
    Write { left_out: u64 },
    /// Skip it; this is the `nth` skipped in a row.
    Skip { nth: u64 },
}

impl RefusalLogBudget {
    pub(crate) fn new(per_minute: u32) -> RefusalLogBudget {
        RefusalLogBudget {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one row of `client`'s budget at `now`, if there is one.
    pub(crate) fn take(&self, client: IpAddr, now: Instant) -> LogDecision {
        let capacity = f64::from(self.per_minute);
        let refill = |bucket: &mut Bucket| {
            let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * capacity / 60.0).min(capacity);
            bucket.updated = now;
        };
        let network = network_of(client);
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !buckets.contains_key(&network) && buckets.len() >= MAX_TRACKED {
            buckets.retain(|_, bucket| {
                refill(bucket);
                bucket.tokens < capacity
            });
            if buckets.len() >= MAX_TRACKED {
                return LogDecision::Skip { nth: 1 };
            }
        }
        let bucket = buckets.entry(network).or_insert(Bucket {
            tokens: capacity,
            updated: now,
            left_out: 0,
        });
        refill(bucket);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            LogDecision::Write {
                left_out: std::mem::take(&mut bucket.left_out),
            }
        } else {
            bucket.left_out += 1;
            LogDecision::Skip { nth: bucket.left_out }
        }
    }
}

/// The unit a budget belongs to: the address for IPv4, the /64 for IPv6 (one
/// customer's network; an attacker there has all of it).
fn network_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_client_gets_its_budget_per_minute_then_refills() {
        let budget = RefusalLogBudget::new(3);
        let start = Instant::now();
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(budget.take(client, start), LogDecision::Write { left_out: 0 });
        }
        assert_eq!(budget.take(client, start), LogDecision::Skip { nth: 1 });
        assert_eq!(budget.take(client, start), LogDecision::Skip { nth: 2 });
        // Another client has its own budget.
        assert_eq!(budget.take("192.0.2.2".parse().unwrap(), start), LogDecision::Write { left_out: 0 });
        // A third of a minute later one row's worth has come back.
        assert_eq!(budget.take(client, start + Duration::from_secs(20)), LogDecision::Write { left_out: 2 });
        assert_eq!(budget.take(client, start + Duration::from_secs(20)), LogDecision::Skip { nth: 1 });
    }

    #[test]
    fn an_ipv6_slash_64_shares_one_budget() {
        let budget = RefusalLogBudget::new(1);
        let now = Instant::now();
        assert_eq!(budget.take("2001:db8::1".parse().unwrap(), now), LogDecision::Write { left_out: 0 });
        assert_eq!(budget.take("2001:db8::ffff:2".parse().unwrap(), now), LogDecision::Skip { nth: 1 });
        assert_eq!(budget.take("2001:db8:0:1::1".parse().unwrap(), now), LogDecision::Write { left_out: 0 });
    }
}
