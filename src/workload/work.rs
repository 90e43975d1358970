//! What a workload task does with its time: jittered waits and real CPU work.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::cpu_time;

/// A Poisson process's gap: exponentially distributed with the given mean, so
/// arrivals come in the bursts and lulls real traffic has. Capped at 20× the
/// mean so one unlucky draw cannot stall a producer for minutes.
pub fn exponential(mean: Duration) -> Duration {
    let u = fastrand::f64();
    let factor = (-(1.0 - u).ln()).min(20.0);
    mean.mul_f64(factor)
}

/// A Poisson process's arrivals, each at an absolute deadline: the next is
/// the last one's deadline plus a fresh gap, not "now" plus a gap. tokio's
/// timer rounds every sleep up to its 1 ms tick, so gaps measured from the
/// wake-up would each come out up to a millisecond long, and a 10 ms mean
/// would arrive about 10% too slowly; against deadlines the roundings do
/// not add up.
#[derive(Debug, Default)]
pub struct Arrivals {
    next: Option<Instant>,
}

/// A producer this far behind its schedule (a full queue, a blocked
/// worker) starts afresh from now instead of bursting to catch up.
const MAX_BEHIND: Duration = Duration::from_secs(1);

impl Arrivals {
    /// Waits for the next arrival at this mean gap, or, at a gap of zero,
    /// only yields when the coop budget runs out (nothing else would make
    /// a full-speed loop yield). False if cancelled first.
    pub async fn next(&mut self, mean: Duration, cancel: &CancellationToken) -> bool {
        if cancel.is_cancelled() {
            return false;
        }
        if mean.is_zero() {
            self.next = None;
            tokio::task::coop::consume_budget().await;
            return true;
        }
        let now = Instant::now();
        let last = match self.next {
            Some(last) if now.saturating_duration_since(last) <= MAX_BEHIND => last,
            _ => now,
        };
        let due = last + exponential(mean);
        self.next = Some(due);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => false,
            _ = tokio::time::sleep_until(due.into()) => true,
        }
    }
}

/// Uniform within ±50% of `mean`.
pub fn jittered(mean: Duration) -> Duration {
    mean.mul_f64(0.5 + fastrand::f64())
}

/// Computes for `duration` of CPU time without yielding: the stand-in for
/// parsing, hashing or any other work that keeps a worker thread busy.
///
/// CPU time, not wall time: a thread the OS takes off its core mid-way (more
/// runnable threads than cores) has done no work meanwhile, and must not
/// count that time as work done. So it spins for the time still owed, then
/// asks the thread's CPU clock how much it really got, and spins on for the
/// rest: one clock read when the core was its own. Where there is no
/// per-thread CPU clock, wall time stands in. No work costs nothing: the
/// clock reads are system calls, and jobs that only wait must not pay them.
pub fn burn_cpu(duration: Duration) -> u64 {
    if duration.is_zero() {
        return 0;
    }
    let Some(start) = cpu_time::this_thread() else {
        return spin(duration);
    };
    let mut owed = duration;
    loop {
        let x = spin(owed);
        let got = cpu_time::this_thread().map_or(duration, |now| now.saturating_sub(start));
        if got >= duration {
            return x;
        }
        owed = duration - got;
    }
}

/// Computes for `duration` of wall time.
fn spin(duration: Duration) -> u64 {
    let start = Instant::now();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    loop {
        for _ in 0..64 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
        }
        if start.elapsed() >= duration {
            return std::hint::black_box(x);
        }
    }
}

/// A slice of blocking work for `Blocking::run_yielding`.
pub const SLICE: Duration = Duration::from_millis(1);

/// Work that holds its thread: a blocking wait, then computation.
#[derive(Clone, Copy, Debug)]
pub struct Blocking {
    pub wait: Duration,
    pub cpu: Duration,
}

impl Blocking {
    pub fn run(self) {
        if self.wait > Duration::ZERO {
            std::thread::sleep(self.wait);
        }
        if self.cpu > Duration::ZERO {
            burn_cpu(self.cpu);
        }
    }

    /// The same work in slices of at most `slice`, with `yield_now` between
    /// them, as a cooperative task would do it.
    pub async fn run_yielding(self, slice: Duration) {
        for (total, block) in [(self.wait, true), (self.cpu, false)] {
            let mut left = total;
            while left > Duration::ZERO {
                let now = left.min(slice);
                if block {
                    std::thread::sleep(now);
                } else {
                    burn_cpu(now);
                }
                left -= now;
                tokio::task::yield_now().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_bounds() {
        let mean = Duration::from_millis(10);
        for _ in 0..1000 {
            let j = jittered(mean);
            assert!(j >= Duration::from_millis(5) && j <= Duration::from_millis(15));
            assert!(exponential(mean) <= mean * 20);
        }
    }

    #[test]
    fn exponential_mean_is_close_to_requested() {
        let mean = Duration::from_millis(10);
        let n = 20_000;
        let total: Duration = (0..n).map(|_| exponential(mean)).sum();
        let avg = total / n;
        assert!(
            avg > Duration::from_micros(9_500) && avg < Duration::from_micros(10_500),
            "{avg:?}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn burn_cpu_gets_its_cpu_time_though_other_threads_share_the_core() {
        // More spinning threads than cores: each is off its core part of the
        // time, and must make up for it, not count the wait as work.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads: Vec<_> = (0..cores * 3)
            .map(|_| {
                std::thread::spawn(|| {
                    let before = cpu_time::this_thread().unwrap();
                    burn_cpu(Duration::from_millis(40));
                    cpu_time::this_thread().unwrap() - before
                })
            })
            .collect();
        for thread in threads {
            let got = thread.join().unwrap();
            assert!(got >= Duration::from_millis(40), "got {got:?} of CPU");
        }
    }

    #[test]
    fn burn_cpu_takes_at_least_the_requested_time() {
        let start = Instant::now();
        burn_cpu(Duration::from_millis(3));
        assert!(start.elapsed() >= Duration::from_millis(3));
    }
}
