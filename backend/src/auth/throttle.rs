//! Login throttling: a growing delay after failed logins, per account and per client address.
//!
//! The first [`FREE_FAILURES`] failures cost nothing (typos happen); each further one doubles the
//! wait before the next try, up to a cap. A try made while waiting is refused without checking the
//! password, so guessing gets no faster by hammering.
//!
//! The administrator cannot be locked out for good: the per-account delay is capped at a minute,
//! and it does not apply at all from an address that logged into that account before (an
//! attacker elsewhere cannot hold the owner back). The per-address delay (capped at 15 minutes)
//! only slows the address that fails. Failures are forgotten an hour after the last one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Failures allowed without delay.
pub const FREE_FAILURES: u32 = 3;
/// Longest wait for one account.
pub const ACCOUNT_MAX_DELAY: Duration = Duration::from_secs(60);
/// Longest wait for one address.
pub const ADDRESS_MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Failures older than this are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Addresses remembered per account as known good.
const KNOWN_ADDRESSES_PER_ACCOUNT: usize = 16;
/// Bound on remembered failures, so a flood of made-up names cannot fill memory.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    not_before: Instant,
}

#[derive(Debug, Default)]
struct State {
    accounts: HashMap<String, Failures>,
    addresses: HashMap<IpAddr, Failures>,
    known: HashMap<String, Vec<IpAddr>>,
}

/// The failures of every account and address.
#[derive(Debug, Clone, Default)]
pub struct Throttle {
    state: Arc<Mutex<State>>,
}

/// The wait after `count` failures.
pub fn delay_after(count: u32, cap: Duration) -> Duration {
    if count < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (count - FREE_FAILURES).min(20);
    Duration::from_secs(1u64 << doublings).min(cap)
}

fn account_key(username: &str) -> String {
    username.to_lowercase()
}

impl Throttle {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether a login try for `username` from `address` may be checked now; if not, how long
    /// to wait.
    pub fn check(&self, username: &str, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let state = self.state();
        let key = account_key(username);
        let known = state
            .known
            .get(&key)
            .is_some_and(|addresses| addresses.contains(&address));
        let account_wait = if known {
            Duration::ZERO
        } else {
            wait(state.accounts.get(&key), now)
        };
        let address_wait = wait(state.addresses.get(&address), now);
        let longest = account_wait.max(address_wait);
        if longest.is_zero() {
            Ok(())
        } else {
            Err(longest)
        }
    }

    /// Counts a failed login.
    pub fn failed(&self, username: &str, address: IpAddr, now: Instant) {
        let mut state = self.state();
        if state.accounts.len() + state.addresses.len() > MAX_TRACKED {
            state
                .accounts
                .retain(|_, failures| now.duration_since(failures.last) < FORGET_AFTER);
            state
                .addresses
                .retain(|_, failures| now.duration_since(failures.last) < FORGET_AFTER);
        }
        count(
            state.accounts.entry(account_key(username)),
            now,
            ACCOUNT_MAX_DELAY,
        );
        count(state.addresses.entry(address), now, ADDRESS_MAX_DELAY);
    }

    /// A successful login clears the account's and the address's failures and remembers the
    /// address as one the account's owner uses.
    pub fn succeeded(&self, username: &str, address: IpAddr) {
        let mut state = self.state();
        let key = account_key(username);
        state.accounts.remove(&key);
        state.addresses.remove(&address);
        let known = state.known.entry(key).or_default();
        if !known.contains(&address) {
            if known.len() == KNOWN_ADDRESSES_PER_ACCOUNT {
                known.remove(0);
            }
            known.push(address);
        }
    }
}

fn wait(failures: Option<&Failures>, now: Instant) -> Duration {
    match failures {
        Some(failures) if now.duration_since(failures.last) < FORGET_AFTER => {
            failures.not_before.saturating_duration_since(now)
        }
        _ => Duration::ZERO,
    }
}

fn count<K>(
    entry: std::collections::hash_map::Entry<'_, K, Failures>,
    now: Instant,
    cap: Duration,
) {
    let failures = entry.or_insert(Failures {
        count: 0,
        last: now,
        not_before: now,
    });
    if now.duration_since(failures.last) >= FORGET_AFTER {
        failures.count = 0;
    }
    failures.count += 1;
    failures.last = now;
    failures.not_before = now + delay_after(failures.count, cap);
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));
    const OWNER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20));
    const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 21));

    #[test]
    fn delays_double_after_the_free_failures_up_to_a_cap() {
        let delays: Vec<u64> = (0..12)
            .map(|count| delay_after(count, ACCOUNT_MAX_DELAY).as_secs())
            .collect();
        assert_eq!(delays, [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(delay_after(40, ADDRESS_MAX_DELAY), ADDRESS_MAX_DELAY);
    }

    #[test]
    fn failures_slow_the_account_and_the_address() {
        let throttle = Throttle::default();
        let start = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert_eq!(throttle.check("admin", ATTACKER, start), Ok(()));
            throttle.failed("admin", ATTACKER, start);
        }
        assert_eq!(
            throttle.check("admin", ATTACKER, start),
            Err(Duration::from_secs(1))
        );
        // The same account from another address, and another account from the same address.
        assert_eq!(
            throttle.check("ADMIN", OTHER, start),
            Err(Duration::from_secs(1))
        );
        assert_eq!(
            throttle.check("alice", ATTACKER, start),
            Err(Duration::from_secs(1))
        );
        assert_eq!(throttle.check("alice", OTHER, start), Ok(()));
        let later = start + Duration::from_secs(1);
        assert_eq!(throttle.check("admin", ATTACKER, later), Ok(()));
        throttle.failed("admin", ATTACKER, later);
        assert_eq!(
            throttle.check("admin", ATTACKER, later),
            Err(Duration::from_secs(2))
        );
    }

    #[test]
    fn an_attacker_cannot_hold_the_owner_out() {
        let throttle = Throttle::default();
        let start = Instant::now();
        throttle.succeeded("admin", OWNER);
        let mut now = start;
        for _ in 0..50 {
            now += ACCOUNT_MAX_DELAY;
            throttle.failed("admin", ATTACKER, now);
        }
        assert_eq!(
            throttle.check("admin", ATTACKER, now),
            Err(ADDRESS_MAX_DELAY)
        );
        // The owner's usual address is not held back; a new address waits at most a minute.
        assert_eq!(throttle.check("admin", OWNER, now), Ok(()));
        assert!(throttle.check("admin", OTHER, now).unwrap_err() <= ACCOUNT_MAX_DELAY);
    }

    #[test]
    fn success_clears_and_old_failures_are_forgotten() {
        let throttle = Throttle::default();
        let start = Instant::now();
        for _ in 0..6 {
            throttle.failed("alice", OTHER, start);
        }
        throttle.succeeded("alice", OTHER);
        assert_eq!(throttle.check("alice", OTHER, start), Ok(()));
        for _ in 0..6 {
            throttle.failed("bob", OTHER, start);
        }
        let much_later = start + FORGET_AFTER;
        assert_eq!(throttle.check("bob", OTHER, much_later), Ok(()));
        throttle.failed("bob", OTHER, much_later);
        assert_eq!(throttle.check("bob", OTHER, much_later), Ok(()));
    }
}
