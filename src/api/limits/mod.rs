//! Abuse limits, per process and in memory: how many reports, "me too"s, subscriptions,
//! access requests and answers one client address may send per hour, how many emails
//! meldpunt sends to one typed address per hour, and the slowing down of failed logins.
//! Rate limits are GCRA ([`governor`]): a limit of N per hour allows N at once, then one
//! more every hour/N. Each process counts on its own (behind a load balancer the effective
//! limit is the limit × the processes); a limit of 0 is off.

mod client;
mod login;
mod middleware;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

pub use client::{ClientAddressing, ProxyHeader, limit_key};
pub use login::LoginGuard;
pub use middleware::{ClientAddress, limit_by_address};

use crate::api::error::ApiError;

/// The limits (0: off).
#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// Reports per client address per hour.
    pub reports_per_hour: u32,
    /// "Me too"s per client address per hour.
    pub supports_per_hour: u32,
    /// New subscriptions per client address per hour.
    pub subscriptions_per_hour: u32,
    /// Access requests per client address per hour.
    pub access_requests_per_hour: u32,
    /// Quick-question answers per client address per hour.
    pub answers_per_hour: u32,
    /// Emails per typed address per hour.
    pub emails_per_address_per_hour: u32,
    /// Failed logins per account before each attempt must wait.
    pub login_failures_per_account: u32,
    /// Failed logins per client address before each attempt must wait.
    pub login_failures_per_address: u32,
    /// The longest wait after failed logins.
    pub login_backoff_max: Duration,
}

impl LimitSettings {
    /// Every limit off.
    pub fn off() -> Self {
        LimitSettings {
            reports_per_hour: 0,
            supports_per_hour: 0,
            subscriptions_per_hour: 0,
            access_requests_per_hour: 0,
            answers_per_hour: 0,
            emails_per_address_per_hour: 0,
            login_failures_per_account: 0,
            login_failures_per_address: 0,
            login_backoff_max: Duration::from_secs(1),
        }
    }
}

/// What a client address is counted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Filing a report (JSON API or Open311).
    Report,
    /// "Me too".
    Support,
    /// Subscribing.
    Subscribe,
    /// Asking what is held about an email address.
    AccessRequest,
    /// Answering a quick question.
    Answer,
}

impl Action {
    fn what(self) -> &'static str {
        match self {
            Action::Report => "reports",
            Action::Support => "\"me too\" supports",
            Action::Subscribe => "subscriptions",
            Action::AccessRequest => "access requests",
            Action::Answer => "answers",
        }
    }
}

/// A keyed GCRA limiter, or nothing when the limit is 0.
struct Keyed<K: std::hash::Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    checks: AtomicU64,
}

impl<K: std::hash::Hash + Eq + Clone> Keyed<K> {
    fn per_hour(n: u32) -> Self {
        Keyed { limiter: NonZeroU32::new(n).map(|n| RateLimiter::keyed(Quota::per_hour(n))), checks: AtomicU64::new(0) }
    }

    /// `Ok` and counted, or how long until the key may go again.
    fn check(&self, key: &K) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        // Keys whose allowance is whole again are forgotten now and then, so the map holds
        // only the recently active.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
    }
}

/// Every limiter of this process.
pub struct Limits {
    addressing: ClientAddressing,
    reports: Keyed<IpAddr>,
    supports: Keyed<IpAddr>,
    subscriptions: Keyed<IpAddr>,
    access_requests: Keyed<IpAddr>,
    answers: Keyed<IpAddr>,
    emails: Keyed<[u8; 32]>,
    /// Failed logins per account and per address.
    pub login: LoginGuard,
}

impl Limits {
    /// Limiters for these settings.
    pub fn new(settings: &LimitSettings, addressing: ClientAddressing) -> Self {
        Limits {
            addressing,
            reports: Keyed::per_hour(settings.reports_per_hour),
            supports: Keyed::per_hour(settings.supports_per_hour),
            subscriptions: Keyed::per_hour(settings.subscriptions_per_hour),
            access_requests: Keyed::per_hour(settings.access_requests_per_hour),
            answers: Keyed::per_hour(settings.answers_per_hour),
            emails: Keyed::per_hour(settings.emails_per_address_per_hour),
            login: LoginGuard::new(settings),
        }
    }

    /// How client addresses are found.
    pub fn addressing(&self) -> &ClientAddressing {
        &self.addressing
    }

    /// Counts `action` for the client `address`; a `429` when it is over its limit.
    pub fn check(&self, action: Action, address: IpAddr) -> Result<(), ApiError> {
        let limiter = match action {
            Action::Report => &self.reports,
            Action::Support => &self.supports,
            Action::Subscribe => &self.subscriptions,
            Action::AccessRequest => &self.access_requests,
            Action::Answer => &self.answers,
        };
        limiter.check(&limit_key(address)).map_err(|wait| ApiError::TooManyRequests {
            retry_after: wait,
            detail: format!("Too many {} from your address. ", action.what()),
        })
    }

    /// Whether one more email may go to `email` (a typed address) this hour; counts it when
    /// it may. Addresses are kept only as SHA-256 hashes.
    pub fn email_allowed(&self, email: &str) -> bool {
        let key: [u8; 32] = Sha256::digest(email.trim().to_lowercase().as_bytes()).into();
        let allowed = self.emails.check(&key).is_ok();
        if !allowed {
            tracing::warn!("email to a typed address withheld: over limit_emails_per_address_per_hour");
        }
        allowed
    }
}
