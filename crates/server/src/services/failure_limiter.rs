//! Counting failures per key in fixed windows, in this process's memory. Several
//! instances each keep their own counts (README: "Running at scale").

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct FailureLimiter {
    max_failures: u32,
    window: Duration,
    counts: Arc<Mutex<HashMap<String, (Instant, u32)>>>,
}

impl FailureLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        FailureLimiter { max_failures, window, counts: Arc::default() }
    }

    /// `RateLimited` while `key` has used up its failures in the current window.
    pub fn check(&self, key: &str) -> Result<()> {
        let mut counts = self.counts.lock().expect("limiter lock");
        let now = Instant::now();
        if let Some((started, n)) = counts.get(key).copied() {
            let elapsed = now.duration_since(started);
            if elapsed >= self.window {
                counts.remove(key);
            } else if n >= self.max_failures {
                let retry_after_secs = (self.window - elapsed).as_secs().max(1);
                return Err(Error::RateLimited { retry_after_secs });
            }
        }
        Ok(())
    }

    pub fn record_failure(&self, key: &str) {
        let mut counts = self.counts.lock().expect("limiter lock");
        let now = Instant::now();
        // Forget stale keys now and then so the map cannot grow without bound.
        if counts.len() > 100_000 {
            let window = self.window;
            counts.retain(|_, (started, _)| now.duration_since(*started) < window);
        }
        let entry = counts.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    /// Whether `key` has failures in the current window.
    pub fn has_failures(&self, key: &str) -> bool {
        let counts = self.counts.lock().expect("limiter lock");
        counts.get(key).is_some_and(|(started, n)| *n > 0 && started.elapsed() < self.window)
    }

    pub fn reset(&self, key: &str) {
        self.counts.lock().expect("limiter lock").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_until_the_window_ends() {
        let l = FailureLimiter::new(2, Duration::from_millis(200));
        l.check("k").unwrap();
        l.record_failure("k");
        l.record_failure("k");
        assert!(matches!(l.check("k"), Err(Error::RateLimited { retry_after_secs: 1 })));
        l.check("other").unwrap();
        std::thread::sleep(Duration::from_millis(220));
        l.check("k").unwrap();
        l.record_failure("k");
        l.reset("k");
        l.check("k").unwrap();
    }
}
