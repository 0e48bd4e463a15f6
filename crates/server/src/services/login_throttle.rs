//! Login throttling that slows password guessing without letting an attacker lock a
//! user out from elsewhere:
//! - per client address, over all accounts (one address spraying many accounts);
//! - per account and client address (one address guessing one account);
//! - per account over all addresses, but only for addresses that already failed on
//!   it, so the owner's correct password from a clean address still gets in.

use super::failure_limiter::FailureLimiter;
use crate::error::Result;
use std::time::Duration;

#[derive(Clone)]
pub struct LoginThrottle {
    per_client: FailureLimiter,
    per_account_client: FailureLimiter,
    per_account: FailureLimiter,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        let window = Duration::from_secs(15 * 60);
        LoginThrottle {
            per_client: FailureLimiter::new(30, window),
            per_account_client: FailureLimiter::new(5, window),
            per_account: FailureLimiter::new(20, window),
        }
    }
}

impl LoginThrottle {
    fn pair(account: &str, client: &str) -> String {
        format!("{account}|{client}")
    }

    /// `RateLimited` (with a retry time) if this attempt may not even be checked.
    pub fn check(&self, account: &str, client: &str) -> Result<()> {
        self.per_client.check(client)?;
        let pair = Self::pair(account, client);
        self.per_account_client.check(&pair)?;
        if self.per_account_client.has_failures(&pair) {
            self.per_account.check(account)?;
        }
        Ok(())
    }

    pub fn failed(&self, account: &str, client: &str) {
        self.per_client.record_failure(client);
        self.per_account_client.record_failure(&Self::pair(account, client));
        self.per_account.record_failure(account);
    }

    pub fn succeeded(&self, account: &str, client: &str) {
        self.per_account_client.reset(&Self::pair(account, client));
    }
}
