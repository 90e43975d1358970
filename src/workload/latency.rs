//! End-to-end latencies of one tick, recorded as they happen and read as
//! percentiles once per sample (HdrHistogram, microseconds, 1% precision).

use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::format;

/// One tick's latencies, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub count: u64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

impl Latency {
    /// One of this tick's figures (`us`) as the panes show it, or "–" in a
    /// tick in which nothing finished: there is no latency then, and a 0
    /// would read as instant.
    pub fn shown(&self, us: f64) -> String {
        if self.count == 0 {
            "–".to_string()
        } else {
            format::micros(us)
        }
    }
}

/// Shards, so that tasks recording at once on different workers rarely
/// meet on one lock (tens of thousands of requests a second do).
const SHARDS: usize = 8;

pub struct LatencyRecorder {
    shards: [Mutex<Histogram<u64>>; SHARDS],
}

/// 1 µs to an hour, two significant digits: fixed size, never grows.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 2)
        .unwrap_or_else(|_| Histogram::new(2).expect("two significant digits are valid"))
}

impl Default for LatencyRecorder {
    fn default() -> Self {
        Self {
            shards: std::array::from_fn(|_| Mutex::new(histogram())),
        }
    }
}

impl LatencyRecorder {
    pub fn record(&self, latency: Duration) {
        let us = (latency.as_micros() as u64).max(1);
        let shard = tokio::runtime::worker_index().unwrap_or(0) % SHARDS;
        if let Ok(mut h) = self.shards[shard].lock() {
            h.saturating_record(us);
        }
    }

    /// The latencies recorded since the last call.
    pub fn take(&self) -> Latency {
        let mut h = histogram();
        for shard in &self.shards {
            if let Ok(mut shard) = shard.lock() {
                let _ = h.add(&*shard);
                shard.reset();
            }
        }
        Latency {
            count: h.len(),
            p50_us: h.value_at_quantile(0.5) as f64,
            p90_us: h.value_at_quantile(0.9) as f64,
            p99_us: h.value_at_quantile(0.99) as f64,
            p999_us: h.value_at_quantile(0.999) as f64,
            max_us: h.max() as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_in_which_nothing_finished_shows_no_latency() {
        let recorder = LatencyRecorder::default();
        let none = recorder.take();
        assert_eq!(
            (none.shown(none.p50_us), none.shown(none.max_us)),
            ("–".into(), "–".into())
        );
        recorder.record(Duration::from_millis(12));
        let one = recorder.take();
        assert_eq!(one.shown(one.max_us), "12ms");
    }

    #[test]
    fn percentiles_of_what_was_recorded_since_the_last_take() {
        let r = LatencyRecorder::default();
        for ms in 1..=100 {
            r.record(Duration::from_millis(ms));
        }
        let l = r.take();
        assert_eq!(l.count, 100);
        assert!((49_000.0..=51_000.0).contains(&l.p50_us), "{l:?}");
        assert!((98_000.0..=100_000.0).contains(&l.p99_us), "{l:?}");
        assert!(l.max_us >= 99_000.0);
        assert_eq!(r.take(), Latency::default(), "reset after reading");
    }
}
