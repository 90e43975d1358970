//! Durations counted by the poll hooks, per worker: poll times, from the
//! two time-stamp counter readings the hooks already take to find long
//! polls (what tokio's poll-time histogram would count, without its two
//! extra clock readings around every poll), and scheduling delays, which
//! tokio times and hands to the hook that starts the poll (what its
//! scheduling-delay histogram would count, without its bookkeeping).
//!
//! Buckets are log-scale, four to a doubling (25% precision), from 1 µs to
//! about 4 s, as `runtime::duration_histogram` asks of tokio's: bucket 0
//! holds everything under 1,024 ns, the last everything from 4.29 s.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The doubling bucket 1 starts at: 2^10 ns, about 1 µs.
const FIRST_POWER: u32 = 10;
/// The doubling the last bucket starts at: 2^32 ns, about 4.3 s.
const LAST_POWER: u32 = 32;
const PER_DOUBLING: usize = 4;
pub const BUCKETS: usize = 1 + (LAST_POWER - FIRST_POWER) as usize * PER_DOUBLING + 1;

/// The bucket of a poll of `ns` nanoseconds: a leading-zero count and a
/// shift, no division.
#[inline]
pub fn bucket_of(ns: u64) -> usize {
    if ns < 1 << FIRST_POWER {
        return 0;
    }
    let power = 63 - ns.leading_zeros();
    if power >= LAST_POWER {
        return BUCKETS - 1;
    }
    // The two bits below the leading one pick the quarter.
    let quarter = ((ns >> (power - 2)) & 3) as usize;
    1 + (power - FIRST_POWER) as usize * PER_DOUBLING + quarter
}

/// The durations bucket `b` counts.
pub fn range_of(b: usize) -> Range<Duration> {
    let start = |b: usize| -> u64 {
        if b == 0 {
            return 0;
        }
        let power = FIRST_POWER + ((b - 1) / PER_DOUBLING) as u32;
        let quarter = ((b - 1) % PER_DOUBLING) as u64;
        (4 + quarter) << (power - 2)
    };
    let end = if b + 1 >= BUCKETS {
        Duration::MAX
    } else {
        Duration::from_nanos(start(b + 1))
    };
    Duration::from_nanos(start(b))..end
}

/// One worker's counts. Only the thread running that worker writes them
/// (but for a moment after `block_in_place` hands the worker to another
/// thread, when a count may be lost), so a count goes up by a plain load
/// and store, not an atomic read-modify-write (which costs a locked
/// instruction on every poll); the sampler reads them from another thread.
pub struct DurationHistogram {
    counts: [AtomicU64; BUCKETS],
}

impl Default for DurationHistogram {
    fn default() -> Self {
        Self {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl DurationHistogram {
    #[inline]
    pub fn record(&self, ns: u64) {
        let count = &self.counts[bucket_of(ns)];
        count.store(count.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    /// This worker's polls so far.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Adds this worker's counts so far to `sums`.
    pub fn add_to(&self, sums: &mut [u64]) {
        for (sum, count) in sums.iter_mut().zip(&self.counts) {
            *sum += count.load(Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_duration_falls_in_the_bucket_whose_range_holds_it() {
        for ns in [
            0,
            1,
            1_023,
            1_024,
            1_279,
            1_280,
            20_000,
            1_000_000,
            4_294_967_295,
        ] {
            let range = range_of(bucket_of(ns));
            let d = Duration::from_nanos(ns);
            assert!(range.contains(&d), "{ns} ns in {range:?}");
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        assert_eq!(range_of(BUCKETS - 1).end, Duration::MAX);
    }

    #[test]
    fn buckets_are_a_quarter_of_a_doubling_wide_and_tile_without_gaps() {
        for b in 1..BUCKETS - 1 {
            let (this, next) = (range_of(b), range_of(b + 1));
            assert_eq!(this.end, next.start, "bucket {b}");
            let width = (this.end - this.start).as_nanos() as f64;
            let share = width / this.start.as_nanos() as f64;
            assert!((0.14..=0.25).contains(&share), "bucket {b}: {share}");
        }
        assert_eq!(range_of(1).start, Duration::from_nanos(1_024));
    }

    #[test]
    fn a_worker_counts_its_polls() {
        let h = DurationHistogram::default();
        for ns in [500, 30_000, 30_500, 12_000_000] {
            h.record(ns);
        }
        let mut sums = vec![0; BUCKETS];
        h.add_to(&mut sums);
        assert_eq!(sums.iter().sum::<u64>(), 4);
        assert_eq!(sums[bucket_of(30_000)], 2);
        assert_eq!(sums[0], 1);
    }
}
