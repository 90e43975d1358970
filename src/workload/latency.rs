//! End-to-end latencies of one tick, recorded as they happen and read as
//! percentiles once per sample (HdrHistogram, microseconds, 1% precision).

use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// One tick's latencies, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    pub count: u64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

pub struct LatencyRecorder {
    histogram: Mutex<Histogram<u64>>,
}

impl Default for LatencyRecorder {
    fn default() -> Self {
        // 1 µs to an hour, two significant digits: fixed size, never grows.
        let histogram = Histogram::new_with_bounds(1, 3_600_000_000, 2)
            .unwrap_or_else(|_| Histogram::new(2).expect("two significant digits are valid"));
        Self {
            histogram: Mutex::new(histogram),
        }
    }
}

impl LatencyRecorder {
    pub fn record(&self, latency: Duration) {
        let us = (latency.as_micros() as u64).max(1);
        if let Ok(mut h) = self.histogram.lock() {
            h.saturating_record(us);
        }
    }

    /// The latencies recorded since the last call.
    pub fn take(&self) -> Latency {
        let Ok(mut h) = self.histogram.lock() else {
            return Latency::default();
        };
        let latency = Latency {
            count: h.len(),
            p50_us: h.value_at_quantile(0.5) as f64,
            p90_us: h.value_at_quantile(0.9) as f64,
            p99_us: h.value_at_quantile(0.99) as f64,
            p999_us: h.value_at_quantile(0.999) as f64,
            max_us: h.max() as f64,
        };
        h.reset();
        latency
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
