//! Slowing down password guessing: after a few failed logins of one account (or from one
//! client address), each further attempt must wait, 1 s after the first failure over the
//! allowance, doubling per failure up to a maximum. A successful login resets the
//! account's failures; failures an hour old are forgotten. The real user is never locked
//! out for longer than the maximum wait.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::{LimitSettings, limit_key};
use crate::api::error::ApiError;

/// Failures are forgotten this long after the last one.
const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// Above this many remembered keys, forgotten ones are swept out before adding another.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    wait_until: Instant,
}

/// Failures per key, with an allowance before waits begin.
struct Counter<K> {
    free: u32,
    max_wait: Duration,
    entries: Mutex<HashMap<K, Failures>>,
}

impl<K: Hash + Eq> Counter<K> {
    fn new(free: u32, max_wait: Duration) -> Self {
        Counter { free, max_wait, entries: Mutex::new(HashMap::new()) }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<K, Failures>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How long `key` must still wait, if at all.
    fn wait(&self, key: &K, now: Instant) -> Option<Duration> {
        if self.free == 0 {
            return None;
        }
        let entries = self.entries();
        let failures = entries.get(key)?;
        (failures.wait_until > now).then(|| failures.wait_until - now)
    }

    fn failed(&self, key: K, now: Instant) {
        if self.free == 0 {
            return;
        }
        let mut entries = self.entries();
        if entries.len() > SWEEP_ABOVE {
            entries.retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
        }
        let fresh = Failures { count: 0, last: now, wait_until: now };
        let failures = entries.entry(key).or_insert(fresh);
        if now.duration_since(failures.last) >= FORGET_AFTER {
            *failures = fresh;
        }
        failures.count = failures.count.saturating_add(1);
        failures.last = now;
        if failures.count >= self.free {
            let doublings = (failures.count - self.free).min(30);
            let wait = Duration::from_secs(1u64 << doublings).min(self.max_wait);
            failures.wait_until = now + wait;
        }
    }

    fn reset(&self, key: &K) {
        self.entries().remove(key);
    }
}

/// Failed logins per account and per client address.
pub struct LoginGuard {
    accounts: Counter<[u8; 32]>,
    addresses: Counter<IpAddr>,
}

fn account_key(email: &str) -> [u8; 32] {
    Sha256::digest(email.trim().to_lowercase().as_bytes()).into()
}

impl LoginGuard {
    /// A guard with these allowances.
    pub fn new(settings: &LimitSettings) -> Self {
        LoginGuard {
            accounts: Counter::new(settings.login_failures_per_account, settings.login_backoff_max),
            addresses: Counter::new(settings.login_failures_per_address, settings.login_backoff_max),
        }
    }

    /// A `429` when this account or this address must wait before trying again.
    pub fn check(&self, email: &str, address: Option<IpAddr>) -> Result<(), ApiError> {
        let now = Instant::now();
        let account = self.accounts.wait(&account_key(email), now);
        let address = address.and_then(|a| self.addresses.wait(&limit_key(a), now));
        match account.into_iter().chain(address).max() {
            Some(wait) => Err(ApiError::TooManyRequests {
                retry_after: wait,
                detail: "Too many failed logins for this account or from your address. ".into(),
            }),
            None => Ok(()),
        }
    }

    /// Records a failed login.
    pub fn failed(&self, email: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        self.accounts.failed(account_key(email), now);
        if let Some(address) = address {
            self.addresses.failed(limit_key(address), now);
        }
    }

    /// Records a successful login: the account's failures are forgotten.
    pub fn succeeded(&self, email: &str) {
        self.accounts.reset(&account_key(email));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_begin_after_the_allowance_and_double_up_to_the_maximum() {
        let counter = Counter::new(3, Duration::from_secs(5));
        let start = Instant::now();
        let waits: Vec<Option<Duration>> = (0..6)
            .map(|_| {
                counter.failed("k", start);
                counter.wait(&"k", start)
            })
            .collect();
        let s = |n| Some(Duration::from_secs(n));
        assert_eq!(waits, vec![None, None, s(1), s(2), s(4), s(5)]);
        assert_eq!(counter.wait(&"k", start + Duration::from_secs(6)), None);
        counter.reset(&"k");
        counter.failed("k", start);
        assert_eq!(counter.wait(&"k", start), None);
    }

    #[test]
    fn failures_an_hour_old_are_forgotten() {
        let counter = Counter::new(1, Duration::from_secs(60));
        let start = Instant::now();
        counter.failed("k", start);
        counter.failed("k", start);
        let later = start + FORGET_AFTER + Duration::from_secs(1);
        counter.failed("k", later);
        assert_eq!(counter.wait(&"k", later), Some(Duration::from_secs(1)));
    }
}
