//! Rate limits per caller and action (sign-in per client address, uploads per person): a
//! fixed window per key, in memory. Each replica limits on its own; behind a load balancer the
//! effective limit is the per-replica limit times the replicas.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use crate::error::ApiError;

pub struct RateLimit {
    what: &'static str,
    max: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimit {
    pub fn new(what: &'static str, max: u32, window: Duration) -> Self {
        RateLimit {
            what,
            max,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt for `key`; 429 once the window's allowance is spent.
    pub fn check(&self, key: &str) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > self.max {
            let wait = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many {} attempts: at most {} per {} s; try again in {} s",
                    self.what,
                    self.max,
                    self.window.as_secs(),
                    wait.as_secs().max(1)
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_allows_its_maximum_then_refuses() {
        let limit = RateLimit::new("sign-in", 2, Duration::from_secs(60));
        assert!(limit.check("a").is_ok());
        assert!(limit.check("a").is_ok());
        let refused = limit.check("a").unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(limit.check("b").is_ok(), "other callers are not affected");
    }
}
