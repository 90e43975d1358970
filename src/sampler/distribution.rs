//! Percentiles, slow counts and display bins from one tick of a duration
//! histogram (poll times or scheduling delay).

use std::time::Duration;

use super::snapshot::{Bin, Distribution};

/// A poll this long holds its worker long enough to delay every other task
/// queued there by a noticeable amount; a task that waits this long to be
/// polled after it was woken is late enough for its user to notice.
pub const SLOW: Duration = Duration::from_millis(1);

/// The bins the poll-times pane draws, by lower bound.
pub const BINS: [(&str, Duration); 6] = [
    ("<10µs", Duration::ZERO),
    ("10-100µs", Duration::from_micros(10)),
    ("0.1-1ms", Duration::from_micros(100)),
    ("1-10ms", Duration::from_millis(1)),
    ("10-100ms", Duration::from_millis(10)),
    ("≥100ms", Duration::from_millis(100)),
];

/// One histogram bucket: durations that fell in `start..end`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    pub start: Duration,
    pub end: Duration,
    pub count: u64,
}

impl Bucket {
    /// The one value every figure takes for the durations in this bucket:
    /// its upper bound, except for the last bucket, which is open-ended. Percentiles, the maximum, the slow count and the bins
    /// all use it, so a bucket straddling 1 ms is slow in the count just as
    /// its upper bound shows in p99.
    fn reported(&self) -> Duration {
        if self.end >= Duration::from_secs(3600) {
            self.start
        } else {
            self.end
        }
    }
}

pub fn summarize(buckets: &[Bucket]) -> Distribution {
    let count: u64 = buckets.iter().map(|b| b.count).sum();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let percentile = |q: f64| -> f64 {
        if count == 0 {
            return 0.0;
        }
        let rank = ((q * count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for bucket in buckets {
            seen += bucket.count;
            if seen >= rank {
                return micros(bucket.reported());
            }
        }
        0.0
    };
    let top = buckets.iter().rev().find(|b| b.count > 0);
    let max_us = top.map_or(0.0, |b| micros(b.reported()));
    let max_floor_us = top.map_or(0.0, |b| micros(b.start));
    let slow = buckets
        .iter()
        .filter(|b| b.reported() >= SLOW)
        .map(|b| b.count)
        .sum();
    let bins = BINS
        .iter()
        .enumerate()
        .map(|(i, (label, low))| {
            let high = BINS.get(i + 1).map_or(Duration::MAX, |(_, next)| *next);
            let count = buckets
                .iter()
                .filter(|b| b.reported() >= *low && b.reported() < high)
                .map(|b| b.count)
                .sum();
            Bin { label, count }
        })
        .collect();
    Distribution {
        count,
        p50_us: percentile(0.50),
        p90_us: percentile(0.90),
        p99_us: percentile(0.99),
        max_us,
        max_exact: false,
        max_floor_us,
        slow,
        bins,
    }
}

impl Distribution {
    /// Takes `exact`, the longest poll that ended this tick as the hooks
    /// timed it, as the maximum unless the histogram holds a longer one:
    /// in the maximum's bucket it is that bucket's poll, measured; past it,
    /// a poll not yet in the counts (the hooks time it as it ends, and the
    /// histogram was read a moment before).
    pub fn refine_max(&mut self, exact: f64) {
        if exact < self.max_floor_us {
            return;
        }
        if exact <= self.max_us {
            // No percentile's bound need pass the maximum.
            for p in [&mut self.p50_us, &mut self.p90_us, &mut self.p99_us] {
                *p = p.min(exact);
            }
        }
        self.max_us = exact;
        self.max_exact = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    fn bucket(start: u64, end: u64, count: u64) -> Bucket {
        Bucket {
            start: us(start),
            end: us(end),
            count,
        }
    }

    #[test]
    fn percentiles_report_the_upper_bound_of_their_bucket() {
        let buckets = [
            bucket(0, 8, 50),
            bucket(8, 16, 40),
            bucket(16, 32, 9),
            bucket(2048, 4096, 1),
        ];
        let p = summarize(&buckets);
        assert_eq!(p.count, 100);
        assert_eq!(p.p50_us, 8.0);
        assert_eq!(p.p90_us, 16.0);
        assert_eq!(p.p99_us, 32.0);
        assert_eq!(p.max_us, 4096.0);
        assert_eq!(p.slow, 1);
    }

    #[test]
    fn a_bucket_straddling_the_slow_line_counts_as_slow_as_p99_shows_it() {
        let p = summarize(&[bucket(100, 128, 98), bucket(983, 1_049, 2)]);
        assert_eq!(p.p99_us, 1_049.0);
        assert_eq!(p.slow, 2, "p99 reads 1ms, so slow >= 1ms must count it");
        let counts: Vec<u64> = p.bins.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![0, 0, 98, 2, 0, 0], "binned by the same value");
    }

    #[test]
    fn open_ended_last_bucket_reports_its_start() {
        let p = summarize(&[
            bucket(0, 8, 1),
            Bucket {
                start: Duration::from_secs(4),
                end: Duration::MAX,
                count: 1,
            },
        ]);
        assert_eq!(p.max_us, 4_000_000.0);
    }

    #[test]
    fn an_exact_longest_poll_replaces_the_bound_unless_a_longer_one_is_held() {
        let mut p = summarize(&[bucket(0, 8, 5), bucket(214_000, 268_000, 1)]);
        assert_eq!((p.max_us, p.max_exact), (268_000.0, false));
        p.refine_max(200_000.0);
        assert_eq!(
            (p.max_us, p.max_exact),
            (268_000.0, false),
            "a longer one held"
        );
        p.refine_max(236_000.0);
        assert_eq!((p.max_us, p.max_exact), (236_000.0, true));
        // Not yet published in the histogram: still this tick's longest.
        let mut p = summarize(&[bucket(0, 8, 5)]);
        p.refine_max(2_516_000.0);
        assert_eq!((p.max_us, p.max_exact, p.p99_us), (2_516_000.0, true, 8.0));
        let mut p = summarize(&[bucket(214_000, 268_000, 3)]);
        p.refine_max(236_000.0);
        assert_eq!(p.p99_us, 236_000.0, "a bound, and none past the maximum");
    }

    #[test]
    fn empty_histogram_is_all_zero() {
        let p = summarize(&[bucket(0, 8, 0)]);
        assert_eq!((p.count, p.p50_us, p.max_us, p.slow), (0, 0.0, 0.0, 0));
        assert!(p.bins.iter().all(|b| b.count == 0));
    }

    #[test]
    fn bins_group_buckets_by_decade() {
        let buckets = [
            bucket(2, 4, 5),
            bucket(48, 64, 3),
            bucket(500, 640, 2),
            bucket(20_000, 24_000, 1),
        ];
        let counts: Vec<u64> = summarize(&buckets).bins.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![5, 3, 2, 0, 1, 0]);
    }
}
