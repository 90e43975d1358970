//! Waiting before trying again after a failed connection: a server that
//! refuses, closes at once or cannot be reached (or a process out of file
//! descriptors) would otherwise be asked again at once, in a loop that
//! keeps a worker busy and learns nothing.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::stats::Stats;

/// The first wait; each failure in a row doubles it, up to `MAX`.
const FIRST: Duration = Duration::from_millis(10);
const MAX: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The wait after this many failures in a row: doubling from `FIRST`,
    /// capped at `MAX`, with ±50% jitter so requesters that failed together
    /// do not come back together.
    pub fn delay(failures: u32) -> Duration {
        let base = FIRST.saturating_mul(1 << failures.saturating_sub(1).min(16));
        base.min(MAX).mul_f64(0.5 + fastrand::f64())
    }

    /// Waits before the next try, counted in `stats` meanwhile.
    pub async fn wait(&mut self, stats: &Stats) {
        self.failures = self.failures.saturating_add(1);
        stats.backing_off.fetch_add(1, Ordering::Relaxed);
        // Counted out again even if the wait is cancelled.
        let _waiting = scopeguard(|| {
            stats.backing_off.fetch_sub(1, Ordering::Relaxed);
        });
        tokio::time::sleep(Self::delay(self.failures)).await;
    }

    /// A success: the next failure starts from the first wait again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// Runs `f` when dropped.
fn scopeguard(f: impl FnOnce()) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_with_failures_up_to_a_second() {
        for _ in 0..100 {
            let first = Backoff::delay(1);
            assert!((5..=15).contains(&first.as_millis()), "{first:?}");
            let fourth = Backoff::delay(4);
            assert!((40..=120).contains(&fourth.as_millis()), "{fourth:?}");
            let many = Backoff::delay(1_000);
            assert!((500..=1_500).contains(&many.as_millis()), "{many:?}");
        }
    }
}
